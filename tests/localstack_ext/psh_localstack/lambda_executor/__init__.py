"""Host Lambda runtime executor: Python functions from their deployment zip in a host subprocess."""
