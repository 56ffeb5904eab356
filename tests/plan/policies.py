"""Policy documents found in a plan, normalised for assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

POLICY_ATTRIBUTES = ("policy", "assume_role_policy")


@dataclass(frozen=True)
class Statement:
    source: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: dict[str, tuple[str, ...]]
    conditions: dict[str, dict[str, tuple[str, ...]]]
    sid: str


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _principals(value: Any) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if value == "*":
        return {"*": ("*",)}
    return {kind: _strings(ids) for kind, ids in value.items()}


def parse_policy(source: str, document: str) -> list[Statement]:
    statements = json.loads(document)["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    parsed = []
    for raw in statements:
        assert "NotAction" not in raw and "NotResource" not in raw and "NotPrincipal" not in raw, source
        parsed.append(
            Statement(
                source=source,
                effect=raw["Effect"],
                actions=_strings(raw.get("Action")),
                resources=_strings(raw.get("Resource")),
                principals=_principals(raw.get("Principal")),
                conditions={
                    test: {key: _strings(values) for key, values in keys.items()}
                    for test, keys in (raw.get("Condition") or {}).items()
                },
                sid=raw.get("Sid", ""),
            )
        )
    return parsed


def known_policies(plan: Any) -> dict[str, list[Statement]]:
    """Policy documents of planned resources known at plan time, by '<address>.<attribute>'."""
    found: dict[str, list[Statement]] = {}
    for address, change in plan.resource_changes.items():
        after = change["change"]["after"] or {}
        if change["mode"] != "managed":
            continue
        for attribute in POLICY_ATTRIBUTES:
            if isinstance(after.get(attribute), str) and after[attribute]:
                source = f"{address}.{attribute}"
                found[source] = parse_policy(source, after[attribute])
    return found


def deferred_policy_document_actions(plan: Any) -> dict[str, list[tuple[str, str, tuple[str, ...]]]]:
    """(sid, effect, actions) of aws_iam_policy_document data sources read at apply (some input unknown)."""
    found: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    for address, change in plan.resource_changes.items():
        if change["mode"] == "data" and change["type"] == "aws_iam_policy_document":
            statements = (change["change"]["after"] or {}).get("statement") or []
            found[address] = [
                (s.get("sid") or "", s.get("effect") or "Allow", tuple(s.get("actions") or ()))
                for s in statements
            ]
    return found


def is_wildcard_action(action: str) -> bool:
    """An IAM wildcard (`*` or `?`) anywhere in the action: "*", "sqs:*" and "kms:Create*" alike."""
    return "*" in action or "?" in action
