# The package/architecture precondition (lambda.tf, local.package_architecture): a package says what it was built
# for by its own `architecture`, else the manifest.json beside a local zip, else a release name's -<arch>.zip.
# Fixtures: fixtures/packages/<arch>/{forwarder,redrive}.zip and manifest.json, as `make package` lays them out.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  forwarder_package = { zip_path = "tests/fixtures/packages/x86_64/forwarder.zip" }
  redrive_package   = { zip_path = "tests/fixtures/packages/x86_64/redrive.zip" }
}

run "manifest_matching_lambda_architecture" {
  command = plan

  assert {
    condition     = aws_lambda_function.function["forwarder"].architectures[0] == "x86_64" && aws_lambda_function.function["redrive"].architectures[0] == "x86_64"
    error_message = "x86_64 packages deploy on x86_64 (the default lambda_architecture)."
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].source_code_hash == filebase64sha256("tests/fixtures/packages/x86_64/forwarder.zip")
    error_message = "A local zip's source_code_hash is its base64 SHA-256, computed by the module."
  }
}

run "arm64_manifest_with_x86_64_functions" {
  command = plan

  variables {
    forwarder_package = { zip_path = "tests/fixtures/packages/arm64/forwarder.zip" }
    redrive_package   = { zip_path = "tests/fixtures/packages/arm64/redrive.zip" }
  }

  expect_failures = [aws_lambda_function.function]
}

run "arm64_packages_on_arm64" {
  command = plan

  variables {
    lambda_architecture = "arm64"
    forwarder_package   = { zip_path = "tests/fixtures/packages/arm64/forwarder.zip" }
    redrive_package     = { zip_path = "tests/fixtures/packages/arm64/redrive.zip" }
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].architectures[0] == "arm64" && aws_lambda_function.function["redrive"].architectures[0] == "arm64"
    error_message = "arm64 packages deploy on arm64."
  }
}

run "own_architecture_comes_before_the_manifest" {
  command = plan

  variables {
    forwarder_package = { zip_path = "tests/fixtures/packages/arm64/forwarder.zip", architecture = "x86_64" }
    redrive_package   = { zip_path = "tests/fixtures/packages/x86_64/redrive.zip" }
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].architectures[0] == "x86_64"
    error_message = "A package's own architecture is what it was built for, whatever a manifest beside it says."
  }
}

run "release_name_of_the_other_architecture" {
  command = plan

  variables {
    forwarder_package = { s3_bucket = "artifacts", s3_key = "releases/patch-securityhub-forwarder-1.4.0-arm64.zip" }
    redrive_package   = { s3_bucket = "artifacts", s3_key = "releases/patch-securityhub-redrive-1.4.0-x86_64.zip" }
  }

  expect_failures = [aws_lambda_function.function]
}

# The same redrive package beside a forwarder of the right architecture plans: above, only the forwarder's
# (and the sweep's, which runs it) was refused.
run "release_name_of_the_same_architecture" {
  command = plan

  variables {
    forwarder_package = { s3_bucket = "artifacts", s3_key = "releases/patch-securityhub-forwarder-1.4.0-x86_64.zip" }
    redrive_package   = { s3_bucket = "artifacts", s3_key = "releases/patch-securityhub-redrive-1.4.0-x86_64.zip" }
  }

  assert {
    condition     = aws_lambda_function.function["redrive"].architectures[0] == "x86_64" && aws_lambda_function.function["sweep"].s3_key == "releases/patch-securityhub-forwarder-1.4.0-x86_64.zip"
    error_message = "Release names of lambda_architecture deploy; the sweep runs the forwarder's package."
  }
}

run "s3_package_with_its_base64_hash" {
  command = plan

  variables {
    forwarder_package = {
      s3_bucket         = "artifacts"
      s3_key            = "releases/patch-securityhub-forwarder-1.4.0-x86_64.zip"
      s3_object_version = "7"
      source_code_hash  = "GmICkL23fC+zx9qE349wcCTjhcvzJKQNCbBGjL9biYc="
    }
    redrive_package = { s3_bucket = "artifacts", s3_key = "releases/patch-securityhub-redrive-1.4.0-x86_64.zip" }
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].source_code_hash == "GmICkL23fC+zx9qE349wcCTjhcvzJKQNCbBGjL9biYc=" && aws_lambda_function.function["forwarder"].filename == null
    error_message = "An S3 package deploys with the source_code_hash it gives (its manifest's sha256_base64)."
  }

  assert {
    condition     = aws_lambda_function.function["forwarder"].s3_object_version == "7"
    error_message = "An S3 package's object version is deployed as given."
  }
}

run "package_architecture_lambda_does_not_offer" {
  command = plan

  variables {
    forwarder_package = { zip_path = "tests/fixtures/packages/x86_64/forwarder.zip", architecture = "sparc" }
  }

  expect_failures = [var.forwarder_package]
}
