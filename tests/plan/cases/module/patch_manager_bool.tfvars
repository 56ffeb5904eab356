# The former boolean: refused with the modes named.
subscribe_patch_manager_product = true
