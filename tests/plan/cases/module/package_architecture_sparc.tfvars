forwarder_package = { zip_path = "../../build/dist/x86_64/forwarder.zip", architecture = "sparc" }
