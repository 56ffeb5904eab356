# Names derived from name_prefix, and nothing at all with enabled = false. Offline: a mocked AWS provider
# (mocks/aws.tfmock.hcl: account 123456789012, eu-west-1) and plans only.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "fleet-a"
  forwarder_package = { s3_bucket = "artifacts", s3_key = "patch-securityhub/forwarder.zip" }
  redrive_package   = { s3_bucket = "artifacts", s3_key = "patch-securityhub/redrive.zip" }
}

run "every_name_follows_name_prefix" {
  command = plan

  assert {
    condition = [aws_sqs_queue.main[0].name, aws_sqs_queue.dlq[0].name, aws_sqs_queue.quarantine[0].name, aws_sqs_queue.rule_dlq[0].name] == [
      "fleet-a-events", "fleet-a-events-dlq", "fleet-a-quarantine", "fleet-a-rule-dlq",
    ]
    error_message = "Queue names must be <name_prefix>-events, -events-dlq, -quarantine, -rule-dlq."
  }

  assert {
    condition     = [aws_lambda_function.forwarder[0].function_name, aws_lambda_function.redrive[0].function_name] == ["fleet-a-forwarder", "fleet-a-redrive"]
    error_message = "Function names must be <name_prefix>-forwarder and <name_prefix>-redrive."
  }

  assert {
    condition     = [aws_iam_role.forwarder[0].name, aws_iam_role.redrive[0].name] == ["fleet-a-forwarder-eu-west-1", "fleet-a-redrive-eu-west-1"]
    error_message = "Role names must carry the Region (IAM is global, the module is regional)."
  }

  assert {
    condition     = [aws_cloudwatch_event_rule.compliance[0].name, aws_cloudwatch_event_rule.redrive[0].name] == ["fleet-a-patch-compliance", "fleet-a-redrive"]
    error_message = "Rule names must be <name_prefix>-patch-compliance and <name_prefix>-redrive."
  }

  assert {
    condition = output.alarm_names == {
      dlq                     = "fleet-a-dlq-depth"
      quarantine              = "fleet-a-quarantine-depth"
      rule_dlq                = "fleet-a-rule-dlq-depth"
      events_age              = "fleet-a-events-age"
      forwarder_errors        = "fleet-a-forwarder-errors"
      rule_failed_invocations = "fleet-a-rule-failed-invocations"
    }
    error_message = "Alarm names must be <name_prefix>-<purpose>."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/fleet-a" && aws_sns_topic.alarms == []
    error_message = "The key's alias must be alias/<name_prefix>; no alarm topic unless asked for."
  }

  assert {
    condition     = [aws_cloudwatch_log_group.forwarder[0].name, aws_cloudwatch_log_group.redrive[0].name] == ["/aws/lambda/fleet-a-forwarder", "/aws/lambda/fleet-a-redrive"]
    error_message = "Log groups must be Lambda's own names for the functions."
  }
}

run "disabled_creates_nothing" {
  command = plan

  variables {
    enabled            = false
    create_alarm_topic = true
    vpc_config         = { subnet_ids = ["subnet-0123456789abcdef0"], security_group_ids = ["sg-0123456789abcdef0"] }
  }

  assert {
    condition = alltrue([
      length(aws_sqs_queue.main) == 0, length(aws_sqs_queue.rule_dlq) == 0, length(aws_kms_key.this) == 0,
      length(aws_lambda_function.forwarder) == 0, length(aws_lambda_function.redrive) == 0,
      length(aws_iam_role.forwarder) == 0, length(aws_cloudwatch_event_rule.compliance) == 0,
      length(aws_cloudwatch_metric_alarm.queue_depth) == 0, length(aws_cloudwatch_metric_alarm.rule_failed_invocations) == 0,
      length(aws_sns_topic.alarms) == 0, length(aws_ssm_association.patch) == 0,
      length(data.aws_caller_identity.current) == 0,
    ])
    error_message = "enabled = false must create (and read) nothing."
  }

  assert {
    condition     = output.main_queue_arn == null && output.rule_dlq_url == null && output.kms_key_arn == null && output.alarm_arns == {}
    error_message = "enabled = false must leave every output null or empty."
  }
}
