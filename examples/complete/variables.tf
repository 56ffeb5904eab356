variable "region" {
  description = "AWS region; null uses AWS_REGION or the profile's region."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "psh-complete"
}

variable "forwarder_zip_path" {
  description = "Path of the forwarder package built by `make package` for x86_64 (relative to this directory)."
  type        = string
  default     = "../../build/dist/x86_64/forwarder.zip"
}

variable "redrive_zip_path" {
  description = "Path of the redrive package built by `make package` for x86_64 (relative to this directory)."
  type        = string
  default     = "../../build/dist/x86_64/redrive.zip"
}

variable "patch_operation" {
  description = "Scan or Install (the hooks run on Install; at the weekly cron interval only, never on apply)."
  type        = string
  default     = "Install"
}

variable "enable_securityhub" {
  description = "Enable Security Hub in the account (false where the organization enables it)."
  type        = bool
  default     = true
}

variable "subscribe_patch_manager_product" {
  description = "\"automatic\" (Security Hub subscribes the Patch Manager integration itself) or \"enable\" (only where it was disabled by hand; needs enable_securityhub = false)."
  type        = string
  default     = "automatic"
}

variable "forwarder_timeout" {
  description = "Forwarder timeout in seconds; the main queue's visibility timeout is six times this."
  type        = number
  default     = 60
}

variable "max_receive_count" {
  description = "Deliveries of a message before it moves to the DLQ (with the visibility timeout: the retry window)."
  type        = number
  default     = 4
}

variable "redrive_schedule_expression" {
  description = "How often the redrive function checks Security Hub and moves the DLQ back."
  type        = string
  default     = "rate(5 minutes)"
}

variable "patch_output_bucket" {
  description = "Existing S3 bucket that receives the patch runs' command output."
  type        = string
  default     = "patch-securityhub-patch-output"
}

variable "role_permissions_boundary" {
  description = "Managed policy ARN set as both roles' permissions boundary (null: none)."
  type        = string
  default     = null
}

variable "vpc_config" {
  description = "Private subnets and security groups for both functions (null: Lambda's own network); they need a NAT route or VPC endpoints for SQS, SSM, Security Hub and X-Ray."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "main_queue_sender_arns" {
  description = "Role ARNs that may send to the main queue besides the rule and the redrive function (e.g. an operator replaying the rule's DLQ)."
  type        = list(string)
  default     = []
}

variable "aws_max_retries" {
  description = "Provider max_retries; null keeps the provider default (25). The AWS provider 5.x does not read AWS_MAX_ATTEMPTS, so test harnesses set this (TF_VAR_aws_max_retries)."
  type        = number
  default     = null
}
