# An account whose Security Hub is on and whose Patch Manager integration was disabled by hand.
subscribe_patch_manager_product = "enable"
