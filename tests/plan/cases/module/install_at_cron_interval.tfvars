# Install only at its cron interval: never on apply.
patch_operation                   = "Install"
reboot_option                     = "RebootIfNeeded"
patch_schedule_expression         = "cron(0 3 ? * SUN *)"
patch_apply_only_at_cron_interval = true
