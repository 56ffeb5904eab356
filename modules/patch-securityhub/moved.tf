# The functions' resources are one for_each resource per kind, keyed by function: these blocks carry the state of
# a deployment made when each function had resources of its own, so it upgrades in place (Terraform "Refactoring"
# guide, moved blocks).

moved {
  from = aws_cloudwatch_log_group.forwarder[0]
  to   = aws_cloudwatch_log_group.function["forwarder"]
}

moved {
  from = aws_cloudwatch_log_group.redrive[0]
  to   = aws_cloudwatch_log_group.function["redrive"]
}

moved {
  from = aws_cloudwatch_log_group.sweep[0]
  to   = aws_cloudwatch_log_group.function["sweep"]
}

moved {
  from = aws_iam_role.forwarder[0]
  to   = aws_iam_role.function["forwarder"]
}

moved {
  from = aws_iam_role.redrive[0]
  to   = aws_iam_role.function["redrive"]
}

moved {
  from = aws_iam_role.sweep[0]
  to   = aws_iam_role.function["sweep"]
}

moved {
  from = aws_iam_role_policy.forwarder[0]
  to   = aws_iam_role_policy.function["forwarder"]
}

moved {
  from = aws_iam_role_policy.redrive[0]
  to   = aws_iam_role_policy.function["redrive"]
}

moved {
  from = aws_iam_role_policy.sweep[0]
  to   = aws_iam_role_policy.function["sweep"]
}

moved {
  from = aws_lambda_function.forwarder[0]
  to   = aws_lambda_function.function["forwarder"]
}

moved {
  from = aws_lambda_function.redrive[0]
  to   = aws_lambda_function.function["redrive"]
}

moved {
  from = aws_lambda_function.sweep[0]
  to   = aws_lambda_function.function["sweep"]
}

moved {
  from = aws_cloudwatch_event_rule.redrive[0]
  to   = aws_cloudwatch_event_rule.schedule["redrive"]
}

moved {
  from = aws_cloudwatch_event_rule.sweep[0]
  to   = aws_cloudwatch_event_rule.schedule["sweep"]
}

moved {
  from = aws_cloudwatch_event_target.redrive[0]
  to   = aws_cloudwatch_event_target.schedule["redrive"]
}

moved {
  from = aws_cloudwatch_event_target.sweep[0]
  to   = aws_cloudwatch_event_target.schedule["sweep"]
}

moved {
  from = aws_lambda_permission.redrive_schedule[0]
  to   = aws_lambda_permission.schedule["redrive"]
}

moved {
  from = aws_lambda_permission.sweep_schedule[0]
  to   = aws_lambda_permission.schedule["sweep"]
}

moved {
  from = aws_cloudwatch_metric_alarm.forwarder_errors[0]
  to   = aws_cloudwatch_metric_alarm.function_errors["forwarder"]
}

moved {
  from = aws_cloudwatch_metric_alarm.sweep_errors[0]
  to   = aws_cloudwatch_metric_alarm.function_errors["sweep"]
}
