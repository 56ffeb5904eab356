# create_kms_key and kms_key_arn: exactly one, and the key's count never depends on an ARN.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  forwarder_package = { s3_bucket = "artifacts", s3_key = "patch-securityhub/forwarder.zip" }
  redrive_package   = { s3_bucket = "artifacts", s3_key = "patch-securityhub/redrive.zip" }
}

run "creates_its_key_by_default" {
  command = plan

  assert {
    condition     = length(aws_kms_key.this) == 1 && length(aws_kms_alias.this) == 1 && length(data.aws_iam_policy_document.kms) == 1
    error_message = "create_kms_key defaults to true: one key, its alias and its policy."
  }

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation && aws_kms_key.this[0].deletion_window_in_days == 30
    error_message = "The module's key rotates and waits 30 days before deletion by default."
  }
}

run "uses_a_passed_in_key" {
  command = plan

  variables {
    create_kms_key = false
    kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_alias.this) == 0 && output.kms_key_alias == null
    error_message = "A passed-in key means no key, alias or key policy of the module's own."
  }

  assert {
    condition = alltrue([
      for key in [
        aws_sqs_queue.main[0].kms_master_key_id, aws_sqs_queue.rule_dlq[0].kms_master_key_id,
        aws_cloudwatch_log_group.function["forwarder"].kms_key_id, aws_lambda_function.function["forwarder"].kms_key_arn,
      ] : key == var.kms_key_arn
    ])
    error_message = "Queues, log groups and the functions' environment must use the passed-in key."
  }
}

run "refuses_a_key_arn_beside_create_kms_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  expect_failures = [data.aws_iam_policy_document.function]
}

run "refuses_no_key_at_all" {
  command = plan

  variables {
    create_kms_key = false
  }

  expect_failures = [data.aws_iam_policy_document.function]
}

run "refuses_a_malformed_key_arn" {
  command = plan

  variables {
    create_kms_key = false
    kms_key_arn    = "arn:aws:s3:::not-a-key"
  }

  expect_failures = [var.kms_key_arn]
}

run "plans_with_a_key_created_beside_it" {
  command = plan

  module {
    source = "./tests/fixtures/caller_key"
  }

  # The mocks' overrides address the module as the root; here it is module.patch_securityhub.
  override_data {
    target = module.patch_securityhub.data.aws_caller_identity.current
    values = { account_id = "123456789012" }
  }
  override_data {
    target = module.patch_securityhub.data.aws_partition.current
    values = { partition = "aws" }
  }
  override_data {
    target = module.patch_securityhub.data.aws_region.current
    values = { id = "eu-west-1", name = "eu-west-1" }
  }

  assert {
    condition     = output.kms_key_alias == null && output.main_queue_name == "patch-securityhub-events"
    error_message = "A caller's key, its ARN unknown until apply, must plan: no key of the module's own."
  }
}
