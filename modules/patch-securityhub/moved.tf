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

# The alarms are one for_each resource keyed by purpose (cloudwatch.tf): these blocks carry the state of a
# deployment made when each kind of alarm had a resource of its own.

moved {
  from = aws_cloudwatch_metric_alarm.queue_depth["dlq"]
  to   = aws_cloudwatch_metric_alarm.alarm["dlq"]
}

moved {
  from = aws_cloudwatch_metric_alarm.queue_depth["quarantine"]
  to   = aws_cloudwatch_metric_alarm.alarm["quarantine"]
}

moved {
  from = aws_cloudwatch_metric_alarm.queue_depth["rule_dlq"]
  to   = aws_cloudwatch_metric_alarm.alarm["rule_dlq"]
}

moved {
  from = aws_cloudwatch_metric_alarm.main_queue_age[0]
  to   = aws_cloudwatch_metric_alarm.alarm["events_age"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["forwarder"]
  to   = aws_cloudwatch_metric_alarm.alarm["forwarder_errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["sweep"]
  to   = aws_cloudwatch_metric_alarm.alarm["sweep_errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rule_failed_invocations[0]
  to   = aws_cloudwatch_metric_alarm.alarm["rule_failed_invocations"]
}

moved {
  from = aws_cloudwatch_metric_alarm.redrive_blocked[0]
  to   = aws_cloudwatch_metric_alarm.alarm["redrive_blocked"]
}

# Terraform refuses two moved blocks with one destination ("Ambiguous move statements"): the Errors alarms of a
# deployment made when each function's alarm had a resource of its own reach alarm[...] through function_errors,
# a chain of moved blocks that Terraform follows.
moved {
  from = aws_cloudwatch_metric_alarm.forwarder_errors[0]
  to   = aws_cloudwatch_metric_alarm.function_errors["forwarder"]
}

moved {
  from = aws_cloudwatch_metric_alarm.sweep_errors[0]
  to   = aws_cloudwatch_metric_alarm.function_errors["sweep"]
}
