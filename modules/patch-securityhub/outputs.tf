output "kms_key_arn" {
  description = "ARN of the KMS key encrypting queues, logs, topic and Lambda environment (created or passed in)."
  value       = local.kms_key_arn
}

output "kms_key_alias" {
  description = "Alias of the created KMS key (null when a key was passed in)."
  value       = one(aws_kms_alias.this[*].name)
}

output "main_queue_arn" {
  description = "ARN of the main queue (EventBridge -> forwarder)."
  value       = one(aws_sqs_queue.main[*].arn)
}

output "main_queue_url" {
  description = "URL of the main queue."
  value       = one(aws_sqs_queue.main[*].url)
}

output "main_queue_name" {
  description = "Name of the main queue."
  value       = one(aws_sqs_queue.main[*].name)
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = one(aws_sqs_queue.dlq[*].arn)
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = one(aws_sqs_queue.dlq[*].url)
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = one(aws_sqs_queue.dlq[*].name)
}

output "quarantine_queue_arn" {
  description = "ARN of the quarantine queue (permanent rejects)."
  value       = one(aws_sqs_queue.quarantine[*].arn)
}

output "quarantine_queue_url" {
  description = "URL of the quarantine queue."
  value       = one(aws_sqs_queue.quarantine[*].url)
}

output "quarantine_queue_name" {
  description = "Name of the quarantine queue."
  value       = one(aws_sqs_queue.quarantine[*].name)
}

output "rule_dlq_arn" {
  description = "ARN of the compliance rule's dead-letter queue (events EventBridge could not deliver to the main queue)."
  value       = one(aws_sqs_queue.rule_dlq[*].arn)
}

output "rule_dlq_url" {
  description = "URL of the compliance rule's dead-letter queue."
  value       = one(aws_sqs_queue.rule_dlq[*].url)
}

output "rule_dlq_name" {
  description = "Name of the compliance rule's dead-letter queue."
  value       = one(aws_sqs_queue.rule_dlq[*].name)
}

output "compliance_rule_arn" {
  description = "ARN of the EventBridge rule that sends patch compliance changes to the main queue."
  value       = one(aws_cloudwatch_event_rule.compliance[*].arn)
}

output "compliance_rule_name" {
  description = "Name of the EventBridge rule that sends patch compliance changes to the main queue."
  value       = one(aws_cloudwatch_event_rule.compliance[*].name)
}

output "forwarder_function_arn" {
  description = "ARN of the forwarder function."
  value       = try(aws_lambda_function.function["forwarder"].arn, null)
}

output "forwarder_function_name" {
  description = "Name of the forwarder function."
  value       = try(aws_lambda_function.function["forwarder"].function_name, null)
}

output "forwarder_role_arn" {
  description = "ARN of the forwarder's execution role."
  value       = try(aws_iam_role.function["forwarder"].arn, null)
}

output "forwarder_role_name" {
  description = "Name of the forwarder's execution role."
  value       = try(aws_iam_role.function["forwarder"].name, null)
}

output "forwarder_event_source_mapping_uuid" {
  description = "UUID of the SQS event source mapping of the forwarder."
  value       = one(aws_lambda_event_source_mapping.forwarder[*].uuid)
}

output "forwarder_log_group_name" {
  description = "Log group of the forwarder."
  value       = try(aws_cloudwatch_log_group.function["forwarder"].name, null)
}

output "redrive_function_arn" {
  description = "ARN of the redrive function."
  value       = try(aws_lambda_function.function["redrive"].arn, null)
}

output "redrive_function_name" {
  description = "Name of the redrive function."
  value       = try(aws_lambda_function.function["redrive"].function_name, null)
}

output "redrive_role_arn" {
  description = "ARN of the redrive function's execution role."
  value       = try(aws_iam_role.function["redrive"].arn, null)
}

output "redrive_role_name" {
  description = "Name of the redrive function's execution role."
  value       = try(aws_iam_role.function["redrive"].name, null)
}

output "redrive_schedule_rule_arn" {
  description = "ARN of the EventBridge schedule rule that runs the redrive function."
  value       = try(aws_cloudwatch_event_rule.schedule["redrive"].arn, null)
}

output "redrive_log_group_name" {
  description = "Log group of the redrive function."
  value       = try(aws_cloudwatch_log_group.function["redrive"].name, null)
}

output "securityhub_product_arn" {
  description = "Product ARN the forwarder imports findings under (the account's default product)."
  value       = local.securityhub_product_arn
}

output "patch_manager_product_subscription_arn" {
  description = "ARN of the module's subscription to the native Patch Manager integration (subscribe_patch_manager_product = \"enable\"); null when Security Hub subscribed it itself (\"automatic\")."
  value       = one(aws_securityhub_product_subscription.patch_manager[*].arn)
}

output "securityhub_account_id" {
  description = "Id of aws_securityhub_account when this module enabled Security Hub (null otherwise)."
  value       = one(aws_securityhub_account.this[*].id)
}

output "patch_association_id" {
  description = "Id of the AWS-RunPatchBaselineWithHooks association (null when not created)."
  value       = one(aws_ssm_association.patch[*].association_id)
}

output "patch_association_name" {
  description = "Name of the AWS-RunPatchBaselineWithHooks association (null when not created)."
  value       = one(aws_ssm_association.patch[*].association_name)
}

output "patch_baseline_id" {
  description = "Id of the custom patch baseline (null when not created)."
  value       = one(aws_ssm_patch_baseline.this[*].id)
}

output "patch_groups" {
  description = "Patch groups registered for the custom baseline."
  value       = sort(keys(aws_ssm_patch_group.this))
}

output "alarm_topic_arn" {
  description = "ARN of the alarm topic the module created (null when not created)."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "alarm_arns" {
  description = "ARNs of the alarms by purpose (dlq, quarantine, rule_dlq, events_age, forwarder_errors, sweep_errors when sweep_enabled, rule_failed_invocations, redrive_blocked)."
  value       = { for k, a in aws_cloudwatch_metric_alarm.alarm : k => a.arn }
}

output "alarm_names" {
  description = "Names of the alarms by purpose (the keys of alarm_arns: dlq, quarantine, rule_dlq, events_age, forwarder_errors, sweep_errors when sweep_enabled, rule_failed_invocations, redrive_blocked); known at plan time."
  value       = { for k, a in aws_cloudwatch_metric_alarm.alarm : k => a.alarm_name }
}

output "sweep_function_arn" {
  description = "ARN of the sweep function (null when sweep_enabled is false)."
  value       = try(aws_lambda_function.function["sweep"].arn, null)
}

output "sweep_function_name" {
  description = "Name of the sweep function (null when sweep_enabled is false)."
  value       = try(aws_lambda_function.function["sweep"].function_name, null)
}

output "sweep_role_arn" {
  description = "ARN of the sweep function's execution role (null when sweep_enabled is false)."
  value       = try(aws_iam_role.function["sweep"].arn, null)
}

output "sweep_schedule_rule_arn" {
  description = "ARN of the EventBridge schedule rule that runs the sweep (null when sweep_enabled is false)."
  value       = try(aws_cloudwatch_event_rule.schedule["sweep"].arn, null)
}

output "sweep_log_group_name" {
  description = "Log group of the sweep function (null when sweep_enabled is false)."
  value       = try(aws_cloudwatch_log_group.function["sweep"].name, null)
}
