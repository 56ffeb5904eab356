# A release's zips in S3, each with its manifest's sha256_base64: a new object under the same key is deployed.
forwarder_package = {
  s3_bucket         = "artifacts-123456789012"
  s3_key            = "patch-securityhub/patch-securityhub-forwarder-1.0.0-x86_64.zip"
  s3_object_version = "11"
  source_code_hash  = "GmICkL23fC+zx9qE349wcCTjhcvzJKQNCbBGjL9biYc="
}
redrive_package = {
  s3_bucket        = "artifacts-123456789012"
  s3_key           = "patch-securityhub/patch-securityhub-redrive-1.0.0-x86_64.zip"
  source_code_hash = "9BL3p+JvMJdnipY8uOLAgocKvoQOGuUvsvB0PdlN3R0="
}
