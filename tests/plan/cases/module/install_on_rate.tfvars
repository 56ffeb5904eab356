# Install on the default rate(1 day) schedule: State Manager would run it (patch, reboot) on apply.
patch_operation = "Install"
reboot_option   = "RebootIfNeeded"
