# One invalid value per variable (packages.tfvars' valid packages overridden too); invalid_inputs.yaml
# holds the message each must produce. Terraform reports every failing variable of a plan at once.
name_prefix                       = "9-starts-with-digit"
kms_key_arn                       = "arn:aws:s3:::not-a-key"
kms_key_deletion_window_in_days   = 3
forwarder_package                 = { zip_path = "a.zip", s3_bucket = "b", s3_key = "k" }
redrive_package                   = { zip_path = "redrive.tar.gz" }
lambda_architecture               = "sparc"
lambda_tracing_mode               = "Sometimes"
log_level                         = "TRACE"
forwarder_timeout                 = 901
forwarder_memory_size             = 64
onprem_resource_type              = "AwsSsmManagedInstance"
forwarder_batch_size              = 10001
forwarder_batching_window_seconds = 301
forwarder_max_concurrency         = 1
ssm_read_concurrency              = 33
redrive_timeout                   = 0
redrive_schedule_expression       = "every 5 minutes"
redrive_max_move_per_run          = 0
queue_visibility_timeout_seconds  = 50000
queue_message_retention_seconds   = 30
dlq_message_retention_seconds     = 2000000
max_receive_count                 = 0
event_bus_name                    = "arn:aws:events:us-east-1:1:event-bus/x y"
role_path                         = "no-leading-slash/"
role_permissions_boundary         = "arn:aws:iam::123456789012:role/not-a-policy"
vpc_config                        = { subnet_ids = ["subnet-0123456789abcdef0"], security_group_ids = ["default"] }
main_queue_sender_arns            = ["123456789012"]
patch_operation                   = "Patch"
reboot_option                     = "Always"
patch_hooks                       = { pre_install = "x" }
patch_targets                     = [{ key = "Name", values = ["web"] }]
patch_schedule_expression         = "rate(10 minutes)"
patch_max_concurrency             = "0"
patch_max_errors                  = "101%"
patch_compliance_severity         = "SEVERE"
patch_output_s3                   = { bucket_name = "Bad_Bucket" }
patch_baseline = {
  name           = "ok-name"
  approval_rules = [{ approve_after_days = 7, compliance_level = "URGENT", patch_filters = [] }]
}
log_retention_in_days           = 42
alarm_sns_topic_arn             = "ops-alarms"
alarm_evaluation_period_seconds = 120
main_queue_age_alarm_seconds    = 10
