# No queue_visibility_timeout_seconds: the main queue's visibility follows the forwarder's timeout.
forwarder_timeout = 45
