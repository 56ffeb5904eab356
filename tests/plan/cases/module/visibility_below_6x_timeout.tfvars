forwarder_timeout                = 120
queue_visibility_timeout_seconds = 300
