"""Configuration compliance: PutComplianceItems, ListComplianceItems, ListResourceComplianceSummaries,
ListComplianceSummaries, and the EventBridge event Systems Manager emits when a resource's compliance changes.

Patch Manager writes a node's Patch compliance after each scan or install (Patch Manager user guide, "Patch
compliance state values"); PutComplianceItems writes any compliance type, COMPLETE replacing the resource's
items and PARTIAL merging them (API reference, PutComplianceItems, UploadType).
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import datetime
from typing import Any

from localstack.aws.connect import connect_to

from psh_localstack.ssm import patching, readlag
from psh_localstack.ssm.behaviour import SSM_BEHAVIOUR
from psh_localstack.ssm.clock import now
from psh_localstack.ssm.errors import client_error, validation_error
from psh_localstack.ssm.events import COMPLIANCE_EVENTS
from psh_localstack.ssm.models import PatchStore
from psh_localstack.ssm.pagination import page

LOG = logging.getLogger(__name__)

COMPLIANCE_STATUSES = ("COMPLIANT", "NON_COMPLIANT")
MAX_LIST_ITEMS = 50  # ListComplianceItems MaxResults: 1..50 (botocore model)
SEVERITY_COUNTS = {
    "CRITICAL": "CriticalCount",
    "HIGH": "HighCount",
    "MEDIUM": "MediumCount",
    "LOW": "LowCount",
    "INFORMATIONAL": "InformationalCount",
    "UNSPECIFIED": "UnspecifiedCount",
}


# --- writes and the event -----------------------------------------------------------------------------------


def put_compliance(
    store: PatchStore,
    account_id: str,
    region: str,
    *,
    resource_type: str,
    resource_id: str,
    compliance_type: str,
    execution: dict[str, Any],
    items: list[dict[str, Any]],
    baseline_id: str = "",
    partial: bool = False,
) -> None:
    """Store compliance items (COMPLETE replaces, PARTIAL merges by Id); emit the event on a state change.

    The state is the overall status, its severity and which items are non-compliant at which severity: a
    rescan that finds exactly what the last one found emits nothing; a new missing or a fixed patch does
    (the event is "Configuration Compliance State Change": sent on a change, EventBridge reference for
    Systems Manager)."""
    key = (resource_type, resource_id, compliance_type)
    with store.lock:
        previous = store.compliance.get(key)
        if partial and previous:
            merged = {item["Id"]: item for item in previous["Items"]}
            merged.update({item["Id"]: item for item in items})
            items = list(merged.values())
        before = compliance_state(previous["Items"]) if previous else None
        store.compliance[key] = {"ExecutionSummary": execution, "Items": items, "UpdatedAt": now()}
        readlag.record(
            store.compliance_versions.setdefault(key, []), now(), copy.deepcopy(store.compliance[key])
        )
        status, severity = patching.overall_status(items)
    if compliance_state(items) != before:
        emit_compliance_event(
            account_id,
            region,
            resource_id=resource_id,
            compliance_type=compliance_type,
            status=status,
            severity=severity,
            baseline_id=baseline_id,
            when=execution.get("ExecutionTime") or now(),
        )


def compliance_state(items: list[dict[str, Any]]) -> tuple[str, str, frozenset[tuple[str, str]]]:
    status, severity = patching.overall_status(items)
    failing = frozenset((item["Id"], item["Severity"]) for item in items if item["Status"] == "NON_COMPLIANT")
    return status, severity, failing


def compliance_event_detail(
    *, resource_id: str, compliance_type: str, status: str, severity: str, baseline_id: str, when: datetime
) -> dict[str, str]:
    """The event's detail as the Systems Manager user guide's EventBridge examples show it ("Configuration
    Compliance State Change": lowercase compliance-status and severity, resource-type managed-instance, and
    for Patch the patch-baseline-id)."""
    detail = {
        "last-runtime": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "compliance-status": status.lower(),
        "resource-type": "managed-instance",
        "resource-id": resource_id,
        "compliance-type": compliance_type,
    }
    if compliance_type == "Patch":
        detail["patch-baseline-id"] = baseline_id
        detail["severity"] = severity.lower()
    return detail


def emit_compliance_event(
    account_id: str,
    region: str,
    *,
    resource_id: str,
    compliance_type: str,
    status: str,
    severity: str,
    baseline_id: str,
    when: datetime,
) -> None:
    """Publish the event to the account's default event bus (source aws.ssm), as Systems Manager does, on a
    best-effort basis: the switch event_drop_share drops that share of the events (events.py)."""
    if not COMPLIANCE_EVENTS.admit():
        LOG.info("compliance event for %s dropped (event_drop_share)", resource_id)
        return
    detail = compliance_event_detail(
        resource_id=resource_id,
        compliance_type=compliance_type,
        status=status,
        severity=severity,
        baseline_id=baseline_id,
        when=when,
    )
    try:
        # LocalStack's internal client, as its own SSM provider publishes parameter-change events.
        events = connect_to(aws_access_key_id=account_id, region_name=region).events
        events.put_events(
            Entries=[
                {
                    "Source": "aws.ssm",
                    "DetailType": "Configuration Compliance State Change",
                    "Resources": [f"arn:aws:ssm:{region}:{account_id}:managed-instance/{resource_id}"],
                    "Detail": json.dumps(detail),
                    "Time": when,
                }
            ]
        )
    except Exception:
        LOG.exception("could not emit compliance event for %s", resource_id)


# --- the API ------------------------------------------------------------------------------------------------


def put_compliance_items(
    store: PatchStore, account_id: str, region: str, request: dict[str, Any]
) -> dict[str, Any]:
    # PutComplianceItems: "ResourceType: Specify the type of resource. ManagedInstance is currently the only
    # supported resource type." (API reference); Severity and Status are the ComplianceItemEntry enums.
    if request["ResourceType"] != "ManagedInstance":
        raise client_error("InvalidResourceType", "Only ManagedInstance is supported.")
    for item in request["Items"]:
        if item["Severity"] not in patching.COMPLIANCE_LEVELS or item["Status"] not in COMPLIANCE_STATUSES:
            raise client_error("InvalidItemContentException", f"Invalid item {item.get('Id')}")
    execution = dict(request["ExecutionSummary"])
    execution.setdefault("ExecutionType", "Command")
    put_compliance(
        store,
        account_id,
        region,
        resource_type=request["ResourceType"],
        resource_id=request["ResourceId"],
        compliance_type=request["ComplianceType"],
        execution=execution,
        items=[dict(item) for item in request["Items"]],
        partial=request.get("UploadType") == "PARTIAL",
        baseline_id=store.patch_states.get(request["ResourceId"], {}).get("BaselineId", ""),
    )
    return {}


def _filter_ok(value: Any, flt: dict[str, Any]) -> bool:
    """ComplianceStringFilter: Type EQUAL (the default), NOT_EQUAL, BEGIN_WITH over its Values (API
    reference, ComplianceStringFilter)."""
    kind = flt.get("Type", "EQUAL")
    values = flt.get("Values", [])
    if kind == "EQUAL":
        return value in values
    if kind == "NOT_EQUAL":
        return value not in values
    if kind == "BEGIN_WITH":
        return any(str(value).startswith(each) for each in values)
    return True


def _readable(store: PatchStore) -> list[tuple[tuple[str, str, str], dict[str, Any]]]:
    """The compliance records a read sees: the current ones, or with the read_lag_seconds switch those
    written at least that long ago (readlag.py; a record written only since is not yet visible)."""
    lag = SSM_BEHAVIOUR.current.read_lag_seconds
    if not lag:
        return list(store.compliance.items())
    moment = now()
    seen = []
    for key, versions in store.compliance_versions.items():
        if key not in store.compliance:
            continue
        record = readlag.visible(versions, moment, lag)
        if record is not None:
            seen.append((key, record))
    return seen


def list_compliance_items(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    if request.get("MaxResults", 10) > MAX_LIST_ITEMS:
        raise validation_error(
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_LIST_ITEMS}"
        )
    # ResourceIds: "Currently, you can only specify one resource ID." (botocore model, ListComplianceItems);
    # of the errors the model lists for the operation, InvalidResourceId is the one for it.
    if len(request.get("ResourceIds") or []) > 1:
        raise client_error("InvalidResourceId", "Currently, you can only specify one resource ID per call.")
    ids = set(request.get("ResourceIds") or [])
    types = set(request.get("ResourceTypes") or ["ManagedInstance"])
    # Select before sorting: per-node queries on a fleet of thousands stay cheap.
    records = [(key, record) for key, record in _readable(store) if not ids or key[1] in ids]
    found = []
    for (resource_type, resource_id, compliance_type), record in sorted(records):
        if (ids and resource_id not in ids) or resource_type not in types:
            continue
        for item in record["Items"]:
            entry = {
                "ComplianceType": compliance_type,
                "ResourceType": resource_type,
                "ResourceId": resource_id,
                "Id": item.get("Id", ""),
                "Title": item.get("Title", ""),
                "Status": item["Status"],
                "Severity": item["Severity"],
                "ExecutionSummary": record["ExecutionSummary"],
                "Details": item.get("Details", {}),
            }
            if all(_filter_ok(entry.get(flt["Key"]), flt) for flt in request.get("Filters", [])):
                found.append(entry)
    # The model's default page is not documented for ListComplianceItems; 10 here.
    chunk, token = page(found, request, "ListComplianceItems", 10)
    return {"ComplianceItems": copy.deepcopy(chunk), **token}


def _severity_summary(items: list[dict[str, Any]]) -> dict[str, int]:
    """SeveritySummary: a count per compliance severity (API reference, SeveritySummary)."""
    summary = dict.fromkeys(SEVERITY_COUNTS.values(), 0)
    for item in items:
        summary[SEVERITY_COUNTS[item["Severity"]]] += 1
    return summary


def list_resource_compliance_summaries(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    found = []
    for (resource_type, resource_id, compliance_type), record in sorted(store.compliance.items()):
        status, severity = patching.overall_status(record["Items"])
        compliant = [item for item in record["Items"] if item["Status"] == "COMPLIANT"]
        failing = [item for item in record["Items"] if item["Status"] == "NON_COMPLIANT"]
        entry = {
            "ComplianceType": compliance_type,
            "ResourceType": resource_type,
            "ResourceId": resource_id,
            "Status": status,
            "OverallSeverity": severity,
            "ExecutionSummary": record["ExecutionSummary"],
            "CompliantSummary": {
                "CompliantCount": len(compliant),
                "SeveritySummary": _severity_summary(compliant),
            },
            "NonCompliantSummary": {
                "NonCompliantCount": len(failing),
                "SeveritySummary": _severity_summary(failing),
            },
        }
        if all(_filter_ok(entry.get(flt["Key"]), flt) for flt in request.get("Filters", [])):
            found.append(entry)
    chunk, token = page(found, request, "ListResourceComplianceSummaries", 50)
    return {"ResourceComplianceSummaryItems": copy.deepcopy(chunk), **token}


def list_compliance_summaries(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    """Per compliance type, how many resources are compliant and non-compliant, by their overall severity."""
    by_type: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for (_, _, compliance_type), record in store.compliance.items():
        status, severity = patching.overall_status(record["Items"])
        bucket = by_type.setdefault(compliance_type, ([], []))
        bucket[0 if status == "COMPLIANT" else 1].append({"Severity": severity})
    summaries = [
        {
            "ComplianceType": compliance_type,
            "CompliantSummary": {
                "CompliantCount": len(good),
                "SeveritySummary": _severity_summary(good),
            },
            "NonCompliantSummary": {
                "NonCompliantCount": len(bad),
                "SeveritySummary": _severity_summary(bad),
            },
        }
        for compliance_type, (good, bad) in sorted(by_type.items())
        if all(
            _filter_ok(compliance_type, flt)
            for flt in request.get("Filters", [])
            if flt["Key"] == "ComplianceType"
        )
    ]
    chunk, token = page(summaries, request, "ListComplianceSummaries", 50)
    return {"ComplianceSummaryItems": chunk, **token}
