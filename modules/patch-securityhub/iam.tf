# One role per function, least privilege: no wildcard actions, resources scoped wherever the API allows.

data "aws_iam_policy_document" "lambda_assume" {
  count = local.create ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# With vpc_config, Lambda creates and deletes the functions' network interfaces with their execution roles:
# ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface,
# AssignPrivateIpAddresses, UnassignPrivateIpAddresses, the actions of AWSLambdaVPCAccessExecutionRole (Lambda
# developer guide, "Giving Lambda functions access to resources in an Amazon VPC", execution role permissions).
locals {
  network_interfaces_arn = local.create ? "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*" : null

  vpc_network_interface_statements = !local.create || var.vpc_config == null ? [] : [
    {
      # Only in the configured subnets and security groups (any owner account: a shared VPC's subnets belong to
      # the VPC owner).
      sid     = "CreateNetworkInterfacesInConfiguredSubnets"
      actions = ["ec2:CreateNetworkInterface"]
      resources = concat(
        [local.network_interfaces_arn],
        [for id in var.vpc_config.subnet_ids : "arn:${local.partition}:ec2:${local.region}:*:subnet/${id}"],
        [for id in var.vpc_config.security_group_ids : "arn:${local.partition}:ec2:${local.region}:*:security-group/${id}"],
      )
    },
    {
      # The guide asks for a unique interface id or all of them ("arn:aws:ec2:<region>:<account>:*/*"): an
      # interface's id is known only once Lambda created it, so all of this account's interfaces in this Region.
      sid       = "ManageNetworkInterfaces"
      actions   = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
      resources = [local.network_interfaces_arn]
    },
    {
      # EC2's Describe* actions have no resource-level permissions: "*" is the only resource IAM accepts (the
      # guide: DescribeNetworkInterfaces "only works if it's allowed on all resources"). Both are read-only.
      sid       = "DescribeNetworkInterfacesAndSubnets"
      actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
      resources = ["*"]
    },
  ]
}

# ---------------------------------------------------------------------------------------------------------------------
# Forwarder
# ---------------------------------------------------------------------------------------------------------------------

resource "aws_iam_role" "forwarder" {
  count = local.create ? 1 : 0

  name                 = local.forwarder_role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "patch-securityhub forwarder"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume[0].json
  tags                 = local.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.forwarder_role_arn
      error_message = "The role ARN differs from the one the policies were written for."
    }
  }
}

data "aws_iam_policy_document" "forwarder" {
  count = local.create ? 1 : 0

  # Checked before the statements are read (they name the key): a precondition comes before the configuration.
  # Unknown until apply when the caller's key is created in the same configuration, and checked then.
  lifecycle {
    precondition {
      condition     = var.create_kms_key != (var.kms_key_arn != null)
      error_message = local.kms_key_choice_error
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.forwarder_log_arn}:*"]
  }

  statement {
    sid = "ConsumeMainQueue"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    resources = [local.main_queue_arn]
  }

  statement {
    sid       = "QuarantineRejects"
    actions   = ["sqs:SendMessage"]
    resources = [local.quarantine_queue_arn]
  }

  statement {
    sid       = "UseModuleKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
  }

  # The per-node patch reads are scoped to this account's EC2 instances and hybrid (mi-) managed nodes.
  statement {
    sid     = "ReadNodePatchStates"
    actions = ["ssm:DescribeInstancePatchStates", "ssm:DescribeInstancePatches"]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:managed-instance/*",
    ]
  }

  # ListComplianceItems and DescribeInstanceInformation have no resource-level permissions: "*" is the only
  # resource IAM accepts for them. Both are read-only.
  statement {
    sid       = "ReadComplianceAndInventory"
    actions   = ["ssm:DescribeInstanceInformation", "ssm:ListComplianceItems"]
    resources = ["*"]
  }

  # A node SSM does not list may be stopped (its finding is kept) or gone (archived): EC2 tells. EC2's Describe*
  # actions have no resource-level permissions: "*" is the only resource IAM accepts. Read-only.
  statement {
    sid       = "ReadInstanceStates"
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }

  statement {
    sid       = "ImportIntoOwnProduct"
    actions   = ["securityhub:BatchImportFindings"]
    resources = [local.securityhub_product_arn]
  }

  statement {
    sid       = "ReadOwnFindings"
    actions   = ["securityhub:GetFindings"]
    resources = [local.securityhub_hub_arn]
  }

  dynamic "statement" {
    for_each = var.resolve_native_findings ? [1] : []
    content {
      sid       = "ResolveNativePatchFindings"
      actions   = ["securityhub:BatchUpdateFindings"]
      resources = [local.securityhub_hub_arn]
    }
  }

  dynamic "statement" {
    for_each = var.lambda_tracing_mode == "Active" ? [1] : []
    content {
      # X-Ray has no resource-level permissions for these actions.
      sid       = "WriteTraces"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.vpc_network_interface_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "forwarder" {
  count = local.create ? 1 : 0

  name   = "forwarder"
  role   = aws_iam_role.forwarder[0].id
  policy = data.aws_iam_policy_document.forwarder[0].json
}

# ---------------------------------------------------------------------------------------------------------------------
# Redrive
# ---------------------------------------------------------------------------------------------------------------------

resource "aws_iam_role" "redrive" {
  count = local.create ? 1 : 0

  name                 = local.redrive_role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "patch-securityhub redrive"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume[0].json
  tags                 = local.tags

  lifecycle {
    # The main queue's policy exempts this ARN from its DenyOtherSenders (sqs.tf).
    postcondition {
      condition     = self.arn == local.redrive_role_arn
      error_message = "The role ARN differs from the one the policies were written for."
    }
  }
}

data "aws_iam_policy_document" "redrive" {
  count = local.create ? 1 : 0

  # Checked before the statements are read (they name the key): a precondition comes before the configuration.
  # Unknown until apply when the caller's key is created in the same configuration, and checked then.
  lifecycle {
    precondition {
      condition     = var.create_kms_key != (var.kms_key_arn != null)
      error_message = local.kms_key_choice_error
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.redrive_log_arn}:*"]
  }

  # The health probe is the forwarder's own call on the forwarder's own resource: a BatchImportFindings of one
  # finding Security Hub refuses as invalid (nothing is imported). A denied or disabled import stops the redrive.
  statement {
    sid       = "ProbeImportIntoOwnProduct"
    actions   = ["securityhub:BatchImportFindings"]
    resources = [local.securityhub_product_arn]
  }

  # ReceiveMessage + SendMessage (with the psh-redrive-count attribute) + DeleteMessage; no move task.
  statement {
    sid       = "DrainDeadLetterQueue"
    actions   = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    resources = [local.dlq_arn]
  }

  statement {
    sid       = "RefillMainQueue"
    actions   = ["sqs:SendMessage"]
    resources = [local.main_queue_arn]
  }

  statement {
    sid       = "QuarantineRedriveLimit"
    actions   = ["sqs:SendMessage"]
    resources = [local.quarantine_queue_arn]
  }

  statement {
    sid       = "UseModuleKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
  }

  dynamic "statement" {
    for_each = var.lambda_tracing_mode == "Active" ? [1] : []
    content {
      # X-Ray has no resource-level permissions for these actions.
      sid       = "WriteTraces"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.vpc_network_interface_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "redrive" {
  count = local.create ? 1 : 0

  name   = "redrive"
  role   = aws_iam_role.redrive[0].id
  policy = data.aws_iam_policy_document.redrive[0].json
}
