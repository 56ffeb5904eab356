"""SQS: LocalStack's provider plus the message-attribute quota AWS enforces.

Selected with PROVIDER_OVERRIDE_SQS=psh.
"""
