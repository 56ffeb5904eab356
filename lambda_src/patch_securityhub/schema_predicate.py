"""A JSON Schema (the subset the project's schemas use), compiled once into a plain predicate.

jsonschema walks a schema for every instance it validates: about 0.2 ms for a compliance event and a few
milliseconds for a finding, most of the forwarder's CPU per node. The project's schemas use a handful of
keywords, so each is also compiled into nested closures with jsonschema's own semantics for those keywords
(Draft 2020-12): types by isinstance (an integer is an int, or a float with no fraction, never a bool),
`const`/`enum` by JSON equality (a bool equals only a bool; 1 equals 1.0), `pattern` by re.search, lengths by
len, `$ref` to the schema's own `$defs`. The predicate is True exactly for the instances jsonschema accepts;
callers run jsonschema only on the others, for its error messages. A schema with any other keyword is refused
(UnsupportedSchemaError) and its callers fall back to jsonschema alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[Any], bool]

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "examples"})
KEYWORDS = frozenset(
    {
        "type",
        "const",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "items",
        "required",
        "properties",
        "additionalProperties",
        "maxProperties",
        "propertyNames",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "$ref",
    }
)
_REF_PREFIX = "#/$defs/"


class UnsupportedSchemaError(Exception):
    """The schema uses something the compiler does not implement."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Predicate] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _json_equal(expected: Any) -> Predicate:
    """jsonschema's equality for a scalar `expected` (strings, numbers, booleans, null)."""
    if isinstance(expected, bool) or expected is None:
        return lambda v: v is expected
    if _is_number(expected):
        return lambda v: _is_number(v) and v == expected
    if isinstance(expected, str):
        return lambda v: isinstance(v, str) and v == expected
    raise UnsupportedSchemaError(f"const/enum value {expected!r}")


def _bound(schema: dict[str, Any], keyword: str) -> int | float | None:
    """A numeric keyword's value: a count (length, items, properties) is whole; a limit is any number."""
    value = schema.get(keyword)
    whole = keyword not in ("minimum", "maximum")
    if value is not None and (not _is_number(value) or (whole and not isinstance(value, int))):
        raise UnsupportedSchemaError(f"{keyword} {value!r}")
    return value


def _for_kind(kind: Predicate, checks: list[Predicate]) -> list[Predicate]:
    """`checks` as one predicate that applies them only to instances of `kind` (none when there are none)."""
    if not checks:
        return []
    return [lambda v: not kind(v) or all(check(v) for check in checks)]


def compile_schema(schema: dict[str, Any]) -> Predicate:
    """The predicate of a root schema (its `$ref`s point into its own `$defs`)."""
    defs = schema.get("$defs", {})
    compiled: dict[str, Predicate] = {}
    compiling: set[str] = set()

    def ref(target: str) -> Predicate:
        if not target.startswith(_REF_PREFIX) or target[len(_REF_PREFIX) :] not in defs:
            raise UnsupportedSchemaError(f"$ref {target!r}")
        name = target[len(_REF_PREFIX) :]
        if name in compiling:
            raise UnsupportedSchemaError(f"recursive $ref {target!r}")
        if name not in compiled:
            compiling.add(name)
            compiled[name] = node(defs[name])
            compiling.discard(name)
        return compiled[name]

    def node(sub: Any) -> Predicate:  # one branch per keyword, like jsonschema
        if isinstance(sub, bool):
            return (lambda v: True) if sub else (lambda v: False)
        if not isinstance(sub, dict):
            raise UnsupportedSchemaError("a schema that is not an object or a boolean")
        unknown = set(sub) - ANNOTATIONS - KEYWORDS
        if unknown:
            raise UnsupportedSchemaError(f"keywords {sorted(unknown)}")
        checks: list[Predicate] = []
        if "type" in sub:
            names = sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
            if not names or not all(isinstance(n, str) and n in _TYPES for n in names):
                raise UnsupportedSchemaError(f"type {sub['type']!r}")
            kinds = [_TYPES[n] for n in names]
            checks.append(lambda v: any(kind(v) for kind in kinds))
        if "const" in sub:
            checks.append(_json_equal(sub["const"]))
        if "enum" in sub:
            if not isinstance(sub["enum"], list):
                raise UnsupportedSchemaError("enum that is not a list")
            options = [_json_equal(value) for value in sub["enum"]]
            checks.append(lambda v: any(option(v) for option in options))
        # Keywords that constrain one kind of instance only: an instance of any other kind passes them.
        string_checks: list[Predicate] = []
        if "pattern" in sub:
            search = re.compile(sub["pattern"]).search
            string_checks.append(lambda v: search(v) is not None)
        low, high = _bound(sub, "minLength"), _bound(sub, "maxLength")
        if low is not None:
            string_checks.append(lambda v: len(v) >= low)
        if high is not None:
            string_checks.append(lambda v: len(v) <= high)
        checks.extend(_for_kind(_TYPES["string"], string_checks))
        number_checks: list[Predicate] = []
        minimum, maximum = _bound(sub, "minimum"), _bound(sub, "maximum")
        if minimum is not None:
            number_checks.append(lambda v: v >= minimum)
        if maximum is not None:
            number_checks.append(lambda v: v <= maximum)
        checks.extend(_for_kind(_is_number, number_checks))
        array_checks: list[Predicate] = []
        fewest, most = _bound(sub, "minItems"), _bound(sub, "maxItems")
        if fewest is not None:
            array_checks.append(lambda v: len(v) >= fewest)
        if most is not None:
            array_checks.append(lambda v: len(v) <= most)
        if "items" in sub:
            item = node(sub["items"])
            array_checks.append(lambda v: all(map(item, v)))
        checks.extend(_for_kind(_TYPES["array"], array_checks))
        object_checks: list[Predicate] = []
        required = tuple(sub.get("required", ()))
        if required:
            object_checks.append(lambda v: all(key in v for key in required))
        properties = {key: node(each) for key, each in sub.get("properties", {}).items()}
        if properties:
            object_checks.append(
                lambda v: all(check(v[key]) for key, check in properties.items() if key in v)
            )
        if "additionalProperties" in sub:
            other = node(sub["additionalProperties"])
            object_checks.append(
                lambda v: all(other(value) for key, value in v.items() if key not in properties)
            )
        largest = _bound(sub, "maxProperties")
        if largest is not None:
            object_checks.append(lambda v: len(v) <= largest)
        if "propertyNames" in sub:
            name = node(sub["propertyNames"])
            object_checks.append(lambda v: all(map(name, v)))
        checks.extend(_for_kind(_TYPES["object"], object_checks))
        if "allOf" in sub:
            parts = [node(part) for part in sub["allOf"]]
            checks.append(lambda v: all(part(v) for part in parts))
        if "not" in sub:
            negated = node(sub["not"])
            checks.append(lambda v: not negated(v))
        if "if" in sub:
            condition = node(sub["if"])
            then = node(sub["then"]) if "then" in sub else (lambda v: True)
            otherwise = node(sub["else"]) if "else" in sub else (lambda v: True)
            checks.append(lambda v: then(v) if condition(v) else otherwise(v))
        if "$ref" in sub:
            checks.append(ref(sub["$ref"]))  # resolved now: an unknown target is refused at compile time
        return lambda v: all(check(v) for check in checks)

    return node(schema)
