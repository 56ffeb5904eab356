variable "accounts" {
  description = "Rollout targets keyed by workspace name: account id, region, role to assume, per-account switches."
  type = map(object({
    account_id                        = string
    region                            = string
    role_arn                          = string
    external_id                       = optional(string)
    enabled                           = optional(bool, true)
    enable_securityhub                = optional(bool, false)
    subscribe_patch_manager_product   = optional(string, "automatic")
    patch_operation                   = optional(string, "Scan")
    reboot_option                     = optional(string, "NoReboot")
    patch_schedule_expression         = optional(string, "rate(1 day)")
    patch_apply_only_at_cron_interval = optional(bool, false)
    patch_targets                     = optional(list(object({ key = string, values = list(string) })), [{ key = "InstanceIds", values = ["*"] }])
    alarm_sns_topic_arn               = optional(string)
  }))

  validation {
    condition     = alltrue([for a in values(var.accounts) : can(regex("^[0-9]{12}$", a.account_id))])
    error_message = "Every accounts[*].account_id must be a 12-digit AWS account id."
  }

  validation {
    condition     = alltrue([for a in values(var.accounts) : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", a.role_arn))])
    error_message = "Every accounts[*].role_arn must be an IAM role ARN."
  }

  validation {
    condition     = alltrue([for a in values(var.accounts) : split(":", a.role_arn)[4] == a.account_id])
    error_message = "Every accounts[*].role_arn must be a role in that entry's account_id."
  }
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

variable "tags" {
  description = "Tags for every account's resources."
  type        = map(string)
  default     = {}
}

variable "aws_max_retries" {
  description = "Provider max_retries; null keeps the provider default (25). The AWS provider 5.x does not read AWS_MAX_ATTEMPTS, so test harnesses set this (TF_VAR_aws_max_retries)."
  type        = number
  default     = null
}
