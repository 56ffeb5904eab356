"""Fixtures of the plan tests. The helpers live in plan_support, a unique module name: every test directory
has a conftest, so `from conftest import ...` is ambiguous when the whole suite runs."""

from plan_support import moto_endpoint, plans, scratch_tree, terraform_env

__all__ = ["moto_endpoint", "plans", "scratch_tree", "terraform_env"]
