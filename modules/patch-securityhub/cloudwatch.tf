# Log groups (created before the functions so that retention and encryption apply), alarms, optional alarm topic.

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.function_ids

  name              = each.value.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = local.kms_key_arn
  tags              = local.tags
}

resource "aws_sns_topic" "alarms" {
  count = local.create_alarm_topic ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

locals {
  queue_depth_alarms = local.create && var.create_alarms ? {
    dlq = {
      queue       = local.dlq_name
      description = "Messages in the patch-securityhub DLQ: Security Hub rejected or was unreachable; the redrive function retries them."
    }
    quarantine = {
      queue       = local.quarantine_queue_name
      description = "Messages in the patch-securityhub quarantine: events the forwarder rejected permanently; inspect them."
    }
    rule_dlq = {
      queue       = local.rule_dlq_name
      description = "Events EventBridge could not deliver to the patch-securityhub queue (message attributes ERROR_CODE, ERROR_MESSAGE say why): fix the cause, then send the messages' bodies to the main queue."
    }
  } : {}
}

resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  for_each = local.queue_depth_alarms

  alarm_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}-depth"
  alarm_description   = each.value.description
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value.queue }
  statistic           = "Maximum"
  period              = var.alarm_evaluation_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags

  depends_on = [aws_sqs_queue.dlq, aws_sqs_queue.quarantine, aws_sqs_queue.rule_dlq]
}

resource "aws_cloudwatch_metric_alarm" "main_queue_age" {
  count = local.create && var.create_alarms ? 1 : 0

  alarm_name          = "${var.name_prefix}-events-age"
  alarm_description   = "The oldest patch-securityhub event waits too long: the forwarder is failing or throttled."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.main[0].name }
  statistic           = "Maximum"
  period              = var.alarm_evaluation_period_seconds
  evaluation_periods  = 1
  threshold           = var.main_queue_age_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# Failed invocations of the functions that have an errors_alarm (local.functions, lambda.tf).
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = { for key, function in local.functions : key => function if var.create_alarms && function.errors_alarm != null }

  alarm_name          = "${each.value.name}-errors"
  alarm_description   = each.value.errors_alarm
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
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

# Invocations of the compliance rule's target that failed permanently (AWS/Events FailedInvocations), DLQ or
# not: a key or queue policy that refuses EventBridge shows here even when the rule's DLQ cannot take the event
# either. EventBridge publishes the metric only when it is not zero, so a missing datum is not breaching. Its
# dimensions are RuleName on the default bus, EventBusName and RuleName on a custom bus (EventBridge user guide,
# "Monitoring Amazon EventBridge").
resource "aws_cloudwatch_metric_alarm" "rule_failed_invocations" {
  count = local.create && var.create_alarms ? 1 : 0

  alarm_name          = "${var.name_prefix}-rule-failed-invocations"
  alarm_description   = "EventBridge failed to deliver patch compliance events to the patch-securityhub queue (see the rule DLQ's messages for the error)."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = merge({ RuleName = aws_cloudwatch_event_rule.compliance[0].name }, var.event_bus_name == "default" ? {} : { EventBusName = var.event_bus_name })
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

# The redrive held the DLQ because BatchImportFindings would fail (Security Hub or the product's import disabled,
# access denied): the metric its blocked runs publish (lambda_src/patch_securityhub/redrive.py), the messages
# held. Missing data is a run that was not blocked.
resource "aws_cloudwatch_metric_alarm" "redrive_blocked" {
  count = local.create && var.create_alarms ? 1 : 0

  alarm_name          = "${var.name_prefix}-redrive-blocked"
  alarm_description   = "The patch-securityhub redrive is holding dead-lettered events: BatchImportFindings into the product is refused (Security Hub or the integration's import disabled, or access denied). Fix that; the next redrive run moves them back."
  namespace           = local.metric_namespace
  metric_name         = "RedriveBlocked"
  dimensions          = { DeadLetterQueue = local.dlq_name }
  statistic           = "Maximum"
  period              = var.alarm_evaluation_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}
