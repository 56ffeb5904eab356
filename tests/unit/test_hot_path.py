"""The forwarder's CPU fast paths give exactly what the straightforward code gives.

- events: the compiled schema predicate accepts exactly the events jsonschema accepts; jsonschema still names
  every rejection.
- ssm_read: `_text` and `_cves` equal their reference implementations.
- logs: a record is the same line json.dumps would write, with the same timestamp (and, inside an
  invocation, its request id).
- timeutil: `format_rfc3339` gives the text the field-by-field formatting gave.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from patch_securityhub import events, logs, ssm_read, timeutil
from patch_securityhub.schema_predicate import UnsupportedSchemaError, compile_schema
from patch_securityhub.schemas import load_schema
from unit_helpers import ACCOUNT, DATA, EVENT_FIELDS, REGION, LambdaContext, compliance_event, mutated_event

# The corpus cases that are JSON objects (the others are raw bodies, rejected before schema validation).
EVENT_CASES = [
    path
    for path in sorted((DATA / "bad_events").glob("*.json"))
    if "event" in json.loads(path.read_text(encoding="utf-8"))
]


def _jsonschema_accepts(document: Any) -> bool:
    return not list(events._validator().iter_errors(document))


def _fast_accepts(document: Any) -> bool:
    conforms = events._conforms()
    assert conforms is not None
    return conforms(document)


def test_the_shipped_schema_has_a_fast_path() -> None:
    assert events._conforms() is not None
    assert _fast_accepts(compliance_event("i-0123456789abcdef0"))


@pytest.mark.parametrize("path", EVENT_CASES, ids=[p.stem for p in EVENT_CASES])
def test_fast_path_agrees_with_jsonschema_on_the_hostile_corpus(path: Any) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))["event"]
    assert _fast_accepts(event) == _jsonschema_accepts(event)


@pytest.mark.parametrize(
    "mutate",
    [
        # jsonschema's re.search lets `$` match before a final newline; the fast path must agree
        lambda e: e["detail"].update({"resource-id": "i-0123456789abcdef0\n"}),
        lambda e: e.update({"account": "111122223333\n"}),
        lambda e: e.update({"version": 0}),
        lambda e: e.update({"source": ["aws.ssm"]}),
        lambda e: e["detail"].update({"compliance-status": "NON_COMPLIANT"}),
        lambda e: e["detail"].update({"compliance-status": None}),
        lambda e: e.update({"id": ""}),
        lambda e: e.update({"id": "a" * 129}),
        lambda e: e.update({"resources": []}),
        lambda e: e.update({"resources": [e["resources"][0]] * 11}),
        lambda e: e.update({"resources": e["resources"][0]}),
        lambda e: e.update({"resources": [7]}),
        lambda e: e["detail"].pop("patch-baseline-id"),
        lambda e: e["detail"].update({"severity": "x" * 33}),
        lambda e: e["detail"].update({"unexpected": {"nested": [1, 2]}}),
        lambda e: e.update({"extra": None}),
        lambda e: e.pop("detail"),
        lambda e: e.update({"detail": []}),
        lambda e: e.update({"time": "2026-11-23T10:01:05.1234567890Z"}),
    ],
)
def test_fast_path_agrees_with_jsonschema_on_edge_cases(mutate: Any) -> None:
    event = copy.deepcopy(compliance_event("i-0123456789abcdef0"))
    mutate(event)
    assert _fast_accepts(event) == _jsonschema_accepts(event)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# Values close to the valid ones, so that both accepted and rejected events are generated.
NEAR_VALUES = (
    "0",
    "aws.ssm",
    "Configuration Compliance State Change",
    "managed-instance",
    "Patch",
    "compliant",
    "non_compliant",
    ACCOUNT,
    REGION,
    "2026-11-23T10:01:05Z",
    "i-0123abcd",
    "mi-0123456789abcdef0",
    "i-0123456789abcdef0\n",
    "pb-0123",
    [f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance/i-0123456789abcdef0"],
)
near_values = st.sampled_from(NEAR_VALUES)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mutations=st.lists(
        st.tuples(
            st.sampled_from(EVENT_FIELDS),
            st.one_of(near_values, near_values, json_values, st.just("__delete__")),
        ),
        min_size=0,
        max_size=4,
    )
)
def test_fast_path_agrees_with_jsonschema_on_mutated_events(
    mutations: list[tuple[tuple[str, ...], Any]],
) -> None:
    event = mutated_event(mutations)
    assert _fast_accepts(event) == _jsonschema_accepts(event)


def test_fast_path_agrees_with_jsonschema_on_every_single_near_mutation() -> None:
    accepted = 0
    for path in EVENT_FIELDS:
        for value in [*NEAR_VALUES, "__delete__"]:
            event = copy.deepcopy(compliance_event("i-0123456789abcdef0"))
            target = event["detail"] if len(path) == 2 else event
            if value == "__delete__":
                target.pop(path[-1], None)
            else:
                target[path[-1]] = copy.deepcopy(value)
            fast = _fast_accepts(event)
            assert fast == _jsonschema_accepts(event), (path, value)
            accepted += fast
    assert accepted > 20  # both outcomes are exercised


@settings(max_examples=200, deadline=None)
@given(document=json_values)
def test_fast_path_agrees_with_jsonschema_on_arbitrary_documents(document: Any) -> None:
    assert _fast_accepts(document) == _jsonschema_accepts(document)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/x"},
        {"type": "string", "format": "date-time"},
        {"type": "decimal"},
        {"enum": [{"a": 1}]},
        {"maxLength": 1.5},
        {"patternProperties": {"^a": True}},
    ],
)
def test_schema_keywords_outside_the_fast_path_disable_it(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchemaError):
        compile_schema(schema)


def test_without_a_fast_path_jsonschema_decides_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "_conforms", lambda: None)
    event = compliance_event("i-0123456789abcdef0")
    assert events.parse_event(event, account=ACCOUNT, region=REGION).node_id == "i-0123456789abcdef0"
    event["source"] = "aws.ec2"
    with pytest.raises(events.EventRejectedError) as caught:
        events.parse_event(event, account=ACCOUNT, region=REGION)
    assert caught.value.reason == "wrong_source"


def test_schema_file_is_unchanged_by_compiling() -> None:
    before = json.dumps(load_schema("compliance-event.schema.json"), sort_keys=True)
    compile_schema(load_schema("compliance-event.schema.json"))
    assert json.dumps(load_schema("compliance-event.schema.json"), sort_keys=True) == before


# --- ssm_read -------------------------------------------------------------------------------------------


def _reference_text(value: Any, limit: int = 512) -> str:
    if value is None:
        return ""
    text = str(value)
    return "".join(ch if ch.isprintable() else " " for ch in text)[:limit]


@settings(max_examples=500, deadline=None)
@given(value=st.text(max_size=80) | st.none() | st.integers() | json_values, limit=st.integers(0, 100))
@example(value="a\x00b\u2028c\ud800\U0001f600\xad", limit=5)
@example(value="x" * 600, limit=512)
@example(value="", limit=0)
def test_text_equals_the_character_loop(value: Any, limit: int) -> None:
    assert ssm_read._text(value, limit) == _reference_text(value, limit)


def test_text_default_limit_and_every_code_point() -> None:
    everything = "".join(chr(c) for c in range(0x110000))
    assert ssm_read._text(everything, len(everything)) == _reference_text(everything, len(everything))
    assert ssm_read._text(everything) == _reference_text(everything)


def _reference_cves(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        candidates: Iterable[Any] = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        candidates = value
    else:
        return ()
    cve = re.compile(r"^CVE-\d{4}-\d{4,}$")
    return tuple(
        sorted({c.strip().upper() for c in candidates if isinstance(c, str) and cve.match(c.strip().upper())})
    )


@settings(max_examples=300, deadline=None)
@given(
    value=st.lists(
        st.sampled_from(["CVE-2026-1234", " cve-2025-98765 ", "CVE-26-1", "x", "", 7, None])
        | st.text(max_size=20)
    )
    | st.text(max_size=60)
    | st.none()
    | st.integers()
)
@example(value="CVE-2026-1234, cve-2026-1234\nCVE-2026-55555,,bogus")
def test_cves_equal_the_reference(value: Any) -> None:
    assert ssm_read._cves(value) == _reference_cves(value)


# --- logs -----------------------------------------------------------------------------------------------


class _Capture:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)


def test_log_line_is_what_json_dumps_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_795_000_000.25]
    monkeypatch.setattr(logs.time, "time", lambda: now[0])
    stream = _Capture()
    logger = logs.JsonLogger("forwarder", stream=stream)  # type: ignore[arg-type]
    fields: dict[str, Any] = {"node": "i-0123456789abcdef0", "detail": "ünïcode \n \x00", "when": object}
    logger.info("node_decision", **fields)
    now[0] += 1.0  # the next second: a new timestamp
    logger.warning("second")
    expected = [
        {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_795_000_000)), "level": "INFO"},
        {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_795_000_001)), "level": "WARNING"},
    ]
    first = {**expected[0], "component": "forwarder", "msg": "node_decision", **fields}
    second = {**expected[1], "component": "forwarder", "msg": "second"}
    dumps = {"default": str, "ensure_ascii": True, "separators": (",", ":")}
    assert stream.lines == [json.dumps(first, **dumps) + "\n", json.dumps(second, **dumps) + "\n"]


def test_log_line_inside_an_invocation_carries_the_request_id() -> None:
    stream = _Capture()
    logger = logs.JsonLogger("redrive", stream=stream)  # type: ignore[arg-type]
    with logger.invocation(LambdaContext(aws_request_id="req-1")):
        logger.info("inside", n=1)
    logger.info("outside")
    with logger.invocation(object()):  # a context without aws_request_id: no field at all
        logger.info("no_id")
    lines = [json.loads(line) for line in stream.lines]
    assert list(lines[0]) == ["ts", "level", "component", "request_id", "msg", "n"]
    assert lines[0]["request_id"] == "req-1"
    assert ["request_id" in line for line in lines] == [True, False, False]


def test_log_timestamp_is_the_current_second() -> None:
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    stamp = logs._timestamp()
    after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    assert before <= stamp <= after
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", stamp)


# --- timeutil ----------------------------------------------------------------------------------------------


def _reference_rfc3339(value: datetime) -> str:
    value = value.astimezone(UTC)
    date = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    text = f"{date}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    millis = value.microsecond // 1000
    return f"{text}Z" if millis == 0 else f"{text}.{millis:03d}Z"


@settings(max_examples=500, deadline=None)
@given(
    value=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
    offset_minutes=st.integers(-23 * 60, 23 * 60),
    microsecond=st.sampled_from([None, 0, 999, 1000, 1999, 999_999]),
)
@example(value=datetime(2026, 11, 23, 14, 25, 10, 526_999, tzinfo=UTC), offset_minutes=0, microsecond=None)
@example(value=datetime(999, 1, 1, tzinfo=UTC), offset_minutes=90, microsecond=0)
def test_format_rfc3339_equals_the_reference(
    value: datetime, offset_minutes: int, microsecond: int | None
) -> None:
    if microsecond is not None:
        value = value.replace(microsecond=microsecond)
    shifted = value.astimezone(timezone(timedelta(minutes=offset_minutes)))
    assert timeutil.format_rfc3339(shifted) == _reference_rfc3339(shifted) == _reference_rfc3339(value)


def test_format_rfc3339_of_sdk_timestamps() -> None:
    import botocore.utils

    for epoch in (0, 1_795_000_000, 1_795_000_000.5, 1_795_000_000.0004, 1_795_000_000.999):
        parsed = botocore.utils.parse_timestamp(epoch)  # what boto3 hands the parsers (tzlocal or tzutc)
        assert timeutil.format_rfc3339(parsed) == _reference_rfc3339(parsed)
