# ---------------------------------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------------------------------

variable "enabled" {
  description = "Master switch: false creates nothing at all (per-account disable)."
  type        = bool
  default     = true
  nullable    = false
}

variable "name_prefix" {
  description = "Prefix of every resource name (queues, functions, roles, rules, alarms)."
  type        = string
  default     = "patch-securityhub"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name_prefix))
    error_message = "name_prefix must start with a letter and hold 1-32 letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

# ---------------------------------------------------------------------------------------------------------------------
# KMS
# ---------------------------------------------------------------------------------------------------------------------

variable "create_kms_key" {
  description = "Create the customer-managed KMS key for queues, logs, topic and Lambda environment. false needs kms_key_arn (exactly one of the two). A plain switch, so that the key's count never depends on an ARN unknown until apply (a key created in the same configuration)."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_arn" {
  description = "ARN of an existing customer-managed KMS key, with create_kms_key = false. Its policy must grant what this module's key policy grants: events.amazonaws.com on the main queue and the rule's DLQ, logs.<region>.amazonaws.com on the log groups, cloudwatch.amazonaws.com on the alarm topic (modules/patch-securityhub/kms.tf); otherwise EventBridge drops the events and the rule-failed-invocations alarm fires."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before the created KMS key is deleted."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30 && floor(var.kms_key_deletion_window_in_days) == var.kms_key_deletion_window_in_days
    error_message = "kms_key_deletion_window_in_days must be a whole number from 7 to 30."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Lambda code and settings
# ---------------------------------------------------------------------------------------------------------------------

variable "forwarder_package" {
  description = "Forwarder code: `build/dist/<arch>/forwarder.zip` from `make package`, or a release's `patch-securityhub-forwarder-<version>-<arch>.zip` (top-level README, Packages). As a local zip_path, or s3_bucket + s3_key (+ optional s3_object_version). Optional `architecture`: what the zip was built for (x86_64 or arm64); without it the module reads the manifest.json beside a local zip, or a release name's `-<arch>.zip` suffix, and fails the plan when it differs from lambda_architecture. Optional `source_code_hash` (S3 only): the zip's base64 SHA-256 (its manifest's sha256_base64), so that a new object under the same key is deployed; the module hashes a local zip itself."
  type = object({
    zip_path          = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
    architecture      = optional(string)
    source_code_hash  = optional(string)
  })
  nullable = false

  validation {
    condition     = (var.forwarder_package.zip_path != null) != (var.forwarder_package.s3_bucket != null && var.forwarder_package.s3_key != null)
    error_message = "forwarder_package needs exactly one source: zip_path, or s3_bucket together with s3_key."
  }

  validation {
    condition     = var.forwarder_package.zip_path == null || can(regex("\\.zip$", coalesce(var.forwarder_package.zip_path, "x")))
    error_message = "forwarder_package.zip_path must name a .zip file."
  }

  validation {
    condition     = var.forwarder_package.architecture == null || contains(["x86_64", "arm64"], coalesce(var.forwarder_package.architecture, "x"))
    error_message = "forwarder_package.architecture must be x86_64 or arm64 (or left out)."
  }

  validation {
    condition     = var.forwarder_package.source_code_hash == null || (var.forwarder_package.zip_path == null && can(regex("^[A-Za-z0-9+/]{43}=$", coalesce(var.forwarder_package.source_code_hash, "x"))))
    error_message = "forwarder_package.source_code_hash is for S3 packages (the module hashes a zip_path itself) and must be the zip's base64 SHA-256: 44 characters, the manifest's sha256_base64 (not sha256_hex)."
  }
}

variable "redrive_package" {
  description = "Redrive code: `build/dist/<arch>/redrive.zip` from `make package`, or a release's `patch-securityhub-redrive-<version>-<arch>.zip` (top-level README, Packages). As a local zip_path, or s3_bucket + s3_key (+ optional s3_object_version). Optional `architecture`: what the zip was built for (x86_64 or arm64); without it the module reads the manifest.json beside a local zip, or a release name's `-<arch>.zip` suffix, and fails the plan when it differs from lambda_architecture. Optional `source_code_hash` (S3 only): the zip's base64 SHA-256 (its manifest's sha256_base64), so that a new object under the same key is deployed; the module hashes a local zip itself."
  type = object({
    zip_path          = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
    architecture      = optional(string)
    source_code_hash  = optional(string)
  })
  nullable = false

  validation {
    condition     = (var.redrive_package.zip_path != null) != (var.redrive_package.s3_bucket != null && var.redrive_package.s3_key != null)
    error_message = "redrive_package needs exactly one source: zip_path, or s3_bucket together with s3_key."
  }

  validation {
    condition     = var.redrive_package.zip_path == null || can(regex("\\.zip$", coalesce(var.redrive_package.zip_path, "x")))
    error_message = "redrive_package.zip_path must name a .zip file."
  }

  validation {
    condition     = var.redrive_package.architecture == null || contains(["x86_64", "arm64"], coalesce(var.redrive_package.architecture, "x"))
    error_message = "redrive_package.architecture must be x86_64 or arm64 (or left out)."
  }

  validation {
    condition     = var.redrive_package.source_code_hash == null || (var.redrive_package.zip_path == null && can(regex("^[A-Za-z0-9+/]{43}=$", coalesce(var.redrive_package.source_code_hash, "x"))))
    error_message = "redrive_package.source_code_hash is for S3 packages (the module hashes a zip_path itself) and must be the zip's base64 SHA-256: 44 characters, the manifest's sha256_base64 (not sha256_hex)."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of both functions: x86_64 or arm64. forwarder.zip holds compiled dependencies (rpds-py, under jsonschema) and runs only on the architecture it was built for: deploy the packages of this architecture (build/dist/<arch>/ from `make package`, or a release's <arch> zips)."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_tracing_mode" {
  description = "X-Ray tracing mode of both functions. Active adds xray:PutTraceSegments/PutTelemetryRecords (no resource-level permissions in X-Ray)."
  type        = string
  default     = "PassThrough"
  nullable    = false

  validation {
    condition     = contains(["Active", "PassThrough"], var.lambda_tracing_mode)
    error_message = "lambda_tracing_mode must be Active or PassThrough."
  }
}

variable "log_level" {
  description = "PSH_LOG_LEVEL of both functions."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR."
  }
}

variable "forwarder_timeout" {
  description = "Forwarder timeout in seconds (the main queue's visibility timeout defaults to 6x this)."
  type        = number
  default     = 120
  nullable    = false

  validation {
    condition     = var.forwarder_timeout >= 3 && var.forwarder_timeout <= 900 && floor(var.forwarder_timeout) == var.forwarder_timeout
    error_message = "forwarder_timeout must be a whole number of seconds from 3 to 900."
  }
}

variable "forwarder_memory_size" {
  description = "Forwarder memory in MB."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.forwarder_memory_size >= 128 && var.forwarder_memory_size <= 10240 && floor(var.forwarder_memory_size) == var.forwarder_memory_size
    error_message = "forwarder_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "onprem_resource_type" {
  description = "ASFF resource type used for on-premises (mi-) nodes: AwsEc2Instance (what the native integration shows) or Other."
  type        = string
  default     = "AwsEc2Instance"
  nullable    = false

  validation {
    condition     = contains(["AwsEc2Instance", "Other"], var.onprem_resource_type)
    error_message = "onprem_resource_type must be AwsEc2Instance or Other."
  }
}

variable "resolve_native_findings" {
  description = "Let the forwarder resolve (BatchUpdateFindings) AWS's native Patch Manager findings for nodes that became compliant."
  type        = bool
  default     = false
  nullable    = false
}

variable "forwarder_batch_size" {
  description = "Largest number of SQS messages per forwarder invocation."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.forwarder_batch_size >= 1 && var.forwarder_batch_size <= 10000 && floor(var.forwarder_batch_size) == var.forwarder_batch_size
    error_message = "forwarder_batch_size must be a whole number from 1 to 10000."
  }
}

variable "forwarder_batching_window_seconds" {
  description = "How long the event source mapping gathers messages before invoking (must be >= 1 when forwarder_batch_size > 10)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.forwarder_batching_window_seconds >= 0 && var.forwarder_batching_window_seconds <= 300 && floor(var.forwarder_batching_window_seconds) == var.forwarder_batching_window_seconds
    error_message = "forwarder_batching_window_seconds must be a whole number from 0 to 300."
  }
}

variable "forwarder_max_concurrency" {
  description = "Largest number of concurrent forwarder invocations the SQS event source mapping starts (scaling_config). Keeps BatchImportFindings under its 10 TPS quota."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.forwarder_max_concurrency >= 2 && var.forwarder_max_concurrency <= 1000 && floor(var.forwarder_max_concurrency) == var.forwarder_max_concurrency
    error_message = "forwarder_max_concurrency must be a whole number from 2 to 1000."
  }
}

variable "ssm_read_concurrency" {
  description = "Per-node SSM reads (ListComplianceItems, DescribeInstancePatches: one node per call) each forwarder invocation keeps in flight at once. Lower it if SSM throttles those reads in a large fleet."
  type        = number
  default     = 8
  nullable    = false

  validation {
    condition     = var.ssm_read_concurrency >= 1 && var.ssm_read_concurrency <= 32 && floor(var.ssm_read_concurrency) == var.ssm_read_concurrency
    error_message = "ssm_read_concurrency must be a whole number from 1 to 32."
  }
}

variable "redrive_timeout" {
  description = "Redrive function timeout in seconds."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.redrive_timeout >= 3 && var.redrive_timeout <= 900 && floor(var.redrive_timeout) == var.redrive_timeout
    error_message = "redrive_timeout must be a whole number of seconds from 3 to 900."
  }
}

variable "redrive_schedule_expression" {
  description = "How often the redrive function checks Security Hub health and moves DLQ messages back (EventBridge rate() or cron() expression)."
  type        = string
  default     = "rate(15 minutes)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\(([^ ]+ ){5}[^ ]+\\))$", var.redrive_schedule_expression))
    error_message = "redrive_schedule_expression must be rate(N minutes|hours|days) (rate(1 minute) singular) or cron() with six fields."
  }
}

variable "sweep_enabled" {
  description = "Create the sweep: a scheduled function that has the forwarder refresh every managed node and every active finding (repairs dropped events, keeps findings from expiring after 90 days, archives the findings of terminated or deregistered nodes)."
  type        = bool
  default     = true
  nullable    = false
}

variable "sweep_schedule_expression" {
  description = "How often the sweep runs (EventBridge rate() or cron() expression). Security Hub deletes findings not updated for 90 days: run it at least every few weeks."
  type        = string
  default     = "rate(1 day)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\(([^ ]+ ){5}[^ ]+\\))$", var.sweep_schedule_expression))
    error_message = "sweep_schedule_expression must be rate(N minutes|hours|days) (rate(1 minute) singular) or cron() with six fields."
  }

  validation {
    condition     = !can(regex("^rate\\(([0-9]+) days\\)$", var.sweep_schedule_expression)) || try(tonumber(regex("^rate\\(([0-9]+) days\\)$", var.sweep_schedule_expression)[0]) <= 30, false)
    error_message = "sweep_schedule_expression: at most every 30 days (Security Hub deletes findings not updated for 90 days)."
  }
}

variable "sweep_timeout" {
  description = "Sweep function timeout in seconds. A sweep that needs longer continues in a new invocation."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.sweep_timeout >= 120 && var.sweep_timeout <= 900 && floor(var.sweep_timeout) == var.sweep_timeout
    error_message = "sweep_timeout must be a whole number of seconds from 120 to 900."
  }
}

variable "redrive_max_move_per_run" {
  description = "PSH_MAX_MOVE_PER_RUN: most messages the redrive function moves back per run."
  type        = number
  default     = 1000
  nullable    = false

  validation {
    condition     = var.redrive_max_move_per_run >= 1 && var.redrive_max_move_per_run <= 100000 && floor(var.redrive_max_move_per_run) == var.redrive_max_move_per_run
    error_message = "redrive_max_move_per_run must be a whole number from 1 to 100000."
  }
}

variable "redrive_max_redrives" {
  description = "PSH_MAX_REDRIVES: how many times the redrive function moves one message back from the DLQ; a message dead-lettered again after that goes to the quarantine queue (reason redrive_limit)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.redrive_max_redrives >= 1 && var.redrive_max_redrives <= 100 && floor(var.redrive_max_redrives) == var.redrive_max_redrives
    error_message = "redrive_max_redrives must be a whole number from 1 to 100."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# IAM and network
# ---------------------------------------------------------------------------------------------------------------------

variable "role_path" {
  description = "IAM path of both execution roles (\"/\" or e.g. \"/patch-securityhub/\"), for SCPs and permission sets that match roles by path."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    # IAM: "/" alone, or a string that begins and ends with "/" of ASCII ! (0x21) through ~ (0x7E), 1-512 long.
    condition     = length(var.role_path) <= 512 && can(regex("^/([!-~]*/)?$", var.role_path))
    error_message = "role_path must be \"/\" or begin and end with \"/\" (printable ASCII, no spaces, at most 512 characters)."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of a managed policy set as the permissions boundary of both execution roles (SCPs often require one); null sets none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be an IAM managed policy ARN (arn:<partition>:iam::<account or aws>:policy/<path and name>)."
  }
}

variable "vpc_config" {
  description = "Run both functions in these private subnets with these security groups (null: Lambda's own network). They call SQS, SSM and Security Hub (and X-Ray when tracing is Active): the subnets need a NAT route or VPC interface endpoints for those services. Adds to both roles the network-interface permissions Lambda needs."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    # Lambda VpcConfig: up to 16 subnets and 5 security groups (API reference, VpcConfig).
    condition = var.vpc_config == null || try(
      length(var.vpc_config.subnet_ids) >= 1 && length(var.vpc_config.subnet_ids) <= 16 &&
      length(var.vpc_config.security_group_ids) >= 1 && length(var.vpc_config.security_group_ids) <= 5 &&
      alltrue([for id in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))]) &&
      alltrue([for id in var.vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))]),
      false
    )
    error_message = "vpc_config needs 1-16 subnet_ids (subnet-...) and 1-5 security_group_ids (sg-...)."
  }
}

variable "main_queue_sender_arns" {
  description = "IAM principals (role or user ARNs, ArnLike wildcards allowed) that may SendMessage to the main queue besides the compliance rule and the redrive function, e.g. an operator role that replays the rule's DLQ. The queue policy denies every other sender."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.main_queue_sender_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "Each main_queue_sender_arns entry must be an IAM role or user ARN (arn:<partition>:iam::<account>:role/... or user/...)."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------------------------------

variable "queue_visibility_timeout_seconds" {
  description = "Main queue visibility timeout. null = 6 x forwarder_timeout (AWS guidance); an explicit value must be at least that."
  type        = number
  default     = null

  validation {
    condition     = var.queue_visibility_timeout_seconds == null || try(var.queue_visibility_timeout_seconds >= 0 && var.queue_visibility_timeout_seconds <= 43200, false)
    error_message = "queue_visibility_timeout_seconds must be null or 0-43200 seconds."
  }
}

variable "queue_message_retention_seconds" {
  description = "Retention of the main queue (seconds)."
  type        = number
  default     = 345600
  nullable    = false

  validation {
    condition     = var.queue_message_retention_seconds >= 60 && var.queue_message_retention_seconds <= 1209600
    error_message = "queue_message_retention_seconds must be from 60 to 1209600 (14 days)."
  }
}

variable "dlq_message_retention_seconds" {
  description = "Retention of the dead-letter queues (the main queue's and the compliance rule's) and of the quarantine queue (seconds). Keep it longer than the main queue's: SQS keeps a message's original enqueue time when it moves to a DLQ."
  type        = number
  default     = 1209600
  nullable    = false

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be from 60 to 1209600 (14 days)."
  }
}

variable "max_receive_count" {
  description = "Receives before a message moves from the main queue to the DLQ (redrive policy maxReceiveCount)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "event_bus_name" {
  description = "Event bus that receives the aws.ssm compliance events (the account's default bus)."
  type        = string
  default     = "default"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,256}$", var.event_bus_name))
    error_message = "event_bus_name must be 1-256 characters from [A-Za-z0-9._/-]."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Security Hub
# ---------------------------------------------------------------------------------------------------------------------

variable "enable_securityhub" {
  description = "Create aws_securityhub_account (enable Security Hub in this account). Leave false when the organization enables it centrally."
  type        = bool
  default     = false
  nullable    = false
}

variable "securityhub_enable_default_standards" {
  description = "With enable_securityhub: also enable the default standards."
  type        = bool
  default     = false
  nullable    = false
}

variable "subscribe_patch_manager_product" {
  description = "AWS's native Patch Manager integration (product/aws/ssm-patch-manager). \"automatic\": no resource; enabling Security Hub subscribes it (AWS service integrations are activated automatically), and destroy leaves it alone. \"enable\": only for an account where the integration was disabled by hand; the module subscribes it and disables it again on destroy (apply fails with ResourceConflictException where it is already subscribed; not with enable_securityhub)."
  type        = string
  default     = "automatic"
  nullable    = false

  validation {
    condition     = contains(["automatic", "enable"], var.subscribe_patch_manager_product)
    error_message = "subscribe_patch_manager_product must be \"automatic\" (Security Hub subscribes the integration itself) or \"enable\" (only where it was disabled by hand)."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# SSM association and patch baseline
# ---------------------------------------------------------------------------------------------------------------------

variable "create_patch_association" {
  description = "Create the State Manager association that runs AWS-RunPatchBaselineWithHooks."
  type        = bool
  default     = true
  nullable    = false
}

variable "patch_operation" {
  description = "AWS-RunPatchBaselineWithHooks Operation. Install needs a cron() patch_schedule_expression and patch_apply_only_at_cron_interval = true: State Manager otherwise runs the association (patching, rebooting with RebootIfNeeded) on apply."
  type        = string
  default     = "Scan"
  nullable    = false

  validation {
    condition     = contains(["Scan", "Install"], var.patch_operation)
    error_message = "patch_operation must be Scan or Install."
  }
}

variable "reboot_option" {
  description = "AWS-RunPatchBaselineWithHooks RebootOption."
  type        = string
  default     = "NoReboot"
  nullable    = false

  validation {
    condition     = contains(["RebootIfNeeded", "NoReboot"], var.reboot_option)
    error_message = "reboot_option must be RebootIfNeeded or NoReboot."
  }
}

variable "patch_hooks" {
  description = "SSM Command documents run before install, after install, and on exit (Install operation only). AWS-Noop runs nothing."
  type = object({
    pre_install  = optional(string, "AWS-Noop")
    post_install = optional(string, "AWS-Noop")
    on_exit      = optional(string, "AWS-Noop")
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in values(var.patch_hooks) : can(regex("^([a-zA-Z0-9_.-]{3,128}|arn:aws[a-zA-Z-]*:ssm:[a-z0-9-]+:[0-9]{12}:document/[a-zA-Z0-9_.-]{3,128})$", name))])
    error_message = "Each patch hook must be an SSM document name (3-128 of [a-zA-Z0-9_.-]) or a document ARN."
  }
}

variable "patch_targets" {
  description = "Association targets (at most 5): e.g. { key = \"tag:PatchGroup\", values = [\"web\"] }. Default: every managed node (InstanceIds = [\"*\"])."
  type = list(object({
    key    = string
    values = list(string)
  }))
  default  = [{ key = "InstanceIds", values = ["*"] }]
  nullable = false

  validation {
    condition     = length(var.patch_targets) >= 1 && length(var.patch_targets) <= 5
    error_message = "patch_targets must hold 1 to 5 targets."
  }

  validation {
    condition     = alltrue([for t in var.patch_targets : can(regex("^(InstanceIds|tag:.{1,128}|tag-key|resource-groups:Name|resource-groups:ResourceTypeFilters)$", t.key)) && length(t.values) >= 1])
    error_message = "Each patch target key must be InstanceIds, tag:<key>, tag-key, resource-groups:Name or resource-groups:ResourceTypeFilters, with at least one value."
  }
}

variable "patch_schedule_expression" {
  description = "When the association runs: cron() or rate() as State Manager accepts it (e.g. rate(1 day), cron(0 2 ? * SUN *))."
  type        = string
  default     = "rate(1 day)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\(([3-9][0-9]|[1-9][0-9]{2,}) minutes\\)|rate\\(1 (hour|day)\\)|rate\\([1-9][0-9]* (hours|days)\\)|cron\\(([^ ]+ ){4,5}[^ ]+\\)|at\\(.+\\))$", var.patch_schedule_expression))
    error_message = "patch_schedule_expression must be rate(N minutes) with N >= 30, rate(N hours|days), cron() with 6 or 7 fields, or at()."
  }
}

variable "patch_max_concurrency" {
  description = "Association MaxConcurrency: a number or a percentage of targets."
  type        = string
  default     = "10%"
  nullable    = false

  validation {
    condition     = can(regex("^([1-9][0-9]*|[1-9][0-9]?%|100%)$", var.patch_max_concurrency))
    error_message = "patch_max_concurrency must be a positive number or a percentage from 1% to 100%."
  }
}

variable "patch_max_errors" {
  description = "Association MaxErrors: a number or a percentage of targets."
  type        = string
  default     = "10%"
  nullable    = false

  validation {
    condition     = can(regex("^([0-9]|[1-9][0-9]+|[0-9]%|[1-9][0-9]%|100%)$", var.patch_max_errors))
    error_message = "patch_max_errors must be a number or a percentage from 0% to 100%."
  }
}

variable "patch_compliance_severity" {
  description = "Association compliance severity."
  type        = string
  default     = "UNSPECIFIED"
  nullable    = false

  validation {
    condition     = contains(["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"], var.patch_compliance_severity)
    error_message = "patch_compliance_severity must be one of CRITICAL, HIGH, MEDIUM, LOW, UNSPECIFIED."
  }
}

variable "patch_apply_only_at_cron_interval" {
  description = "Run the association only at its cron interval, not also when it is created, updated or its targets change (cron() schedules only: State Manager refuses it with rate()). Required with patch_operation = \"Install\"."
  type        = bool
  default     = false
  nullable    = false
}

variable "patch_output_s3" {
  description = "Optional S3 location for the association's command output."
  type = object({
    bucket_name = string
    key_prefix  = optional(string)
    region      = optional(string)
  })
  default = null

  validation {
    condition     = var.patch_output_s3 == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", try(var.patch_output_s3.bucket_name, "")))
    error_message = "patch_output_s3.bucket_name must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')."
  }
}

variable "patch_baseline" {
  description = "Optional custom patch baseline. Its approval rules' compliance_level is the severity nodes report (and so the findings' severity). Registered for each of patch_groups."
  type = object({
    name                                 = string
    description                          = optional(string, "Managed by patch-securityhub")
    operating_system                     = optional(string, "AMAZON_LINUX_2023")
    approved_patches                     = optional(list(string), [])
    approved_patches_compliance_level    = optional(string, "UNSPECIFIED")
    approved_patches_enable_non_security = optional(bool, false)
    rejected_patches                     = optional(list(string), [])
    rejected_patches_action              = optional(string, "BLOCK")
    patch_groups                         = optional(list(string), [])
    global_filters = optional(list(object({
      key    = string
      values = list(string)
    })), [])
    approval_rules = list(object({
      approve_after_days  = optional(number)
      approve_until_date  = optional(string)
      compliance_level    = string
      enable_non_security = optional(bool, false)
      patch_filters = list(object({
        key    = string
        values = list(string)
      }))
    }))
  })
  default = null

  validation {
    condition     = var.patch_baseline == null || can(regex("^[a-zA-Z0-9_.-]{3,128}$", try(var.patch_baseline.name, "")))
    error_message = "patch_baseline.name must be 3-128 characters of [a-zA-Z0-9_.-]."
  }

  validation {
    condition     = var.patch_baseline == null || contains(["WINDOWS", "AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023", "UBUNTU", "REDHAT_ENTERPRISE_LINUX", "SUSE", "CENTOS", "ORACLE_LINUX", "DEBIAN", "MACOS", "RASPBIAN", "ROCKY_LINUX", "ALMA_LINUX"], try(var.patch_baseline.operating_system, ""))
    error_message = "patch_baseline.operating_system must be an SSM OperatingSystem value (e.g. AMAZON_LINUX_2023, WINDOWS, UBUNTU)."
  }

  validation {
    condition = var.patch_baseline == null || alltrue([
      for level in concat([try(var.patch_baseline.approved_patches_compliance_level, "")], [for r in try(var.patch_baseline.approval_rules, []) : r.compliance_level]) :
      contains(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"], level)
    ])
    error_message = "Every patch_baseline compliance level must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNSPECIFIED."
  }

  validation {
    condition = var.patch_baseline == null || alltrue([
      for r in try(var.patch_baseline.approval_rules, []) :
      (r.approve_after_days == null) != (r.approve_until_date == null) && (r.approve_after_days == null || try(r.approve_after_days >= 0 && r.approve_after_days <= 360, false))
    ])
    error_message = "Each patch_baseline approval rule needs exactly one of approve_after_days (0-360) or approve_until_date."
  }

  validation {
    condition     = var.patch_baseline == null || contains(["BLOCK", "ALLOW_AS_DEPENDENCY"], try(var.patch_baseline.rejected_patches_action, ""))
    error_message = "patch_baseline.rejected_patches_action must be BLOCK or ALLOW_AS_DEPENDENCY."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# CloudWatch
# ---------------------------------------------------------------------------------------------------------------------

variable "log_retention_in_days" {
  description = "Retention of the functions' log groups."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "create_alarms" {
  description = "Create alarms on the depth of the DLQ, the quarantine and the compliance rule's DLQ, on the main queue's message age, on forwarder and sweep errors, on the rule's failed invocations and on a redrive blocked by Security Hub (alarm_names lists them)."
  type        = bool
  default     = true
  nullable    = false
}

variable "create_alarm_topic" {
  description = "Create a KMS-encrypted SNS topic as the alarms' action (otherwise alarm_sns_topic_arn, or no action)."
  type        = bool
  default     = false
  nullable    = false
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic the alarms notify (ignored when create_alarm_topic)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "alarm_evaluation_period_seconds" {
  description = "Period of every alarm (seconds)."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_evaluation_period_seconds)
    error_message = "alarm_evaluation_period_seconds must be 60, 300, 900 or 3600."
  }
}

variable "main_queue_age_alarm_seconds" {
  description = "Alarm when the oldest message in the main queue is older than this (seconds)."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.main_queue_age_alarm_seconds >= 60 && var.main_queue_age_alarm_seconds <= 1209600
    error_message = "main_queue_age_alarm_seconds must be from 60 to 1209600."
  }
}
