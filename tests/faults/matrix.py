"""What every fault test of the matrix shares: a fleet of nodes in the faults account, the truth SSM holds
about them, compliance events built like SSM's, and the measured end state (one row of the table per fault).

A row's values are measured at the end of a test, never assumed:
- sent: events that entered the main queue: the messages the test sent itself (counted from SendMessageBatch's
  answers) plus the compliance events the test's scans emitted (one per node whose compliance state changed:
  every scan here changes every scanned node's state),
- expected: nodes SSM reports non-compliant, each of which must have exactly one ACTIVE finding,
- present: ACTIVE findings of the test's nodes that carry SSM's latest data (PatchSummary.OperationEndTime),
- duplicates: findings beyond one per node (any record state),
- lost: expected nodes without a finding showing the latest data, plus messages left in the main queue or DLQ,
- recover_seconds: from the end of the fault (or the injection when the fault has no duration) until all of
  the above held.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psh_localstack.client import ssm as ssm_control
from psh_stage import fleet
from psh_stage.aws import queue_depths
from psh_stage.deployments import Deployment
from psh_stage.events import compliance_event
from psh_stage.findings import by_node
from psh_stage.paths import BUILD
from psh_stage.report import text_table

CONVERGE_TIMEOUT = 240.0
RESULTS_FILE = BUILD / "faults.json"
POISON_BODY = "{poison: this is not json"


@dataclass
class Row:
    fault: str
    sent: int
    expected: int
    present: int
    duplicates: int
    lost: int
    recover_seconds: float


@dataclass
class Fleet:
    """Nodes registered by one test, and what SSM says about them after its scans."""

    deployment: Deployment
    node_ids: list[str]
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def register(cls, deployment: Deployment, count: int, seed: int) -> Fleet:
        specs = fleet.mixed_fleet(count, seed=seed, patch_group="web", patches_per_node=3)
        # Node ids follow the seed: a LocalStack reused from an earlier session still holds these nodes and
        # their compliance, and a rescan that changes nothing emits no event. Start from fresh nodes.
        for spec in specs:
            try:
                ssm_control.delete_node_of(
                    deployment.endpoint, spec["InstanceId"], deployment.account, deployment.aws.region
                )
            except ssm_control.ControlError as error:
                if error.status != 404:
                    raise
        ids = ssm_control.register_nodes(
            deployment.endpoint, specs, account_id=deployment.account, region=deployment.aws.region
        )
        return cls(deployment, ids, {spec["InstanceId"]: spec for spec in specs})

    def scan(self, node_ids: list[str] | None = None) -> int:
        """Scan the nodes; returns the compliance events that emits (the emulator publishes one per node whose
        compliance state changed, which every scan of these tests does)."""
        scanned = node_ids or self.node_ids
        answer = ssm_control.scan_via_control(
            self.deployment.endpoint,
            scanned,
            account_id=self.deployment.account,
            region=self.deployment.aws.region,
        )
        return len(answer["patch_states"])

    def release_missing_patch(self, node_ids: list[str], index: int) -> None:
        """A new patch is missing on these nodes: their next scan changes their compliance state."""
        updated = []
        for node_id in node_ids:
            node = self.nodes[node_id]
            patch = fleet.make_patch(random.Random(index), node["PlatformType"], index, "MISSING")
            node = {**node, "Patches": [*node["Patches"], patch]}
            self.nodes[node_id] = node
            updated.append(node)
        ssm_control.register_nodes(
            self.deployment.endpoint,
            updated,
            account_id=self.deployment.account,
            region=self.deployment.aws.region,
        )

    def truth(self) -> dict[str, dict[str, Any]]:
        """Per node: non-compliant?, OperationEndTime, baseline, as SSM reports them now."""
        ssm = self.deployment.aws.client("ssm")
        states: dict[str, dict[str, Any]] = {}
        for start in range(0, len(self.node_ids), 50):
            chunk = self.node_ids[start : start + 50]
            token: dict[str, str] = {}
            while True:
                page = ssm.describe_instance_patch_states(InstanceIds=chunk, MaxResults=50, **token)
                states.update({s["InstanceId"]: s for s in page["InstancePatchStates"]})
                if not page.get("NextToken"):
                    break
                token = {"NextToken": page["NextToken"]}
        truth = {}
        for node_id in self.node_ids:
            items = ssm.list_compliance_items(
                ResourceIds=[node_id],
                ResourceTypes=["ManagedInstance"],
                Filters=[
                    {"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"},
                    {"Key": "Status", "Values": ["NON_COMPLIANT"], "Type": "EQUAL"},
                ],
                MaxResults=50,
            )["ComplianceItems"]
            state = states[node_id]
            truth[node_id] = {
                "non_compliant": bool(items),
                "end": _millis(state["OperationEndTime"]),
                "baseline": state["BaselineId"],
            }
        return truth

    def event_body(self, node_id: str, truth: dict[str, Any]) -> str:
        """The compliance event SSM publishes for the node's scan described by `truth` (as EventBridge
        delivers it to the queue)."""
        status = "non_compliant" if truth["non_compliant"] else "compliant"
        event = compliance_event(
            node_id,
            account=self.deployment.account,
            region=self.deployment.aws.region,
            status=status,
            time=truth["end"],
            baseline_id=truth["baseline"],
        )
        return json.dumps(event)


def _millis(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def send_bodies(deployment: Deployment, bodies: list[str]) -> int:
    """SendMessageBatch (10 per call) to the main queue; returns how many were accepted."""
    sqs = deployment.aws.client("sqs")
    accepted = 0
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])]
        answer = sqs.send_message_batch(QueueUrl=deployment.queues["main"], Entries=entries)
        assert not answer.get("Failed"), answer["Failed"]
        accepted += len(answer.get("Successful", []))
    return accepted


@dataclass
class EndState:
    expected: int
    present: int
    duplicates: int
    stale_or_missing: int
    depths: dict[str, int]
    quarantined: int

    def converged(self, poison: int) -> bool:
        return (
            self.present == self.expected
            and self.stale_or_missing == 0
            and self.duplicates == 0
            and self.depths["main"] == 0
            and self.depths["dlq"] == 0
            and self.quarantined == poison
        )


def end_state(deployment: Deployment, truth: dict[str, dict[str, Any]]) -> EndState:
    findings = by_node(deployment.findings())
    expected = {n for n, t in truth.items() if t["non_compliant"]}
    present = duplicates = missing = 0
    for node_id in truth:
        mine = findings.get(node_id, [])
        duplicates += max(0, len(mine) - 1)
        active = [f for f in mine if f.get("RecordState") == "ACTIVE"]
        latest = [
            f
            for f in active
            if _millis(f["PatchSummary"]["OperationEndTime"]) == truth[node_id]["end"]
            and f["Compliance"]["Status"] == "FAILED"
        ]
        if node_id in expected:
            present += len(latest)
            missing += 0 if latest else 1
        else:
            present += len(active)  # a compliant node with an ACTIVE finding counts against the total
    depths = queue_depths(deployment.aws.client("sqs"), deployment.queues)
    return EndState(len(expected), present, duplicates, missing, depths, depths["quarantine"])


def wait_converged(
    deployment: Deployment,
    truth: dict[str, dict[str, Any]],
    poison: int = 0,
    timeout: float = CONVERGE_TIMEOUT,
) -> tuple[EndState, bool]:
    """Poll the end state until it converged or `timeout` passed; returns the last state and the verdict."""
    deadline = time.monotonic() + timeout
    while True:
        state = end_state(deployment, truth)
        if state.converged(poison):
            return state, True
        if time.monotonic() > deadline:
            return state, False
        time.sleep(1.0)


def drain_quarantine(deployment: Deployment) -> list[str]:
    """Receive and delete everything in the quarantine queue; returns the reasons it gave."""
    sqs = deployment.aws.client("sqs")
    reasons = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=deployment.queues["quarantine"],
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if not messages:
            return reasons
        for message in messages:
            reasons.append(message["MessageAttributes"]["reason"]["StringValue"])
            sqs.delete_message(
                QueueUrl=deployment.queues["quarantine"], ReceiptHandle=message["ReceiptHandle"]
            )


def row(fault: str, sent: int, state: EndState, recover_seconds: float) -> Row:
    lost = state.stale_or_missing + state.depths["main"] + state.depths["dlq"]
    return Row(fault, sent, state.expected, state.present, state.duplicates, lost, round(recover_seconds, 1))


def table(rows: list[Row]) -> str:
    header = (
        "fault",
        "events sent",
        "findings expected",
        "findings present",
        "duplicates",
        "lost",
        "recover s",
    )
    lines = [
        (
            r.fault,
            str(r.sent),
            str(r.expected),
            str(r.present),
            str(r.duplicates),
            str(r.lost),
            f"{r.recover_seconds:.1f}",
        )
        for r in rows
    ]
    return text_table(header, lines)


def page_body(rows: list[Row]) -> str:
    """The results page: what each column means (this module's docstring), then the table."""
    meaning = __doc__.split("\n\n", 1)[1].strip()
    return f"{meaning}\n\n```\n{table(rows)}\n```"


def write_results(rows: list[Row], path: Path = RESULTS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")


def read_results(path: Path = RESULTS_FILE) -> list[Row]:
    if not path.exists():
        return []
    return [Row(**row) for row in json.loads(path.read_text())]
