# Smallest useful call: queues, forwarder, redrive, alarms, a daily patch Scan of every managed node. Security Hub
# itself is assumed on (organization-managed); enabling it subscribed the native Patch Manager integration.

provider "aws" {
  # null: the region comes from AWS_REGION / the profile, like the endpoint and credentials (AWS_ENDPOINT_URL ...).
  region      = var.region
  max_retries = var.aws_max_retries
}

module "patch_securityhub" {
  source = "../../modules/patch-securityhub"

  forwarder_package = { zip_path = var.forwarder_zip_path }
  redrive_package   = { zip_path = var.redrive_zip_path }

  tags = { Project = "patch-securityhub", Example = "basic" }
}
