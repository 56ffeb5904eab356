# The module's required inputs (paths relative to the module dir of the scratch tree).
forwarder_package = { zip_path = "../../build/dist/x86_64/forwarder.zip" }
redrive_package   = { zip_path = "../../build/dist/x86_64/redrive.zip" }
