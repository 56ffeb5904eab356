"""Forwarder Lambda: SQS batch of SSM compliance events -> Security Hub findings, with partial batch failures.

Nothing AWS-related happens at import time; configuration and clients are created once per container, on the
first invocation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .aws import clients
from .config import ForwarderConfig, account_from_context, load_forwarder_config
from .events import EventRejectedError, SweepRequest, parse_message
from .logs import JsonLogger
from .pipeline import PERMANENT, TRANSIENT, Carried, NodeRequest, ProcessReport, process
from .quarantine import envelope
from .retry import Backoff, error_code, time_left
from .securityhub_io import RecentImports
from .timeutil import is_future, utcnow

NODE_ID = re.compile(r"^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})$")
# How long what a sweep request carries stands in for reading it again (the sweep sends its requests within
# minutes of reading; the event queue's retries take minutes too; a redrive from the DLQ takes longer).
CARRIED_MAX_AGE = timedelta(hours=1)
MAX_RECONCILE_IDS = 1000


@dataclass
class Runtime:
    config: ForwarderConfig
    ssm: Any
    securityhub: Any
    sqs: Any
    logger: JsonLogger
    ec2: Any = None  # DescribeInstances: whether a node SSM does not list still exists (node_fate)
    recent: RecentImports = field(default_factory=RecentImports)  # this container's own imports
    sleep: Callable[[float], None] = field(default=time.sleep)  # backoff pauses


_RUNTIME: Runtime | None = None


def create_runtime() -> Runtime:
    """Validated config + SDK clients (one attempt per call: Backoff retries)."""
    config = load_forwarder_config()
    ssm, securityhub, sqs, ec2 = clients(config.region, "ssm", "securityhub", "sqs", "ec2", attempts=1)
    return Runtime(
        config=config,
        ssm=ssm,
        securityhub=securityhub,
        sqs=sqs,
        ec2=ec2,
        logger=JsonLogger("forwarder", config.log_level),
    )


def handler(event: Any, context: Any) -> dict[str, Any]:
    global _RUNTIME  # noqa: PLW0603 - one runtime per Lambda container
    if _RUNTIME is None:
        _RUNTIME = create_runtime()
    return handle(event, context, _RUNTIME)


def quarantine(runtime: Runtime, backoff: Backoff, record: dict[str, Any], reason: str, detail: str) -> bool:
    """Keep a permanently rejected message for inspection. False when it could not be kept."""
    body, attributes = envelope(
        reason=reason,
        detail=detail,
        message_id=record.get("messageId"),
        source_queue_arn=record.get("eventSourceARN"),
        receive_count=(record.get("attributes") or {}).get("ApproximateReceiveCount"),
        body=record.get("body"),
    )
    try:
        backoff.call(
            runtime.sqs.send_message,
            QueueUrl=runtime.config.quarantine_queue_url,
            MessageBody=body,
            MessageAttributes=attributes,
        )
    except Exception as exc:
        runtime.logger.error(
            "quarantine_send_failed",
            message_id=record.get("messageId"),
            reason=reason,
            error=error_code(exc) or type(exc).__name__,
        )
        return False
    runtime.logger.warning(
        "message_quarantined", message_id=record.get("messageId"), reason=reason, detail=detail
    )
    acknowledge(runtime, record)
    return True


def acknowledge(runtime: Runtime, record: dict[str, Any]) -> None:
    """Delete a quarantined message from the event queue now, not when the batch ends: a batch that later
    fails or times out is redelivered whole, and the message would be quarantined once per delivery."""
    receipt = record.get("receiptHandle")
    if not runtime.config.source_queue_url or not isinstance(receipt, str):
        return
    try:
        runtime.sqs.delete_message(QueueUrl=runtime.config.source_queue_url, ReceiptHandle=receipt)
    except Exception as exc:  # kept in quarantine already; at worst it is quarantined again on redelivery
        runtime.logger.warning(
            "quarantined_message_not_deleted",
            message_id=record.get("messageId"),
            error=error_code(exc) or type(exc).__name__,
        )


def handle(event: Any, context: Any, runtime: Runtime) -> dict[str, Any]:
    """Serve one invocation; every line it logs carries the Lambda request id."""
    with runtime.logger.invocation(context):
        if isinstance(event, dict) and isinstance(event.get("Records"), list):
            return handle_sqs_batch(event["Records"], context, runtime)
        if isinstance(event, dict) and "instance_ids" in event:
            return handle_reconcile(event["instance_ids"], context, runtime)
        runtime.logger.error(
            "unsupported_invocation", keys=sorted(event)[:20] if isinstance(event, dict) else None
        )
        raise ValueError('unsupported invocation: expected an SQS batch or {"instance_ids": [...]}')


def handle_sqs_batch(records: list[Any], context: Any, runtime: Runtime) -> dict[str, Any]:
    account = account_from_context(context)
    region = runtime.config.region
    backoff = Backoff(remaining_seconds=time_left(context), sleep=runtime.sleep)
    failures: list[str] = []
    nodes_by_message: dict[str, list[str]] = {}
    requests: list[NodeRequest] = []
    records_by_id = unique_records(records, runtime.logger)
    for message_id, record in records_by_id.items():
        try:
            parsed = parse_message(record.get("body"), account=account, region=region)
        except EventRejectedError as rejection:
            runtime.logger.warning(
                "node_decision", message_id=message_id, outcome=PERMANENT, reason=rejection.reason
            )
            if not quarantine(runtime, backoff, record, rejection.reason, rejection.detail):
                failures.append(message_id)
            continue
        except Exception as exc:  # a parser bug must not lose the message: retry it, then DLQ
            runtime.logger.error("event_parse_crashed", message_id=message_id, error=type(exc).__name__)
            failures.append(message_id)
            continue
        if isinstance(parsed, SweepRequest):
            nodes_by_message[message_id] = list(parsed.node_ids)
            requests.extend(sweep_requests(parsed, utcnow()))
            continue
        nodes_by_message[message_id] = [parsed.node_id]
        requests.append(
            NodeRequest(
                parsed.node_id,
                parsed.event_time,
                event_status=parsed.status,
                attempt=receive_count(record),
            )
        )

    try:
        report = run_pipeline(requests, runtime, account, backoff)
    except Exception as exc:  # never lose messages to a bug: every node's messages go back to the queue
        runtime.logger.error("pipeline_crashed", error=f"{type(exc).__name__}: {str(exc)[:300]}")
        report = ProcessReport()
    for message_id, node_ids in nodes_by_message.items():
        outcomes = [report.outcomes.get(node_id) for node_id in node_ids]
        if any(outcome is None or outcome.status == TRANSIENT for outcome in outcomes):
            failures.append(message_id)  # handed back whole: its other nodes are decided again, idempotently
            continue
        for outcome in outcomes:
            if outcome is not None and outcome.status == PERMANENT:
                # The stable code is the quarantine reason; the outcome's full text is its detail.
                detail = outcome.reason if len(node_ids) == 1 else f"{outcome.node_id}: {outcome.reason}"
                if not quarantine(runtime, backoff, records_by_id[message_id], outcome.code, detail):
                    failures.append(message_id)
                    break
    runtime.logger.info(
        "batch_done",
        records=len(records),
        nodes=len(report.outcomes),
        failures=len(failures),
        import_calls=report.import_calls,
        retries=backoff.retries_done,
    )
    # Each itemIdentifier is a messageId (Lambda, "Implementing partial batch responses"): report each once.
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in dict.fromkeys(failures)]}


def sweep_requests(sweep: SweepRequest, now: datetime) -> list[NodeRequest]:
    """A sweep request's nodes, each with what the sweep read of it. Scope `nodes`: a reconciliation of each;
    `findings`: nodes with an ACTIVE finding, refreshed only when SSM does not list them. What the sweep read
    is used only while it is fresh (CARRIED_MAX_AGE): a message handed back for long, or redriven from the
    dead-letter queue, is about nodes that may have changed since, and its nodes are read again."""
    fresh = (
        sweep.read_at is not None
        and now - CARRIED_MAX_AGE <= sweep.read_at
        and not is_future(sweep.read_at, now)
    )
    infos = {info.node_id: info for info in sweep.node_infos}
    return [
        NodeRequest(
            node_id,
            only_if_unlisted=sweep.scope == "findings",
            carried=Carried(
                info=infos.get(node_id),
                finding=sweep.findings.get(node_id),
                findings_complete=sweep.findings_complete,
            )
            if fresh
            else None,
        )
        for node_id in sweep.node_ids
    ]


def receive_count(record: dict[str, Any]) -> int:
    """How many times SQS delivered the message (its ApproximateReceiveCount attribute; 1 when absent)."""
    value = (record.get("attributes") or {}).get("ApproximateReceiveCount")
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def unique_records(records: list[Any], logger: JsonLogger) -> dict[str, dict[str, Any]]:
    """The batch's records by messageId, each message once, in the order first seen.

    A standard queue delivers at least once, so one batch can hold a message twice. The later copy's receipt
    handle is kept: "If you receive a message more than once, the ReceiptHandle is different each time ... you
    must provide the most recently received ReceiptHandle" (SQS API Reference, DeleteMessage).
    """
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("messageId"), str):
            logger.error("record_without_message_id")
            continue
        message_id = record["messageId"]
        if message_id in by_id:
            logger.warning("duplicate_message_id", message_id=message_id)
        by_id[message_id] = record
    return by_id


def run_pipeline(
    requests: list[NodeRequest], runtime: Runtime, account: str, backoff: Backoff
) -> ProcessReport:
    return process(
        requests,
        ssm_client=runtime.ssm,
        securityhub_client=runtime.securityhub,
        ec2_client=runtime.ec2,
        account=account,
        region=runtime.config.region,
        onprem_resource_type=runtime.config.onprem_resource_type,
        resolve_native=runtime.config.resolve_native_findings,
        backoff=backoff,
        logger=runtime.logger,
        read_concurrency=runtime.config.ssm_read_concurrency,
        read_behind_retries=runtime.config.read_behind_retries,
        recent=runtime.recent,
    )


def handle_reconcile(instance_ids: Any, context: Any, runtime: Runtime) -> dict[str, Any]:
    if not isinstance(instance_ids, list) or not all(isinstance(i, str) for i in instance_ids):
        raise ValueError("instance_ids must be a list of managed node ids")
    if len(instance_ids) > MAX_RECONCILE_IDS:
        raise ValueError(f"at most {MAX_RECONCILE_IDS} instance_ids per invocation")
    bad = [i[:40] for i in instance_ids if not NODE_ID.match(i)]
    if bad:
        raise ValueError(f"not managed node ids: {bad[:5]}")
    account = account_from_context(context)
    backoff = Backoff(remaining_seconds=time_left(context), sleep=runtime.sleep)
    report = run_pipeline([NodeRequest(i) for i in instance_ids], runtime, account, backoff)
    summary: dict[str, int] = {}
    for outcome in report.outcomes.values():
        summary[outcome.status] = summary.get(outcome.status, 0) + 1
    return {
        "nodes": len(report.outcomes),
        "summary": summary,
        "import_calls": report.import_calls,
        "outcomes": {o.node_id: {"status": o.status, "reason": o.reason} for o in report.outcomes.values()},
    }
