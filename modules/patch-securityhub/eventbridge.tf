# Patch compliance changes (compliant and non-compliant) -> main queue.

resource "aws_cloudwatch_event_rule" "compliance" {
  count = local.create ? 1 : 0

  name           = local.compliance_rule_name
  description    = "SSM patch compliance state changes to the patch-securityhub queue"
  event_bus_name = var.event_bus_name
  event_pattern = jsonencode({
    source        = ["aws.ssm"]
    "detail-type" = ["Configuration Compliance State Change"]
    detail = {
      "compliance-type" = ["Patch"]
    }
  })
  tags = local.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.compliance_rule_arn
      error_message = "The rule ARN differs from the one the queue policy was written for."
    }
  }
}

resource "aws_cloudwatch_event_target" "compliance_to_queue" {
  count = local.create ? 1 : 0

  rule           = aws_cloudwatch_event_rule.compliance[0].name
  event_bus_name = var.event_bus_name
  target_id      = "patch-securityhub-queue"
  arn            = aws_sqs_queue.main[0].arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  # Without it an event EventBridge cannot deliver is dropped after the retry policy, and at once on errors it
  # does not retry (a denied SendMessage, a key that refuses EventBridge): EventBridge user guide, "Event retry
  # policy and using dead-letter queues". The alarms on this queue's depth and on the rule's FailedInvocations
  # (cloudwatch.tf) make such a loss heard.
  dead_letter_config {
    arn = aws_sqs_queue.rule_dlq[0].arn
  }
}
