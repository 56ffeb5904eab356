"""The forwarder's work for a set of nodes: collect from SSM, decide, build, import.

`process()` is the public entry point shared by the Lambda handler, the CLI's reconcile, the benchmark and the
end-to-end tests. It never raises for per-node problems: every node gets exactly one outcome. The per-node
patch reads (two SSM calls per node, one node per call) run on `read_concurrency` threads; everything else is
batched and sequential, and outcomes do not depend on the order in which the reads finish.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from .finding import FindingContext, build_finding, decide, finding_id, gone_finding, product_arn
from .finding_check import finding_errors
from .logs import JsonLogger
from .model import NodeInfo, NodeSnapshot, PatchState, PriorFinding
from .node_fate import NodeFate, node_fates
from .outcome import (
    IMPORTED,
    PERMANENT,
    PERMANENT_REASONS,
    RESOLVED,
    SKIPPED,
    TRANSIENT,
    TRANSIENT_REASONS,
    Decision,
    NodeOutcome,
    Status,
)
from .paging import PagingError
from .retry import Backoff, error_code
from .securityhub_io import RecentImports, SecurityHubFindings
from .ssm_read import InvalidSsmDataError, SsmReader
from .timeutil import utcnow

__all__ = [
    "IMPORTED",
    "PERMANENT",
    "PERMANENT_REASONS",
    "RESOLVED",
    "SKIPPED",
    "TRANSIENT",
    "TRANSIENT_REASONS",
    "Carried",
    "NodeOutcome",
    "NodeRequest",
    "ProcessReport",
    "Status",
    "process",
]

# An event whose compliance status SSM's read does not show yet (the read is not from a later operation) is
# handed back this many times (its SQS receive count), then left to the sweep (the forwarder's
# PSH_READ_BEHIND_RETRIES; the module keeps it below the queue's maxReceiveCount).
READ_BEHIND_RETRIES = 2
# A compliant node without a visible finding, on an event this recent: its finding may exist and not be
# visible yet (Security Hub's reads lag). Handed back READ_BEHIND_RETRIES times before `compliant_no_finding`.
PRIOR_LAG_WINDOW = timedelta(minutes=15)
_EVENT_STATUS = {"compliant": False, "non_compliant": True}  # the event's compliance-status -> non-compliant


@dataclass(frozen=True)
class Carried:
    """What the sweep read of a node moments before its request, so the forwarder does not read it again."""

    info: NodeInfo | None = None  # SSM listed the node: its DescribeInstanceInformation row
    finding: dict[str, Any] | None = None  # its ACTIVE finding of ours (securityhub_io.carried_finding)
    findings_complete: bool = False  # every ACTIVE finding was walked: without `finding`, it had none


@dataclass(frozen=True)
class NodeRequest:
    node_id: str
    event_time: datetime | None = None  # None: reconciliation, always refresh from the current state
    event_status: str | None = None  # the event's compliance-status (compliant | non_compliant)
    attempt: int = 1  # how many times this request was received (SQS ApproximateReceiveCount)
    # The sweep's walk of the findings: refresh the node only when SSM does not list it (the walk of the
    # nodes SSM lists refreshes the others).
    only_if_unlisted: bool = False
    carried: Carried | None = None  # the sweep's: what it read of the node


@dataclass
class ProcessReport:
    outcomes: dict[str, NodeOutcome] = field(default_factory=dict)
    import_calls: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)
    native_resolved: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == status)


def _merge_requests(requests: Iterable[NodeRequest]) -> dict[str, NodeRequest]:
    """One request per node: the latest event wins; a reconciliation request (no time) beats any event. What a
    sweep carried survives only when nothing else asked about the node, or every request carried the same:
    an event in the same batch may be about a change after the sweep's reads (a finding imported since)."""
    merged: dict[str, NodeRequest] = {}
    for request in requests:
        known = merged.get(request.node_id)
        if known is None:
            merged[request.node_id] = request
            continue
        carried = request.carried if request.carried == known.carried else None
        if known.event_time is None and request.event_time is None:
            # two reconciliations: refresh whenever either asks for listed nodes too
            merged[request.node_id] = NodeRequest(
                request.node_id,
                only_if_unlisted=known.only_if_unlisted and request.only_if_unlisted,
                carried=carried,
            )
            continue
        newer = request.event_time is None or (
            known.event_time is not None and request.event_time >= known.event_time
        )
        merged[request.node_id] = replace(request if newer else known, carried=carried)
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


@dataclass(frozen=True)
class Listing:
    """Phase 1's answer: the nodes SSM lists (their inventory rows), and where the others went."""

    infos: dict[str, NodeInfo]
    stopped: frozenset[str]  # not listed, but an EC2 instance that is stopped: its finding is kept
    gone: dict[str, NodeFate]  # terminated or deregistered: its finding is archived


@dataclass(frozen=True)
class Planned:
    """A node `decide()` sent on (IMPORTED or RESOLVED), with what it was decided from."""

    snapshot: NodeSnapshot
    prior: PriorFinding | None
    decision: Decision


@dataclass(frozen=True)
class Publication:
    """A finding to send and what its landing settles: the node, the status and the reason."""

    node_id: str
    finding: dict[str, Any]
    status: Status
    reason: str  # "imported" or, for the archived finding of a gone node, node_terminated | node_deregistered


@dataclass
class Batch:
    """The merged requests of one process() call and their outcomes: a node is open until it is settled,
    and every node is settled exactly once (verify() may turn an import into `state_changed` afterwards)."""

    requests: dict[str, NodeRequest]
    logger: JsonLogger
    report: ProcessReport = field(default_factory=ProcessReport)

    def open(self, among: Iterable[str] | None = None) -> list[str]:
        wanted = self.requests if among is None else set(among)
        return sorted(n for n in wanted if n in self.requests and n not in self.report.outcomes)

    def settle(self, node_id: str, status: Status, reason: str, **extra: Any) -> None:
        self.report.outcomes[node_id] = NodeOutcome(node_id, status, reason, **extra)
        self.logger.info("node_decision", node=node_id, outcome=status, reason=reason, **extra)

    def passes_check(self, node_id: str, finding: dict[str, Any]) -> bool:
        """The ASFF check before anything is sent (finding_check): a finding that fails it settles its node as
        permanent `invalid_finding`."""
        errors = finding_errors(finding)
        if errors:
            reason = f"invalid_finding: {'; '.join(errors)[:400]}"
            self.settle(node_id, PERMANENT, reason, finding_id=finding["Id"])
        return not errors

    def settle_open(self, status: Status, reason: str) -> ProcessReport:
        for node_id in self.open():
            self.settle(node_id, status, reason)
        return self.report


def verify(reader: SsmReader, batch: Batch, published: dict[str, PatchState]) -> None:
    """Read the patch state of every node just imported or resolved again; one whose operation is no longer
    the one published (a newer Scan or Install ended meanwhile) becomes transient `state_changed`: the import
    stands, and the retry publishes the newer state. A failed read changes nothing (the sweep reads again)."""
    published = {
        node_id: state
        for node_id, state in published.items()
        if (o := batch.report.outcomes.get(node_id)) is not None
        and o.status in (IMPORTED, RESOLVED)
        and o.reason == "imported"
    }
    if not published:
        return
    try:
        states, _ = reader.patch_states(sorted(published))
    except Exception as exc:
        batch.logger.warning("verify_read_failed", error=_reason(exc), nodes=len(published))
        return
    for node_id, state in sorted(published.items()):
        now_state = states.get(node_id)
        if now_state is not None and now_state.operation_end > state.operation_end:
            detail = f"SSM has a newer {now_state.operation} than the one published"
            finding = batch.report.outcomes[node_id].finding_id
            batch.settle(node_id, TRANSIENT, f"state_changed: {detail}", finding_id=finding)


def list_nodes(batch: Batch, reader: SsmReader, ec2_client: Any, backoff: Backoff) -> Listing | None:
    """Phase 1: which nodes SSM lists; for the others, whether EC2 still has them. None: the batch is settled.

    DescribeInstanceInformation leaves out stopped and terminated nodes ("This operation does not return
    information for nodes that are either Stopped or Terminated", API reference) and answers an id it does
    not know with an error for the call ("If you specify a node ID that isn't valid or a node that you don't
    own, you receive an error"): for those nodes EC2 tells whether they still exist (node_fate)."""
    rejected: dict[str, str] = {}  # nodes SSM refused by id (isolated by splitting the batched calls)
    given = {  # the sweep's rows: listed
        n: c.info for n in batch.open() if (c := batch.requests[n].carried) is not None and c.info is not None
    }
    try:
        infos = {**reader.node_information([n for n in batch.open() if n not in given], rejected), **given}
    except Exception as exc:
        batch.settle_open(TRANSIENT, _failure("DescribeInstanceInformation", exc))
        return None
    unlisted = sorted(set(rejected) | (set(batch.requests) - set(infos)))
    for node_id in batch.open(set(batch.requests) - set(unlisted)):
        if batch.requests[node_id].only_if_unlisted:
            batch.settle(node_id, SKIPPED, "listed_by_ssm")
    fates: dict[str, NodeFate] = {}
    if unlisted and ec2_client is None:
        # No EC2 to ask (the CLI without EC2 access): a node is never archived without evidence.
        fates = {n: NodeFate.DEREGISTERED if n.startswith("mi-") else NodeFate.STOPPED for n in unlisted}
    elif unlisted:
        try:
            fates = node_fates(ec2_client, backoff, unlisted)
        except Exception as exc:
            for node_id in batch.open(unlisted):
                batch.settle(node_id, TRANSIENT, _failure("DescribeInstances", exc))
    stopped = frozenset(n for n, fate in fates.items() if not fate.gone)
    gone = {n: fate for n, fate in fates.items() if fate.gone}
    return Listing(infos=infos, stopped=stopped, gone=gone)


def read_patch_states(batch: Batch, reader: SsmReader, listing: Listing) -> dict[str, PatchState] | None:
    """Phase 2: the patch state of every open node that is not gone; the nodes without one are settled.
    None: the read failed and the batch is settled."""
    live = batch.open(set(batch.requests) - set(listing.gone))
    if not live:
        return {}
    rejected: dict[str, str] = {}
    try:
        states, unreadable = reader.patch_states(live, rejected)
    except Exception as exc:
        batch.settle_open(TRANSIENT, _failure("DescribeInstancePatchStates", exc))
        return None
    for node_id in sorted(rejected):
        if node_id in listing.stopped:
            batch.settle(node_id, SKIPPED, "node_stopped")
        else:
            reason = f"rejected_node_id: DescribeInstancePatchStates {rejected[node_id]}"
            batch.settle(node_id, PERMANENT, reason)
    for node_id in batch.open(set(live) - set(states)):
        if node_id in unreadable:
            batch.settle(node_id, PERMANENT, f"invalid_patch_state: {unreadable[node_id]}")
        elif node_id in listing.stopped:
            batch.settle(
                node_id, SKIPPED, "node_stopped"
            )  # a stopped node SSM never scanned: nothing to report
        else:
            batch.settle(node_id, PERMANENT, "no_patch_state")
    return states


def carried_priors(
    batch: Batch, listing: Listing, states: dict[str, PatchState], ids: dict[str, str]
) -> dict[str, dict[str, Any] | None]:
    """Phase 3's shortcut: the findings the sweep walked, by finding id (None: the node had no ACTIVE
    finding), for the listed nodes that need no read. Read anyway: a node SSM does not list (its finding is
    archived or refreshed from the stored copy, which the sweep does not carry), and a non-compliant node
    without an ACTIVE finding (its archived finding, or one an event imported after the walk, keeps its
    CreatedAt)."""
    carried: dict[str, dict[str, Any] | None] = {}
    for node_id in batch.open():
        request = batch.requests[node_id].carried
        if request is None or node_id not in listing.infos:
            continue
        if request.finding is not None:
            carried[ids[node_id]] = request.finding
            continue
        state = states.get(node_id)
        if request.findings_complete and (state is None or not state.counts_non_compliant):
            carried[ids[node_id]] = None
    return carried


def decide_nodes(
    batch: Batch,
    *,
    listing: Listing,
    states: dict[str, PatchState],
    priors: dict[str, PriorFinding],
    ids: dict[str, str],
    now: datetime,
    read_behind_retries: int,
) -> list[Planned]:
    """Phase 4: `decide()` for every open node that is not gone; the skipped ones are settled here."""
    planned: list[Planned] = []
    for node_id in batch.open(set(batch.requests) - set(listing.gone)):
        snapshot = NodeSnapshot(node_id=node_id, state=states[node_id], info=listing.infos.get(node_id))
        prior = priors.get(ids[node_id])
        if prior is not None and prior.updated_in_future:
            # Security Hub ignores an update whose UpdatedAt is not later than the stored one: no import can
            # land before that time, and this function never writes a time from the future itself.
            detail = f"stored UpdatedAt {prior.updated_at.isoformat()} is later than now"
            batch.settle(node_id, PERMANENT, f"prior_updated_in_future: {detail}", finding_id=ids[node_id])
            continue
        request = batch.requests[node_id]
        if read_behind(request, snapshot):
            if request.attempt <= read_behind_retries:
                detail = f"the event says {request.event_status}, SSM's read does not show it yet"
                batch.settle(node_id, TRANSIENT, f"read_behind_event: {detail}", finding_id=ids[node_id])
            else:  # the read may lag for longer: the sweep reads the node again
                batch.settle(node_id, SKIPPED, "left_to_sweep", finding_id=ids[node_id])
            continue
        decision = decide(snapshot, prior, request.event_time)
        if (
            decision.reason == "compliant_no_finding"
            and request.event_time is not None
            and now - request.event_time < PRIOR_LAG_WINDOW
            and request.attempt <= read_behind_retries
        ):
            detail = "a compliant node's finding may not be visible yet"
            batch.settle(node_id, TRANSIENT, f"prior_not_visible: {detail}", finding_id=ids[node_id])
            continue
        if decision.status is SKIPPED:
            batch.settle(node_id, SKIPPED, decision.reason, finding_id=ids[node_id])
        else:
            planned.append(Planned(snapshot, prior, decision))
    return planned


def archive_gone(
    batch: Batch,
    gone: dict[str, NodeFate],
    priors: dict[str, PriorFinding],
    ids: dict[str, str],
    now: datetime,
) -> list[Publication]:
    """Phase 4, for the nodes that are gone: their ACTIVE finding of ours, archived with the reason."""
    publications: list[Publication] = []
    for node_id in batch.open(gone):
        reason = "node_deregistered" if gone[node_id] is NodeFate.DEREGISTERED else "node_terminated"
        prior = priors.get(ids[node_id])
        if prior is None or not prior.own or prior.record_state != "ACTIVE" or prior.updated_in_future:
            batch.settle(node_id, SKIPPED, reason, finding_id=ids[node_id])  # nothing of ours to archive
            continue
        finding = gone_finding(prior, reason, now=now)
        if batch.passes_check(node_id, finding):
            publications.append(Publication(node_id, finding, RESOLVED, reason))
    return publications


def build_findings(
    batch: Batch,
    reader: SsmReader,
    planned: list[Planned],
    ctx: FindingContext,
    *,
    now: datetime,
    read_concurrency: int,
) -> list[Publication]:
    """Phase 5: the patch items of the nodes to import, then each finding, checked before anything is sent."""
    items = reader.non_compliant_items_of(
        [p.snapshot.node_id for p in planned if p.decision.status is IMPORTED], concurrency=read_concurrency
    )
    publications: list[Publication] = []
    for plan in planned:
        snapshot = plan.snapshot
        node_id = snapshot.node_id
        if plan.decision.status is IMPORTED:
            read = items[node_id]
            if isinstance(read, Exception):
                batch.settle(node_id, TRANSIENT, _failure("patch items", read))
                continue
            snapshot = replace(snapshot, items=read)
        try:
            finding = build_finding(snapshot, ctx, prior=plan.prior, now=now)
        except ValueError as exc:
            batch.settle(node_id, PERMANENT, f"build_failed: {exc}")
            continue
        if batch.passes_check(node_id, finding):
            publications.append(Publication(node_id, finding, plan.decision.status, "imported"))
    return publications


def publish(batch: Batch, hub: SecurityHubFindings, publications: list[Publication]) -> None:
    """Phase 6: BatchImportFindings of every publication; each node settled by what Security Hub answered."""
    if not publications:
        return
    result = hub.import_findings([p.finding for p in publications])
    batch.report.import_calls += result.calls
    for publication in publications:
        node_id, fid = publication.node_id, publication.finding["Id"]
        if fid in result.imported:
            batch.report.findings.append(publication.finding)
            label = publication.finding["Severity"]["Label"]
            batch.settle(node_id, publication.status, publication.reason, finding_id=fid, severity=label)
        elif fid in result.permanent:
            batch.settle(node_id, PERMANENT, result.permanent[fid], finding_id=fid)
        else:
            reason = result.transient.get(fid, "import_unconfirmed: not imported")
            batch.settle(node_id, TRANSIENT, reason, finding_id=fid)


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
    """Every requested node gets exactly one outcome, through these phases (each settles the nodes it can):
    1. list_nodes: SSM's inventory; EC2 for the nodes it does not list (stopped: kept; gone: archived),
    2. read_patch_states, 3. the prior findings (GetFindings), 4. decide_nodes and archive_gone,
    5. build_findings (patch items read, findings checked), 6. publish (BatchImportFindings),
    7. verify (SSM read again) and the optional resolution of AWS's native findings."""
    backoff = backoff or Backoff()
    logger = logger or JsonLogger("forwarder")
    fixed_now = now
    now = now or utcnow()
    ctx = FindingContext(account=account, region=region, onprem_resource_type=onprem_resource_type)
    reader = SsmReader(ssm_client, backoff, now=now)
    hub = SecurityHubFindings(
        securityhub_client, backoff, product_arn(account, region), now=now, recent=recent
    )
    batch = Batch(_merge_requests(requests), logger)
    if not batch.requests:
        return batch.report

    listing = list_nodes(batch, reader, ec2_client, backoff)
    if listing is None or not batch.open():
        return batch.report
    # Racing invocations (a Scan's and an Install's, say) converge on SSM's latest state: a finding's
    # UpdatedAt is the moment SSM's answer arrived (Security Hub keeps the import with the latest UpdatedAt),
    # and after importing, SSM is read again (verify_imports): a node whose state moved meanwhile is handed
    # back, so a retry publishes the newer state over whatever landed.
    states = read_patch_states(batch, reader, listing)
    observed_at = fixed_now or utcnow()
    if states is None or not batch.open():
        return batch.report

    ids = {node_id: finding_id(account, region, node_id) for node_id in batch.open()}
    try:
        priors = hub.prior_findings(list(ids.values()), carried_priors(batch, listing, states, ids))
    except Exception as exc:
        return batch.settle_open(TRANSIENT, _failure("GetFindings", exc))

    planned = decide_nodes(
        batch,
        listing=listing,
        states=states,
        priors=priors,
        ids=ids,
        now=now,
        read_behind_retries=read_behind_retries,
    )
    archived = archive_gone(batch, listing.gone, priors, ids, observed_at)
    built = build_findings(batch, reader, planned, ctx, now=observed_at, read_concurrency=read_concurrency)
    publish(batch, hub, [*archived, *built])

    if verify_imports:
        published = {p.snapshot.node_id: p.snapshot.state for p in planned if p.snapshot.state is not None}
        verify(reader, batch, published)

    # Nodes that became compliant (not the archived findings of nodes that are gone).
    resolved = [
        o.node_id for o in batch.report.outcomes.values() if o.status == RESOLVED and o.reason == "imported"
    ]
    if resolve_native and resolved:
        try:
            batch.report.native_resolved = hub.resolve_native_findings(
                region, resolved, "Resolved by patch-securityhub: the node is now patch compliant."
            )
            logger.info("native_findings_resolved", count=batch.report.native_resolved, nodes=len(resolved))
        except Exception as exc:  # best effort: our own finding already landed
            logger.warning("native_findings_resolve_failed", error=_reason(exc), nodes=len(resolved))
    return batch.report
