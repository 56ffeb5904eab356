forwarder_batch_size              = 50
forwarder_batching_window_seconds = 0
