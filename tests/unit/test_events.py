"""Event validation: the happy path, every malformed-event class, a hostile corpus, property tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from patch_securityhub.events import REJECTION_REASONS, EventRejectedError, parse_event, parse_message
from unit_helpers import ACCOUNT, DATA, EVENT_FIELDS, REGION, compliance_event, mutated_event, ts

BAD_EVENTS = sorted((DATA / "bad_events").glob("*.json"))


def test_valid_event_is_parsed() -> None:
    parsed = parse_event(json.dumps(compliance_event("i-0123456789abcdef0")), account=ACCOUNT, region=REGION)
    assert parsed.node_id == "i-0123456789abcdef0"
    assert parsed.event_time == ts("2026-11-23T10:01:05Z")


def test_on_premises_and_short_ids_and_offsets_are_accepted() -> None:
    event = compliance_event("mi-0123456789abcdef0", status="compliant", time="2026-11-23T12:01:05.123+02:00")
    parsed = parse_event(event, account=ACCOUNT, region=REGION)
    assert parsed.node_id == "mi-0123456789abcdef0"
    assert parsed.event_time == ts("2026-11-23T10:01:05.123Z")
    assert parse_event(compliance_event("i-0123abcd"), account=ACCOUNT, region=REGION).node_id == "i-0123abcd"


def test_event_without_resources_list_is_accepted() -> None:
    event = compliance_event("i-0123456789abcdef0")
    del event["resources"]
    assert parse_event(event, account=ACCOUNT, region=REGION).node_id == "i-0123456789abcdef0"


@pytest.mark.parametrize("path", BAD_EVENTS, ids=[p.stem for p in BAD_EVENTS])
def test_bad_event_corpus_is_rejected_with_its_reason(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    body = case["body"] if "body" in case else json.dumps(case["event"])
    with pytest.raises(EventRejectedError) as caught:
        parse_event(body, account=ACCOUNT, region=REGION)
    assert caught.value.reason == case["reason"], caught.value.detail
    assert caught.value.reason in REJECTION_REASONS
    assert len(caught.value.detail) <= 500


def test_corpus_covers_every_schema_rejection_class() -> None:
    reasons = {json.loads(p.read_text(encoding="utf-8"))["reason"] for p in BAD_EVENTS}
    assert reasons >= {
        "missing_field",
        "wrong_type",
        "wrong_source",
        "wrong_detail_type",
        "unknown_compliance_type",
        "malformed_resource_id",
        "other_account",
        "other_region",
        "resource_mismatch",
        "not_json",
        "not_an_object",
        "malformed_time",
    }


RAW_BODIES = [
    ('{"pad": "' + "x" * 300_000 + '"}', "too_large"),
    ("[" * 100_000 + "]" * 100_000, "not_json"),
    (b"\xff\xfe\x00garbage", "not_json"),
    (12345, "not_json"),
    (None, "not_json"),
]
# Reasons that neither the corpus nor the raw bodies show: one mutated valid event each.
MUTATIONS = [
    (("region",), "US-EAST-2", "malformed_region"),
    (("resources",), "not-a-list", "malformed_resources"),
    (("version",), "1", "invalid_field"),
]


@pytest.mark.parametrize(
    ("body", "reason"), RAW_BODIES, ids=["too_large", "deeply_nested", "binary", "number", "none"]
)
def test_raw_bodies_are_rejected(body: Any, reason: str) -> None:
    with pytest.raises(EventRejectedError) as caught:
        parse_event(body, account=ACCOUNT, region=REGION)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("path", "value", "reason"), MUTATIONS, ids=[m[2] for m in MUTATIONS])
def test_mutated_events_are_rejected_with_their_reason(
    path: tuple[str, ...], value: Any, reason: str
) -> None:
    with pytest.raises(EventRejectedError) as caught:
        parse_event(json.dumps(mutated_event([(path, value)])), account=ACCOUNT, region=REGION)
    assert caught.value.reason == reason


# Sweep requests (events.parse_message): malformed ones have one reason of their own.
_SWEEP = {"source": "patch-securityhub.sweep", "detail-type": "Sweep Request", "account": ACCOUNT}
BAD_SWEEP_REQUESTS = [
    (
        {
            **_SWEEP,
            "region": REGION,
            "detail": {"sweep-id": "s", "scope": "nodes", "node-ids": ["i-0123456789abcdef0\n"]},
        },
        "malformed_sweep_request",
    ),
    (
        {**_SWEEP, "region": REGION, "detail": {"sweep-id": "s", "scope": "nodes", "node-ids": []}},
        "malformed_sweep_request",
    ),
    ({**_SWEEP, "region": REGION, "detail-type": "Sweep"}, "malformed_sweep_request"),
]


@pytest.mark.parametrize(("document", "reason"), BAD_SWEEP_REQUESTS)
def test_malformed_sweep_requests_are_refused(document: dict[str, Any], reason: str) -> None:
    with pytest.raises(EventRejectedError) as caught:
        parse_message(json.dumps(document), account=ACCOUNT, region=REGION)
    assert caught.value.reason == reason


def test_every_rejection_reason_is_raised_by_some_case() -> None:
    corpus = {json.loads(p.read_text(encoding="utf-8"))["reason"] for p in BAD_EVENTS}
    shown = corpus | {reason for _, reason in RAW_BODIES} | {reason for _, _, reason in MUTATIONS}
    shown |= {reason for _, reason in BAD_SWEEP_REQUESTS}
    assert shown == REJECTION_REASONS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.text(max_size=300) | st.binary(max_size=100) | json_values.map(json.dumps))
def test_arbitrary_bodies_never_crash_the_parser(body: Any) -> None:
    try:
        parse_event(body, account=ACCOUNT, region=REGION)
    except EventRejectedError as rejection:
        assert rejection.reason in REJECTION_REASONS


@settings(max_examples=400, deadline=None)
@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(EVENT_FIELDS), json_values | st.just("__delete__")), min_size=1, max_size=4
    )
)
def test_mutated_valid_events_are_parsed_or_rejected_cleanly(
    mutations: list[tuple[tuple[str, ...], Any]],
) -> None:
    event = mutated_event(mutations)
    try:
        parsed = parse_event(json.dumps(event), account=ACCOUNT, region=REGION)
    except EventRejectedError as rejection:
        assert rejection.reason in REJECTION_REASONS
        return
    # Whatever got through is well-formed for this account and region.
    assert (event["account"], event["region"]) == (ACCOUNT, REGION)
    assert event["detail"]["compliance-status"] in ("compliant", "non_compliant")
    assert parsed.node_id == event["detail"]["resource-id"]
    assert parsed.node_id.startswith(("i-", "mi-"))
