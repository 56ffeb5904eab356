# Install on a cron() schedule but without ApplyOnlyAtCronInterval: it would still run on apply.
patch_operation           = "Install"
patch_schedule_expression = "cron(0 3 ? * SUN *)"
