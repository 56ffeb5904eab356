# Every feature on: Security Hub enabled by this configuration, the native Patch Manager integration subscribed,
# a custom Amazon Linux 2023 baseline whose approval rules carry compliance levels (the findings' severity),
# patch groups, Install with hooks (hook documents defined here), S3 command output, X-Ray tracing, alarms with
# their own encrypted SNS topic, and every tunable set explicitly.

provider "aws" {
  # null: the region comes from AWS_REGION / the profile, like the endpoint and credentials (AWS_ENDPOINT_URL ...).
  region      = var.region
  max_retries = var.aws_max_retries

  default_tags {
    tags = { Project = "patch-securityhub", Example = "complete" }
  }
}

locals {
  hook_script = {
    pre-install  = "echo \"patch-securityhub: draining $(hostname) before patching\""
    post-install = "echo \"patch-securityhub: health check on $(hostname) after patching\""
    on-exit      = "echo \"patch-securityhub: patch run finished on $(hostname)\""
  }
}

resource "aws_ssm_document" "hook" {
  for_each = local.hook_script

  name            = "${var.name_prefix}-${each.key}-hook"
  document_type   = "Command"
  document_format = "JSON"
  content = jsonencode({
    schemaVersion = "2.2"
    description   = "patch-securityhub ${each.key} hook"
    mainSteps = [{
      action       = "aws:runShellScript"
      name         = replace(each.key, "-", "")
      precondition = { StringEquals = ["platformType", "Linux"] }
      inputs       = { runCommand = [each.value], timeoutSeconds = "600" }
    }]
  })
}

module "patch_securityhub" {
  source = "../../modules/patch-securityhub"

  name_prefix = var.name_prefix
  tags        = { CostCenter = "security" }

  # The module's own key (the default); a fleet that brings its key sets create_kms_key = false and kms_key_arn.
  create_kms_key = true

  # Where SCPs match roles by path or require a permissions boundary; a VPC for both functions (null: none).
  role_path                 = "/patch-securityhub/"
  role_permissions_boundary = var.role_permissions_boundary
  vpc_config                = var.vpc_config
  main_queue_sender_arns    = var.main_queue_sender_arns

  forwarder_package = { zip_path = var.forwarder_zip_path }
  redrive_package   = { zip_path = var.redrive_zip_path }

  lambda_architecture     = "x86_64"
  lambda_tracing_mode     = "Active"
  log_level               = "INFO"
  forwarder_timeout       = var.forwarder_timeout
  forwarder_memory_size   = 512
  onprem_resource_type    = "Other"
  resolve_native_findings = true

  forwarder_batch_size              = 25
  forwarder_batching_window_seconds = 2
  forwarder_max_concurrency         = 4
  ssm_read_concurrency              = 8
  max_receive_count                 = var.max_receive_count
  queue_message_retention_seconds   = 345600
  dlq_message_retention_seconds     = 1209600
  redrive_schedule_expression       = var.redrive_schedule_expression
  redrive_max_move_per_run          = 500

  # Enabling Security Hub subscribes the native Patch Manager integration ("automatic"); "enable" only where
  # it was disabled by hand, and never with enable_securityhub = true.
  enable_securityhub              = var.enable_securityhub
  subscribe_patch_manager_product = var.subscribe_patch_manager_product

  # Install (with RebootIfNeeded) runs only at the cron interval: never on `terraform apply`.
  create_patch_association          = true
  patch_operation                   = var.patch_operation
  reboot_option                     = "RebootIfNeeded"
  patch_schedule_expression         = "cron(0 3 ? * SUN *)"
  patch_apply_only_at_cron_interval = true
  patch_max_concurrency             = "20%"
  patch_max_errors                  = "5%"
  patch_compliance_severity         = "HIGH"
  patch_targets                     = [{ key = "tag:PatchGroup", values = ["web", "batch"] }]
  patch_output_s3                   = { bucket_name = var.patch_output_bucket, key_prefix = "patch-runs/" }
  patch_hooks = {
    pre_install  = aws_ssm_document.hook["pre-install"].name
    post_install = aws_ssm_document.hook["post-install"].name
    on_exit      = aws_ssm_document.hook["on-exit"].name
  }

  patch_baseline = {
    name             = "${var.name_prefix}-al2023"
    operating_system = "AMAZON_LINUX_2023"
    patch_groups     = ["web", "batch"]
    approval_rules = [
      {
        approve_after_days = 0
        compliance_level   = "CRITICAL"
        patch_filters = [
          { key = "CLASSIFICATION", values = ["Security"] },
          { key = "SEVERITY", values = ["Critical"] },
        ]
      },
      {
        approve_after_days = 7
        compliance_level   = "HIGH"
        patch_filters = [
          { key = "CLASSIFICATION", values = ["Security"] },
          { key = "SEVERITY", values = ["Important"] },
        ]
      },
      {
        approve_after_days  = 14
        compliance_level    = "MEDIUM"
        enable_non_security = false
        patch_filters = [
          { key = "CLASSIFICATION", values = ["Bugfix", "Enhancement"] },
        ]
      },
    ]
  }

  log_retention_in_days           = 400
  create_alarms                   = true
  create_alarm_topic              = true
  alarm_evaluation_period_seconds = 60
  main_queue_age_alarm_seconds    = 900
}
