"""Fabric-style plan inventories: what a plan must hold, as data.

Format (every key optional, at least one present):
    values:
      <resource address>: {<attribute>: <expected value>, ...}   # subset match on the planned values
    counts:
      <resource type>: <number of planned managed resources of that type>
      resources: <total number of planned managed resources>
      resource_changes: <number of entries in the plan's resource_changes, any mode, any action>
      data_sources_read: <number of resources in the plan's prior state, every module: data sources read>
    outputs:
      <output name>: <expected known value>
or, for inputs that must be refused:
    error: [<substring of the plan's diagnostics, whitespace-normalised>, ...]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

PLAN_KEYS = frozenset({"values", "counts", "outputs"})
INVENTORY_KEYS = PLAN_KEYS | {"error"}


def planned_resources(plan: Any) -> dict[str, dict[str, Any]]:
    """Managed resources the plan creates, by address, with their known planned values."""
    return {
        address: change["change"]["after"] or {}
        for address, change in plan.resource_changes.items()
        if change["mode"] == "managed" and "create" in change["change"]["actions"]
    }


def _modules(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield module
    for child in module.get("child_modules") or []:
        yield from _modules(child)


def plan_counts(plan: Any) -> Counter[str]:
    """Planned managed resources per type, their total, every resource change, every data source read."""
    counts: Counter[str] = Counter(
        change["type"]
        for change in plan.resource_changes.values()
        if change["mode"] == "managed" and "create" in change["change"]["actions"]
    )
    counts["resources"] = sum(counts.values())
    counts["resource_changes"] = len(plan.resource_changes)
    prior = plan._raw.get("prior_state", {}).get("values", {}).get("root_module", {})
    counts["data_sources_read"] = sum(len(module.get("resources") or []) for module in _modules(prior))
    return counts


def inventory_format_errors(inventory: dict[str, Any]) -> list[str]:
    """What keeps `inventory` from being one (typos in its keys, wrong shapes), as readable lines."""
    errors = [
        f"unknown key {key!r} (known: {sorted(INVENTORY_KEYS)})"
        for key in inventory
        if key not in INVENTORY_KEYS
    ]
    if not set(inventory) & INVENTORY_KEYS:
        errors.append(f"no expectation: give at least one of {sorted(INVENTORY_KEYS)}")
    if "error" in inventory:
        error = inventory["error"]
        if not isinstance(error, list) or not error or not all(isinstance(s, str) and s for s in error):
            errors.append("error: expected a non-empty list of non-empty strings")
        if set(inventory) & PLAN_KEYS:
            errors.append("error: a refused plan has no values, counts or outputs to check")
    for key in ("values", "outputs"):
        if key in inventory and not isinstance(inventory[key], dict):
            errors.append(f"{key}: expected a map")
    values = inventory.get("values")
    if isinstance(values, dict):
        errors += [
            f"values.{address}: expected a map of attributes"
            for address, expected in values.items()
            if not isinstance(expected, dict)
        ]
    counts = inventory.get("counts")
    if counts is not None and (
        not isinstance(counts, dict) or not all(isinstance(n, int) and n >= 0 for n in counts.values())
    ):
        errors.append("counts: expected a map of names to whole numbers")
    return errors


def subset_mismatches(expected: Any, actual: Any, path: str) -> list[str]:
    """Where `actual` lacks `expected` (dicts: subset of keys; lists: same length, element-wise)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a map, got {actual!r}"]
        errors: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                errors.append(f"{path}.{key}: missing (unknown at plan time or not set)")
            else:
                errors += subset_mismatches(value, actual[key], f"{path}.{key}")
        return errors
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        errors = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            errors += subset_mismatches(want, got, f"{path}[{index}]")
        return errors
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def check_inventory(plan: Any, inventory: dict[str, Any], source: str) -> None:
    """Assert that `plan` holds every value, count and output of `inventory` (read from `source`)."""
    resources = planned_resources(plan)
    errors: list[str] = []
    for address, expected in (inventory.get("values") or {}).items():
        if address not in resources:
            errors.append(f"{address}: not planned")
            continue
        errors += subset_mismatches(expected, resources[address], address)
    counts = plan_counts(plan)
    for name, expected_count in (inventory.get("counts") or {}).items():
        if counts.get(name, 0) != expected_count:
            errors.append(f"count of {name}: expected {expected_count}, got {counts.get(name, 0)}")
    planned_outputs = plan._raw.get("planned_values", {}).get("outputs", {})
    for output, expected in (inventory.get("outputs") or {}).items():
        actual = planned_outputs.get(output, {}).get("value", "<absent or unknown at plan time>")
        errors += subset_mismatches(expected, actual, f"output.{output}")
    assert not errors, f"plan differs from {source}:\n  " + "\n  ".join(errors)


def check_error(diagnostics: str, expected: list[str], source: str) -> None:
    """Assert that a refused plan's one-line `diagnostics` hold every substring of `expected`."""
    missing = [text for text in expected if text not in diagnostics]
    assert not missing, (
        f"plan refused, but its diagnostics lack what {source} expects:\n  "
        + "\n  ".join(repr(text) for text in missing)
        + f"\ndiagnostics:\n  {diagnostics}"
    )


def draft_inventory(plan: Any) -> dict[str, Any]:
    """Every known planned value, every count (the types planned, the totals) and every known output of
    `plan`: a starting point for a new case's inventory, to be pruned to what the case is about."""
    planned_outputs = plan._raw.get("planned_values", {}).get("outputs", {})
    return {
        "values": {address: dict(values) for address, values in sorted(planned_resources(plan).items())},
        "counts": dict(sorted(plan_counts(plan).items())),
        "outputs": {
            name: output["value"] for name, output in sorted(planned_outputs.items()) if "value" in output
        },
    }
