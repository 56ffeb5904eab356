patch_apply_only_at_cron_interval = true
patch_schedule_expression         = "rate(1 day)"
