data "aws_caller_identity" "current" {
  count = var.enabled ? 1 : 0
}

data "aws_partition" "current" {
  count = var.enabled ? 1 : 0
}

data "aws_region" "current" {
  count = var.enabled ? 1 : 0
}

locals {
  create = var.enabled

  account_id = one(data.aws_caller_identity.current[*].account_id)
  partition  = one(data.aws_partition.current[*].partition)
  # `id` is the region name on every provider version in range (`name` is deprecated from 6.0).
  region = one(data.aws_region.current[*].id)

  tags = merge(var.tags, { "patch-securityhub:module" = "patch-securityhub" })

  # A plain switch, never a test of var.kms_key_arn: a key created in the caller's configuration has an ARN
  # unknown until apply, and a count may not depend on it.
  create_kms_key       = local.create && var.create_kms_key
  kms_key_arn          = local.create_kms_key ? one(aws_kms_key.this[*].arn) : var.kms_key_arn
  kms_key_choice_error = "Set exactly one of create_kms_key = true (the module creates the key) or kms_key_arn (with create_kms_key = false)."

  main_queue_name = "${var.name_prefix}-events"
  dlq_name        = "${var.name_prefix}-events-dlq"
  # The CloudWatch namespace of the product's own metrics (redrive.METRIC_NAMESPACE).
  metric_namespace      = "patch-securityhub"
  quarantine_queue_name = "${var.name_prefix}-quarantine"
  rule_dlq_name         = "${var.name_prefix}-rule-dlq"

  # ARNs derived from names: the policies that name them are then known at plan time (reviewable in the plan,
  # testable offline) and the key policy can name the queue without a dependency cycle.
  arn_prefix           = local.create ? "arn:${local.partition}:%s:${local.region}:${local.account_id}" : null
  main_queue_arn       = local.create ? "${format(local.arn_prefix, "sqs")}:${local.main_queue_name}" : null
  dlq_arn              = local.create ? "${format(local.arn_prefix, "sqs")}:${local.dlq_name}" : null
  quarantine_queue_arn = local.create ? "${format(local.arn_prefix, "sqs")}:${local.quarantine_queue_name}" : null
  rule_dlq_arn         = local.create ? "${format(local.arn_prefix, "sqs")}:${local.rule_dlq_name}" : null
  compliance_rule_name = "${var.name_prefix}-patch-compliance"
  compliance_rule_arn  = local.create ? "${format(local.arn_prefix, "events")}:rule/${var.event_bus_name == "default" ? "" : "${var.event_bus_name}/"}${local.compliance_rule_name}" : null

  # The module's functions: the forwarder, the redrive function and, when sweep_enabled, the sweep (none when the
  # module creates nothing). What else differs between them is in local.functions (lambda.tf).
  function_keys = local.create ? concat(["forwarder", "redrive"], var.sweep_enabled ? ["sweep"] : []) : []
  # Each function's names and ARNs, from its key alone: no resource in them, so the queue policy may name the
  # roles (sqs.tf) without a cycle. IAM is global and the module regional: the Region in the role's name keeps one
  # account's deployments apart. IAM ARNs carry the role's path: arn:<partition>:iam::<account>:role<path><name>.
  function_ids = {
    for key in local.function_keys : key => {
      name           = "${var.name_prefix}-${key}"
      arn            = "${format(local.arn_prefix, "lambda")}:function:${var.name_prefix}-${key}"
      role_name      = "${var.name_prefix}-${key}-${local.region}"
      role_arn       = "arn:${local.partition}:iam::${local.account_id}:role${var.role_path}${var.name_prefix}-${key}-${local.region}"
      log_group_name = "/aws/lambda/${var.name_prefix}-${key}"
      log_group_arn  = "${format(local.arn_prefix, "logs")}:log-group:/aws/lambda/${var.name_prefix}-${key}"
    }
  }

  # AWS guidance for SQS-triggered Lambda: visibility timeout at least six times the function timeout.
  queue_visibility_timeout = coalesce(var.queue_visibility_timeout_seconds, 6 * var.forwarder_timeout)

  # The account's own product for custom integrations: findings are imported under it.
  securityhub_product_arn       = local.create ? "arn:${local.partition}:securityhub:${local.region}:${local.account_id}:product/${local.account_id}/default" : null
  securityhub_hub_arn           = local.create ? "arn:${local.partition}:securityhub:${local.region}:${local.account_id}:hub/default" : null
  patch_manager_product_arn     = local.create ? "arn:${local.partition}:securityhub:${local.region}::product/aws/ssm-patch-manager" : null
  create_patch_baseline         = local.create && var.patch_baseline != null
  create_alarm_topic            = local.create && var.create_alarms && var.create_alarm_topic
  alarm_actions                 = compact([local.create_alarm_topic ? one(aws_sns_topic.alarms[*].arn) : var.alarm_sns_topic_arn])
  lambda_log_group_arn_wildcard = local.create ? "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*" : null
  # Every alarm of the module is named "<name_prefix>-...".
  alarm_arn_wildcard = local.create ? "${format(local.arn_prefix, "cloudwatch")}:alarm:${var.name_prefix}-*" : null
}
