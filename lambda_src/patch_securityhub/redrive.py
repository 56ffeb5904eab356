"""Redrive Lambda (scheduled): when Security Hub is healthy, move DLQ messages back to the main queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .aws import clients
from .config import RedriveConfig, load_redrive_config
from .logs import JsonLogger
from .retry import error_code

_UNSUPPORTED_CODES = ("UnsupportedOperation", "InvalidAction", "UnknownOperationException", "NotImplemented")
RECEIVE_BATCH = 10
# Pace of a move task: about 10 SQS batches of 10 per second keeps Security Hub below its 10 TPS import limit.
MOVE_RATE_PER_SECOND = 100


@dataclass
class RedriveRuntime:
    config: RedriveConfig
    sqs: Any
    securityhub: Any
    logger: JsonLogger


_RUNTIME: RedriveRuntime | None = None


def create_runtime() -> RedriveRuntime:
    """Validated config + SDK clients. The redrive has no Backoff of its own: the SDK retries (3 attempts) and
    a run that still fails is redone by the next scheduled one."""
    config = load_redrive_config()
    sqs, securityhub = clients(config.region, "sqs", "securityhub", attempts=3)
    return RedriveRuntime(
        config=config, sqs=sqs, securityhub=securityhub, logger=JsonLogger("redrive", config.log_level)
    )


def handler(event: Any, context: Any) -> dict[str, Any]:
    global _RUNTIME  # noqa: PLW0603 - one runtime per Lambda container
    if _RUNTIME is None:
        _RUNTIME = create_runtime()
    with _RUNTIME.logger.invocation(context):  # every line of this run carries the Lambda request id
        return run(_RUNTIME)


def _is_unsupported(exc: BaseException) -> bool:
    """The endpoint does not implement the message-move API (501, or an unknown-operation error)."""
    code = error_code(exc)
    if any(code.startswith(c) for c in _UNSUPPORTED_CODES):
        return True
    response = getattr(exc, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) == 501


def security_hub_healthy(runtime: RedriveRuntime) -> tuple[bool, str]:
    try:
        runtime.securityhub.describe_hub()
    except Exception as exc:
        return False, error_code(exc) or type(exc).__name__
    return True, "ok"


def dlq_depth(runtime: RedriveRuntime) -> int:
    attributes = runtime.sqs.get_queue_attributes(
        QueueUrl=runtime.config.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", "0"))


def _running_task(runtime: RedriveRuntime) -> dict[str, Any] | None:
    tasks = runtime.sqs.list_message_move_tasks(SourceArn=runtime.config.dlq_arn, MaxResults=10).get(
        "Results", []
    )
    return next((t for t in tasks if t.get("Status") == "RUNNING"), None)


def move_by_loop(runtime: RedriveRuntime, limit: int) -> int:
    """Fallback where StartMessageMoveTask is missing: receive, send to main, then delete (at-least-once)."""
    moved = 0
    while moved < limit:
        response = runtime.sqs.receive_message(
            QueueUrl=runtime.config.dlq_url,
            MaxNumberOfMessages=min(RECEIVE_BATCH, limit - moved),
            WaitTimeSeconds=0,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            break
        for message in messages:
            params: dict[str, Any] = {
                "QueueUrl": runtime.config.main_queue_url,
                "MessageBody": message["Body"],
            }
            if message.get("MessageAttributes"):
                params["MessageAttributes"] = message["MessageAttributes"]
            runtime.sqs.send_message(**params)  # delete only after the copy is safely in the main queue
            runtime.sqs.delete_message(
                QueueUrl=runtime.config.dlq_url, ReceiptHandle=message["ReceiptHandle"]
            )
            moved += 1
    return moved


def run(runtime: RedriveRuntime) -> dict[str, Any]:
    config = runtime.config
    healthy, health_detail = security_hub_healthy(runtime)
    summary: dict[str, Any] = {
        "healthy": healthy,
        "health": health_detail,
        "dlq_depth": None,
        "action": "none",
    }
    if not healthy:
        runtime.logger.warning("redrive_skipped_unhealthy", health=health_detail)
        summary["action"] = "skipped_unhealthy"
        return summary
    depth = dlq_depth(runtime)
    summary["dlq_depth"] = depth
    if depth == 0:
        runtime.logger.info("redrive_nothing_to_move")
        summary["action"] = "nothing_to_move"
        return summary
    try:
        running = _running_task(runtime)
        if running is not None:
            summary.update(action="task_already_running", task_handle=running.get("TaskHandle"))
            runtime.logger.info("redrive_task_already_running", task_handle=running.get("TaskHandle"))
            return summary
        response = runtime.sqs.start_message_move_task(
            SourceArn=config.dlq_arn,
            DestinationArn=config.main_queue_arn,
            MaxNumberOfMessagesPerSecond=MOVE_RATE_PER_SECOND,
        )
    except Exception as exc:
        if not _is_unsupported(exc):
            raise
        moved = move_by_loop(runtime, min(depth, config.max_move_per_run))
        summary.update(action="moved_by_loop", moved=moved)
        runtime.logger.info("redrive_moved_by_loop", moved=moved, dlq_depth=depth)
        return summary
    summary.update(action="move_task_started", task_handle=response.get("TaskHandle"), approximate=depth)
    runtime.logger.info("redrive_move_task_started", task_handle=response.get("TaskHandle"), dlq_depth=depth)
    return summary
