"""Two invocations racing for one node converge on SSM's latest state, however their steps interleave.

A Scan (non-compliant) and an Install (compliant) of the same node are handled by two forwarder invocations at
once. The fakes below answer as SSM and Security Hub do (Security Hub keeps an update only when its UpdatedAt
is later than the stored one: user guide, "Using BatchImportFindings to create and update findings"), and
pause each invocation at chosen calls so that the steps interleave in the order a test names.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from patch_securityhub import pipeline
from patch_securityhub.finding import finding_id
from patch_securityhub.pipeline import NodeRequest, process
from patch_securityhub.retry import Backoff
from patch_securityhub.timeutil import as_datetime
from unit_helpers import (
    ACCOUNT,
    REGION,
    compliant_row,
    info_row,
    instance_patch,
    no_sleep,
    patch_state_row,
    ts,
)

NODE = "i-0123456789abcdef0"
SCAN = patch_state_row(
    NODE, OperationStartTime=ts("2026-11-23T10:00:00Z"), OperationEndTime=ts("2026-11-23T10:01:00Z")
)
INSTALL = compliant_row(
    NODE,
    Operation="Install",
    OperationStartTime=ts("2026-11-23T10:02:00Z"),
    OperationEndTime=ts("2026-11-23T10:03:00Z"),
)
EARLIER = patch_state_row(
    NODE, OperationStartTime=ts("2026-11-23T09:00:00Z"), OperationEndTime=ts("2026-11-23T09:01:00Z")
)


class World:
    """SSM's state of the node and Security Hub's stored findings, shared by both invocations."""

    def __init__(self) -> None:
        self.patch_state = SCAN
        self.findings: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.pauses: dict[tuple[str, str], threading.Event] = {}  # (invocation, step) -> released when set
        self.reached: dict[tuple[str, str], threading.Event] = {}  # (invocation, step) -> set on arrival
        self.after: dict[tuple[str, str], Any] = {}  # (invocation, step) -> run once the step returned
        self.now = ts("2026-11-23T10:04:00Z")

    def clock(self) -> datetime:
        """The invocations' clock: each reading is a millisecond after the one before, so of two answers
        the one that arrives later is stamped later, however fast the code between them runs."""
        with self.lock:
            self.now += timedelta(milliseconds=1)
            return self.now

    def step(self, who: str, name: str) -> None:
        self.reached.setdefault((who, name), threading.Event()).set()
        pause = self.pauses.get((who, name))
        if pause is not None:
            assert pause.wait(10), f"{who} was never released at {name}"

    def done(self, who: str, name: str) -> None:
        action = self.after.get((who, name))
        if action is not None:
            action()
        self.reached.setdefault((who, f"{name}:done"), threading.Event()).set()

    def wait_reached(self, who: str, name: str) -> None:
        assert self.reached.setdefault((who, name), threading.Event()).wait(10), f"{who} never reached {name}"


class FakeSsm:
    def __init__(self, world: World, who: str) -> None:
        self.world, self.who = world, who

    def describe_instance_information(self, **_: Any) -> dict[str, Any]:
        return {"InstanceInformationList": [info_row(NODE)]}

    def describe_instance_patch_states(self, **_: Any) -> dict[str, Any]:
        self.world.step(self.who, "read_ssm")  # the request is on its way
        with self.world.lock:
            state = self.world.patch_state
        self.world.done(self.who, "read_ssm")
        self.world.step(self.who, "answer")  # SSM has answered; the answer is on its way back
        return {"InstancePatchStates": [state]}

    def list_compliance_items(self, **_: Any) -> dict[str, Any]:
        return {"ComplianceItems": []}

    def describe_instance_patches(self, **_: Any) -> dict[str, Any]:
        missing = self.world.patch_state["MissingCount"] > 0
        return {"Patches": [instance_patch("KB1", "Critical")] if missing else []}


class FakeSecurityHub:
    def __init__(self, world: World, who: str) -> None:
        self.world, self.who = world, who

    def get_findings(self, **kwargs: Any) -> dict[str, Any]:
        ids = {f["Value"] for f in kwargs["Filters"]["Id"]}
        with self.world.lock:
            return {"Findings": [dict(f) for i, f in self.world.findings.items() if i in ids]}

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - the API's
        self.world.step(self.who, "import")
        with self.world.lock:
            for finding in Findings:
                stored = self.world.findings.get(finding["Id"])
                # An update is kept only when its UpdatedAt is later than the stored one.
                if stored is None or as_datetime(finding["UpdatedAt"]) > as_datetime(stored["UpdatedAt"]):
                    self.world.findings[finding["Id"]] = finding
        self.world.done(self.who, "import")
        return {"SuccessCount": len(Findings), "FailedCount": 0, "FailedFindings": []}


def invoke(
    world: World, who: str, event_time: datetime, status: str, outcomes: dict[str, Any]
) -> threading.Thread:
    def run() -> None:
        report = process(
            [NodeRequest(NODE, event_time, event_status=status)],
            ssm_client=FakeSsm(world, who),
            securityhub_client=FakeSecurityHub(world, who),
            account=ACCOUNT,
            region=REGION,
            backoff=Backoff(sleep=no_sleep),
        )
        outcomes[who] = report.outcomes[NODE]

    thread = threading.Thread(target=run, name=who)
    thread.start()
    return thread


def published_earlier(world: World) -> None:
    """The node's finding from an earlier scan: both invocations read it as their prior."""
    outcomes: dict[str, Any] = {}
    world.patch_state = EARLIER
    invoke(world, "earlier", ts("2026-11-23T09:01:05Z"), "non_compliant", outcomes).join(10)
    assert outcomes["earlier"].status == "imported"
    world.patch_state = SCAN


# Each order: the steps released one after the other ((invocation, step) pairs; an invocation runs freely
# past every step not listed for it). SSM's Install completes right after the Scan's read was served.
ORDERS = {
    # The Scan's invocation reads first; the Install's reads after the Install completed and imports first.
    "install imports first": [
        ("scan", "read_ssm"), ("scan", "answer"), ("install", "read_ssm"), ("install", "answer"),
        ("install", "import"), ("scan", "import"),
    ],
    "scan imports first": [
        ("scan", "read_ssm"), ("scan", "answer"), ("install", "read_ssm"), ("install", "answer"),
        ("scan", "import"), ("install", "import"),
    ],
    # The Scan's answer (the older state) arrives after the Install's, and both read the earlier finding as
    # their prior: the Scan's UpdatedAt is the later one, so its import wins in Security Hub, whichever lands
    # last; SSM read again after the import shows the newer Install, and the Scan's message is handed back.
    "scan's answer arrives last": [
        ("scan", "read_ssm"), ("install", "read_ssm"), ("install", "answer"), ("scan", "answer"),
        ("install", "import"), ("scan", "import"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("order", ORDERS)
def test_racing_invocations_converge_on_ssms_latest_state(
    order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World()
    monkeypatch.setattr(pipeline, "utcnow", world.clock)
    published_earlier(world)
    steps = ORDERS[order]
    for step in steps:
        world.pauses[step] = threading.Event()
    world.after[("scan", "read_ssm")] = lambda: setattr(world, "patch_state", INSTALL)
    outcomes: dict[str, Any] = {}
    # The Install's invocation starts first: which one started first decides nothing.
    threads = [
        invoke(world, "install", ts("2026-11-23T10:03:05Z"), "compliant", outcomes),
        invoke(world, "scan", ts("2026-11-23T10:01:05Z"), "non_compliant", outcomes),
    ]
    for index, (who, step) in enumerate(steps):
        world.wait_reached(who, step)
        world.pauses[(who, step)].set()
        # The invocation runs up to its next listed step (or through its import) before anything else moves.
        following = next((s for w, s in steps[index + 1 :] if w == who), None)
        if following is not None:
            world.wait_reached(who, following)
        elif step == "import":
            world.wait_reached(who, "import:done")
    for thread in threads:
        thread.join(10)
    (landed,) = world.findings.values()
    if order == "scan's answer arrives last":  # the race: the older state landed last
        assert landed["RecordState"] == "ACTIVE"
        assert outcomes["scan"].code == "state_changed"
    # What SQS does with a message handed back: delivers it again.
    for who, event_time, status in (
        ("install", ts("2026-11-23T10:03:05Z"), "compliant"),
        ("scan", ts("2026-11-23T10:01:05Z"), "non_compliant"),
    ):
        if outcomes[who].status == "transient":
            assert outcomes[who].code == "state_changed", outcomes[who]
            invoke(world, f"{who} again", event_time, status, outcomes).join(10)
    assert outcomes["install"].status == "resolved"
    (stored,) = world.findings.values()
    assert stored["Id"] == finding_id(ACCOUNT, REGION, NODE)
    # SSM's latest state, the Install (compliant), whatever order the steps took.
    assert (stored["RecordState"], stored["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert stored["PatchSummary"]["Operation"] == "INSTALL"
