"""The compiled schemas (schema_predicate) accept exactly what jsonschema accepts: every path of real
findings and events, each replaced, removed or extended with values of every JSON kind."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from patch_securityhub.cli import render
from patch_securityhub.schema_predicate import UnsupportedSchemaError, compile_schema
from patch_securityhub.schemas import load_schema
from unit_helpers import ACCOUNT, DATA, REGION, compliance_event

# Values of every JSON kind, with the edges the schemas draw (bools against numbers, floats with and without
# a fraction, blank and long strings, reserved prefixes, timestamps and ids).
VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 40, 40.0, 40.5, 100_001, 1e300,
    "", " ", "x", "x" * 257, "x" * 2049, "aws/x", "\n", "INFORMATIONAL", "FAILED", "PASSED", "ARCHIVED",
    "2026-11-23T10:01:00.000Z", "2026-11-23T10:01:00Z", "2026-11-23 10:01:00", "i-0123456789abcdef0",
    [], [1], ["x"], {}, {"a": 1}, {"aws/x": "y"},
]  # fmt: skip


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from paths(value, (*prefix, index))


def variants(document: dict[str, Any]) -> Iterator[Any]:
    """The document with one place changed: each value replaced by each of VALUES, each key removed, a key
    added to each object, each array grown by a copy of its first item."""
    for path in paths(document):
        if not path:
            continue
        for value in VALUES:
            yield _changed(document, path, lambda parent, key, v=value: parent.__setitem__(key, v))
        if isinstance(path[-1], str):
            yield _changed(document, path, lambda parent, key: parent.pop(key))
    for path in paths(document):
        target = _at(document, path)
        if isinstance(target, dict):
            for key in ("Extra", "aws/reserved", "x" * 129):
                yield _changed_at(document, path, lambda t, k=key: t.__setitem__(k, "v"))
        if isinstance(target, list) and target:
            yield _changed_at(document, path, lambda t: t.extend(copy.deepcopy(t[:1]) * 60))


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _changed(document: Any, path: tuple[Any, ...], change: Any) -> Any:
    copied = copy.deepcopy(document)
    change(_at(copied, path[:-1]), path[-1])
    return copied


def _changed_at(document: Any, path: tuple[Any, ...], change: Any) -> Any:
    copied = copy.deepcopy(document)
    change(_at(copied, path))
    return copied


def findings() -> list[dict[str, Any]]:
    document = json.loads((DATA / "ssm" / "native_example_patch_state.json").read_text())
    return render(document, account=ACCOUNT, region=REGION)


@pytest.mark.parametrize(
    ("schema_name", "documents"),
    [
        ("asff-finding.schema.json", findings),
        ("compliance-event.schema.json", lambda: [compliance_event("i-0123456789abcdef0")]),
    ],
)
def test_the_compiled_schema_accepts_exactly_what_jsonschema_accepts(
    schema_name: str, documents: Any
) -> None:
    schema = load_schema(schema_name)
    conforms, validator = compile_schema(schema), Draft202012Validator(schema)
    checked = disagreements = 0
    for document in documents():
        assert conforms(document) and validator.is_valid(document)
        for variant in variants(document):
            checked += 1
            if conforms(variant) != validator.is_valid(variant):
                disagreements += 1
                pytest.fail(f"disagree on {json.dumps(variant)[:400]}")
    assert checked > 500 and disagreements == 0


@pytest.mark.parametrize(
    "schema",
    [
        {"patternProperties": {"^x": {}}},  # a keyword it does not implement
        {"$ref": "#/$defs/missing"},
        {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},  # recursive
        {"enum": [["a list"]]},
        {"maxLength": "3"},
    ],
)
def test_a_schema_beyond_the_compiler_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchemaError):
        compile_schema(schema)
