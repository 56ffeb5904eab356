# A deployment of an earlier release upgrades its alarms in place: the first run of each pair applies the alarms at
# their earlier addresses (fixtures/alarms_before), the second plans the module on that state (same state_key).
# An alarm the plan would create instead of moving has an ARN unknown until apply, so the comparison with the
# applied ARNs holds only when every alarm keeps its state. Offline: a mocked AWS provider (mocks/aws.tfmock.hcl).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "fleet-a"
  forwarder_package = { s3_bucket = "artifacts", s3_key = "patch-securityhub/forwarder.zip" }
  redrive_package   = { s3_bucket = "artifacts", s3_key = "patch-securityhub/redrive.zip" }
}

run "alarms_per_kind" {
  state_key = "alarms_per_kind"

  module {
    source = "./tests/fixtures/alarms_before"
  }

  variables {
    errors_alarms_per_function = false
  }
}

run "alarms_per_kind_keep_their_state" {
  command   = plan
  state_key = "alarms_per_kind"

  assert {
    condition     = output.alarm_arns == run.alarms_per_kind.alarm_arns
    error_message = "Every alarm of queue_depth, main_queue_age, function_errors, rule_failed_invocations and redrive_blocked moves to alarm[<purpose>] (moved.tf)."
  }
}

run "errors_alarms_per_function" {
  state_key = "errors_alarms_per_function"

  module {
    source = "./tests/fixtures/alarms_before"
  }

  variables {
    errors_alarms_per_function = true
  }
}

run "errors_alarms_per_function_keep_their_state" {
  command   = plan
  state_key = "errors_alarms_per_function"

  assert {
    condition     = output.alarm_arns == run.errors_alarms_per_function.alarm_arns
    error_message = "forwarder_errors[0] and sweep_errors[0] move to alarm[\"forwarder_errors\"] and alarm[\"sweep_errors\"] (moved.tf)."
  }
}
