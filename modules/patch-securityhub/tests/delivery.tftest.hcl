# The compliance rule's dead-letter queue and the alarms that make a lost event heard.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  forwarder_package = { s3_bucket = "artifacts", s3_key = "patch-securityhub/forwarder.zip" }
  redrive_package   = { s3_bucket = "artifacts", s3_key = "patch-securityhub/redrive.zip" }
}

run "rule_target_has_a_dead_letter_queue" {
  command = plan

  assert {
    condition     = length(aws_sqs_queue.rule_dlq) == 1 && length(aws_cloudwatch_event_target.compliance_to_queue[0].dead_letter_config) == 1
    error_message = "The compliance rule's target must have its own dead-letter queue."
  }

  assert {
    condition     = aws_sqs_queue.rule_dlq[0].message_retention_seconds == 1209600 && aws_sqs_queue.rule_dlq[0].kms_data_key_reuse_period_seconds == 300
    error_message = "The rule's DLQ keeps messages as long as the other DLQs (dlq_message_retention_seconds) and is encrypted like them."
  }

  assert {
    condition = alltrue([
      for queue in [aws_sqs_queue.rule_dlq[0], aws_sqs_queue.quarantine[0]] :
      jsondecode(queue.redrive_allow_policy) == { redrivePermission = "denyAll" }
    ])
    error_message = "No queue may dead-letter into the rule's DLQ or the quarantine (redrivePermission denyAll)."
  }

  assert {
    condition     = [for k, a in aws_cloudwatch_metric_alarm.alarm : k if a.metric_name == "ApproximateNumberOfMessagesVisible"] == ["dlq", "quarantine", "rule_dlq"] && aws_cloudwatch_metric_alarm.alarm["rule_dlq"].dimensions == tomap({ QueueName = "patch-securityhub-rule-dlq" })
    error_message = "The rule's DLQ must have a depth alarm like the other two queues that hold what was not delivered."
  }

  assert {
    condition = alltrue([
      aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"].namespace == "AWS/Events",
      aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"].metric_name == "FailedInvocations",
      aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"].dimensions == tomap({ RuleName = "patch-securityhub-patch-compliance" }),
      aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"].treat_missing_data == "notBreaching",
    ])
    error_message = "FailedInvocations of the rule, RuleName only on the default bus; no datum is no failure."
  }
}

run "custom_bus_adds_its_name_to_the_dimensions" {
  command = plan

  variables {
    event_bus_name      = "security-events"
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"].dimensions == tomap({ EventBusName = "security-events", RuleName = "patch-securityhub-patch-compliance" })
    error_message = "On a custom bus EventBridge publishes the rule's metrics with EventBusName and RuleName."
  }

  assert {
    condition = alltrue([
      for alarm in [aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"], aws_cloudwatch_metric_alarm.alarm["rule_dlq"]] :
      alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:ops-alarms"]) && alarm.ok_actions == toset(["arn:aws:sns:eu-west-1:123456789012:ops-alarms"])
    ])
    error_message = "The new alarms notify the same topic as the others."
  }
}

run "no_alarms_still_a_dead_letter_queue" {
  command = plan

  variables {
    create_alarms = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.alarm) == 0 && length(aws_sqs_queue.rule_dlq) == 1
    error_message = "create_alarms = false drops the alarms, not the queue that keeps undelivered events."
  }
}

run "a_redrive_that_holds_the_dlq_is_alarmed" {
  command = plan

  assert {
    condition = alltrue([
      aws_cloudwatch_metric_alarm.alarm["redrive_blocked"].namespace == "patch-securityhub",
      aws_cloudwatch_metric_alarm.alarm["redrive_blocked"].metric_name == "RedriveBlocked",
      aws_cloudwatch_metric_alarm.alarm["redrive_blocked"].dimensions == tomap({ DeadLetterQueue = "patch-securityhub-events-dlq" }),
      aws_cloudwatch_metric_alarm.alarm["redrive_blocked"].treat_missing_data == "notBreaching",
    ])
    error_message = "The redrive_blocked alarm watches the RedriveBlocked metric of this module's DLQ (lambda_src redrive.publish_blocked)."
  }

  assert {
    condition = jsonencode([
      for s in data.aws_iam_policy_document.function["redrive"].statement : [
        for c in s.condition : [c.test, c.variable, c.values]
      ] if s.sid == "PublishRedriveBlocked"
    ]) == jsonencode([[["StringEquals", "cloudwatch:namespace", ["patch-securityhub"]]]])
    error_message = "The redrive may publish metrics only into the product's namespace."
  }
}
