"""Recorded SSM and Security Hub answers for real botocore clients, in-process (no network).

The clients are ordinary boto3 clients with the Lambda's SDK settings (patch_securityhub.aws.sdk_config):
botocore validates, serialises and signs every request and parses every response, exactly as in Lambda.
Only the HTTP round trip is replaced: a `before-send` hook answers from response documents recorded per node
(the same documents the project's simulated SSM returns, built by psh_localstack.ssm.patching from a fleet
spec). The CPU spent inside the hook (the "service") is measured and reported separately, so the
forwarder's own cost can be told apart from the simulation's.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from patch_securityhub.aws import sdk_config
from psh_localstack.ssm import patching

BASELINE_ID = "pb-0c10e65780EXAMPLE"
NON_COMPLIANT_STATE_KEYS = {"missing", "failed", "installedpendingreboot", "installedrejected"}


class _Body:
    """What botocore reads a raw HTTP body through."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data

    def read(self, *_: Any) -> bytes:
        return self.data


def _epoch(value: Any) -> Any:
    """JSON-protocol wire form: timestamps are epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {key: _epoch(each) for key, each in value.items()}
    if isinstance(value, list):
        return [_epoch(each) for each in value]
    return value


class RecordedNode:
    """The SSM response rows of one node after a Scan that ended at `scan_end`."""

    def __init__(self, spec: dict[str, Any], account: str, region: str, scan_end: datetime) -> None:
        node_id = spec["InstanceId"]
        group = spec.get("PatchGroup", "")
        patches = spec["Patches"]
        self.node_id = node_id
        self.info = {
            "InstanceId": node_id,
            "PingStatus": "Online",
            "LastPingDateTime": scan_end.timestamp(),
            "AgentVersion": "3.3.1142.0",
            "IsLatestVersion": True,
            "PlatformType": spec["PlatformType"],
            "PlatformName": spec["PlatformName"],
            "PlatformVersion": "2022" if spec["PlatformType"] == "Windows" else "2023",
            "ResourceType": "ManagedInstance" if node_id.startswith("mi-") else "EC2Instance",
            "IPAddress": spec.get("IPAddress", "10.0.0.1"),
            "ComputerName": spec.get("ComputerName", node_id),
            "AssociationStatus": "Success",
        }
        self.patch_state = _epoch(
            patching.patch_summary(
                node_id,
                patches,
                baseline_id=BASELINE_ID,
                patch_group=group,
                operation="Scan",
                reboot_option="RebootIfNeeded",
                started=scan_end - timedelta(seconds=40),
                ended=scan_end,
            )
        )
        execution = {"ExecutionTime": scan_end.timestamp(), "ExecutionId": str(uuid.uuid4())}
        self.compliance_items = [
            {
                "ComplianceType": "Patch",
                "ResourceType": "ManagedInstance",
                "ResourceId": node_id,
                "ExecutionSummary": {**execution, "ExecutionType": "Command"},
                **item,
            }
            for item in patching.compliance_items(
                patches, baseline_id=BASELINE_ID, patch_group=group, installed_time_fallback=scan_end
            )
        ]
        self.instance_patches = [_epoch(patching.instance_patch(patch)) for patch in patches]


class RecordedAws:
    """Answers SSM, Security Hub and SQS calls of clients made by `client()` from the recorded fleet."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.nodes: dict[str, RecordedNode] = {}
        self.findings: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.sent: list[str] = []  # SendMessage bodies
        self.service_seconds = 0.0
        self.session = boto3.session.Session(
            aws_access_key_id="AKIDRECORDED", aws_secret_access_key="recorded", region_name=region
        )

    def load(self, specs: list[dict[str, Any]], scan_end: datetime | None = None) -> None:
        """A new fleet: forget nodes, findings and counters."""
        scan_end = scan_end or datetime.now(UTC) - timedelta(minutes=5)
        self.nodes = {
            spec["InstanceId"]: RecordedNode(spec, self.account, self.region, scan_end) for spec in specs
        }
        self.findings = {}
        self.calls = Counter()
        self.service_seconds = 0.0

    def client(self, service: str) -> Any:
        client = self.session.client(
            service, endpoint_url=f"https://{service}.recorded.invalid", config=sdk_config(attempts=1)
        )
        client.meta.events.register("before-send", self._answer)
        return client

    # --- the simulated service ----------------------------------------------------------------------

    def _answer(self, request: Any, event_name: str, **_: Any) -> AWSResponse:
        started = time.process_time()
        try:
            operation = event_name.rsplit(".", 1)[-1]
            self.calls[operation] += 1
            params = json.loads(request.body or b"{}")
            handler = getattr(self, "_" + operation, None)
            if handler is None:
                raise NotImplementedError(f"no recorded answer for {operation}")
            document = handler(params)
            body = json.dumps(document, separators=(",", ":")).encode()
            return AWSResponse(
                request.url,
                200,
                {"x-amzn-requestid": "recorded", "content-type": "application/json"},
                _Body(body),
            )
        finally:
            self.service_seconds += time.process_time() - started

    def _DescribeInstanceInformation(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        ids: list[str] = []
        for flt in params.get("Filters", []):
            if flt["Key"] == "InstanceIds":
                ids = flt["Values"]
        if ids:
            return {"InstanceInformationList": [self.nodes[i].info for i in ids if i in self.nodes]}
        # The whole fleet, MaxResults (5..50) a page, NextToken the offset of the next one.
        start, size = int(params.get("NextToken") or 0), params.get("MaxResults", 50)
        listed = sorted(self.nodes)[start : start + size]
        page: dict[str, Any] = {"InstanceInformationList": [self.nodes[i].info for i in listed]}
        if start + size < len(self.nodes):
            page["NextToken"] = str(start + size)
        return page

    def _DescribeInstancePatchStates(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "InstancePatchStates": [
                self.nodes[i].patch_state for i in params["InstanceIds"] if i in self.nodes
            ]
        }

    def _ListComplianceItems(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        statuses = {"COMPLIANT", "NON_COMPLIANT"}
        for flt in params.get("Filters", []):
            if flt["Key"] == "Status":
                statuses = set(flt["Values"])
        items = [
            item
            for node_id in params.get("ResourceIds", [])
            if node_id in self.nodes
            for item in self.nodes[node_id].compliance_items
            if item["Status"] in statuses
        ]
        return {"ComplianceItems": items[: params.get("MaxResults", 100)]}

    def _DescribeInstancePatches(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        node = self.nodes[params["InstanceId"]]
        states: set[str] | None = None
        for flt in params.get("Filters", []):
            if flt["Key"] == "State":
                states = {value.replace("_", "").lower() for value in flt["Values"]}
        patches = [
            patch
            for patch in node.instance_patches
            if states is None or patch["State"].replace("_", "").lower() in states
        ]
        return {"Patches": patches[: params.get("MaxResults", 100)]}

    def _GetFindings(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        ids = [each["Value"] for each in params.get("Filters", {}).get("Id", [])]
        return {"Findings": [self.findings[i] for i in ids if i in self.findings]}

    def _BatchImportFindings(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        for finding in params["Findings"]:
            self.findings[finding["Id"]] = finding
        return {"FailedCount": 0, "SuccessCount": len(params["Findings"]), "FailedFindings": []}

    def _SendMessage(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self.sent.append(params["MessageBody"])
        digest = hashlib.md5(params["MessageBody"].encode(), usedforsecurity=False).hexdigest()
        return {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": digest}


def non_compliant(node: RecordedNode) -> bool:
    return any(
        patch["State"].replace("_", "").lower() in NON_COMPLIANT_STATE_KEYS for patch in node.instance_patches
    )
