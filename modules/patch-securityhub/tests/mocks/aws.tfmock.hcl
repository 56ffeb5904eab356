# The AWS provider of every test file: no credentials, no endpoint, no call. The data sources the module reads at
# plan time answer as one account in one Region would.

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform-test"
    user_id    = "AIDAEXAMPLE"
  }
}

override_data {
  target = data.aws_partition.current
  values = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

override_data {
  target = data.aws_region.current
  values = {
    id          = "eu-west-1"
    name        = "eu-west-1"
    endpoint    = "ec2.eu-west-1.amazonaws.com"
    description = "Europe (Ireland)"
  }
}

# A mocked data source returns random strings, which the resources' own validation refuses as policies: every
# policy document renders as an empty policy here. What the module's policies say is proven on real plans
# (tests/plan/test_iam.py); these tests see the documents' statements as configured.
mock_data "aws_iam_policy_document" {
  defaults = {
    json          = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    minified_json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}
