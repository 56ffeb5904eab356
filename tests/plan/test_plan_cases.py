"""Every case under cases/ planned once and checked against its inventory (the cases are data: plan_cases)."""

from __future__ import annotations

import pytest
from inventory import (
    check_error,
    check_inventory,
    draft_inventory,
    inventory_format_errors,
    subset_mismatches,
)
from plan_cases import case_ids, layout_errors, load_case
from plan_support import PlanRunner


@pytest.mark.parametrize("case_id", case_ids())
def test_plan_matches_its_inventory(plans: PlanRunner, case_id: str) -> None:
    case = load_case(case_id)
    if "error" in case.inventory:
        check_error(plans.plan_error(case), case.inventory["error"], case.source)
    else:
        check_inventory(plans.plan(case), case.inventory, case.source)


def test_every_file_under_cases_belongs_to_a_case() -> None:
    errors = layout_errors()
    assert not errors, "\n".join(errors)


def test_a_draft_inventory_is_one_its_own_plan_matches(plans: PlanRunner) -> None:
    case = load_case("module/defaults")  # planned above already: the draft costs no plan
    plan = plans.plan(case)
    draft = draft_inventory(plan)
    check_inventory(plan, draft, "the draft of " + case.source)
    hand_picked = {key: case.inventory[key] for key in ("values", "outputs")}
    assert not subset_mismatches(hand_picked, draft, "draft"), "the draft lacks what the case checks"


@pytest.mark.parametrize(
    ("inventory", "reason"),
    [
        ({}, "no expectation"),
        ({"output": {"x": 1}}, "unknown key 'output'"),
        ({"values": {"aws_sqs_queue.main[0]": 270}}, "values.aws_sqs_queue.main[0]: expected a map"),
        ({"counts": {"resources": "25"}}, "counts: expected a map of names to whole numbers"),
        ({"error": "refused"}, "error: expected a non-empty list"),
        (
            {"error": ["refused"], "counts": {"resources": 0}},
            "a refused plan has no values, counts or outputs",
        ),
    ],
    ids=["empty", "typo", "values-not-a-map", "count-not-a-number", "error-not-a-list", "error-and-counts"],
)
def test_a_malformed_inventory_is_refused_with_its_reason(inventory: dict[str, object], reason: str) -> None:
    assert any(reason in error for error in inventory_format_errors(inventory))
