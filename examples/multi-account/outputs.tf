output "workspace" {
  description = "Workspace (rollout target) this state belongs to."
  value       = terraform.workspace
}

output "account_id" {
  description = "Account this workspace deploys to."
  value       = local.target.account_id
}

output "main_queue_arn" {
  description = "Main queue ARN in the target account (null when disabled there)."
  value       = module.patch_securityhub.main_queue_arn
}

output "forwarder_function_arn" {
  description = "Forwarder ARN in the target account (null when disabled there)."
  value       = module.patch_securityhub.forwarder_function_arn
}
