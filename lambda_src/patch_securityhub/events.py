"""Parse and validate the EventBridge compliance event carried in an SQS message body.

Every rejection carries a stable reason code (for logs, metrics and the quarantine queue) and a short detail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from .model import NodeInfo, is_node_id
from .schema_predicate import Predicate, UnsupportedSchemaError, compile_schema
from .schemas import load_schema
from .ssm_read import InvalidSsmDataError, instance_information_row, parse_instance_information
from .timeutil import format_rfc3339, parse_rfc3339

MAX_BODY_BYTES = 256 * 1024

# A path in the event document -> the reason code reported when validation fails there.
_REASON_BY_PATH = {
    ("source",): "wrong_source",
    ("detail-type",): "wrong_detail_type",
    ("detail", "compliance-type"): "unknown_compliance_type",
    ("detail", "resource-id"): "malformed_resource_id",
    ("detail", "resource-type"): "wrong_resource_type",
    ("detail", "compliance-status"): "unknown_compliance_status",
    ("account",): "malformed_account",
    ("region",): "malformed_region",
    ("time",): "malformed_time",
    ("resources",): "malformed_resources",
}
# When several schema errors exist, report the most meaningful one first.
_REASON_PRIORITY = (
    "wrong_source",
    "wrong_detail_type",
    "unknown_compliance_type",
    "malformed_resource_id",
    "missing_field",
)

REJECTION_REASONS = frozenset(
    {
        "malformed_sweep_request",
        "too_large",
        "not_json",
        "not_an_object",
        "missing_field",
        "wrong_type",
        "invalid_field",
        "other_account",
        "other_region",
        "resource_mismatch",
        *_REASON_BY_PATH.values(),
    }
)


class EventRejectedError(Exception):
    """A message that can never succeed: acknowledged and kept in the quarantine queue."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:500]


@dataclass(frozen=True)
class ComplianceEvent:
    """What the forwarder takes from a valid event: which node to refresh, when SSM reported on it, and the
    status it reported. The node's state is read from SSM when it is handled; the status only tells whether
    that read has caught up with the event (pipeline.read_behind)."""

    node_id: str
    event_time: datetime
    status: str | None = None  # compliant | non_compliant


# The sweep's request to refresh nodes (sweep.py writes it to the event queue; nobody else may send there).
SWEEP_SOURCE = "patch-securityhub.sweep"
SWEEP_DETAIL_TYPE = "Sweep Request"
# nodes: nodes to reconcile (SSM listed them), each with its DescribeInstanceInformation row when the sweep
# has it; findings: nodes with an ACTIVE finding of this product, refreshed only if SSM does not list them.
SWEEP_SCOPES = ("nodes", "findings")
SWEEP_IDS_PER_MESSAGE = 50
# What a carried row may hold (ssm_read.instance_information_row, securityhub_io.carried_finding).
_NODE_ROW_FIELDS = {
    "InstanceId": 20,  # mi- and 17 characters
    "ResourceType": 64,
    "PlatformType": 64,
    "PlatformName": 128,
    "PlatformVersion": 64,
    "ComputerName": 256,
}
_FINDING_ROW_FIELDS = {"CreatedAt", "UpdatedAt", "RecordState", "Compliance", "PatchSummary"}
_MAX_FINDING_ROW_BYTES = 512


@dataclass(frozen=True)
class SweepRequest:
    """Refresh these nodes now, with what the sweep read of them moments before (so the forwarder does not
    read it again). Scope `nodes`: SSM's row of each node, and the ACTIVE finding of this product of each node
    that had one; `findings_complete`: the sweep walked every ACTIVE finding first, so a node without one in
    `findings` had none."""

    sweep_id: str
    scope: str
    node_ids: tuple[str, ...]
    node_infos: tuple[NodeInfo, ...] = ()
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings_complete: bool = False
    read_at: datetime | None = None  # when the sweep began the reads it carries


def sweep_message(
    sweep_id: str,
    scope: str,
    node_ids: list[str],
    *,
    account: str,
    region: str,
    node_infos: list[NodeInfo] | None = None,
    findings: dict[str, dict[str, Any]] | None = None,
    findings_complete: bool = False,
    read_at: datetime | None = None,
) -> str:
    """The body of one sweep request (at most SWEEP_IDS_PER_MESSAGE nodes). ValueError when it would be over
    SQS's message size (the caller sends fewer nodes a message)."""
    if scope not in SWEEP_SCOPES or not 0 < len(node_ids) <= SWEEP_IDS_PER_MESSAGE:
        raise ValueError(f"a sweep request has a scope of {SWEEP_SCOPES} and 1..50 nodes")
    detail: dict[str, Any] = {"sweep-id": sweep_id, "scope": scope, "node-ids": node_ids}
    if node_infos:
        detail["node-rows"] = [instance_information_row(info) for info in node_infos]
    if findings:
        detail["findings"] = findings
    if findings_complete:
        detail["findings-complete"] = True
    if read_at is not None and (node_infos or findings or findings_complete):
        detail["read-at"] = format_rfc3339(read_at)
    body = json.dumps(
        {
            "source": SWEEP_SOURCE,
            "detail-type": SWEEP_DETAIL_TYPE,
            "account": account,
            "region": region,
            "detail": detail,
        },
        separators=(",", ":"),
        ensure_ascii=False,  # SQS takes Unicode: escaping a character would take up to 12 bytes of the limit
    )
    size = len(body.encode())
    if size > MAX_BODY_BYTES:
        raise ValueError(f"a sweep request of {size} bytes is over SQS's {MAX_BODY_BYTES}")
    return body


def _node_rows(value: Any, node_ids: set[str]) -> tuple[NodeInfo, ...]:
    """detail/node-rows: DescribeInstanceInformation rows of the request's nodes, parsed as SSM's are."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > SWEEP_IDS_PER_MESSAGE:
        raise ValueError(f"detail/node-rows is not a list of at most {SWEEP_IDS_PER_MESSAGE} rows")
    for row in value:
        if not isinstance(row, dict) or row.get("InstanceId") not in node_ids:
            raise ValueError("detail/node-rows: a row is not an object about one of node-ids")
        for key, text in row.items():
            limit = _NODE_ROW_FIELDS.get(key)
            if limit is None or not isinstance(text, str) or len(text) > limit:
                raise ValueError(f"detail/node-rows: {str(key)[:40]} is not a known field of bounded text")
    try:
        return tuple(parse_instance_information({"InstanceInformationList": value}))
    except InvalidSsmDataError as exc:
        raise ValueError(f"detail/node-rows: {exc}") from exc


def _finding_rows(value: Any, node_ids: set[str]) -> dict[str, dict[str, Any]]:
    """detail/findings: node id -> what the sweep read of its ACTIVE finding (securityhub_io.carried_finding);
    whether a row is readable is for the forwarder's parse_prior to say (an unreadable one is read again)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > SWEEP_IDS_PER_MESSAGE:
        raise ValueError(f"detail/findings is not an object of at most {SWEEP_IDS_PER_MESSAGE} findings")
    for node_id, row in value.items():
        if node_id not in node_ids or not isinstance(row, dict) or not set(row) <= _FINDING_ROW_FIELDS:
            raise ValueError("detail/findings: an entry is not a finding row of one of node-ids")
        if len(json.dumps(row)) > _MAX_FINDING_ROW_BYTES:
            raise ValueError(f"detail/findings: a row is over {_MAX_FINDING_ROW_BYTES} bytes")
    return value


def parse_sweep_request(document: dict[str, Any], *, account: str, region: str) -> SweepRequest:
    def refuse(detail: str) -> EventRejectedError:
        return EventRejectedError("malformed_sweep_request", detail)

    if document.get("detail-type") != SWEEP_DETAIL_TYPE:
        raise refuse(f"detail-type is not {SWEEP_DETAIL_TYPE!r}")
    if document.get("account") != account:
        raise EventRejectedError("other_account", f"sweep account {str(document.get('account'))[:20]}")
    if document.get("region") != region:
        raise EventRejectedError("other_region", f"sweep region {str(document.get('region'))[:30]}")
    detail = document.get("detail")
    if not isinstance(detail, dict):
        raise refuse("detail is not an object")
    sweep_id, scope, node_ids = detail.get("sweep-id"), detail.get("scope"), detail.get("node-ids")
    if not isinstance(sweep_id, str) or not 0 < len(sweep_id) <= 64:
        raise refuse("detail/sweep-id is not a string of 1..64 characters")
    if scope not in SWEEP_SCOPES:
        raise refuse(f"detail/scope is not one of {SWEEP_SCOPES}")
    if not isinstance(node_ids, list) or not 0 < len(node_ids) <= SWEEP_IDS_PER_MESSAGE:
        raise refuse(f"detail/node-ids is not a list of 1..{SWEEP_IDS_PER_MESSAGE} node ids")
    bad = [str(n)[:40] for n in node_ids if not is_node_id(n)]
    if bad:
        raise refuse(f"detail/node-ids: not node ids: {bad[:3]}")
    complete = detail.get("findings-complete", False)
    if not isinstance(complete, bool):
        raise refuse("detail/findings-complete is not a boolean")
    read_at = detail.get("read-at")
    try:
        read_time = parse_rfc3339(read_at) if read_at is not None else None
    except (TypeError, ValueError, OverflowError):
        raise refuse("detail/read-at is not an RFC 3339 time") from None
    try:
        infos = _node_rows(detail.get("node-rows"), set(node_ids))
        findings = _finding_rows(detail.get("findings"), set(node_ids))
    except ValueError as exc:
        raise refuse(str(exc)) from exc
    return SweepRequest(
        sweep_id=sweep_id,
        scope=scope,
        node_ids=tuple(node_ids),
        node_infos=infos,
        findings=findings,
        findings_complete=complete,
        read_at=read_time,
    )


def parse_message(body: Any, *, account: str, region: str) -> ComplianceEvent | SweepRequest:
    """An event queue message: SSM's compliance event (from the EventBridge rule) or a sweep request."""
    document = decode_body(body)
    if document.get("source") == SWEEP_SOURCE:
        return parse_sweep_request(document, account=account, region=region)
    return parse_event(document, account=account, region=region)


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - loaded on first use, not at import

    schema = load_schema("compliance-event.schema.json")
    return Draft202012Validator(schema)


# --- fast path -------------------------------------------------------------------------------------------
# jsonschema walks the schema for every event (~0.2 ms); the schema is also compiled, once, into a predicate
# with jsonschema's semantics (schema_predicate) that accepts exactly the events jsonschema accepts. Any other
# event still goes through jsonschema, the only source of rejection reasons; a schema the compiler refuses
# gets no fast path at all (`_conforms()` is None).


@cache
def _conforms() -> Predicate | None:
    """True exactly for the events the schema accepts; None when the schema is beyond the fast path."""
    try:
        return compile_schema(load_schema("compliance-event.schema.json"))
    except UnsupportedSchemaError:
        return None


def _reason_for(error: Any) -> str:
    path = tuple(str(p) for p in error.absolute_path)
    for length in range(len(path), 0, -1):
        reason = _REASON_BY_PATH.get(path[:length])
        if reason and (len(path) == length or path[0] == "resources"):
            return reason
    if error.validator == "required":
        return "missing_field"
    if error.validator == "type":
        return "wrong_type"
    return "invalid_field"


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(event)"
    message = error.message
    if len(message) > 200:
        message = message[:200] + "..."
    return f"{where}: {message}"


def decode_body(body: Any) -> dict[str, Any]:
    """SQS body (str) -> event object; dicts pass through (direct tests, EventBridge->Lambda)."""
    if isinstance(body, dict):
        return body
    if not isinstance(body, (str, bytes)):
        raise EventRejectedError(
            "not_json", f"message body is a {type(body).__name__}, expected a JSON string"
        )
    if len(body) > MAX_BODY_BYTES:
        raise EventRejectedError("too_large", f"message body is {len(body)} bytes, over {MAX_BODY_BYTES}")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise EventRejectedError("not_json", f"message body is not JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise EventRejectedError(
            "not_an_object", f"event is a JSON {type(document).__name__}, expected an object"
        )
    return document


def parse_event(body: Any, *, account: str, region: str) -> ComplianceEvent:
    """Validate one event for this function's account and region; raise EventRejectedError with a reason."""
    document = decode_body(body)
    conforms = _conforms()
    errors = [] if conforms is not None and conforms(document) else list(_validator().iter_errors(document))
    if errors:
        classified = sorted(
            ((_reason_for(e), e) for e in errors),
            key=lambda pair: (
                _REASON_PRIORITY.index(pair[0]) if pair[0] in _REASON_PRIORITY else len(_REASON_PRIORITY),
                _describe(pair[1]),
            ),
        )
        reason, error = classified[0]
        raise EventRejectedError(reason, _describe(error))
    if document["account"] != account:
        raise EventRejectedError("other_account", f"event account {document['account']} is not {account}")
    if document["region"] != region:
        raise EventRejectedError("other_region", f"event region {document['region']} is not {region}")
    detail = document["detail"]
    node_id = detail["resource-id"]
    # The schema's patterns are ECMA regexes with `$`, which Python's re also matches before a trailing "\n":
    # the whole id (and each ARN) is checked again with a full match.
    if not is_node_id(node_id):
        raise EventRejectedError(
            "malformed_resource_id", f"detail/resource-id: {node_id[:40]!r} is not a node id"
        )
    for arn in document.get("resources", []):
        arn_parts = arn.split(":")
        if (
            "\n" in arn
            or arn_parts[3] != region
            or arn_parts[4] != account
            or not arn.endswith("/" + node_id)
        ):
            raise EventRejectedError(
                "resource_mismatch", f"resource {arn} does not name {node_id} in this account"
            )
    try:
        event_time = parse_rfc3339(document["time"])
    except (ValueError, OverflowError):
        raise EventRejectedError(
            "malformed_time", f"time: {document['time']!r} is not a valid timestamp"
        ) from None
    return ComplianceEvent(node_id=node_id, event_time=event_time, status=detail["compliance-status"])
