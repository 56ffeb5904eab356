# The sweep, and how many times the forwarder hands back an event whose read lags before leaving it to the
# sweep. Offline: a mocked AWS provider (mocks/aws.tfmock.hcl) and plans only.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "fleet-a"
  forwarder_package = { s3_bucket = "artifacts", s3_key = "patch-securityhub/forwarder.zip" }
  redrive_package   = { s3_bucket = "artifacts", s3_key = "patch-securityhub/redrive.zip" }
}

run "the_sweep_runs_daily_with_the_forwarders_package" {
  command = plan

  assert {
    condition     = aws_lambda_function.function["sweep"].handler == "patch_securityhub.sweep.handler" && aws_lambda_function.function["sweep"].s3_key == "patch-securityhub/forwarder.zip"
    error_message = "The sweep runs patch_securityhub.sweep.handler from the forwarder's package."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule["sweep"].schedule_expression == "rate(1 day)"
    error_message = "The sweep runs daily by default."
  }

  assert {
    condition     = contains(flatten([for s in data.aws_iam_policy_document.main_queue[0].statement : [for c in s.condition : c.values if c.variable == "aws:PrincipalArn"] if s.sid == "DenyOtherSenders"]), "arn:aws:iam::123456789012:role/fleet-a-sweep-eu-west-1")
    error_message = "The main queue accepts the sweep's requests (its role is exempt from DenyOtherSenders)."
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].environment[0].variables["PSH_READ_BEHIND_RETRIES"] == "2"
    error_message = "With max_receive_count 5 the forwarder hands a lagging event back twice."
  }
}

run "retries_stay_below_max_receive_count" {
  command = plan

  variables {
    max_receive_count = 2
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].environment[0].variables["PSH_READ_BEHIND_RETRIES"] == "1"
    error_message = "An event whose read lags must be left to the sweep before its last receive (not sent to the DLQ)."
  }
}

run "no_sweep" {
  command = plan

  variables {
    sweep_enabled     = false
    max_receive_count = 1
  }

  assert {
    condition     = keys(aws_lambda_function.function) == ["forwarder", "redrive"] && keys(aws_cloudwatch_event_rule.schedule) == ["redrive"] && output.sweep_function_arn == null
    error_message = "sweep_enabled = false creates no sweep."
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].environment[0].variables["PSH_READ_BEHIND_RETRIES"] == "0"
    error_message = "With max_receive_count 1 a lagging event is left to the sweep at once."
  }
}
