"""Redrive Lambda (scheduled): when the forwarder's import can succeed again, move DLQ messages back.

One run:
1. DLQ empty -> nothing to do (no Security Hub call).
2. Probe the call the forwarder depends on: BatchImportFindings into this account's own product, with one
   probe finding that Security Hub refuses as invalid (see `PROBE_LABEL`). The probe in FailedFindings with
   ErrorCode InvalidInput (or the whole request refused as InvalidInputException) means the caller is
   authorized, Security Hub is enabled and answering; any other answer (AccessDeniedException,
   InvalidAccessException, a per-finding InvalidAccess, throttling, 5xx, ...) means the messages would only
   fail again: nothing moves, an ERROR line `redrive_skipped_unhealthy` is written, once per run, and the
   metric `patch-securityhub/RedriveBlocked` (dimension DeadLetterQueue, value: the messages held) is
   published for the module's redrive-blocked alarm.
3. Move at most `max_move_per_run` messages with ReceiveMessage + SendMessage + DeleteMessage, adding 1 to the
   message attribute `psh-redrive-count`. (StartMessageMoveTask takes only SourceArn, DestinationArn and
   MaxNumberOfMessagesPerSecond (SQS API Reference): it can neither add an attribute nor stop at a count.)
   A message already redriven `max_redrives` times is quarantined instead (reason `redrive_limit`, in the
   forwarder's quarantine envelope): a message that fails for its own sake cannot loop forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .aws import clients
from .config import RedriveConfig, account_from_context, load_redrive_config
from .finding import finding_id, product_arn
from .logs import JsonLogger
from .quarantine import envelope
from .retry import error_code
from .timeutil import format_rfc3339

RECEIVE_BATCH = 10  # ReceiveMessage MaxNumberOfMessages: 1..10 (SQS API Reference)
# Long enough for one message's send + delete; a message whose visibility ran out is simply moved next run.
RECEIVE_VISIBILITY_SECONDS = 60
REDRIVE_COUNT_ATTRIBUTE = "psh-redrive-count"
REDRIVE_LIMIT_REASON = "redrive_limit"
ATTRIBUTE_LIMIT_REASON = "redrive_attribute_limit"
# "Each message can have up to 10 attributes" (SQS Developer Guide, "Message metadata for Amazon SQS"): a
# message that already has 10, none of them the hop count, cannot be sent back with one; SendMessage would
# refuse it on every run.
MAX_MESSAGE_ATTRIBUTES = 10
PROBE_NODE = "redrive-probe"
# Not one of the SeverityLabel values (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL; API Reference, Severity).
# botocore does not check enums, so the request reaches Security Hub, which authorizes the call (IAM, the hub
# being enabled) and then reports the finding in FailedFindings (API Reference, BatchImportFindings and
# ImportFindingsError) without importing it. Should an endpoint ever accept it, it is an ARCHIVED finding.
PROBE_LABEL = "REDRIVE_PROBE_NOT_A_SEVERITY"
PROBE_REFUSAL_CODE = "InvalidInput"  # ImportFindingsError.ErrorCode of a finding that breaks the format
# The metric of a run that held the DLQ because the import would fail (the module's redrive_blocked alarm).
METRIC_NAMESPACE = "patch-securityhub"
BLOCKED_METRIC = "RedriveBlocked"


@dataclass
class RedriveRuntime:
    config: RedriveConfig
    sqs: Any
    securityhub: Any
    logger: JsonLogger
    account: str
    cloudwatch: Any = None  # PutMetricData of BLOCKED_METRIC; None: not published


_RUNTIME: RedriveRuntime | None = None


def create_runtime(context: Any) -> RedriveRuntime:
    """Validated config + SDK clients. The redrive has no Backoff of its own: the SDK retries (3 attempts) and
    a run that still fails is redone by the next scheduled one."""
    config = load_redrive_config()
    sqs, securityhub, cloudwatch = clients(config.region, "sqs", "securityhub", "cloudwatch", attempts=3)
    return RedriveRuntime(
        config=config,
        sqs=sqs,
        securityhub=securityhub,
        logger=JsonLogger("redrive", config.log_level),
        account=account_from_context(context),
        cloudwatch=cloudwatch,
    )


def handler(event: Any, context: Any) -> dict[str, Any]:
    global _RUNTIME  # noqa: PLW0603 - one runtime per Lambda container
    if _RUNTIME is None:
        _RUNTIME = create_runtime(context)
    with _RUNTIME.logger.invocation(context):  # every line of this run carries the Lambda request id
        return run(_RUNTIME)


def probe_finding(account: str, region: str, now: datetime) -> dict[str, Any]:
    """A finding that is valid in every field botocore checks, with a Severity.Label Security Hub refuses."""
    stamp = format_rfc3339(now)
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id(account, region, PROBE_NODE),
        "ProductArn": product_arn(account, region),
        "GeneratorId": f"patch-securityhub/{PROBE_NODE}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/Patch Management"],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": PROBE_LABEL},
        "Title": "patch-securityhub redrive probe (refused by design)",
        "Description": "Checks that BatchImportFindings is authorized; Security Hub rejects it as invalid.",
        "Resources": [{"Type": "Other", "Id": PROBE_NODE}],
        "RecordState": "ARCHIVED",
    }


def import_probe(runtime: RedriveRuntime, now: datetime | None = None) -> tuple[bool, str]:
    """(healthy, detail): whether the forwarder's BatchImportFindings can succeed now.

    Healthy only when Security Hub refused the probe for its content (ErrorCode InvalidInput): the call was
    authorized and the finding reached validation. A call-level error, or a per-finding error of another
    kind (InvalidAccess: the hub or the import is not enabled; AccessDenied; an internal failure), is the
    answer the forwarder's findings would get too.
    """
    finding = probe_finding(runtime.account, runtime.config.region, now or datetime.now(UTC))
    try:
        response = runtime.securityhub.batch_import_findings(Findings=[finding])
    except Exception as exc:
        code = error_code(exc) or type(exc).__name__
        # Security Hub may refuse the probe's content for the whole request instead of per finding
        # (InvalidInputException, BatchImportFindings API reference: "an invalid or out of range value for an
        # input parameter"): validation runs after authorization, so that too means the import can succeed.
        return (True, "ok") if code == "InvalidInputException" else (False, code)
    codes = {f.get("Id"): str(f.get("ErrorCode", "")) for f in response.get("FailedFindings") or []}
    code = codes.get(finding["Id"])
    if code is None:
        runtime.logger.warning("redrive_probe_imported", finding_id=finding["Id"])
        return True, "ok"
    if code.startswith(PROBE_REFUSAL_CODE):
        return True, "ok"
    return False, code or "probe_failed"


def dlq_depth(runtime: RedriveRuntime) -> int:
    attributes = runtime.sqs.get_queue_attributes(
        QueueUrl=runtime.config.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", "0"))


def redrive_count(message: dict[str, Any]) -> int:
    """How many times the redrive has moved this message back already (0 when it never did)."""
    raw = (message.get("MessageAttributes") or {}).get(REDRIVE_COUNT_ATTRIBUTE, {}).get("StringValue", "")
    return int(raw) if isinstance(raw, str) and raw.isdigit() else 0


def _send_back(runtime: RedriveRuntime, message: dict[str, Any], count: int) -> None:
    attributes = dict(message.get("MessageAttributes") or {})
    attributes[REDRIVE_COUNT_ATTRIBUTE] = {"DataType": "Number", "StringValue": str(count + 1)}
    runtime.sqs.send_message(
        QueueUrl=runtime.config.main_queue_url, MessageBody=message["Body"], MessageAttributes=attributes
    )


def room_for_count(message: dict[str, Any]) -> bool:
    """Whether the hop count fits among the message's attributes (it replaces its own earlier value)."""
    attributes = message.get("MessageAttributes") or {}
    return REDRIVE_COUNT_ATTRIBUTE in attributes or len(attributes) < MAX_MESSAGE_ATTRIBUTES


def not_to_send_back(message: dict[str, Any], count: int, max_redrives: int) -> tuple[str, str] | None:
    """(reason, detail) when the message is quarantined instead of sent back, else None."""
    if count >= max_redrives:
        return (
            REDRIVE_LIMIT_REASON,
            f"redriven {count} times (limit {max_redrives}); the forwarder kept failing it",
        )
    if not room_for_count(message):
        held = len(message.get("MessageAttributes") or {})
        return ATTRIBUTE_LIMIT_REASON, f"{held} message attributes (SQS's maximum): no room for the hop count"
    return None


def _quarantine(runtime: RedriveRuntime, message: dict[str, Any], reason: str, detail: str) -> None:
    body, attributes = envelope(
        reason=reason,
        detail=detail,
        message_id=message.get("MessageId"),
        source_queue_arn=runtime.config.dlq_arn,
        receive_count=(message.get("Attributes") or {}).get("ApproximateReceiveCount"),
        body=message.get("Body"),
    )
    runtime.sqs.send_message(
        QueueUrl=runtime.config.quarantine_queue_url, MessageBody=body, MessageAttributes=attributes
    )
    runtime.logger.warning(
        "message_quarantined", message_id=message.get("MessageId"), reason=reason, detail=detail
    )


def move(runtime: RedriveRuntime, limit: int) -> dict[str, int]:
    """Receive from the DLQ, send to the main queue (or quarantine), then delete: at most `limit` messages.

    The delete comes only after the copy is safely sent (at-least-once). A message received twice in one run
    (a standard queue delivers at least once) is moved once; its second copy is only deleted.
    """
    counts = {"moved": 0, "quarantined": 0, "duplicates": 0}
    seen: set[str] = set()
    handled = 0
    while handled < limit:
        messages = runtime.sqs.receive_message(
            QueueUrl=runtime.config.dlq_url,
            MaxNumberOfMessages=min(RECEIVE_BATCH, limit - handled),
            WaitTimeSeconds=0,
            VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            message_id = message.get("MessageId", "")
            if message_id in seen:
                counts["duplicates"] += 1
            else:
                count = redrive_count(message)
                refusal = not_to_send_back(message, count, runtime.config.max_redrives)
                if refusal is not None:
                    _quarantine(runtime, message, *refusal)
                    counts["quarantined"] += 1
                else:
                    _send_back(runtime, message, count)
                    counts["moved"] += 1
                seen.add(message_id)
                handled += 1
            runtime.sqs.delete_message(
                QueueUrl=runtime.config.dlq_url, ReceiptHandle=message["ReceiptHandle"]
            )
    return counts


def publish_blocked(runtime: RedriveRuntime, held: int) -> None:
    """BLOCKED_METRIC = the messages this run held in the DLQ. Best effort: the ERROR line is written anyway,
    and the DLQ depth alarm sees the messages too."""
    if runtime.cloudwatch is None:
        return
    queue_name = runtime.config.dlq_arn.rsplit(":", 1)[-1]
    try:
        runtime.cloudwatch.put_metric_data(
            Namespace=METRIC_NAMESPACE,
            MetricData=[
                {
                    "MetricName": BLOCKED_METRIC,
                    "Dimensions": [{"Name": "DeadLetterQueue", "Value": queue_name}],
                    "Value": float(held),
                    "Unit": "Count",
                }
            ],
        )
    except Exception as exc:
        runtime.logger.warning("redrive_metric_failed", error=error_code(exc) or type(exc).__name__)


def run(runtime: RedriveRuntime) -> dict[str, Any]:
    config = runtime.config
    depth = dlq_depth(runtime)
    summary: dict[str, Any] = {"healthy": None, "health": None, "dlq_depth": depth, "action": "none"}
    if depth == 0:
        runtime.logger.info("redrive_nothing_to_move")
        summary["action"] = "nothing_to_move"
        return summary
    healthy, health_detail = import_probe(runtime)
    summary.update(healthy=healthy, health=health_detail)
    if not healthy:
        # ERROR, once per run: messages wait in the DLQ and the forwarder's import would fail again.
        runtime.logger.error("redrive_skipped_unhealthy", health=health_detail, dlq_depth=depth)
        publish_blocked(runtime, depth)
        summary["action"] = "skipped_unhealthy"
        return summary
    try:
        counts = move(runtime, config.max_move_per_run)
    except Exception as exc:  # what was moved stays moved; the rest waits for the next run
        runtime.logger.error("redrive_move_failed", error=error_code(exc) or type(exc).__name__)
        raise
    summary.update(action="moved", **counts)
    runtime.logger.info("redrive_moved", dlq_depth=depth, **counts)
    return summary
