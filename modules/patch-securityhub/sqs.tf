# Main queue (EventBridge -> forwarder), its dead-letter queue, and the quarantine for permanent rejects.
# Queue policies are inline (they name derived ARNs, so there is no cycle): separate aws_sqs_queue_policy /
# aws_sqs_queue_redrive_allow_policy resources wait for attribute propagation on every create and destroy.

resource "aws_sqs_queue" "dlq" {
  count = local.create ? 1 : 0

  name                              = local.dlq_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  policy                            = data.aws_iam_policy_document.deny_insecure_transport["dlq"].json
  # Only the main queue may dead-letter here (and the redrive function moves messages back to it).
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.main_queue_arn]
  })
  tags = local.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.dlq_arn
      error_message = "The queue ARN differs from the one the policies were written for."
    }
  }
}

resource "aws_sqs_queue" "main" {
  count = local.create ? 1 : 0

  name                              = local.main_queue_name
  visibility_timeout_seconds        = local.queue_visibility_timeout
  message_retention_seconds         = var.queue_message_retention_seconds
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.max_receive_count
  })
  policy = data.aws_iam_policy_document.main_queue[0].json
  tags   = local.tags

  lifecycle {
    precondition {
      condition     = local.queue_visibility_timeout >= 6 * var.forwarder_timeout
      error_message = "queue_visibility_timeout_seconds must be at least 6 x forwarder_timeout (AWS guidance for SQS event sources)."
    }
    postcondition {
      condition     = self.arn == local.main_queue_arn
      error_message = "The queue ARN differs from the one the policies were written for."
    }
  }
}

resource "aws_sqs_queue" "quarantine" {
  count = local.create ? 1 : 0

  name                              = local.quarantine_queue_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  policy                            = data.aws_iam_policy_document.deny_insecure_transport["quarantine"].json
  tags                              = local.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.quarantine_queue_arn
      error_message = "The queue ARN differs from the one the policies were written for."
    }
  }
}

data "aws_iam_policy_document" "main_queue" {
  count = local.create ? 1 : 0

  statement {
    sid    = "OnlyTheComplianceRuleSends"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [local.main_queue_arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.compliance_rule_arn]
    }
  }

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sqs:*"]
    resources = [local.main_queue_arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "deny_insecure_transport" {
  for_each = local.create ? { dlq = local.dlq_arn, quarantine = local.quarantine_queue_arn } : {}

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sqs:*"]
    resources = [each.value]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
