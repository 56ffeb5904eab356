"""The benchmark's workload: non-compliant fleets, the compliance events SSM emits for them, SQS records."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from patch_securityhub.config import ForwarderConfig
from patch_securityhub.forwarder import Runtime
from patch_securityhub.logs import JsonLogger
from psh_stage import fleet
from psh_stage.events import compliance_event
from recorded_aws import RecordedAws

ACCOUNT = "210987654321"
REGION = "us-east-2"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:psh-bench-forwarder"
QUARANTINE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-bench-quarantine"


@dataclass(frozen=True)
class RecordedFleet:
    """A fleet answered from recorded responses (recorded_aws) in the account it lives in, with the
    environment that reaches the local AWS as that account: every process that loads it answers alike."""

    env: dict[str, str]
    specs: list[dict[str, Any]]
    account: str
    region: str
    scan_end: datetime | None = None  # the recorded scans' end (default: five minutes before loading)

    def recorded(self) -> Any:

        aws = RecordedAws(self.account, self.region)
        aws.load(self.specs, self.scan_end)
        return aws


def non_compliant_fleet(count: int, seed: int, *, patch_group: str = "") -> list[dict[str, Any]]:
    """`fleet.mixed_fleet` with at least one missing patch per node, so every node is non-compliant."""
    nodes = fleet.mixed_fleet(count, seed=seed, patch_group=patch_group)
    for node in nodes:
        node["Patches"][0]["State"] = "MISSING"
    return nodes


def sqs_record(body: str, *, receive_count: int = 1) -> dict[str, Any]:
    """A record of an SQS event source's batch, as Lambda delivers it."""
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": f"handle-{uuid.uuid4().hex}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:psh-bench-events",
        "awsRegion": REGION,
    }


def sqs_records(node_ids: list[str], when: datetime) -> list[dict[str, Any]]:
    return [
        sqs_record(json.dumps(compliance_event(node_id, account=ACCOUNT, region=REGION, time=when)))
        for node_id in node_ids
    ]


class LambdaContext:
    """What the handlers read of Lambda's context: the function (its account) and the time left (a fresh
    15-minute invocation)."""

    def __init__(self, function_arn: str = FUNCTION_ARN) -> None:
        self.invoked_function_arn = function_arn
        self.aws_request_id = str(uuid.uuid4())
        self.started = time.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        return int(900_000 - 1000 * (time.monotonic() - self.started))


class TimedClient:
    """A boto3 client whose calls add their wall time to `seconds[operation]` and count themselves in
    `calls[operation]` (shared across threads)."""

    def __init__(
        self,
        client: Any,
        seconds: dict[str, float],
        lock: threading.Lock,
        calls: dict[str, int] | None = None,
    ) -> None:
        self._client = client
        self._seconds = seconds
        self._calls = calls if calls is not None else {}
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method) or name.startswith(("get_paginator", "can_paginate")):
            return method

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return method(*args, **kwargs)
            finally:
                with self._lock:
                    self._seconds[name] = self._seconds.get(name, 0.0) + time.monotonic() - started
                    self._calls[name] = self._calls.get(name, 0) + 1

        return timed


def runtime(ssm: Any, securityhub: Any, sqs: Any) -> Runtime:
    """The forwarder's runtime with the given clients; logs are formatted as in Lambda, then dropped."""
    # CPU is what is measured here: the per-node reads run one at a time (threads add no CPU saving).
    config = ForwarderConfig(region=REGION, quarantine_queue_url=QUARANTINE_URL, ssm_read_concurrency=1)
    return Runtime(
        config=config,
        ssm=ssm,
        securityhub=securityhub,
        sqs=sqs,
        logger=discarding_logger(),
    )


def discarding_logger(component: str = "forwarder") -> JsonLogger:
    """Formats every record as in Lambda (that CPU counts), then drops it."""
    return JsonLogger(component, "INFO", stream=_Discard())


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)
