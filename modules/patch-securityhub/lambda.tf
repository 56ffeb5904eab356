# The module's functions: the forwarder (SQS -> Security Hub), the redrive function (DLQ -> main queue when Security
# Hub is healthy) and the sweep (below). Each has its own log group (cloudwatch.tf) and role (iam.tf); the redrive
# and the sweep run on a schedule (scheduler.tf).
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

  # What each function's architecture check says when its package was built for another one.
  package_architecture_error = {
    forwarder = "forwarder_package was built for ${coalesce(local.package_architecture.forwarder, "-")}, but lambda_architecture is ${var.lambda_architecture}: its compiled dependencies run on their own architecture only. Deploy the ${var.lambda_architecture} packages (build/dist/${var.lambda_architecture}/ from make package, or a release's -${var.lambda_architecture}.zip files) or set lambda_architecture = \"${coalesce(local.package_architecture.forwarder, "-")}\"."
    redrive   = "redrive_package was built for ${coalesce(local.package_architecture.redrive, "-")}, but lambda_architecture is ${var.lambda_architecture}: deploy the packages of one architecture together (build/dist/${var.lambda_architecture}/ from make package, or a release's -${var.lambda_architecture}.zip files)."
  }

  # What differs between the functions, by key; their names and ARNs are local.function_ids (locals.tf) and their
  # own policy statements local.function_policy_statements (iam.tf). package names an entry of local.packages.
  # schedule: the EventBridge schedule rule that runs the function (null: none). errors_alarm: the description of
  # its Errors alarm (null: none).
  function_settings = {
    forwarder = {
      description = "SSM Patch Manager compliance to Security Hub findings"
      handler     = "patch_securityhub.forwarder.handler"
      timeout     = var.forwarder_timeout
      memory_size = var.forwarder_memory_size
      package     = "forwarder"
      environment = {
        PSH_QUARANTINE_QUEUE_URL    = one(aws_sqs_queue.quarantine[*].url)
        PSH_SOURCE_QUEUE_URL        = one(aws_sqs_queue.main[*].url)
        PSH_ONPREM_RESOURCE_TYPE    = var.onprem_resource_type
        PSH_RESOLVE_NATIVE_FINDINGS = var.resolve_native_findings ? "true" : "false"
        PSH_SSM_READ_CONCURRENCY    = tostring(var.ssm_read_concurrency)
        # Receives of an event whose read lags before it is left to the sweep: fewer than maxReceiveCount, so
        # such an event never reaches the DLQ (where the redrive would bring it back with a fresh receive count).
        PSH_READ_BEHIND_RETRIES = tostring(max(0, min(2, var.max_receive_count - 1)))
        PSH_LOG_LEVEL           = var.log_level
      }
      schedule     = null
      errors_alarm = "The patch-securityhub forwarder failed invocations."
    }

    redrive = {
      description = "Moves patch-securityhub DLQ messages back when Security Hub is healthy"
      handler     = "patch_securityhub.redrive.handler"
      timeout     = var.redrive_timeout
      memory_size = 128
      package     = "redrive"
      environment = {
        PSH_DLQ_URL              = one(aws_sqs_queue.dlq[*].url)
        PSH_DLQ_ARN              = one(aws_sqs_queue.dlq[*].arn)
        PSH_MAIN_QUEUE_URL       = one(aws_sqs_queue.main[*].url)
        PSH_MAIN_QUEUE_ARN       = one(aws_sqs_queue.main[*].arn)
        PSH_QUARANTINE_QUEUE_URL = one(aws_sqs_queue.quarantine[*].url)
        PSH_MAX_MOVE_PER_RUN     = tostring(var.redrive_max_move_per_run)
        PSH_MAX_REDRIVES         = tostring(var.redrive_max_redrives)
        PSH_LOG_LEVEL            = var.log_level
      }
      schedule     = { expression = var.redrive_schedule_expression, description = "Runs the patch-securityhub redrive function" }
      errors_alarm = null
    }

    # The sweep lists every node SSM knows and every ACTIVE finding of the module's product, and writes sweep
    # requests to the event queue for the forwarder (lambda_src/patch_securityhub/sweep.py). SSM's compliance
    # events are best effort and sent only on a change, and Security Hub deletes findings not updated for 90 days:
    # without the sweep a dropped event is never repaired and a long-lived finding expires. It runs the
    # forwarder's package (the same code decides), with its own role.
    sweep = {
      description = "Asks the patch-securityhub forwarder to refresh every managed node and every active finding"
      handler     = "patch_securityhub.sweep.handler"
      timeout     = var.sweep_timeout
      memory_size = 256
      package     = "forwarder"
      environment = {
        PSH_MAIN_QUEUE_URL = one(aws_sqs_queue.main[*].url)
        PSH_LOG_LEVEL      = var.log_level
      }
      schedule     = { expression = var.sweep_schedule_expression, description = "Runs the patch-securityhub sweep" }
      errors_alarm = "The patch-securityhub sweep failed: findings may go stale or expire (90 days) until it runs again."
    }
  }

  functions = { for key, id in local.function_ids : key => merge(id, local.function_settings[key]) }
}

resource "aws_lambda_function" "function" {
  for_each = local.functions
  #checkov:skip=CKV_AWS_116:the forwarder is invoked synchronously by the SQS event source mapping (failed messages go to the queue's DLQ); the redrive and the sweep run on a schedule and are idempotent, a missed or failed run is redone by the next one (the sweep's failures are alarmed)
  #checkov:skip=CKV_AWS_117:a VPC is the caller's choice (vpc_config); the functions call only AWS APIs
  #checkov:skip=CKV_AWS_272:the zips are built reproducibly by `make package`; code signing is the caller's choice
  #checkov:skip=CKV_AWS_115:the forwarder's concurrency is capped by the event source mapping's scaling_config (forwarder_max_concurrency); the redrive and the sweep run once per schedule period, shorter than the period; reserving concurrency fails in low-limit accounts

  function_name     = each.value.name
  description       = each.value.description
  role              = aws_iam_role.function[each.key].arn
  runtime           = local.runtime
  handler           = each.value.handler
  architectures     = [var.lambda_architecture]
  timeout           = each.value.timeout
  memory_size       = each.value.memory_size
  filename          = local.packages[each.value.package].zip_path
  source_code_hash  = local.packages[each.value.package].zip_path == null ? local.packages[each.value.package].source_code_hash : filebase64sha256(local.packages[each.value.package].zip_path)
  s3_bucket         = local.packages[each.value.package].s3_bucket
  s3_key            = local.packages[each.value.package].s3_key
  s3_object_version = local.packages[each.value.package].s3_object_version
  kms_key_arn       = local.kms_key_arn

  environment {
    variables = each.value.environment
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
      condition     = local.package_architecture[each.value.package] == null || local.package_architecture[each.value.package] == var.lambda_architecture
      error_message = local.package_architecture_error[each.value.package]
    }
    # The sweep's policy lets it invoke its own ARN (iam.tf).
    postcondition {
      condition     = self.arn == each.value.arn
      error_message = "The ${each.key} function's ARN differs from the one derived from its name."
    }
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

resource "aws_lambda_event_source_mapping" "forwarder" {
  count = local.create ? 1 : 0

  event_source_arn                   = aws_sqs_queue.main[0].arn
  function_name                      = aws_lambda_function.function["forwarder"].arn
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
