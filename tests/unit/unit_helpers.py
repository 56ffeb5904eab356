"""Helpers for the forwarder unit tests (no services: botocore Stubber and moto only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
from botocore.stub import Stubber
from botocore.validate import ParamValidator
from patch_securityhub.finding_check import finding_errors
from patch_securityhub.pipeline import NodeRequest, ProcessReport, process
from patch_securityhub.retry import Backoff
from patch_securityhub.ssm_read import STATE_FILTER_VALUES
from psh_stage import events

DATA = Path(__file__).parent / "data"
ACCOUNT = "111122223333"
REGION = "us-east-2"
FIXED_EVENT_ID = "01234567-0123-0123-0123-0123456789ab"
FIXED_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:patch-securityhub-forwarder"

_MODEL = botocore.session.get_session().get_service_model("securityhub")
_IMPORT_INPUT = _MODEL.operation_model("BatchImportFindings").input_shape


def assert_valid_finding(finding: dict[str, Any]) -> None:
    """The project's ASFF schema + 240 KB limit, AND botocore's own BatchImportFindings input model."""
    errors = finding_errors(finding)
    assert not errors, errors
    report = ParamValidator().validate({"Findings": [finding]}, _IMPORT_INPUT)
    assert not report.has_errors(), report.generate_report()


class LambdaContext:
    """The attributes of the Lambda context object the handlers read (the Python runtime's LambdaContext)."""

    def __init__(self, remaining_ms: int = 300_000, aws_request_id: str = FIXED_REQUEST_ID) -> None:
        self.invoked_function_arn = FUNCTION_ARN
        self.aws_request_id = aws_request_id
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def patch_state_row(node_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "InstanceId": node_id,
        "PatchGroup": "web",
        "BaselineId": "pb-0123456789abcdef0",
        "InstalledCount": 40,
        "InstalledOtherCount": 3,
        "InstalledPendingRebootCount": 0,
        "InstalledRejectedCount": 0,
        "MissingCount": 2,
        "FailedCount": 0,
        "NotApplicableCount": 100,
        "OperationStartTime": ts("2026-11-23T10:00:00Z"),
        "OperationEndTime": ts("2026-11-23T10:01:00Z"),
        "Operation": "Scan",
        "RebootOption": "NoReboot",
    }
    row.update(overrides)
    return row


def compliant_row(node_id: str, **overrides: Any) -> dict[str, Any]:
    return patch_state_row(node_id, MissingCount=0, FailedCount=0, **overrides)


def info_row(node_id: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "InstanceId": node_id,
        "PingStatus": "Online",
        "PlatformType": "Linux",
        "PlatformName": "Amazon Linux",
        "PlatformVersion": "2023",
        "ResourceType": "ManagedInstance" if node_id.startswith("mi-") else "EC2Instance",
    }
    row.update(overrides)
    return row


def compliance_item(node_id: str, patch_id: str, severity: str, state: str = "Missing") -> dict[str, Any]:
    return {
        "ComplianceType": "Patch",
        "ResourceType": "ManagedInstance",
        "ResourceId": node_id,
        "Id": patch_id,
        "Title": f"{patch_id} update",
        "Status": "NON_COMPLIANT",
        "Severity": severity,
        "Details": {"Classification": "Security", "PatchSeverity": "Important", "PatchState": state},
    }


def instance_patch(
    patch_id: str, severity: str, state: str = "Missing", cves: list[str] | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Title": f"{patch_id} update",
        "KBId": patch_id,
        "Classification": "Security",
        "Severity": severity,
        "State": state,
        "InstalledTime": ts("1970-01-01T00:00:00Z"),
    }
    if cves:
        row["CVEIds"] = ",".join(cves)
    return row


def sqs_record(body: Any, message_id: str, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:patch-securityhub-events",
    }


# Every field of the compliance event, as paths: what the property tests mutate or delete.
EVENT_FIELDS = [
    ("version",),
    ("id",),
    ("detail-type",),
    ("source",),
    ("account",),
    ("time",),
    ("region",),
    ("resources",),
    ("detail",),
    ("detail", "resource-id"),
    ("detail", "resource-type"),
    ("detail", "compliance-type"),
    ("detail", "compliance-status"),
    ("detail", "patch-baseline-id"),
    ("detail", "severity"),
    ("detail", "last-runtime"),
]


def compliance_event(
    node_id: str, status: str = "non_compliant", time: str = "2026-11-23T10:01:05Z", **overrides: Any
) -> dict[str, Any]:
    """The stage's compliance event in the unit tests' account and region; `overrides` replace top keys."""
    event = events.compliance_event(
        node_id, account=ACCOUNT, region=REGION, status=status, time=time, event_id=FIXED_EVENT_ID
    )
    event.update(overrides)
    return event


def mutated_event(mutations: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    """A valid compliance event with each (path, value) applied: set, or "__delete__" to remove the field."""
    event = compliance_event("i-0123456789abcdef0")
    for path, value in mutations:
        target: Any = event
        for key in path[:-1]:
            if not isinstance(target, dict):
                break
            target = target.setdefault(key, {})
        if not isinstance(target, dict):
            continue
        if value == "__delete__":
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    return event


def node_ids(count: int, prefix: str = "i-") -> list[str]:
    width = 17
    return [f"{prefix}{index:0{width}x}" for index in range(1, count + 1)]


def process_stubbed(
    stubbed: dict[str, Any], requests: list[NodeRequest], *, now: datetime, **kwargs: Any
) -> ProcessReport:
    """pipeline.process() over the `stubbed` fixture's clients, in ACCOUNT/REGION, without backoff pauses."""
    kwargs.setdefault("backoff", Backoff(sleep=no_sleep))
    return process(
        requests,
        ssm_client=stubbed["ssm"],
        securityhub_client=stubbed["securityhub"],
        ec2_client=stubbed["ec2"],
        account=ACCOUNT,
        region=REGION,
        now=now,
        **kwargs,
    )


def no_sleep(_seconds: float) -> None:
    return None


class Flow:
    """Queues Stubber responses in the exact order pipeline.process() makes its calls."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self.ssm: Stubber = clients["ssm_stub"]
        self.securityhub: Stubber = clients["securityhub_stub"]
        self.ec2: Stubber | None = clients.get("ec2_stub")

    def instances(self, states: dict[str, str | None]) -> None:
        """EC2's answer for EC2 nodes SSM does not list: node -> InstanceState.Name (None: EC2 forgot it)."""
        assert self.ec2 is not None
        ids = sorted(states)
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            instances = [
                {"InstanceId": i, "State": {"Name": states[i], "Code": 0}}
                for i in chunk
                if states[i] is not None
            ]
            self.ec2.add_response(
                "describe_instances",
                {"Reservations": [{"Instances": instances}] if instances else []},
                {"Filters": [{"Name": "instance-id", "Values": chunk}], "MaxResults": 1000},
            )

    def node_information(self, rows: list[dict[str, Any]], ids: list[str] | None = None) -> None:
        ids = sorted(ids if ids is not None else [r["InstanceId"] for r in rows])
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            page = [r for r in rows if r["InstanceId"] in chunk]
            self.ssm.add_response(
                "describe_instance_information",
                {"InstanceInformationList": page},
                {"Filters": [{"Key": "InstanceIds", "Values": chunk}], "MaxResults": 50},
            )

    def patch_states(self, rows: list[dict[str, Any]], ids: list[str] | None = None) -> None:
        self.last_states = rows
        ids = sorted(ids if ids is not None else [r["InstanceId"] for r in rows])
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            page = [r for r in rows if r["InstanceId"] in chunk]
            self.ssm.add_response(
                "describe_instance_patch_states",
                {"InstancePatchStates": page},
                {"InstanceIds": chunk, "MaxResults": 50},
            )

    def prior_findings(self, findings: list[dict[str, Any]], finding_ids: list[str]) -> None:
        ids = sorted(finding_ids)
        for start in range(0, len(ids), 20):
            chunk = ids[start : start + 20]
            page = [f for f in findings if f["Id"] in chunk]
            self.securityhub.add_response("get_findings", {"Findings": page})

    def items(
        self,
        node_id: str,
        compliance: list[dict[str, Any]] | None = None,
        patches: list[dict[str, Any]] | None = None,
    ) -> None:
        self.ssm.add_response(
            "list_compliance_items",
            {"ComplianceItems": compliance or []},
            {
                "ResourceIds": [node_id],
                "ResourceTypes": ["ManagedInstance"],
                "Filters": [
                    {"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"},
                    {"Key": "Status", "Values": ["NON_COMPLIANT"], "Type": "EQUAL"},
                ],
                "MaxResults": 50,
            },
        )
        self.ssm.add_response(
            "describe_instance_patches",
            {"Patches": patches or []},
            {
                "InstanceId": node_id,
                "Filters": [{"Key": "State", "Values": list(STATE_FILTER_VALUES)}],
                "MaxResults": 100,
            },
        )

    def import_ok(
        self, failed: list[dict[str, Any]] | None = None, count: int = 1, verify: bool = True
    ) -> None:
        """A BatchImportFindings answer, then (verify) the pipeline's read of the patch states again after the
        import: SSM unchanged (the rows of the last patch_states)."""
        failed = failed or []
        self.securityhub.add_response(
            "batch_import_findings",
            {
                "FailedCount": len(failed),
                "SuccessCount": max(0, count - len(failed)),
                "FailedFindings": failed,
            },
        )
        if verify and len(failed) < count:
            self.ssm.add_response(
                "describe_instance_patch_states", {"InstancePatchStates": getattr(self, "last_states", [])}
            )

    def assert_done(self) -> None:
        self.ssm.assert_no_pending_responses()
        self.securityhub.assert_no_pending_responses()
        if self.ec2 is not None:
            self.ec2.assert_no_pending_responses()
