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

# The module's alarms by purpose: each entry holds what differs between them, the resource below what they share.
# The keys depend on variables only, never on a resource, so that for_each knows them at plan time.
locals {
  alarms = { for key, alarm in merge(
    {
      dlq = {
        name                = "${var.name_prefix}-dlq-depth"
        description         = "Messages in the patch-securityhub DLQ: Security Hub rejected or was unreachable; the redrive function retries them."
        namespace           = "AWS/SQS"
        metric_name         = "ApproximateNumberOfMessagesVisible"
        dimensions          = { QueueName = local.dlq_name }
        statistic           = "Maximum"
        threshold           = 1
        comparison_operator = "GreaterThanOrEqualToThreshold"
      }
      quarantine = {
        name                = "${var.name_prefix}-quarantine-depth"
        description         = "Messages in the patch-securityhub quarantine: events the forwarder rejected permanently; inspect them."
        namespace           = "AWS/SQS"
        metric_name         = "ApproximateNumberOfMessagesVisible"
        dimensions          = { QueueName = local.quarantine_queue_name }
        statistic           = "Maximum"
        threshold           = 1
        comparison_operator = "GreaterThanOrEqualToThreshold"
      }
      rule_dlq = {
        name                = "${var.name_prefix}-rule-dlq-depth"
        description         = "Events EventBridge could not deliver to the patch-securityhub queue (message attributes ERROR_CODE, ERROR_MESSAGE say why): fix the cause, then send the messages' bodies to the main queue."
        namespace           = "AWS/SQS"
        metric_name         = "ApproximateNumberOfMessagesVisible"
        dimensions          = { QueueName = local.rule_dlq_name }
        statistic           = "Maximum"
        threshold           = 1
        comparison_operator = "GreaterThanOrEqualToThreshold"
      }
      events_age = {
        name                = "${var.name_prefix}-events-age"
        description         = "The oldest patch-securityhub event waits too long: the forwarder is failing or throttled."
        namespace           = "AWS/SQS"
        metric_name         = "ApproximateAgeOfOldestMessage"
        dimensions          = { QueueName = one(aws_sqs_queue.main[*].name) }
        statistic           = "Maximum"
        threshold           = var.main_queue_age_alarm_seconds
        comparison_operator = "GreaterThanThreshold"
      }
      # Invocations of the compliance rule's target that failed permanently (AWS/Events FailedInvocations), DLQ
      # or not: a key or queue policy that refuses EventBridge shows here even when the rule's DLQ cannot take the
      # event either. EventBridge publishes the metric only when it is not zero, so a missing datum is not
      # breaching. Its dimensions are RuleName on the default bus, EventBusName and RuleName on a custom bus
      # (EventBridge user guide, "Monitoring Amazon EventBridge").
      rule_failed_invocations = {
        name                = "${var.name_prefix}-rule-failed-invocations"
        description         = "EventBridge failed to deliver patch compliance events to the patch-securityhub queue (see the rule DLQ's messages for the error)."
        namespace           = "AWS/Events"
        metric_name         = "FailedInvocations"
        dimensions          = merge({ RuleName = one(aws_cloudwatch_event_rule.compliance[*].name) }, var.event_bus_name == "default" ? {} : { EventBusName = var.event_bus_name })
        statistic           = "Sum"
        threshold           = 1
        comparison_operator = "GreaterThanOrEqualToThreshold"
      }
      # The redrive held the DLQ because BatchImportFindings would fail (Security Hub or the product's import
      # disabled, access denied): the metric its blocked runs publish (lambda_src/patch_securityhub/redrive.py),
      # the messages held. Missing data is a run that was not blocked.
      redrive_blocked = {
        name                = "${var.name_prefix}-redrive-blocked"
        description         = "The patch-securityhub redrive is holding dead-lettered events: BatchImportFindings into the product is refused (Security Hub or the integration's import disabled, or access denied). Fix that; the next redrive run moves them back."
        namespace           = local.metric_namespace
        metric_name         = "RedriveBlocked"
        dimensions          = { DeadLetterQueue = local.dlq_name }
        statistic           = "Maximum"
        threshold           = 1
        comparison_operator = "GreaterThanOrEqualToThreshold"
      }
    },
    # Failed invocations of the functions that have an errors_alarm (local.functions, lambda.tf): forwarder_errors
    # and, when sweep_enabled, sweep_errors.
    {
      for key, function in local.functions : "${key}_errors" => {
        name                = "${function.name}-errors"
        description         = function.errors_alarm
        namespace           = "AWS/Lambda"
        metric_name         = "Errors"
        dimensions          = { FunctionName = aws_lambda_function.function[key].function_name }
        statistic           = "Sum"
        threshold           = 1
        comparison_operator = "GreaterThanOrEqualToThreshold"
      } if function.errors_alarm != null
    },
  ) : key => alarm if local.create && var.create_alarms }
}

resource "aws_cloudwatch_metric_alarm" "alarm" {
  for_each = local.alarms

  alarm_name          = each.value.name
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.alarm_evaluation_period_seconds
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags

  # The DLQ, the quarantine and the rule's DLQ appear in dimensions by their names (locals.tf), which carry no
  # dependency on the queues.
  depends_on = [aws_sqs_queue.dlq, aws_sqs_queue.quarantine, aws_sqs_queue.rule_dlq]
}
