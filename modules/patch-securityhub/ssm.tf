# State Manager association running AWS-RunPatchBaselineWithHooks, and an optional custom patch baseline whose
# approval rules' compliance levels become the nodes' compliance severity. An Install runs only at its cron
# interval, never on apply (the preconditions below).

resource "aws_ssm_association" "patch" {
  count = local.create && var.create_patch_association ? 1 : 0

  name                        = "AWS-RunPatchBaselineWithHooks"
  association_name            = "${var.name_prefix}-patch-${lower(var.patch_operation)}"
  schedule_expression         = var.patch_schedule_expression
  max_concurrency             = var.patch_max_concurrency
  max_errors                  = var.patch_max_errors
  compliance_severity         = var.patch_compliance_severity
  apply_only_at_cron_interval = var.patch_apply_only_at_cron_interval
  sync_compliance             = "AUTO" # the service default, set so that reads that return it show no drift
  tags                        = local.tags

  parameters = {
    Operation              = var.patch_operation
    RebootOption           = var.reboot_option
    PreInstallHookDocName  = var.patch_hooks.pre_install
    PostInstallHookDocName = var.patch_hooks.post_install
    OnExitHookDocName      = var.patch_hooks.on_exit
  }

  dynamic "targets" {
    for_each = var.patch_targets
    content {
      key    = targets.value.key
      values = targets.value.values
    }
  }

  dynamic "output_location" {
    for_each = var.patch_output_s3 == null ? [] : [var.patch_output_s3]
    content {
      s3_bucket_name = output_location.value.bucket_name
      s3_key_prefix  = output_location.value.key_prefix
      s3_region      = output_location.value.region
    }
  }

  # The first run must see the module's baseline and patch groups, not AWS's default baseline.
  depends_on = [aws_ssm_patch_baseline.this, aws_ssm_patch_group.this]

  # State Manager runs an association when it is created, updated and when its targets change, unless
  # ApplyOnlyAtCronInterval, which "isn't supported for rate expressions" (API reference, CreateAssociation and
  # UpdateAssociation): without both, an Install association patches (and with RebootIfNeeded reboots) every
  # target on `terraform apply`.
  lifecycle {
    precondition {
      condition     = !var.patch_apply_only_at_cron_interval || startswith(var.patch_schedule_expression, "cron(")
      error_message = "patch_apply_only_at_cron_interval needs a cron() patch_schedule_expression: State Manager refuses ApplyOnlyAtCronInterval with rate() schedules."
    }
    precondition {
      condition     = var.patch_operation != "Install" || (var.patch_apply_only_at_cron_interval && startswith(var.patch_schedule_expression, "cron("))
      error_message = "patch_operation = \"Install\" needs patch_apply_only_at_cron_interval = true and a cron() patch_schedule_expression: otherwise State Manager installs patches (and reboots) on every apply that creates or changes the association."
    }
  }
}

resource "aws_ssm_patch_baseline" "this" {
  count = local.create_patch_baseline ? 1 : 0

  name                                 = var.patch_baseline.name
  description                          = var.patch_baseline.description
  operating_system                     = var.patch_baseline.operating_system
  approved_patches                     = var.patch_baseline.approved_patches
  approved_patches_compliance_level    = var.patch_baseline.approved_patches_compliance_level
  approved_patches_enable_non_security = var.patch_baseline.approved_patches_enable_non_security
  rejected_patches                     = var.patch_baseline.rejected_patches
  rejected_patches_action              = var.patch_baseline.rejected_patches_action

  dynamic "global_filter" {
    for_each = var.patch_baseline.global_filters
    content {
      key    = global_filter.value.key
      values = global_filter.value.values
    }
  }

  dynamic "approval_rule" {
    for_each = var.patch_baseline.approval_rules
    content {
      approve_after_days  = approval_rule.value.approve_after_days
      approve_until_date  = approval_rule.value.approve_until_date
      compliance_level    = approval_rule.value.compliance_level
      enable_non_security = approval_rule.value.enable_non_security

      dynamic "patch_filter" {
        for_each = approval_rule.value.patch_filters
        content {
          key    = patch_filter.value.key
          values = patch_filter.value.values
        }
      }
    }
  }

  tags = local.tags
}

resource "aws_ssm_patch_group" "this" {
  for_each = local.create_patch_baseline ? toset(var.patch_baseline.patch_groups) : toset([])

  baseline_id = aws_ssm_patch_baseline.this[0].id
  patch_group = each.value
}
