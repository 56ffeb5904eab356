# LocalStack's default account: `terraform workspace new localstack && terraform apply -var-file=localstack.tfvars`.
accounts = {
  localstack = {
    account_id         = "000000000000"
    region             = "us-east-1"
    role_arn           = "arn:aws:iam::000000000000:role/patch-securityhub-rollout"
    enable_securityhub = true
  }
}
