# What a fleet account sets: a key of its own, roles under a path with a permissions boundary, both functions in
# private subnets, an operator role that may replay the rule's DLQ into the main queue.
name_prefix               = "psh-fleet"
create_kms_key            = false
kms_key_arn               = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
role_path                 = "/patch-securityhub/"
role_permissions_boundary = "arn:aws:iam::123456789012:policy/org/workload-boundary"
vpc_config = {
  subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  security_group_ids = ["sg-0123456789abcdef0"]
}
main_queue_sender_arns = ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SecOps_*"]
tags                   = { Team = "secops" }
