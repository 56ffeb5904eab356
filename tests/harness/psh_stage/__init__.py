"""The stage: the project's LocalStack on the host, examples deployed by Terraform, a fleet, the demo.

See tests/harness/README.md for the modules and what each may touch.
"""
