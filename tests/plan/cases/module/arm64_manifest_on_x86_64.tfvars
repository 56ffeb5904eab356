# The arm64 packages of `make package` (build/dist/arm64/, whose manifest.json says arm64) deployed on the default
# lambda_architecture (x86_64): the forwarder's compiled dependencies would not load.
forwarder_package = { zip_path = "../../build/dist/arm64/forwarder.zip" }
redrive_package   = { zip_path = "../../build/dist/arm64/redrive.zip" }
