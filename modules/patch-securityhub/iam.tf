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

# Each function's own statements, by key, beside the ones every function has (the document below): writing its
# own logs, using the module's key, and with tracing or a VPC the X-Ray and network-interface statements.
locals {
  function_policy_statements = {
    forwarder = concat(
      [
        {
          sid = "ConsumeMainQueue"
          actions = [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
          ]
          resources = [local.main_queue_arn]
        },
        {
          sid       = "QuarantineRejects"
          actions   = ["sqs:SendMessage"]
          resources = [local.quarantine_queue_arn]
        },
        {
          # The per-node patch reads are scoped to this account's EC2 instances and hybrid (mi-) managed nodes.
          sid       = "ReadNodePatchStates"
          actions   = ["ssm:DescribeInstancePatchStates", "ssm:DescribeInstancePatches"]
          resources = local.create ? ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*", "arn:${local.partition}:ssm:${local.region}:${local.account_id}:managed-instance/*"] : []
        },
        {
          # ListComplianceItems and DescribeInstanceInformation have no resource-level permissions: "*" is the
          # only resource IAM accepts for them. Both are read-only.
          sid       = "ReadComplianceAndInventory"
          actions   = ["ssm:DescribeInstanceInformation", "ssm:ListComplianceItems"]
          resources = ["*"]
        },
        {
          # A node SSM does not list may be stopped (its finding is kept) or gone (archived): EC2 tells. EC2's
          # Describe* actions have no resource-level permissions: "*" is the only resource IAM accepts. Read-only.
          sid       = "ReadInstanceStates"
          actions   = ["ec2:DescribeInstances"]
          resources = ["*"]
        },
        {
          sid       = "ImportIntoOwnProduct"
          actions   = ["securityhub:BatchImportFindings"]
          resources = [local.securityhub_product_arn]
        },
        {
          sid       = "ReadOwnFindings"
          actions   = ["securityhub:GetFindings"]
          resources = [local.securityhub_hub_arn]
        },
      ],
      var.resolve_native_findings ? [
        {
          sid       = "ResolveNativePatchFindings"
          actions   = ["securityhub:BatchUpdateFindings"]
          resources = [local.securityhub_hub_arn]
        },
      ] : [],
    )

    redrive = [
      {
        # The health probe is the forwarder's own call on the forwarder's own resource: a BatchImportFindings of
        # one finding Security Hub refuses as invalid (nothing is imported). A denied or disabled import stops the
        # redrive.
        sid       = "ProbeImportIntoOwnProduct"
        actions   = ["securityhub:BatchImportFindings"]
        resources = [local.securityhub_product_arn]
      },
      {
        # ReceiveMessage + SendMessage (with the psh-redrive-count attribute) + DeleteMessage; no move task.
        sid       = "DrainDeadLetterQueue"
        actions   = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
        resources = [local.dlq_arn]
      },
      {
        sid       = "RefillMainQueue"
        actions   = ["sqs:SendMessage"]
        resources = [local.main_queue_arn]
      },
      {
        sid       = "QuarantineRedriveLimit"
        actions   = ["sqs:SendMessage"]
        resources = [local.quarantine_queue_arn]
      },
      {
        # A run that holds the DLQ publishes RedriveBlocked (the redrive_blocked alarm). PutMetricData has no
        # resource-level permissions ("*" is the only resource IAM accepts); the cloudwatch:namespace condition
        # key confines it to the product's namespace (CloudWatch user guide, "Using condition keys to limit
        # access to CloudWatch namespaces").
        sid        = "PublishRedriveBlocked"
        actions    = ["cloudwatch:PutMetricData"]
        resources  = ["*"]
        conditions = [{ test = "StringEquals", variable = "cloudwatch:namespace", values = [local.metric_namespace] }]
      },
    ]

    sweep = [
      {
        # DescribeInstanceInformation has no resource-level permissions: "*" is the only resource IAM accepts.
        sid       = "ListManagedNodes"
        actions   = ["ssm:DescribeInstanceInformation"]
        resources = ["*"]
      },
      {
        sid       = "ListOwnFindings"
        actions   = ["securityhub:GetFindings"]
        resources = [local.securityhub_hub_arn]
      },
      {
        sid       = "RequestRefreshes"
        actions   = ["sqs:SendMessage"]
        resources = [local.main_queue_arn]
      },
      {
        # A sweep longer than one invocation continues in a new one (InvocationType Event) of this function only.
        sid       = "ContinueItself"
        actions   = ["lambda:InvokeFunction"]
        resources = [try(local.function_ids.sweep.arn, null)]
      },
    ]
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_ids

  name                 = each.value.role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "patch-securityhub ${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume[0].json
  tags                 = local.tags

  lifecycle {
    # The policies name the roles' ARNs before the roles exist: the main queue's policy exempts the redrive's and
    # the sweep's from its DenyOtherSenders (sqs.tf).
    postcondition {
      condition     = self.arn == each.value.role_arn
      error_message = "The role ARN differs from the one the policies were written for."
    }
  }
}

# Over local.function_ids, which names no resource: the documents are read at plan time (reviewable in the plan,
# testable offline) unless the key is unknown.
data "aws_iam_policy_document" "function" {
  for_each = local.function_ids

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
    resources = ["${each.value.log_group_arn}:*"]
  }

  statement {
    sid       = "UseModuleKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
  }

  dynamic "statement" {
    for_each = local.function_policy_statements[each.key]
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = try(statement.value.conditions, [])
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
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

resource "aws_iam_role_policy" "function" {
  for_each = local.function_ids

  name   = each.key
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}
