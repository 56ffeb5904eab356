# The functions with a schedule (the redrive and the sweep) run on an EventBridge schedule rule. Chosen over
# EventBridge Scheduler because it needs no IAM role at all (the rule invokes through a resource-based permission
# scoped to the rule's ARN) and because LocalStack executes schedule rules, while its Scheduler only stores
# schedules.

locals {
  scheduled_functions = { for key, function in local.functions : key => function if function.schedule != null }
}

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each = local.scheduled_functions

  name                = each.value.name
  description         = each.value.schedule.description
  schedule_expression = each.value.schedule.expression
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = local.scheduled_functions

  rule      = aws_cloudwatch_event_rule.schedule[each.key].name
  target_id = "patch-securityhub-${each.key}"
  arn       = aws_lambda_function.function[each.key].arn
}

resource "aws_lambda_permission" "schedule" {
  for_each = local.scheduled_functions

  statement_id   = "Allow${title(each.key)}Schedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.function[each.key].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.schedule[each.key].arn
  source_account = local.account_id
}
