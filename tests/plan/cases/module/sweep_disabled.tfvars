# No sweep: no function, role, schedule or alarm of it; one retry less than the queue allows before the sweep.
sweep_enabled     = false
max_receive_count = 1
