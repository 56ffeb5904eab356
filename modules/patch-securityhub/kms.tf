# Customer-managed key for the queues, the log groups, the alarm topic and the functions' environment.
# The key policy names only this account and the services that must use the key on the module's behalf,
# each limited by the encryption context of the module's own resources.

data "aws_iam_policy_document" "kms" {
  count = local.create_kms_key ? 1 : 0
  #checkov:skip=CKV_AWS_109:key policy: Resource "*" is the key itself; administration is limited to this account
  #checkov:skip=CKV_AWS_111:key policy: Resource "*" is the key itself; service use is bound by encryption context
  #checkov:skip=CKV_AWS_356:key policy: Resource "*" is the key itself, the only form a key policy accepts

  # In a key policy, Resource "*" means "this key". No statement names an action with a wildcard: what AWS's
  # default key administrators statement grants through kms:Create*, Describe*, Enable*, List*, Put*, Update*,
  # Revoke*, Disable*, Get*, Delete* is spelled out, for a single-Region symmetric key with KMS key material
  # (KMS developer guide, "Default key policy", "Allows key administrators to administer the KMS key").
  statement {
    sid    = "AccountAdministersKey"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListKeyRotations",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:RevokeGrant",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = ["*"]
  }

  # Lets IAM policies in this account (the functions' roles) use the key; they still need their own grant. The
  # symmetric operations of the default key users statement (kms:Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*),
  # without the key-pair data keys no resource of the module uses.
  statement {
    sid    = "AccountUsesKeyThroughIam"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions = [
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"]
  }

  # EventBridge delivers the compliance events to the encrypted main queue, and the ones it cannot deliver to the
  # encrypted rule DLQ: kms:GenerateDataKey and kms:Decrypt (SQS developer guide, "Configure KMS permissions for
  # AWS services"; EventBridge user guide, "Using dead-letter queues to process undelivered events"). Bound by
  # the encryption context SQS sends (aws:sqs:arn) to those two queues. No aws:SourceArn / aws:SourceAccount:
  # neither guide shows them for this grant, and AWS notes aws:SourceAccount, aws:SourceArn and aws:SourceOrgID
  # are not supported in a key policy for EventBridge delivery (SNS developer guide, "Configure KMS permissions
  # for AWS services", as AWS's MDAA constructs quote it): the KMS request does not carry them, so such a
  # condition would drop every event. The queues' own policies bind SendMessage to this rule's ARN
  # (aws:SourceArn, EventBridge user guide, "Amazon SQS permissions"): that is where the rule is pinned.
  statement {
    sid    = "EventBridgeSendsToModuleQueues"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sqs:arn"
      values   = [local.main_queue_arn, local.rule_dlq_arn]
    }
  }

  # CloudWatch Logs encrypts the functions' log groups: the actions of the CloudWatch Logs user guide's key policy
  # ("Encrypt log data in CloudWatch Logs using AWS KMS": kms:Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*,
  # Describe*) spelled out, bound by the encryption context it documents (kms:EncryptionContext:aws:logs:arn).
  # That guide documents no aws:SourceAccount / aws:SourceArn for this grant; the encryption context already
  # names this account's log groups.
  statement {
    sid    = "CloudWatchLogsEncryptsLogGroups"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"]
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.lambda_log_group_arn_wildcard]
    }
  }

  # CloudWatch alarms publish to the encrypted alarm topic: a publisher needs kms:GenerateDataKey and kms:Decrypt
  # (SNS developer guide, "Configure KMS permissions for AWS services"), limited to this account's alarms of this
  # module (aws:SourceAccount, aws:SourceArn, which CloudWatch's alarm notifications carry) and to the topic's
  # encryption context (kms:EncryptionContext:aws:sns:topicArn).
  dynamic "statement" {
    for_each = local.create_alarm_topic ? [1] : []
    content {
      sid    = "CloudWatchAlarmsPublishToTopic"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sns:topicArn"
        values   = ["arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name_prefix}-alarms"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [local.alarm_arn_wildcard]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "patch-securityhub ${var.name_prefix}: queues, logs, alarm topic, Lambda environment"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this[0].key_id
}
