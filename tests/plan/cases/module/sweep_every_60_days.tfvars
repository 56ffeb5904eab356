sweep_schedule_expression = "rate(60 days)"
