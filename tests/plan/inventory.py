"""Fabric-style plan inventories: YAML files listing expected values per resource address and counts per type.

Format:
    values:
      <resource address>: {<attribute>: <expected value>, ...}   # subset match on the planned values
    counts:
      <resource type>: <number of planned managed resources of that type>
      resources: <total number of planned managed resources>
    outputs:
      <output name>: <expected known value>
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

INVENTORIES = Path(__file__).resolve().parent / "inventories"


def planned_resources(plan: Any) -> dict[str, dict[str, Any]]:
    """Managed resources the plan creates, by address, with their known planned values."""
    return {
        address: change["change"]["after"] or {}
        for address, change in plan.resource_changes.items()
        if change["mode"] == "managed" and "create" in change["change"]["actions"]
    }


def type_counts(plan: Any) -> Counter[str]:
    counts: Counter[str] = Counter(
        change["type"]
        for change in plan.resource_changes.values()
        if change["mode"] == "managed" and "create" in change["change"]["actions"]
    )
    counts["resources"] = sum(counts.values())
    return counts


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


def check_inventory(plan: Any, name: str) -> None:
    inventory = yaml.safe_load((INVENTORIES / f"{name}.yaml").read_text())
    resources = planned_resources(plan)
    errors: list[str] = []
    for address, expected in (inventory.get("values") or {}).items():
        if address not in resources:
            errors.append(f"{address}: not planned")
            continue
        errors += subset_mismatches(expected, resources[address], address)
    counts = type_counts(plan)
    for resource_type, expected_count in (inventory.get("counts") or {}).items():
        if counts.get(resource_type, 0) != expected_count:
            errors.append(
                f"count of {resource_type}: expected {expected_count}, got {counts.get(resource_type, 0)}"
            )
    planned_outputs = plan._raw.get("planned_values", {}).get("outputs", {})
    for output, expected in (inventory.get("outputs") or {}).items():
        actual = planned_outputs.get(output, {}).get("value", "<absent or unknown at plan time>")
        errors += subset_mismatches(expected, actual, f"output.{output}")
    assert not errors, "plan differs from inventories/" + name + ".yaml:\n  " + "\n  ".join(errors)
