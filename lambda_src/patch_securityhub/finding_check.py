"""Check a finding against the project's ASFF schema and the 240 KB per-finding limit.

The forwarder's pipeline checks every finding with it before BatchImportFindings; `patch-securityhub render`
and the tests use it too. The redrive does not import it (redrive.zip leaves it out).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .finding import MAX_FINDING_BYTES, finding_size
from .schema_predicate import Predicate, UnsupportedSchemaError, compile_schema
from .schemas import load_schema

SCHEMA = "asff-finding.schema.json"


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - loaded on first use, not at import

    return Draft202012Validator(load_schema(SCHEMA))


@cache
def _conforms() -> Predicate | None:
    """True exactly for the findings the schema accepts (schema_predicate); None: jsonschema alone."""
    try:
        return compile_schema(load_schema(SCHEMA))
    except UnsupportedSchemaError:
        return None


def finding_errors(finding: dict[str, Any]) -> list[str]:
    """Empty when the finding is valid; otherwise one readable line per problem. A finding the compiled
    schema accepts is not walked again by jsonschema, which only says what is wrong with the others."""
    conforms = _conforms()
    errors = (
        []
        if conforms is not None and conforms(finding)
        else [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(finding)'}: {e.message[:300]}"
            for e in _validator().iter_errors(finding)
        ]
    )
    size = finding_size(finding)
    if size > MAX_FINDING_BYTES:
        errors.append(f"finding is {size} bytes, over the {MAX_FINDING_BYTES}-byte limit")
    return errors
