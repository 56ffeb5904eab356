# Enabling Security Hub subscribes the integration itself: "enable" would conflict.
enable_securityhub              = true
subscribe_patch_manager_product = "enable"
