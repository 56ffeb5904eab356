"""The forwarder's work for a set of nodes: collect from SSM, decide, build, import.

`process()` is the public entry point shared by the Lambda handler, the CLI's reconcile, the benchmark and the
end-to-end tests. It never raises for per-node problems: every node gets exactly one outcome. The per-node
patch reads (two SSM calls per node, one node per call) run on `read_concurrency` threads; everything else is
batched and sequential, and outcomes do not depend on the order in which the reads finish.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .finding import (
    Decision,
    FindingContext,
    build_finding,
    decide,
    finding_id,
    gone_finding,
    product_arn,
)
from .finding_check import finding_errors
from .logs import JsonLogger
from .model import NodeSnapshot, PriorFinding
from .node_fate import NodeFate, node_fates
from .paging import PagingError
from .retry import Backoff, error_code
from .securityhub_io import RecentImports, SecurityHubFindings
from .ssm_read import InvalidSsmDataError, SsmReader
from .timeutil import utcnow

# Outcome statuses. "transient" means: retry the message later. "permanent": quarantine it.
IMPORTED, RESOLVED, SKIPPED, PERMANENT, TRANSIENT = (
    "imported",
    "resolved",
    "skipped",
    "permanent",
    "transient",
)


# The reason codes of a permanent (quarantined) outcome: a closed set, documented in lambda_src/README.md.
PERMANENT_REASONS = frozenset(
    {
        "build_failed",
        "import_failed_unknown_code",
        "import_rejected",
        "invalid_finding",
        "invalid_patch_state",
        "no_patch_state",
        "prior_updated_in_future",
        "rejected_node_id",
    }
)
# The reason codes of a transient outcome (the message goes back to the queue).
TRANSIENT_REASONS = frozenset(
    {
        "import_deadline",
        "import_failed_transient",
        "import_unconfirmed",
        "paging_deadline",
        "paging_repeated_token",
        "paging_too_many_pages",
        "prior_not_visible",
        "read_behind_event",
        "read_failed",
        "ssm_unreadable",
        "state_changed",
    }
)
# An event whose compliance status SSM's read does not show yet (the read is not from a later operation) is
# handed back this many times (its SQS receive count), then left to the sweep (the forwarder's
# PSH_READ_BEHIND_RETRIES; the module keeps it below the queue's maxReceiveCount).
READ_BEHIND_RETRIES = 2
# A compliant node without a visible finding, on an event this recent: its finding may exist and not be
# visible yet (Security Hub's reads lag). Handed back READ_BEHIND_RETRIES times before `compliant_no_finding`.
PRIOR_LAG_WINDOW = timedelta(minutes=15)
_EVENT_STATUS = {"compliant": False, "non_compliant": True}  # the event's compliance-status -> non-compliant


@dataclass(frozen=True)
class NodeRequest:
    node_id: str
    event_time: datetime | None = None  # None: reconciliation, always refresh from the current state
    event_status: str | None = None  # the event's compliance-status (compliant | non_compliant)
    attempt: int = 1  # how many times this request was received (SQS ApproximateReceiveCount)
    # The sweep's walk of the findings: refresh the node only when SSM does not list it (the walk of the
    # nodes SSM lists refreshes the others).
    only_if_unlisted: bool = False


@dataclass
class NodeOutcome:
    node_id: str
    status: str
    reason: str  # "<code>" or "<code>: <detail>"; <code> is one of the closed set in lambda_src/README.md
    finding_id: str | None = None
    severity: str | None = None

    @property
    def code(self) -> str:
        """The stable reason code (for quarantine attributes and metrics), without the detail."""
        return self.reason.split(":", 1)[0]


@dataclass
class ProcessReport:
    outcomes: dict[str, NodeOutcome] = field(default_factory=dict)
    import_calls: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)
    native_resolved: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == status)


def _merge_requests(requests: Iterable[NodeRequest]) -> dict[str, NodeRequest]:
    """One request per node: the latest event wins; a reconciliation request (no time) beats any event."""
    merged: dict[str, NodeRequest] = {}
    for request in requests:
        known = merged.get(request.node_id)
        if known is not None and known.event_time is None and request.event_time is None:
            # two reconciliations: refresh whenever either asks for listed nodes too
            merged[request.node_id] = NodeRequest(
                request.node_id, only_if_unlisted=known.only_if_unlisted and request.only_if_unlisted
            )
            continue
        newer = (
            known is None
            or request.event_time is None
            or (known.event_time is not None and request.event_time >= known.event_time)
        )
        if newer:
            merged[request.node_id] = request
    return merged


def read_behind(request: NodeRequest, snapshot: NodeSnapshot) -> bool:
    """The event reports a compliance status that SSM's read does not show, and the read is not from an
    operation that ended after the event (which would make the read newer than the event)."""
    state = snapshot.state
    reported = _EVENT_STATUS.get(request.event_status or "")
    if state is None or reported is None or request.event_time is None:
        return False
    return reported != state.counts_non_compliant and state.operation_end <= request.event_time


def _reason(exc: BaseException) -> str:
    return f"{error_code(exc) or type(exc).__name__}: {str(exc)[:200]}"


def _failure(step: str, exc: BaseException) -> str:
    """A transient outcome for a read that failed: paging errors carry their own code."""
    if isinstance(exc, PagingError):
        return f"{exc.code}: {step}: {exc}"
    if isinstance(exc, InvalidSsmDataError):
        return f"ssm_unreadable: {step}: {exc}"
    return f"read_failed: {step}: {_reason(exc)}"


def verify(
    reader: SsmReader, report: ProcessReport, snapshots: dict[str, NodeSnapshot], logger: JsonLogger
) -> None:
    """Read the patch state of every node just imported or resolved again; one whose operation is no longer
    the one published (a newer Scan or Install ended meanwhile) becomes transient `state_changed`: the import
    stands, and the retry publishes the newer state. A failed read changes nothing (the sweep reads again)."""
    published = {
        o.node_id: snapshots[o.node_id].state
        for o in report.outcomes.values()
        if o.status in (IMPORTED, RESOLVED) and o.reason == "imported" and o.node_id in snapshots
    }
    if not published:
        return
    try:
        states, _ = reader.patch_states(sorted(published))
    except Exception as exc:
        logger.warning("verify_read_failed", error=_reason(exc), nodes=len(published))
        return
    for node_id, state in sorted(published.items()):
        now_state = states.get(node_id)
        if state is not None and now_state is not None and now_state.operation_end > state.operation_end:
            outcome = report.outcomes[node_id]
            detail = f"SSM has a newer {now_state.operation} than the one published"
            report.outcomes[node_id] = NodeOutcome(
                node_id, TRANSIENT, f"state_changed: {detail}", finding_id=outcome.finding_id
            )
            logger.info("node_decision", node=node_id, outcome=TRANSIENT, reason="state_changed")


def process(
    requests: Iterable[NodeRequest],
    *,
    ssm_client: Any,
    securityhub_client: Any,
    ec2_client: Any = None,
    account: str,
    region: str,
    onprem_resource_type: str = "AwsEc2Instance",
    resolve_native: bool = False,
    now: datetime | None = None,
    backoff: Backoff | None = None,
    logger: JsonLogger | None = None,
    read_concurrency: int = 1,
    read_behind_retries: int = READ_BEHIND_RETRIES,
    recent: RecentImports | None = None,
    verify_imports: bool = True,
) -> ProcessReport:
    backoff = backoff or Backoff()
    logger = logger or JsonLogger("forwarder")
    fixed_now = now
    now = now or utcnow()
    ctx = FindingContext(account=account, region=region, onprem_resource_type=onprem_resource_type)
    reader = SsmReader(ssm_client, backoff, now=now)
    hub = SecurityHubFindings(
        securityhub_client, backoff, product_arn(account, region), now=now, recent=recent
    )
    report = ProcessReport()
    pending = _merge_requests(requests)

    def settle(node_id: str, status: str, reason: str, **extra: Any) -> None:
        report.outcomes[node_id] = NodeOutcome(node_id, status, reason, **extra)
        pending.pop(node_id, None)
        logger.info("node_decision", node=node_id, outcome=status, reason=reason, **extra)

    def settle_all(status: str, reason: str) -> ProcessReport:
        for node_id in sorted(pending):
            settle(node_id, status, reason)
        return report

    if not pending:
        return report
    rejected: dict[str, str] = {}  # nodes SSM refused by id (isolated by splitting the batched calls)
    try:
        infos = reader.node_information(sorted(pending), rejected)
    except Exception as exc:
        return settle_all(TRANSIENT, _failure("DescribeInstanceInformation", exc))
    # DescribeInstanceInformation leaves out stopped and terminated nodes ("This operation does not return
    # information for nodes that are either Stopped or Terminated", API reference) and answers an id it does
    # not know with an error for the call ("If you specify a node ID that isn't valid or a node that you don't
    # own, you receive an error"): for those nodes EC2 tells whether they still exist (node_fate).
    unlisted = sorted(set(rejected) | (set(pending) - set(infos)))
    for node_id in sorted(set(pending) - set(unlisted)):
        if pending[node_id].only_if_unlisted:
            settle(node_id, SKIPPED, "listed_by_ssm")
    fates: dict[str, NodeFate] = {}
    if unlisted and ec2_client is None:
        # No EC2 to ask (the CLI without EC2 access): a node is never archived without evidence.
        fates = {n: NodeFate.DEREGISTERED if n.startswith("mi-") else NodeFate.STOPPED for n in unlisted}
    elif unlisted:
        try:
            fates = node_fates(ec2_client, backoff, unlisted)
        except Exception as exc:
            for node_id in unlisted:
                settle(node_id, TRANSIENT, _failure("DescribeInstances", exc))
    gone = {n: fate for n, fate in fates.items() if fate.gone and n in pending}
    stopped = {n for n, fate in fates.items() if not fate.gone and n in pending}
    for node_id in gone:
        pending.pop(node_id)
    if not pending and not gone:
        return report

    rejected.clear()
    states: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    # Racing invocations (a Scan's and an Install's, say) converge on SSM's latest state: a finding's
    # UpdatedAt is the moment SSM's answer arrived (Security Hub keeps the import with the latest UpdatedAt),
    # and after importing, SSM is read again (verify_imports): a node whose state moved meanwhile is handed
    # back, so a retry publishes the newer state over whatever landed.
    if pending:
        try:
            states, unreadable = reader.patch_states(sorted(pending), rejected)
        except Exception as exc:
            for node_id in gone:
                pending[node_id] = NodeRequest(node_id)
            return settle_all(TRANSIENT, _failure("DescribeInstancePatchStates", exc))
    observed_at = fixed_now or utcnow()
    for node_id in sorted(rejected):
        if node_id in stopped:
            settle(node_id, SKIPPED, "node_stopped")
        else:
            settle(node_id, PERMANENT, f"rejected_node_id: DescribeInstancePatchStates {rejected[node_id]}")
    for node_id in sorted(set(pending) - set(states)):
        if node_id in unreadable:
            settle(node_id, PERMANENT, f"invalid_patch_state: {unreadable[node_id]}")
        elif node_id in stopped:
            settle(node_id, SKIPPED, "node_stopped")  # a stopped node SSM never scanned: nothing to report
        else:
            settle(node_id, PERMANENT, "no_patch_state")
    if not pending and not gone:
        return report

    ids = {node_id: finding_id(account, region, node_id) for node_id in [*pending, *gone]}
    try:
        priors = hub.prior_findings(list(ids.values()))
    except Exception as exc:
        for node_id in gone:
            pending[node_id] = NodeRequest(node_id)
        return settle_all(TRANSIENT, _failure("GetFindings", exc))

    to_import: dict[str, dict[str, Any]] = {}  # finding id -> finding
    node_of: dict[str, str] = {}
    actions: dict[str, str] = {}
    decided: list[tuple[NodeSnapshot, PriorFinding | None, Decision]] = []
    for node_id in sorted(pending):
        snapshot = NodeSnapshot(node_id=node_id, state=states[node_id], info=infos.get(node_id))
        prior = priors.get(ids[node_id])
        if prior is not None and prior.updated_in_future:
            # Security Hub ignores an update whose UpdatedAt is not later than the stored one: no import can
            # land before that time, and this function never writes a time from the future itself.
            detail = f"stored UpdatedAt {prior.updated_at.isoformat()} is later than now"
            settle(node_id, PERMANENT, f"prior_updated_in_future: {detail}", finding_id=ids[node_id])
            continue
        request = pending[node_id]
        if read_behind(request, snapshot):
            if request.attempt <= read_behind_retries:
                detail = f"the event says {request.event_status}, SSM's read does not show it yet"
                settle(node_id, TRANSIENT, f"read_behind_event: {detail}", finding_id=ids[node_id])
            else:  # the read may lag for longer: the sweep reads the node again
                settle(node_id, SKIPPED, "left_to_sweep", finding_id=ids[node_id])
            continue
        decision = decide(snapshot, prior, request.event_time)
        if (
            decision.reason == "compliant_no_finding"
            and request.event_time is not None
            and now - request.event_time < PRIOR_LAG_WINDOW
            and request.attempt <= read_behind_retries
        ):
            detail = "a compliant node's finding may not be visible yet"
            settle(node_id, TRANSIENT, f"prior_not_visible: {detail}", finding_id=ids[node_id])
            continue
        if decision.action == "skip":
            settle(node_id, SKIPPED, decision.reason, finding_id=ids[node_id])
        else:
            decided.append((snapshot, prior, decision))
    for node_id, fate in sorted(gone.items()):
        reason = "node_deregistered" if fate is NodeFate.DEREGISTERED else "node_terminated"
        prior = priors.get(ids[node_id])
        pending[node_id] = NodeRequest(node_id)
        if prior is None or not prior.own or prior.record_state != "ACTIVE" or prior.updated_in_future:
            settle(node_id, SKIPPED, reason, finding_id=ids[node_id])  # nothing of ours to archive
            continue
        finding = gone_finding(prior, reason, now=observed_at)
        errors = finding_errors(finding)
        if errors:
            settle(node_id, PERMANENT, f"invalid_finding: {'; '.join(errors)[:400]}", finding_id=ids[node_id])
            continue
        to_import[finding["Id"]] = finding
        node_of[finding["Id"]] = node_id
        actions[node_id] = reason
    items = reader.non_compliant_items_of(
        [s.node_id for s, _, d in decided if d.action == "import"], concurrency=read_concurrency
    )
    for snapshot, prior, decision in decided:
        node_id = snapshot.node_id
        if decision.action == "import":
            read = items[node_id]
            if isinstance(read, Exception):
                settle(node_id, TRANSIENT, _failure("patch items", read))
                continue
            snapshot.items = read
        try:
            finding = build_finding(snapshot, ctx, prior=prior, now=observed_at)
        except ValueError as exc:
            settle(node_id, PERMANENT, f"build_failed: {exc}")
            continue
        errors = finding_errors(finding)  # the ASFF check, before anything is sent
        if errors:
            settle(
                node_id, PERMANENT, f"invalid_finding: {'; '.join(errors)[:400]}", finding_id=finding["Id"]
            )
            continue
        to_import[finding["Id"]] = finding
        node_of[finding["Id"]] = node_id
        actions[node_id] = decision.action

    if to_import:
        result = hub.import_findings(list(to_import.values()))
        report.import_calls += result.calls
        for fid, finding in to_import.items():
            node_id = node_of[fid]
            if fid in result.imported:
                report.findings.append(finding)
                action = actions[node_id]
                status = IMPORTED if action == "import" else RESOLVED
                label = finding["Severity"]["Label"]
                reason = "imported" if action in ("import", "resolve") else action
                settle(node_id, status, reason, finding_id=fid, severity=label)
            elif fid in result.permanent:
                settle(node_id, PERMANENT, result.permanent[fid], finding_id=fid)
            else:
                reason = result.transient.get(fid, "import_unconfirmed: not imported")
                settle(node_id, TRANSIENT, reason, finding_id=fid)

    if verify_imports:
        verify(reader, report, {s.node_id: s for s, _, _ in decided}, logger)

    # Nodes that became compliant (not the archived findings of nodes that are gone).
    resolved = [
        o.node_id for o in report.outcomes.values() if o.status == RESOLVED and o.reason == "imported"
    ]
    if resolve_native and resolved:
        try:
            report.native_resolved = hub.resolve_native_findings(
                region, resolved, "Resolved by patch-securityhub: the node is now patch compliant."
            )
            logger.info("native_findings_resolved", count=report.native_resolved, nodes=len(resolved))
        except Exception as exc:  # best effort: our own finding already landed
            logger.warning("native_findings_resolve_failed", error=_reason(exc), nodes=len(resolved))
    return report
