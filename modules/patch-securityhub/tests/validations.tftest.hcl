# Representative input validations: each refused input names its variable.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  forwarder_package = { s3_bucket = "artifacts", s3_key = "patch-securityhub/forwarder.zip" }
  redrive_package   = { s3_bucket = "artifacts", s3_key = "patch-securityhub/redrive.zip" }
}

run "name_prefix_starting_with_a_digit" {
  command = plan
  variables { name_prefix = "9-fleet" }
  expect_failures = [var.name_prefix]
}

run "package_with_two_sources" {
  command = plan
  variables {
    forwarder_package = { zip_path = "forwarder.zip", s3_bucket = "artifacts", s3_key = "forwarder.zip" }
  }
  expect_failures = [var.forwarder_package]
}

run "hex_source_code_hash" {
  command = plan
  variables {
    redrive_package = {
      s3_bucket        = "artifacts"
      s3_key           = "patch-securityhub/redrive.zip"
      source_code_hash = "f412f7a7e26f3097678a963cb8e2c082870abe840e1ae52fb2f0743dd94ddd1d"
    }
  }
  expect_failures = [var.redrive_package]
}

run "role_path_without_slashes" {
  command = plan
  variables { role_path = "patch-securityhub" }
  expect_failures = [var.role_path]
}

run "permissions_boundary_that_is_no_policy" {
  command = plan
  variables { role_permissions_boundary = "arn:aws:iam::123456789012:role/boundary" }
  expect_failures = [var.role_permissions_boundary]
}

run "vpc_config_without_security_groups" {
  command = plan
  variables {
    vpc_config = { subnet_ids = ["subnet-0123456789abcdef0"], security_group_ids = [] }
  }
  expect_failures = [var.vpc_config]
}

run "queue_sender_that_is_no_iam_principal" {
  command = plan
  variables { main_queue_sender_arns = ["arn:aws:sqs:eu-west-1:123456789012:other-queue"] }
  expect_failures = [var.main_queue_sender_arns]
}

run "alarm_period_cloudwatch_does_not_offer" {
  command = plan
  variables { alarm_evaluation_period_seconds = 120 }
  expect_failures = [var.alarm_evaluation_period_seconds]
}
