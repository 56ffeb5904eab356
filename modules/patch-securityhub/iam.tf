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

# ---------------------------------------------------------------------------------------------------------------------
# Forwarder
# ---------------------------------------------------------------------------------------------------------------------

resource "aws_iam_role" "forwarder" {
  count = local.create ? 1 : 0

  name               = "${local.forwarder_name}-${local.region}"
  description        = "patch-securityhub forwarder"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume[0].json
  tags               = local.tags
}

data "aws_iam_policy_document" "forwarder" {
  count = local.create ? 1 : 0

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

  name               = "${local.redrive_name}-${local.region}"
  description        = "patch-securityhub redrive"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume[0].json
  tags               = local.tags
}

data "aws_iam_policy_document" "redrive" {
  count = local.create ? 1 : 0

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.redrive_log_arn}:*"]
  }

  statement {
    sid       = "ProbeSecurityHub"
    actions   = ["securityhub:DescribeHub"]
    resources = [local.securityhub_hub_arn]
  }

  # StartMessageMoveTask needs receive/delete/attributes on the source; the same actions serve the fallback.
  statement {
    sid = "DrainDeadLetterQueue"
    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ListMessageMoveTasks",
      "sqs:ReceiveMessage",
      "sqs:StartMessageMoveTask",
    ]
    resources = [local.dlq_arn]
  }

  statement {
    sid       = "RefillMainQueue"
    actions   = ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    resources = [local.main_queue_arn]
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
}

resource "aws_iam_role_policy" "redrive" {
  count = local.create ? 1 : 0

  name   = "redrive"
  role   = aws_iam_role.redrive[0].id
  policy = data.aws_iam_policy_document.redrive[0].json
}
