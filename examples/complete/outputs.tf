output "module" {
  description = "Every output of the module (queue URLs and ARNs, functions, roles, alarms, association, baseline)."
  value       = module.patch_securityhub
}

output "hook_documents" {
  description = "Names of the hook documents the association runs."
  value       = { for k, d in aws_ssm_document.hook : k => d.name }
}
