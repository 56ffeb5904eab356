# Replaces accounts.tfvars' accounts (the last value of a variable wins): a rollout role in another account.
accounts = {
  prod-eu = {
    account_id = "111111111111"
    region     = "eu-west-1"
    role_arn   = "arn:aws:iam::999999999999:role/patch-securityhub-rollout"
  }
}
