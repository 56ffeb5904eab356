output "main_queue_url" {
  description = "Main queue URL."
  value       = module.patch_securityhub.main_queue_url
}

output "forwarder_function_name" {
  description = "Forwarder function name."
  value       = module.patch_securityhub.forwarder_function_name
}

output "securityhub_product_arn" {
  description = "Product ARN the findings are imported under."
  value       = module.patch_securityhub.securityhub_product_arn
}
