# Names derived from name_prefix, and nothing at all with enabled = false. The module's functions and what each
# brings: a log group, a role with its policy, a schedule for the redrive and the sweep, an Errors alarm for the
# forwarder and the sweep; sweep_enabled = false drops exactly the sweep's. Offline: a mocked AWS provider
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
    condition     = [aws_lambda_function.function["forwarder"].function_name, aws_lambda_function.function["redrive"].function_name] == ["fleet-a-forwarder", "fleet-a-redrive"]
    error_message = "Function names must be <name_prefix>-forwarder and <name_prefix>-redrive."
  }

  assert {
    condition     = [aws_iam_role.function["forwarder"].name, aws_iam_role.function["redrive"].name] == ["fleet-a-forwarder-eu-west-1", "fleet-a-redrive-eu-west-1"]
    error_message = "Role names must carry the Region (IAM is global, the module is regional)."
  }

  assert {
    condition     = [aws_cloudwatch_event_rule.compliance[0].name, aws_cloudwatch_event_rule.schedule["redrive"].name] == ["fleet-a-patch-compliance", "fleet-a-redrive"]
    error_message = "Rule names must be <name_prefix>-patch-compliance and <name_prefix>-redrive."
  }

  assert {
    condition = output.alarm_names == {
      dlq                     = "fleet-a-dlq-depth"
      quarantine              = "fleet-a-quarantine-depth"
      rule_dlq                = "fleet-a-rule-dlq-depth"
      events_age              = "fleet-a-events-age"
      forwarder_errors        = "fleet-a-forwarder-errors"
      sweep_errors            = "fleet-a-sweep-errors"
      rule_failed_invocations = "fleet-a-rule-failed-invocations"
      redrive_blocked         = "fleet-a-redrive-blocked"
    }
    error_message = "Alarm names must be <name_prefix>-<purpose>."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/fleet-a" && aws_sns_topic.alarms == []
    error_message = "The key's alias must be alias/<name_prefix>; no alarm topic unless asked for."
  }

  assert {
    condition     = [aws_cloudwatch_log_group.function["forwarder"].name, aws_cloudwatch_log_group.function["redrive"].name] == ["/aws/lambda/fleet-a-forwarder", "/aws/lambda/fleet-a-redrive"]
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
      length(aws_lambda_function.function) == 0, length(aws_cloudwatch_log_group.function) == 0,
      length(aws_iam_role.function) == 0, length(aws_cloudwatch_event_rule.compliance) == 0,
      length(aws_cloudwatch_metric_alarm.alarm) == 0,
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

run "three_functions_two_schedules_two_error_alarms" {
  command = plan

  assert {
    condition     = { for k, f in aws_lambda_function.function : k => [f.function_name, f.handler, f.memory_size, f.timeout, f.s3_key] } == { forwarder = ["fleet-a-forwarder", "patch_securityhub.forwarder.handler", 256, 120, "patch-securityhub/forwarder.zip"], redrive = ["fleet-a-redrive", "patch_securityhub.redrive.handler", 128, 300, "patch-securityhub/redrive.zip"], sweep = ["fleet-a-sweep", "patch_securityhub.sweep.handler", 256, 300, "patch-securityhub/forwarder.zip"] }
    error_message = "Three functions: the forwarder, the redrive and the sweep (which runs the forwarder's package)."
  }

  assert {
    condition = { for k, f in aws_lambda_function.function : k => f.description } == {
      forwarder = "SSM Patch Manager compliance to Security Hub findings"
      redrive   = "Moves patch-securityhub DLQ messages back when Security Hub is healthy"
      sweep     = "Asks the patch-securityhub forwarder to refresh every managed node and every active finding"
    }
    error_message = "Each function keeps its description."
  }

  assert {
    condition = { for k, r in aws_iam_role.function : k => [r.name, r.description] } == {
      forwarder = ["fleet-a-forwarder-eu-west-1", "patch-securityhub forwarder"]
      redrive   = ["fleet-a-redrive-eu-west-1", "patch-securityhub redrive"]
      sweep     = ["fleet-a-sweep-eu-west-1", "patch-securityhub sweep"]
    }
    error_message = "One role per function, named <function>-<region>."
  }

  assert {
    condition     = { for k, p in aws_iam_role_policy.function : k => p.name } == { forwarder = "forwarder", redrive = "redrive", sweep = "sweep" }
    error_message = "Each role has one inline policy named after its function."
  }

  assert {
    condition = {
      for k, d in data.aws_iam_policy_document.function : k => sort([for s in d.statement : s.sid])
      } == {
      forwarder = sort(["WriteOwnLogs", "ConsumeMainQueue", "QuarantineRejects", "UseModuleKey", "ReadNodePatchStates", "ReadComplianceAndInventory", "ReadInstanceStates", "ImportIntoOwnProduct", "ReadOwnFindings"])
      redrive   = sort(["WriteOwnLogs", "ProbeImportIntoOwnProduct", "DrainDeadLetterQueue", "RefillMainQueue", "QuarantineRedriveLimit", "PublishRedriveBlocked", "UseModuleKey"])
      sweep     = sort(["WriteOwnLogs", "ListManagedNodes", "ListOwnFindings", "RequestRefreshes", "UseModuleKey", "ContinueItself"])
    }
    error_message = "Each policy has the common statements and its function's own, by sid."
  }

  assert {
    condition = {
      for k, d in data.aws_iam_policy_document.function : k => flatten([for s in d.statement : s.resources if contains(["WriteOwnLogs", "ContinueItself"], s.sid)])
      } == {
      forwarder = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fleet-a-forwarder:*"]
      redrive   = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fleet-a-redrive:*"]
      sweep     = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fleet-a-sweep:*", "arn:aws:lambda:eu-west-1:123456789012:function:fleet-a-sweep"]
    }
    error_message = "Each function writes its own logs only; the sweep invokes itself only."
  }

  assert {
    condition     = { for k, g in aws_cloudwatch_log_group.function : k => g.name } == { forwarder = "/aws/lambda/fleet-a-forwarder", redrive = "/aws/lambda/fleet-a-redrive", sweep = "/aws/lambda/fleet-a-sweep" }
    error_message = "One log group per function, Lambda's own name for it."
  }

  assert {
    condition = { for k, r in aws_cloudwatch_event_rule.schedule : k => [r.name, r.description, r.schedule_expression] } == {
      redrive = ["fleet-a-redrive", "Runs the patch-securityhub redrive function", "rate(15 minutes)"]
      sweep   = ["fleet-a-sweep", "Runs the patch-securityhub sweep", "rate(1 day)"]
    }
    error_message = "Two schedule rules: the redrive's and the sweep's."
  }

  assert {
    condition     = { for k, t in aws_cloudwatch_event_target.schedule : k => [t.rule, t.target_id] } == { redrive = ["fleet-a-redrive", "patch-securityhub-redrive"], sweep = ["fleet-a-sweep", "patch-securityhub-sweep"] }
    error_message = "Each schedule rule targets its function."
  }

  assert {
    condition     = { for k, p in aws_lambda_permission.schedule : k => [p.statement_id, p.function_name, p.principal, p.source_account] } == { redrive = ["AllowRedriveSchedule", "fleet-a-redrive", "events.amazonaws.com", "123456789012"], sweep = ["AllowSweepSchedule", "fleet-a-sweep", "events.amazonaws.com", "123456789012"] }
    error_message = "Each schedule rule may invoke its function, from this account."
  }

  assert {
    condition = { for k, a in aws_cloudwatch_metric_alarm.alarm : k => [a.alarm_name, a.alarm_description, a.dimensions.FunctionName] if a.namespace == "AWS/Lambda" } == {
      forwarder_errors = ["fleet-a-forwarder-errors", "The patch-securityhub forwarder failed invocations.", "fleet-a-forwarder"]
      sweep_errors     = ["fleet-a-sweep-errors", "The patch-securityhub sweep failed: findings may go stale or expire (90 days) until it runs again.", "fleet-a-sweep"]
    }
    error_message = "Two Errors alarms: the forwarder's and the sweep's."
  }
}

run "without_the_sweep" {
  command = plan

  variables {
    sweep_enabled = false
  }

  assert {
    condition = alltrue([
      keys(aws_lambda_function.function) == ["forwarder", "redrive"],
      keys(aws_iam_role.function) == ["forwarder", "redrive"],
      keys(aws_iam_role_policy.function) == ["forwarder", "redrive"],
      keys(data.aws_iam_policy_document.function) == ["forwarder", "redrive"],
      keys(aws_cloudwatch_log_group.function) == ["forwarder", "redrive"],
      keys(aws_cloudwatch_event_rule.schedule) == ["redrive"],
      keys(aws_cloudwatch_event_target.schedule) == ["redrive"],
      keys(aws_lambda_permission.schedule) == ["redrive"],
      keys(aws_cloudwatch_metric_alarm.alarm) == ["dlq", "events_age", "forwarder_errors", "quarantine", "redrive_blocked", "rule_dlq", "rule_failed_invocations"],
    ])
    error_message = "sweep_enabled = false drops the sweep's function, role, policy, log group, schedule and alarm, nothing else."
  }

  assert {
    condition     = [aws_lambda_function.function["redrive"].function_name, aws_cloudwatch_event_rule.schedule["redrive"].name, aws_cloudwatch_metric_alarm.alarm["forwarder_errors"].alarm_name] == ["fleet-a-redrive", "fleet-a-redrive", "fleet-a-forwarder-errors"]
    error_message = "The forwarder's and the redrive's resources stay as they are."
  }
}

run "without_alarms" {
  command = plan

  variables {
    create_alarms = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.alarm) == 0 && keys(aws_lambda_function.function) == ["forwarder", "redrive", "sweep"]
    error_message = "create_alarms = false drops the Errors alarms, not the functions."
  }
}
