# The sweep: a scheduled function that lists every node SSM knows and every ACTIVE finding of the module's
# product, and writes sweep requests to the event queue for the forwarder (lambda_src/patch_securityhub/sweep.py).
# SSM's compliance events are best effort and sent only on a change, and Security Hub deletes findings not
# updated for 90 days: without the sweep a dropped event is never repaired and a long-lived finding expires.
# It runs the forwarder's package (the same code decides), with its own role.

locals {
  create_sweep         = local.create && var.sweep_enabled
  sweep_name           = "${var.name_prefix}-sweep"
  sweep_role_name      = local.create_sweep ? "${local.sweep_name}-${local.region}" : null
  sweep_role_arn       = local.create_sweep ? "arn:${local.partition}:iam::${local.account_id}:role${var.role_path}${local.sweep_role_name}" : null
  sweep_log_group_name = "/aws/lambda/${local.sweep_name}"
  sweep_log_arn        = local.create_sweep ? "${format(local.arn_prefix, "logs")}:log-group:${local.sweep_log_group_name}" : null
  sweep_function_arn   = local.create_sweep ? "${format(local.arn_prefix, "lambda")}:function:${local.sweep_name}" : null
}

resource "aws_cloudwatch_log_group" "sweep" {
  count = local.create_sweep ? 1 : 0

  name              = local.sweep_log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = local.kms_key_arn
  tags              = local.tags
}

resource "aws_iam_role" "sweep" {
  count = local.create_sweep ? 1 : 0

  name                 = local.sweep_role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "patch-securityhub sweep"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume[0].json
  tags                 = local.tags

  lifecycle {
    # The main queue's policy exempts this ARN from its DenyOtherSenders (sqs.tf).
    postcondition {
      condition     = self.arn == local.sweep_role_arn
      error_message = "The role ARN differs from the one the policies were written for."
    }
  }
}

# The key choice and the package's architecture are checked once, on the forwarder's policy and function.
data "aws_iam_policy_document" "sweep" {
  count = local.create_sweep ? 1 : 0

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.sweep_log_arn}:*"]
  }

  # DescribeInstanceInformation has no resource-level permissions: "*" is the only resource IAM accepts.
  statement {
    sid       = "ListManagedNodes"
    actions   = ["ssm:DescribeInstanceInformation"]
    resources = ["*"]
  }

  statement {
    sid       = "ListOwnFindings"
    actions   = ["securityhub:GetFindings"]
    resources = [local.securityhub_hub_arn]
  }

  statement {
    sid       = "RequestRefreshes"
    actions   = ["sqs:SendMessage"]
    resources = [local.main_queue_arn]
  }

  statement {
    sid     = "UseModuleKey"
    actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    # compact: without a key the forwarder's policy refuses the plan (its precondition); this one must not
    # fail first on a null.
    resources = compact([local.kms_key_arn])
  }

  # A sweep longer than one invocation continues in a new one (InvocationType Event) of this function only.
  statement {
    sid       = "ContinueItself"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.sweep_function_arn]
  }

  dynamic "statement" {
    for_each = var.lambda_tracing_mode == "Active" ? [1] : []
    content {
      # X-Ray has no resource-level permissions for these actions.
      sid       = "WriteTraces"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.vpc_network_interface_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "sweep" {
  count = local.create_sweep ? 1 : 0

  name   = "sweep"
  role   = aws_iam_role.sweep[0].id
  policy = data.aws_iam_policy_document.sweep[0].json
}

resource "aws_lambda_function" "sweep" {
  count = local.create_sweep ? 1 : 0
  #checkov:skip=CKV_AWS_116:runs on a schedule and is idempotent; a failed run is redone by the next one (and alarmed)
  #checkov:skip=CKV_AWS_117:a VPC is the caller's choice (vpc_config); the function calls only AWS APIs
  #checkov:skip=CKV_AWS_272:the zip is built reproducibly by `make package`; code signing is the caller's choice
  #checkov:skip=CKV_AWS_115:one sweep per schedule period; reserving concurrency fails in low-limit accounts

  function_name     = local.sweep_name
  description       = "Asks the patch-securityhub forwarder to refresh every managed node and every active finding"
  role              = aws_iam_role.sweep[0].arn
  runtime           = local.runtime
  handler           = "patch_securityhub.sweep.handler"
  architectures     = [var.lambda_architecture]
  timeout           = var.sweep_timeout
  memory_size       = 256
  filename          = var.forwarder_package.zip_path
  source_code_hash  = var.forwarder_package.zip_path == null ? var.forwarder_package.source_code_hash : filebase64sha256(var.forwarder_package.zip_path)
  s3_bucket         = var.forwarder_package.s3_bucket
  s3_key            = var.forwarder_package.s3_key
  s3_object_version = var.forwarder_package.s3_object_version
  kms_key_arn       = local.kms_key_arn

  environment {
    variables = {
      PSH_MAIN_QUEUE_URL = one(aws_sqs_queue.main[*].url)
      PSH_LOG_LEVEL      = var.log_level
    }
  }

  tracing_config {
    mode = var.lambda_tracing_mode
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = local.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.sweep_function_arn
      error_message = "The sweep function's ARN differs from the one its policy lets it invoke."
    }
  }

  depends_on = [aws_cloudwatch_log_group.sweep, aws_iam_role_policy.sweep]
}

# An EventBridge schedule rule, as for the redrive (scheduler.tf says why).
resource "aws_cloudwatch_event_rule" "sweep" {
  count = local.create_sweep ? 1 : 0

  name                = local.sweep_name
  description         = "Runs the patch-securityhub sweep"
  schedule_expression = var.sweep_schedule_expression
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "sweep" {
  count = local.create_sweep ? 1 : 0

  rule      = aws_cloudwatch_event_rule.sweep[0].name
  target_id = "patch-securityhub-sweep"
  arn       = aws_lambda_function.sweep[0].arn
}

resource "aws_lambda_permission" "sweep_schedule" {
  count = local.create_sweep ? 1 : 0

  statement_id   = "AllowSweepSchedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.sweep[0].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.sweep[0].arn
  source_account = local.account_id
}

resource "aws_cloudwatch_metric_alarm" "sweep_errors" {
  count = local.create_sweep && var.create_alarms ? 1 : 0

  alarm_name          = "${var.name_prefix}-sweep-errors"
  alarm_description   = "The patch-securityhub sweep failed: findings may go stale or expire (90 days) until it runs again."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.sweep[0].function_name }
  statistic           = "Sum"
  period              = var.alarm_evaluation_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}
