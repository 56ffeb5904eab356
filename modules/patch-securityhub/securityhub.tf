# Security Hub itself (optional: organizations usually enable it centrally) and the subscription to AWS's native
# Patch Manager integration. The forwarder imports under the account's own default product, which needs no
# subscription.

resource "aws_securityhub_account" "this" {
  count = local.create && var.enable_securityhub ? 1 : 0

  enable_default_standards = var.securityhub_enable_default_standards
  auto_enable_controls     = true
}

resource "aws_securityhub_product_subscription" "patch_manager" {
  count = local.create && var.subscribe_patch_manager_product ? 1 : 0

  product_arn = local.patch_manager_product_arn

  depends_on = [aws_securityhub_account.this]
}
