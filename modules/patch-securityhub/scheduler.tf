# The redrive function runs on an EventBridge schedule rule. Chosen over EventBridge Scheduler because it needs no
# IAM role at all (the rule invokes through a resource-based permission scoped to the rule's ARN) and because
# LocalStack executes schedule rules, while its Scheduler only stores schedules.

resource "aws_cloudwatch_event_rule" "redrive" {
  count = local.create ? 1 : 0

  name                = "${var.name_prefix}-redrive"
  description         = "Runs the patch-securityhub redrive function"
  schedule_expression = var.redrive_schedule_expression
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "redrive" {
  count = local.create ? 1 : 0

  rule      = aws_cloudwatch_event_rule.redrive[0].name
  target_id = "patch-securityhub-redrive"
  arn       = aws_lambda_function.redrive[0].arn
}

resource "aws_lambda_permission" "redrive_schedule" {
  count = local.create ? 1 : 0

  statement_id   = "AllowRedriveSchedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.redrive[0].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.redrive[0].arn
  source_account = local.account_id
}
