# Role path and permissions boundary, the optional VPC, and tags on every taggable resource.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix       = "fleet-a"
  create_kms_key    = false
  kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  forwarder_package = { s3_bucket = "artifacts", s3_key = "patch-securityhub/forwarder.zip" }
  redrive_package   = { s3_bucket = "artifacts", s3_key = "patch-securityhub/redrive.zip" }
  tags              = { Team = "secops" }
}

run "defaults_no_path_no_boundary_no_vpc" {
  command = plan

  assert {
    condition     = aws_iam_role.function["forwarder"].path == "/" && aws_iam_role.function["forwarder"].permissions_boundary == null
    error_message = "Roles sit at the root path without a boundary by default."
  }

  assert {
    condition     = length(aws_lambda_function.function["forwarder"].vpc_config) == 0 && length(aws_lambda_function.function["redrive"].vpc_config) == 0
    error_message = "No VPC unless vpc_config is given."
  }

  assert {
    condition = toset(flatten([
      for document in [data.aws_iam_policy_document.function["forwarder"], data.aws_iam_policy_document.function["redrive"], data.aws_iam_policy_document.function["sweep"]] :
      [for s in document.statement : [for a in s.actions : a if startswith(a, "ec2:")]]
    ])) == toset(["ec2:DescribeInstances"])
    error_message = "Without a VPC the roles get no EC2 permission but the forwarder's read-only DescribeInstances (a node's fate)."
  }
}

run "path_and_boundary_on_both_roles" {
  command = plan

  variables {
    role_path                 = "/patch-securityhub/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/org/workload-boundary"
  }

  assert {
    condition = alltrue([
      for role in [aws_iam_role.function["forwarder"], aws_iam_role.function["redrive"]] :
      role.path == "/patch-securityhub/" && role.permissions_boundary == "arn:aws:iam::123456789012:policy/org/workload-boundary"
    ])
    error_message = "Both roles take role_path and role_permissions_boundary."
  }

  assert {
    condition = contains(
      flatten([for s in data.aws_iam_policy_document.main_queue[0].statement : [for c in s.condition : c.values if c.variable == "aws:PrincipalArn"]]),
      "arn:aws:iam::123456789012:role/patch-securityhub/fleet-a-redrive-eu-west-1",
    )
    error_message = "The main queue's sender exemption must name the redrive role's ARN with its path."
  }
}

run "vpc_for_both_functions" {
  command = plan

  variables {
    vpc_config = {
      subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
      security_group_ids = ["sg-0123456789abcdef0"]
    }
  }

  assert {
    condition = alltrue([
      for function in [aws_lambda_function.function["forwarder"], aws_lambda_function.function["redrive"]] :
      function.vpc_config[0].subnet_ids == toset(["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]) &&
      function.vpc_config[0].security_group_ids == toset(["sg-0123456789abcdef0"])
    ])
    error_message = "Both functions run in the given subnets with the given security groups."
  }

  assert {
    condition = alltrue([
      for document in [data.aws_iam_policy_document.function["forwarder"], data.aws_iam_policy_document.function["redrive"]] :
      toset(flatten([for s in document.statement : s.actions if startswith(s.sid, "CreateNetworkInterfaces") || startswith(s.sid, "ManageNetworkInterfaces") || startswith(s.sid, "DescribeNetwork")])) == toset([
        "ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses",
      ])
    ])
    error_message = "With a VPC both roles get the network-interface permissions Lambda documents, no more."
  }

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.function["forwarder"].statement : s.resources if s.sid == "CreateNetworkInterfacesInConfiguredSubnets"])) == toset([
      "arn:aws:ec2:eu-west-1:123456789012:network-interface/*",
      "arn:aws:ec2:eu-west-1:*:subnet/subnet-0123456789abcdef0",
      "arn:aws:ec2:eu-west-1:*:subnet/subnet-0fedcba9876543210",
      "arn:aws:ec2:eu-west-1:*:security-group/sg-0123456789abcdef0",
    ])
    error_message = "Interfaces may be created only in the configured subnets and security groups."
  }
}

run "tags_on_every_taggable_resource" {
  command = plan

  variables {
    create_alarm_topic = true
  }

  assert {
    condition = alltrue([
      for tags in [
        aws_sqs_queue.main[0].tags, aws_sqs_queue.dlq[0].tags, aws_sqs_queue.quarantine[0].tags, aws_sqs_queue.rule_dlq[0].tags,
        aws_lambda_function.function["forwarder"].tags, aws_lambda_function.function["redrive"].tags,
        aws_lambda_event_source_mapping.forwarder[0].tags, aws_ssm_association.patch[0].tags,
        aws_iam_role.function["forwarder"].tags, aws_iam_role.function["redrive"].tags,
        aws_cloudwatch_log_group.function["forwarder"].tags, aws_cloudwatch_log_group.function["redrive"].tags,
        aws_cloudwatch_event_rule.compliance[0].tags, aws_cloudwatch_event_rule.schedule["redrive"].tags,
        aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"].tags, aws_cloudwatch_metric_alarm.alarm["rule_dlq"].tags,
        aws_sns_topic.alarms[0].tags,
      ] : tags == tomap({ Team = "secops", "patch-securityhub:module" = "patch-securityhub" })
    ])
    error_message = "Every taggable resource carries var.tags and the module's own tag."
  }
}
