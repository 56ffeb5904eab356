"""CloudWatch: LocalStack's v2 provider plus alarm tags as AWS keeps them.

Selected with PROVIDER_OVERRIDE_CLOUDWATCH=psh.
"""
