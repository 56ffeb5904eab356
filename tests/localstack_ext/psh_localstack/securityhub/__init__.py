"""Security Hub for LocalStack: a provider following the documented contract, plus control routes."""
