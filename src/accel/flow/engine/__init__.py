"""The step engine: Step (declared inputs, config keys, operations -> cache key; atomic results), tool runs
under a supervisor that dies with accel, and named layout operations."""
