"""Plans of every example checked against its inventory."""

from __future__ import annotations

import pytest
from inventory import check_inventory, type_counts
from plan_support import PlanRunner


@pytest.mark.parametrize("example", ["basic", "complete"])
def test_example_plan_matches_inventory(plans: PlanRunner, example: str) -> None:
    plan = plans.plan(f"examples/{example}")
    check_inventory(plan, example)


def test_multi_account_workspace_selects_account_region_and_role(plans: PlanRunner) -> None:
    plan = plans.plan(
        "examples/multi-account", ("fixtures/multi-account/accounts.tfvars",), workspace="prod-eu"
    )
    check_inventory(plan, "multi_account_prod_eu")


def test_multi_account_disabled_account_plans_nothing(plans: PlanRunner) -> None:
    plan = plans.plan(
        "examples/multi-account", ("fixtures/multi-account/accounts.tfvars",), workspace="sandbox"
    )
    assert type_counts(plan)["resources"] == 0
    assert plan.outputs["account_id"] == "222222222222"


def test_multi_account_unknown_workspace_is_refused(plans: PlanRunner) -> None:
    message = plans.plan_error(
        "examples/multi-account", ("fixtures/multi-account/accounts.tfvars",), workspace="not-listed"
    )
    assert "terraform.workspace" in message
    assert "does not identify an element" in message


def test_multi_account_role_outside_account_is_refused(plans: PlanRunner) -> None:
    accounts = {
        "prod-eu": {
            "account_id": "111111111111",
            "region": "eu-west-1",
            "role_arn": "arn:aws:iam::999999999999:role/patch-securityhub-rollout",
        }
    }
    message = plans.plan_error("examples/multi-account", tf_vars={"accounts": accounts}, workspace="prod-eu")
    assert "Every accounts[*].role_arn must be a role in that entry's account_id." in message
