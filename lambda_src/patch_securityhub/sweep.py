"""Sweep Lambda (scheduled, daily by default): every node SSM lists, and every node with an ACTIVE finding of
this product, is refreshed by the forwarder.

Why: SSM's compliance events are delivered on a best-effort basis and only when compliance changes, and
Security Hub deletes a finding that was not updated for 90 days (Security Hub user guide, finding retention).
Without the sweep a dropped event is never repaired and a node that stays non-compliant loses its finding.

The sweep reads; the forwarder decides. It writes sweep requests (events.sweep_message, at most 50 nodes
each) to the event queue, where the forwarder handles them like events, with the queue's retries, dead-letter
queue and redrive. Each request carries what the sweep read and when (`read-at`), so the forwarder does not
read it again one node at a time while it is fresh (forwarder.CARRIED_MAX_AGE; GetFindings takes 20 ids a
call at 3 TPS, and DescribeInstanceInformation may page through the fleet to find 50 ids):
1. phase `findings`: GetFindings of this product's ACTIVE findings, 100 a page (the API maximum) in CreatedAt
   order, kept in memory by node (securityhub_io.carried_finding: a few hundred bytes each);
2. phase `nodes`: DescribeInstanceInformation, 50 nodes a page (the API maximum); one request per page
   (scope `nodes`) with each node's row and its walked finding. When phase 1 ran whole in this invocation the
   request says so (`findings_complete`): a node without a finding in it has no ACTIVE finding;
3. the walked findings of nodes phase 2 did not list go out as scope `findings` (node ids only): the forwarder
   asks SSM about each again (a walk of a changing fleet is no proof that a node is gone), then EC2 where the
   unlisted ones went, and reads their stored findings (pipeline, node_fate).

A run is bounded by its invocation's time: before each page it checks the time left and, when less than
`CONTINUE_RESERVE_SECONDS` remain, sends the findings it holds as scope `findings` (refreshed only if SSM does
not list them: the rest of phase 2 refreshes the others), invokes itself asynchronously with where it stopped
(phase, NextToken, part) and ends. A part number over `MAX_PARTS` ends the sweep with an ERROR line. A
NextToken received twice ends a walk with an ERROR line: in phase 1 the nodes are walked all the same (no
request claims `findings_complete`); in phase 2 the walked findings' nodes it did not reach are sent to be
reconciled (scope `nodes`, listed by the forwarder) and the sweep stops.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .aws import clients
from .config import SweepConfig, account_from_context, load_sweep_config
from .events import SWEEP_IDS_PER_MESSAGE, sweep_message
from .finding import GENERATOR_ID, finding_id, product_arn
from .logs import JsonLogger
from .model import NodeInfo, is_node_id
from .paging import PagingError, pages
from .retry import Backoff, time_left
from .securityhub_io import carried_finding, is_own_finding
from .ssm_read import InvalidSsmDataError, parse_instance_information

PHASES = ("findings", "nodes")
CONTINUE_RESERVE_SECONDS = 60.0
MAX_PARTS = 200
NODES_PER_PAGE = 50  # DescribeInstanceInformation MaxResults: 5..50 (API Reference)
FINDINGS_PER_PAGE = 100  # GetFindings MaxResults: 1..100 (API Reference)


@dataclass
class SweepRuntime:
    config: SweepConfig
    ssm: Any
    securityhub: Any
    sqs: Any
    lambda_: Any
    logger: JsonLogger
    sleep: Callable[[float], None] = time.sleep


@dataclass
class Cursor:
    """Where a sweep stands: carried from one invocation to the next."""

    sweep_id: str
    phase: str = "findings"
    next_token: str | None = None
    part: int = 1

    def as_event(self) -> dict[str, Any]:
        return {
            "continuation": {
                "sweep_id": self.sweep_id,
                "phase": self.phase,
                "next_token": self.next_token,
                "part": self.part,
            }
        }


def cursor_from_event(event: Any, now: datetime) -> Cursor:
    """A scheduled run starts a new sweep; a continuation (written by `run`) resumes one."""
    continuation = event.get("continuation") if isinstance(event, dict) else None
    if continuation is None:
        return Cursor(sweep_id=f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}")
    if not isinstance(continuation, dict):
        raise ValueError("continuation must be an object")
    sweep_id, phase = continuation.get("sweep_id"), continuation.get("phase")
    token, part = continuation.get("next_token"), continuation.get("part")
    if not isinstance(sweep_id, str) or not 0 < len(sweep_id) <= 64:
        raise ValueError("continuation.sweep_id must be a string of 1..64 characters")
    if phase not in PHASES:
        raise ValueError(f"continuation.phase must be one of {PHASES}")
    if token is not None and (not isinstance(token, str) or len(token) > 8192):
        raise ValueError("continuation.next_token must be null or a string")
    if isinstance(part, bool) or not isinstance(part, int) or not 1 <= part <= MAX_PARTS + 1:
        raise ValueError(f"continuation.part must be a whole number from 1 to {MAX_PARTS + 1}")
    return Cursor(sweep_id=sweep_id, phase=phase, next_token=token, part=part)


_RUNTIME: SweepRuntime | None = None


def create_runtime() -> SweepRuntime:
    config = load_sweep_config()
    ssm, securityhub, sqs, lambda_ = clients(config.region, "ssm", "securityhub", "sqs", "lambda", attempts=1)
    return SweepRuntime(
        config=config,
        ssm=ssm,
        securityhub=securityhub,
        sqs=sqs,
        lambda_=lambda_,
        logger=JsonLogger("sweep", config.log_level),
    )


def handler(event: Any, context: Any) -> dict[str, Any]:
    global _RUNTIME  # noqa: PLW0603 - one runtime per Lambda container
    if _RUNTIME is None:
        _RUNTIME = create_runtime()
    with _RUNTIME.logger.invocation(context):
        return run(event, context, _RUNTIME)


def node_id_of_finding(finding: dict[str, Any]) -> str | None:
    """The node a finding of this product is about: its resource's id (finding ids end in the node id too)."""
    for resource in finding.get("Resources") or []:
        if isinstance(resource, dict) and is_node_id(resource.get("Id")):
            return resource["Id"]
    tail = str(finding.get("Id", "")).rsplit("/", 1)[-1]
    return tail if is_node_id(tail) else None


def run(event: Any, context: Any, runtime: SweepRuntime) -> dict[str, Any]:
    """One invocation of a sweep: walk pages and send sweep requests until done or out of time."""
    account = account_from_context(context)
    region = runtime.config.region
    cursor = cursor_from_event(event, datetime.now(UTC))
    remaining = time_left(context)
    backoff = Backoff(remaining_seconds=remaining, sleep=runtime.sleep)
    summary = {"sweep_id": cursor.sweep_id, "part": cursor.part, "nodes": 0, "findings": 0, "messages": 0}
    if cursor.part > MAX_PARTS:
        runtime.logger.error("sweep_too_many_parts", sweep_id=cursor.sweep_id, parts=MAX_PARTS)
        return {**summary, "action": "stopped", "reason": "too_many_parts"}
    own_product = product_arn(account, region)
    walked: dict[str, dict[str, Any]] = {}  # node -> its ACTIVE finding, walked in this invocation
    # Phase 1 ran whole in this invocation: a node without a walked finding has no ACTIVE finding.
    findings_complete = False
    read_at = datetime.now(UTC)  # the reads this invocation carries began here

    def send(scope: str, node_ids: list[str], infos: dict[str, NodeInfo] | None = None) -> None:
        for start in range(0, len(node_ids), SWEEP_IDS_PER_MESSAGE):
            send_one(scope, node_ids[start : start + SWEEP_IDS_PER_MESSAGE], infos)

    def send_one(scope: str, chunk: list[str], infos: dict[str, NodeInfo] | None) -> None:
        try:
            body = sweep_message(
                cursor.sweep_id,
                scope,
                chunk,
                account=account,
                region=region,
                node_infos=[infos[n] for n in chunk if n in infos] if infos else None,
                # The walked findings go with the nodes to reconcile; the others' are read whole by the
                # forwarder (archiving, or the stored copy of a stopped node's platform).
                findings={n: walked[n] for n in chunk if n in walked} if scope == "nodes" else None,
                findings_complete=findings_complete and scope == "nodes",
                read_at=read_at,
            )
        except ValueError:  # over SQS's message size (long names in many rows): half as many nodes each
            if len(chunk) == 1:
                raise
            middle = len(chunk) // 2
            send_one(scope, chunk[:middle], infos)
            send_one(scope, chunk[middle:], infos)
            return
        backoff.call(runtime.sqs.send_message, QueueUrl=runtime.config.main_queue_url, MessageBody=body)
        for node_id in chunk:
            walked.pop(node_id, None)
        summary["messages"] += 1

    def walk_findings(page: dict[str, Any]) -> None:
        for finding in page.get("Findings") or []:
            node_id = node_id_of_finding(finding) if isinstance(finding, dict) else None
            # Only this product's own finding of the node is carried (one a planted copy cannot stand in for).
            if (
                node_id is not None
                and finding.get("Id") == finding_id(account, region, node_id)
                and is_own_finding(finding, own_product)
            ):
                walked[node_id] = carried_finding(finding)
                summary["findings"] += 1

    def walk_nodes(page: dict[str, Any]) -> None:
        infos: dict[str, NodeInfo] = {}
        for row in page.get("InstanceInformationList") or []:
            try:  # a row SSM should never send is left out: its node's own events still reach the forwarder
                (info,) = parse_instance_information({"InstanceInformationList": [row]})
            except InvalidSsmDataError as exc:
                runtime.logger.warning("sweep_row_unreadable", sweep_id=cursor.sweep_id, error=str(exc)[:200])
                continue
            infos[info.node_id] = info
        summary["nodes"] += len(infos)
        if infos:
            send("nodes", sorted(infos), infos)

    def listing(phase: str) -> tuple[Callable[..., Any], str, dict[str, Any]]:
        if phase == "nodes":
            return (
                runtime.ssm.describe_instance_information,
                "DescribeInstanceInformation",
                {"MaxResults": NODES_PER_PAGE},
            )
        filters = {
            "ProductArn": [{"Value": own_product, "Comparison": "EQUALS"}],
            "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        }
        return (
            runtime.securityhub.get_findings,
            "GetFindings",
            # In the order of CreatedAt, which this product's updates keep: findings updated during the walk
            # do not move between pages, and findings created during it come last.
            {
                "Filters": filters,
                "MaxResults": FINDINGS_PER_PAGE,
                "SortCriteria": [{"Field": "CreatedAt", "SortOrder": "asc"}],
            },
        )

    def continue_in_new_invocation() -> dict[str, Any]:
        # The rest of phase 2 refreshes the listed ones: these are refreshed only if SSM does not list them.
        send("findings", sorted(walked))
        following = Cursor(cursor.sweep_id, cursor.phase, cursor.next_token, cursor.part + 1)
        runtime.lambda_.invoke(
            FunctionName=context.invoked_function_arn,
            InvocationType="Event",
            Payload=json.dumps(following.as_event()).encode(),
        )
        runtime.logger.info("sweep_continued", **summary, phase=cursor.phase)
        return {**summary, "action": "continued", "phase": cursor.phase}

    def time_is_short() -> bool:
        return remaining is not None and remaining() < CONTINUE_RESERVE_SECONDS

    repeated = False  # the findings walk met a repeated NextToken: the nodes are walked all the same
    while True:
        method, operation, params = listing(cursor.phase)
        walk = walk_findings if cursor.phase == "findings" else walk_nodes
        whole = cursor.next_token is None  # this phase starts from its first page in this invocation
        try:
            # paging.pages: empty pages with a NextToken do not end the walk, a repeated token stops it.
            for page in pages(backoff, method, operation, start_token=cursor.next_token, **params):
                walk(page)
                token = page.get("NextToken")
                cursor.next_token = token if isinstance(token, str) and token else None
                if cursor.next_token is not None and time_is_short():
                    return continue_in_new_invocation()
        except PagingError as exc:
            if exc.code != "paging_repeated_token":
                return continue_in_new_invocation()  # the page bound or the deadline: on from the last page
            runtime.logger.error("sweep_repeated_token", sweep_id=cursor.sweep_id, phase=cursor.phase)
            if cursor.phase == "nodes":
                # The walk of the nodes cannot go on: the walked findings' nodes it did not reach are each
                # reconciled (the forwarder lists them itself), and the sweep stops.
                send("nodes", sorted(walked))
                return {**summary, "action": "stopped", "reason": "repeated_token"}
            whole, repeated = False, True
        if cursor.phase == "findings":
            findings_complete = whole
            cursor.phase, cursor.next_token = "nodes", None
            if time_is_short():
                return continue_in_new_invocation()
            continue
        # ACTIVE findings of nodes the whole walk of phase 2 did not list: the forwarder asks SSM about each
        # (a walk is no proof that a node is gone) and, for those SSM does not list, EC2.
        send("findings", sorted(walked))
        runtime.logger.info("sweep_done", **summary)
        return {**summary, "action": "done", **({"reason": "repeated_token"} if repeated else {})}
