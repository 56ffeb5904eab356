"""Lambda: LocalStack's provider plus the function's KMSKeyArn as AWS keeps it.

Selected with PROVIDER_OVERRIDE_LAMBDA=psh.
"""
