variable "region" {
  description = "AWS region; null uses AWS_REGION or the profile's region."
  type        = string
  default     = null
}

variable "forwarder_zip_path" {
  description = "Path of the forwarder package built by `make package` for x86_64 (relative to this directory)."
  type        = string
  default     = "../../build/dist/x86_64/forwarder.zip"
}

variable "redrive_zip_path" {
  description = "Path of the redrive package built by `make package` for x86_64 (relative to this directory)."
  type        = string
  default     = "../../build/dist/x86_64/redrive.zip"
}

variable "aws_max_retries" {
  description = "Provider max_retries; null keeps the provider default (25). The AWS provider 5.x does not read AWS_MAX_ATTEMPTS, so test harnesses set this (TF_VAR_aws_max_retries)."
  type        = number
  default     = null
}
