# Rollout by workspaces: one workspace per target account (`terraform workspace select <name>`); the workspace
# name selects the account, region and rollout role from var.accounts, and the provider assumes that role.

locals {
  target = var.accounts[terraform.workspace]
}

provider "aws" {
  region              = local.target.region
  max_retries         = var.aws_max_retries
  allowed_account_ids = [local.target.account_id]

  assume_role {
    role_arn     = local.target.role_arn
    session_name = "patch-securityhub-${terraform.workspace}"
    external_id  = local.target.external_id
  }

  default_tags {
    tags = { Project = "patch-securityhub", Rollout = terraform.workspace }
  }
}

module "patch_securityhub" {
  source = "../../modules/patch-securityhub"

  enabled = local.target.enabled

  forwarder_package = { zip_path = var.forwarder_zip_path }
  redrive_package   = { zip_path = var.redrive_zip_path }

  enable_securityhub                = local.target.enable_securityhub
  subscribe_patch_manager_product   = local.target.subscribe_patch_manager_product
  patch_operation                   = local.target.patch_operation
  reboot_option                     = local.target.reboot_option
  patch_schedule_expression         = local.target.patch_schedule_expression
  patch_apply_only_at_cron_interval = local.target.patch_apply_only_at_cron_interval
  patch_targets                     = local.target.patch_targets
  alarm_sns_topic_arn               = local.target.alarm_sns_topic_arn

  tags = merge(var.tags, { Account = local.target.account_id })
}
