"""A LocalStack 4.14 extension that emulates AWS: Security Hub, Systems Manager Patch Manager, a host Lambda
executor, and what LocalStack's Lambda and CloudWatch drop (see tests/localstack_ext/README.md)."""
