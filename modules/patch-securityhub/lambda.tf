# The forwarder (SQS -> Security Hub) and the redrive function (DLQ -> main queue when Security Hub is healthy).
#
# source_code_hash is Lambda's CodeSha256 (base64 SHA-256 of the zip): computed here for a local zip, the caller's
# for S3 (the manifest's sha256_base64). Terraform cannot read it from S3 at plan time in general: S3 keeps a
# SHA-256 only when the upload asked for one, and of a multipart upload only a checksum of the parts' checksums
# (S3 User Guide, "Checking object integrity").

locals {
  runtime = "python3.12"

  packages = { forwarder = var.forwarder_package, redrive = var.redrive_package }

  # The manifest.json that `make package` writes beside its zips (build/dist/<arch>/), and the architecture it
  # names: null when there is none.
  package_manifest_path = {
    for role, package in local.packages : role => package.zip_path == null ? null : "${dirname(package.zip_path)}/manifest.json"
  }
  package_manifest_architecture = {
    for role, manifest in local.package_manifest_path : role => (
      manifest == null ? null : fileexists(manifest) ? try(jsondecode(file(manifest)).architecture, null) : null
    )
  }

  # The instruction set each package was built for, as far as it says: its own `architecture`, else the manifest
  # beside a local zip, else a release file name (patch-securityhub-<role>-<version>-<arch>.zip); null when
  # nothing says. The forwarder's compiled dependencies run on that architecture only.
  package_architecture = {
    for role, package in local.packages : role => try(coalesce(
      package.architecture,
      local.package_manifest_architecture[role],
      try(regex("-(x86_64|arm64)\\.zip$", coalesce(package.zip_path, package.s3_key))[0], null),
    ), null)
  }

  forwarder_environment = {
    PSH_QUARANTINE_QUEUE_URL    = one(aws_sqs_queue.quarantine[*].url)
    PSH_SOURCE_QUEUE_URL        = one(aws_sqs_queue.main[*].url)
    PSH_ONPREM_RESOURCE_TYPE    = var.onprem_resource_type
    PSH_RESOLVE_NATIVE_FINDINGS = var.resolve_native_findings ? "true" : "false"
    PSH_SSM_READ_CONCURRENCY    = tostring(var.ssm_read_concurrency)
    # Receives of an event whose read lags before it is left to the sweep: fewer than maxReceiveCount, so such
    # an event never reaches the DLQ (where the redrive would bring it back with a fresh receive count).
    PSH_READ_BEHIND_RETRIES = tostring(max(0, min(2, var.max_receive_count - 1)))
    PSH_LOG_LEVEL           = var.log_level
  }

  redrive_environment = {
    PSH_DLQ_URL              = one(aws_sqs_queue.dlq[*].url)
    PSH_DLQ_ARN              = one(aws_sqs_queue.dlq[*].arn)
    PSH_MAIN_QUEUE_URL       = one(aws_sqs_queue.main[*].url)
    PSH_MAIN_QUEUE_ARN       = one(aws_sqs_queue.main[*].arn)
    PSH_QUARANTINE_QUEUE_URL = one(aws_sqs_queue.quarantine[*].url)
    PSH_MAX_MOVE_PER_RUN     = tostring(var.redrive_max_move_per_run)
    PSH_MAX_REDRIVES         = tostring(var.redrive_max_redrives)
    PSH_LOG_LEVEL            = var.log_level
  }
}

resource "aws_lambda_function" "forwarder" {
  count = local.create ? 1 : 0
  #checkov:skip=CKV_AWS_116:invoked synchronously by the SQS event source mapping; failed messages go to the queue's DLQ
  #checkov:skip=CKV_AWS_117:a VPC is the caller's choice (vpc_config); the function calls only AWS APIs
  #checkov:skip=CKV_AWS_272:the zip is built reproducibly by `make package`; code signing is the caller's choice
  #checkov:skip=CKV_AWS_115:concurrency is capped by the event source mapping's scaling_config (forwarder_max_concurrency)

  function_name     = local.forwarder_name
  description       = "SSM Patch Manager compliance to Security Hub findings"
  role              = aws_iam_role.forwarder[0].arn
  runtime           = local.runtime
  handler           = "patch_securityhub.forwarder.handler"
  architectures     = [var.lambda_architecture]
  timeout           = var.forwarder_timeout
  memory_size       = var.forwarder_memory_size
  filename          = var.forwarder_package.zip_path
  source_code_hash  = var.forwarder_package.zip_path == null ? var.forwarder_package.source_code_hash : filebase64sha256(var.forwarder_package.zip_path)
  s3_bucket         = var.forwarder_package.s3_bucket
  s3_key            = var.forwarder_package.s3_key
  s3_object_version = var.forwarder_package.s3_object_version
  kms_key_arn       = local.kms_key_arn

  environment {
    variables = local.forwarder_environment
  }

  tracing_config {
    mode = var.lambda_tracing_mode
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = local.package_architecture.forwarder == null || local.package_architecture.forwarder == var.lambda_architecture
      error_message = "forwarder_package was built for ${coalesce(local.package_architecture.forwarder, "-")}, but lambda_architecture is ${var.lambda_architecture}: its compiled dependencies run on their own architecture only. Deploy the ${var.lambda_architecture} packages (build/dist/${var.lambda_architecture}/ from make package, or a release's -${var.lambda_architecture}.zip files) or set lambda_architecture = \"${coalesce(local.package_architecture.forwarder, "-")}\"."
    }
  }

  depends_on = [aws_cloudwatch_log_group.forwarder, aws_iam_role_policy.forwarder]
}

resource "aws_lambda_event_source_mapping" "forwarder" {
  count = local.create ? 1 : 0

  event_source_arn                   = aws_sqs_queue.main[0].arn
  function_name                      = aws_lambda_function.forwarder[0].arn
  batch_size                         = var.forwarder_batch_size
  maximum_batching_window_in_seconds = var.forwarder_batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.forwarder_max_concurrency
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = var.forwarder_batch_size <= 10 || var.forwarder_batching_window_seconds >= 1
      error_message = "forwarder_batching_window_seconds must be at least 1 when forwarder_batch_size is above 10 (SQS event source rule)."
    }
  }
}

resource "aws_lambda_function" "redrive" {
  count = local.create ? 1 : 0
  #checkov:skip=CKV_AWS_116:runs on a schedule and is idempotent; a missed run is redone by the next one
  #checkov:skip=CKV_AWS_117:a VPC is the caller's choice (vpc_config); the function calls only AWS APIs
  #checkov:skip=CKV_AWS_272:the zip is built reproducibly by `make package`; code signing is the caller's choice
  #checkov:skip=CKV_AWS_115:one run per schedule period, shorter than the period; reserving fails in low-limit accounts

  function_name     = local.redrive_name
  description       = "Moves patch-securityhub DLQ messages back when Security Hub is healthy"
  role              = aws_iam_role.redrive[0].arn
  runtime           = local.runtime
  handler           = "patch_securityhub.redrive.handler"
  architectures     = [var.lambda_architecture]
  timeout           = var.redrive_timeout
  memory_size       = 128
  filename          = var.redrive_package.zip_path
  source_code_hash  = var.redrive_package.zip_path == null ? var.redrive_package.source_code_hash : filebase64sha256(var.redrive_package.zip_path)
  s3_bucket         = var.redrive_package.s3_bucket
  s3_key            = var.redrive_package.s3_key
  s3_object_version = var.redrive_package.s3_object_version
  kms_key_arn       = local.kms_key_arn

  environment {
    variables = local.redrive_environment
  }

  tracing_config {
    mode = var.lambda_tracing_mode
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = local.package_architecture.redrive == null || local.package_architecture.redrive == var.lambda_architecture
      error_message = "redrive_package was built for ${coalesce(local.package_architecture.redrive, "-")}, but lambda_architecture is ${var.lambda_architecture}: deploy the packages of one architecture together (build/dist/${var.lambda_architecture}/ from make package, or a release's -${var.lambda_architecture}.zip files)."
    }
  }

  depends_on = [aws_cloudwatch_log_group.redrive, aws_iam_role_policy.redrive]
}
