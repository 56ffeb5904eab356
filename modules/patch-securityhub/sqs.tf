# Main queue (EventBridge -> forwarder), its dead-letter queue, the quarantine for permanent rejects, and the
# compliance rule's own dead-letter queue (events EventBridge could not deliver to the main queue).
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
  # No queue may use the quarantine as its dead-letter queue (SQS API reference, RedriveAllowPolicy: denyAll).
  redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })
  tags                 = local.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.quarantine_queue_arn
      error_message = "The queue ARN differs from the one the policies were written for."
    }
  }
}

# EventBridge's dead-letter queue for the compliance rule's target: events it could not deliver after its retry
# policy, and at once those it cannot deliver at all, such as a denied SendMessage or KMS call (EventBridge user
# guide, "Using dead-letter queues to process undelivered events"). Only standard queues, same Region; each
# message carries the event and the attributes ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN. Encrypted with the
# module's key, which grants events.amazonaws.com for it (kms.tf); the rule-failed-invocations alarm covers the
# case where that key refuses EventBridge for both queues.
resource "aws_sqs_queue" "rule_dlq" {
  count = local.create ? 1 : 0

  name                              = local.rule_dlq_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  policy                            = data.aws_iam_policy_document.rule_dlq[0].json
  # EventBridge sends here itself; no SQS queue dead-letters into it.
  redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })
  tags                 = local.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.rule_dlq_arn
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

  # Nobody else in the account sends, whatever their IAM policies allow: an explicit Deny wins over any Allow
  # (IAM user guide, policy evaluation logic). The conditions are ANDed, and a negated operator is true when the
  # key is absent (IAM user guide, condition operators): EventBridge's request carries aws:SourceArn (the rule)
  # and no aws:PrincipalArn; the SendMessage of the redrive (it moves DLQ messages back with ReceiveMessage +
  # SendMessage + DeleteMessage) and of the sweep (its refresh requests), each under its own role, carries
  # aws:PrincipalArn, that role's ARN. SQS's own move of a message to the DLQ (maxReceiveCount) is no SendMessage
  # to this queue.
  statement {
    sid    = "DenyOtherSenders"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [local.main_queue_arn]
    condition {
      test     = "ArnNotEquals"
      variable = "aws:SourceArn"
      values   = [local.compliance_rule_arn]
    }
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = concat([for key in ["redrive", "sweep"] : local.function_ids[key].role_arn if contains(local.function_keys, key)], var.main_queue_sender_arns)
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

# The rule's DLQ: EventBridge may send for this rule only (EventBridge user guide, "Granting permissions to the
# dead-letter queue"), and nobody else may send at all.
data "aws_iam_policy_document" "rule_dlq" {
  count = local.create ? 1 : 0

  statement {
    sid    = "OnlyTheComplianceRuleDeadLetters"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [local.rule_dlq_arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.compliance_rule_arn]
    }
  }

  statement {
    sid    = "DenyOtherSenders"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [local.rule_dlq_arn]
    condition {
      test     = "ArnNotEquals"
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
    resources = [local.rule_dlq_arn]
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
