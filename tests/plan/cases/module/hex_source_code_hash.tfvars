# The manifest's sha256_hex where Lambda's CodeSha256 (sha256_base64) belongs.
forwarder_package = {
  s3_bucket        = "artifacts-123456789012"
  s3_key           = "patch-securityhub/patch-securityhub-forwarder-1.0.0-x86_64.zip"
  source_code_hash = "1a620290bdb77c2fb3c7da84df8f707024e385cbf324a40d09b0468cbf5b8987"
}
