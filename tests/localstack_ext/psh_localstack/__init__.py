"""patch-securityhub's LocalStack extension: Security Hub, SSM patch compliance, host Lambda executor."""
