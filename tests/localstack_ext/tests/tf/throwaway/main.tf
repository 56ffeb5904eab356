# Throwaway configuration for the LocalStack extension tests: the resource kinds a Patch Manager to Security Hub
# deployment uses, applied, re-planned (no changes expected) and destroyed against LocalStack. Endpoints come from AWS_ENDPOINT_URL.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  type        = string
  description = "Prefix of every resource name (unique per test run)."
}

variable "lambda_zip" {
  type        = string
  description = "Path of the deployment package of the test function (handler app.handler)."
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_securityhub_account" "this" {
  enable_default_standards = false
}

# The Patch Manager integration is subscribed by enabling the hub ("AWS service integrations that send findings
# to Security Hub CSPM are activated automatically", user guide): a product subscription here would conflict.
resource "aws_securityhub_product_subscription" "prowler" {
  product_arn = "arn:${data.aws_partition.current.partition}:securityhub:${var.region}::product/prowler/prowler"
  depends_on  = [aws_securityhub_account.this]
}

resource "aws_ssm_patch_baseline" "linux" {
  name             = "${var.name}-linux"
  operating_system = "AMAZON_LINUX_2"
  description      = "throwaway baseline"

  approval_rule {
    approve_after_days = 7
    compliance_level   = "CRITICAL"

    patch_filter {
      key    = "CLASSIFICATION"
      values = ["Security"]
    }
    patch_filter {
      key    = "SEVERITY"
      values = ["Critical", "Important"]
    }
  }

  tags = {
    Purpose = "psh-localstack-test"
  }
}

resource "aws_ssm_patch_group" "linux" {
  baseline_id = aws_ssm_patch_baseline.linux.id
  patch_group = "${var.name}-group"
}

resource "aws_ssm_association" "scan" {
  name                = "AWS-RunPatchBaselineWithHooks"
  association_name    = "${var.name}-scan"
  schedule_expression = "rate(1 day)"
  compliance_severity = "HIGH"

  parameters = {
    Operation    = "Scan"
    RebootOption = "NoReboot"
  }

  targets {
    key    = "tag:Patch Group"
    values = [aws_ssm_patch_group.linux.patch_group]
  }

  tags = {
    Purpose = "psh-localstack-test"
  }
}

resource "aws_sqs_queue" "source" {
  name                       = "${var.name}-source"
  visibility_timeout_seconds = 30
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-function"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_lambda_function" "consumer" {
  function_name    = "${var.name}-consumer"
  role             = aws_iam_role.function.arn
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  timeout          = 10

  environment {
    variables = {
      RESULT_QUEUE_URL = aws_sqs_queue.results.url
    }
  }
}

resource "aws_sqs_queue" "results" {
  name = "${var.name}-results"
}

resource "aws_lambda_event_source_mapping" "source" {
  event_source_arn                   = aws_sqs_queue.source.arn
  function_name                      = aws_lambda_function.consumer.arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 1
  function_response_types            = ["ReportBatchItemFailures"]
}

output "source_queue_url" {
  value = aws_sqs_queue.source.url
}

output "results_queue_url" {
  value = aws_sqs_queue.results.url
}

output "association_id" {
  value = aws_ssm_association.scan.association_id
}

output "patch_group" {
  value = aws_ssm_patch_group.linux.patch_group
}

output "baseline_id" {
  value = aws_ssm_patch_baseline.linux.id
}
