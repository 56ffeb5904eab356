"""SSM additions: patch documents, associations, patch baselines, compliance, simulated fleet and scans."""
