# Customer-managed key for the queues, the log groups, the alarm topic and the functions' environment.
# The key policy names only this account and the services that must use the key on the module's behalf,
# each limited by the encryption context of the module's own resources.

data "aws_iam_policy_document" "kms" {
  count = local.create_kms_key ? 1 : 0
  #checkov:skip=CKV_AWS_109:key policy: Resource "*" is the key itself; administration is limited to this account
  #checkov:skip=CKV_AWS_111:key policy: Resource "*" is the key itself; service use is bound by encryption context
  #checkov:skip=CKV_AWS_356:key policy: Resource "*" is the key itself, the only form a key policy accepts

  # In a key policy, Resource "*" means "this key".
  statement {
    sid    = "AccountAdministersKey"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions = [
      "kms:CancelKeyDeletion",
      "kms:Create*",
      "kms:Delete*",
      "kms:Describe*",
      "kms:Disable*",
      "kms:Enable*",
      "kms:Get*",
      "kms:List*",
      "kms:Put*",
      "kms:Revoke*",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:Update*",
    ]
    resources = ["*"]
  }

  # Lets IAM policies in this account (the functions' roles) use the key; they still need their own grant.
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
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]
    resources = ["*"]
  }

  # EventBridge delivers the compliance events to the encrypted main queue.
  statement {
    sid    = "EventBridgeSendsToMainQueue"
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
      values   = [local.main_queue_arn]
    }
  }

  # CloudWatch Logs encrypts the functions' log groups.
  statement {
    sid    = "CloudWatchLogsEncryptsLogGroups"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    actions = [
      "kms:Decrypt*",
      "kms:Describe*",
      "kms:Encrypt*",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]
    resources = ["*"]
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.lambda_log_group_arn_wildcard]
    }
  }

  # CloudWatch alarms publish to the encrypted alarm topic.
  dynamic "statement" {
    for_each = local.create_alarm_topic ? [1] : []
    content {
      sid    = "CloudWatchAlarmsPublishToTopic"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sns:topicArn"
        values   = ["arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name_prefix}-alarms"]
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
