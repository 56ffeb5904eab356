"""The per-node SSM reads run concurrently; outcomes and findings do not depend on it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from patch_securityhub.config import ConfigError, load_forwarder_config
from patch_securityhub.pipeline import IMPORTED, TRANSIENT, NodeRequest, process
from patch_securityhub.retry import Backoff
from patch_securityhub.ssm_read import SsmReader
from patch_securityhub.timeutil import parse_rfc3339
from unit_helpers import (
    ACCOUNT,
    REGION,
    compliance_item,
    info_row,
    instance_patch,
    no_sleep,
    node_ids,
    patch_state_row,
)

NOW = parse_rfc3339("2026-11-23T10:05:00Z")


class FleetSsm:
    """An SSM client answering from a fleet by parameters (a Stubber answers in call order, which concurrent
    reads do not keep), holding each per-node read for a moment and counting how many are in flight."""

    def __init__(self, nodes: list[str], failing: frozenset[str] = frozenset(), hold: float = 0.02) -> None:
        self.nodes = nodes
        self.failing = failing
        self.hold = hold
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()

    def _per_node(self, node_id: str) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        time.sleep(self.hold)
        with self.lock:
            self.in_flight -= 1
        if node_id in self.failing:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Read")

    def describe_instance_information(self, Filters: list[dict[str, Any]], **_: Any) -> dict[str, Any]:  # noqa: N803
        return {"InstanceInformationList": [info_row(n) for n in Filters[0]["Values"]]}

    def describe_instance_patch_states(self, InstanceIds: list[str], **_: Any) -> dict[str, Any]:  # noqa: N803
        return {"InstancePatchStates": [patch_state_row(n) for n in InstanceIds]}

    def list_compliance_items(self, ResourceIds: list[str], **_: Any) -> dict[str, Any]:  # noqa: N803
        (node_id,) = ResourceIds
        self._per_node(node_id)
        return {"ComplianceItems": [compliance_item(node_id, f"KB{node_id[-4:]}", "HIGH")]}

    def describe_instance_patches(self, InstanceId: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        self._per_node(InstanceId)
        return {"Patches": [instance_patch(f"KB{InstanceId[-4:]}", "Important", cves=["CVE-2026-0001"])]}


class CapturingSecurityHub:
    def __init__(self) -> None:
        self.imported: list[dict[str, Any]] = []

    def get_findings(self, **_: Any) -> dict[str, Any]:
        return {"Findings": []}

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.imported.extend(Findings)
        return {"SuccessCount": len(Findings), "FailedCount": 0, "FailedFindings": []}


def _forward(ssm: FleetSsm, concurrency: int) -> tuple[dict[str, tuple[str, str]], list[dict[str, Any]]]:
    securityhub = CapturingSecurityHub()
    report = process(
        [NodeRequest(n) for n in ssm.nodes],
        ssm_client=ssm,
        securityhub_client=securityhub,
        account=ACCOUNT,
        region=REGION,
        now=NOW,
        backoff=Backoff(sleep=no_sleep),
        read_concurrency=concurrency,
    )
    outcomes = {n: (o.status, o.reason) for n, o in report.outcomes.items()}
    return outcomes, sorted(securityhub.imported, key=lambda f: f["Id"])


def test_reads_overlap_up_to_the_concurrency_and_never_beyond() -> None:
    ssm = FleetSsm(node_ids(12))
    results = SsmReader(ssm, Backoff(sleep=no_sleep)).non_compliant_items_of(ssm.nodes, concurrency=4)
    assert ssm.peak == 4
    assert sorted(results) == sorted(ssm.nodes)
    assert all(isinstance(items, list) and len(items) == 1 for items in results.values())


def test_concurrent_reads_give_the_same_outcomes_and_findings_as_sequential_ones() -> None:
    nodes = node_ids(30)
    failing = frozenset(nodes[3:5])
    sequential = _forward(FleetSsm(nodes, failing, hold=0), concurrency=1)
    concurrent_ssm = FleetSsm(nodes, failing)
    concurrent = _forward(concurrent_ssm, concurrency=8)
    assert concurrent_ssm.peak > 1
    assert concurrent == sequential
    outcomes, findings = concurrent
    assert {n for n, (status, _) in outcomes.items() if status == TRANSIENT} == failing
    assert all(outcomes[n][0] == IMPORTED for n in nodes if n not in failing)
    assert "AccessDeniedException" in outcomes[nodes[3]][1]
    assert len(findings) == len(nodes) - len(failing)


def test_read_concurrency_setting() -> None:
    base = {
        "AWS_REGION": REGION,
        "PSH_QUARANTINE_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q",
    }
    assert load_forwarder_config(base).ssm_read_concurrency == 8
    assert load_forwarder_config({**base, "PSH_SSM_READ_CONCURRENCY": "1"}).ssm_read_concurrency == 1
    for bad in ("0", "33", "many"):
        with pytest.raises(ConfigError, match="PSH_SSM_READ_CONCURRENCY"):
            load_forwarder_config({**base, "PSH_SSM_READ_CONCURRENCY": bad})
