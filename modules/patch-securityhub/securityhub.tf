# Security Hub itself (optional: organizations usually enable it centrally) and the subscription to AWS's native
# Patch Manager integration. The forwarder imports under the account's own default product, which needs no
# subscription.

resource "aws_securityhub_account" "this" {
  count = local.create && var.enable_securityhub ? 1 : 0

  enable_default_standards = var.securityhub_enable_default_standards
  auto_enable_controls     = true
}

# The native Patch Manager integration (product/aws/ssm-patch-manager) needs no resource in the usual case: "AWS
# service integrations that send findings to Security Hub CSPM are activated automatically after you enable
# Security Hub CSPM" (user guide, securityhub-internal-providers), and EnableImportFindingsForProduct on a
# subscribed product is a ResourceConflictException, which aws_securityhub_product_subscription does not
# tolerate. Terraform has no data source that says whether a product is subscribed, so the caller states the
# account's case (var.subscribe_patch_manager_product):
# - "automatic" (default): no resource. Security Hub subscribed the integration when it was enabled (by this
#   module or by the organization); apply never conflicts and destroy never disables AWS's integration.
# - "enable": for an account where the integration was disabled by hand. The module subscribes it, owns the
#   subscription and so disables it again on destroy (or enabled = false); an account that is already
#   subscribed fails the apply with ResourceConflictException.
# An apply-time "ensure" step (a Lambda invoked through aws_lambda_invocation that tolerates the conflict and
# never disables) was weighed and not chosen: a second function and role with securityhub:
# EnableImportFindingsForProduct, a resource that re-invokes on input changes, and a delete that must be a
# no-op, to decide at apply what the account's owner knows and states once.
resource "aws_securityhub_product_subscription" "patch_manager" {
  count = local.create && var.subscribe_patch_manager_product == "enable" ? 1 : 0

  product_arn = local.patch_manager_product_arn

  depends_on = [aws_securityhub_account.this]

  lifecycle {
    precondition {
      condition     = !var.enable_securityhub
      error_message = "subscribe_patch_manager_product = \"enable\" cannot be used with enable_securityhub = true: enabling Security Hub subscribes the Patch Manager integration itself (use \"automatic\")."
    }
  }
}
