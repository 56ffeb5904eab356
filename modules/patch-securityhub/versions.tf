terraform {
  required_version = ">= 1.5"

  required_providers {
    # 5.100: the lowest release this module is tested with; its schema has `tags` on
    # aws_lambda_event_source_mapping (added in 5.70) and on aws_ssm_association.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7"
    }
  }
}
