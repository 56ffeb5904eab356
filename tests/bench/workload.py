"""The benchmark's workload: non-compliant fleets, the compliance events SSM emits for them, SQS records."""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime
from typing import Any

from patch_securityhub.config import ForwarderConfig
from patch_securityhub.forwarder import Runtime
from patch_securityhub.logs import JsonLogger
from psh_stage import fleet
from psh_stage.events import compliance_event

ACCOUNT = "210987654321"
REGION = "us-east-2"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:psh-bench-forwarder"
QUARANTINE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-bench-quarantine"


def non_compliant_fleet(count: int, seed: int, *, patch_group: str = "") -> list[dict[str, Any]]:
    """`fleet.mixed_fleet` with at least one missing patch per node, so every node is non-compliant."""
    nodes = fleet.mixed_fleet(count, seed=seed, patch_group=patch_group)
    for node in nodes:
        node["Patches"][0]["State"] = "MISSING"
    return nodes


def sqs_records(node_ids: list[str], when: datetime) -> list[dict[str, Any]]:
    return [
        {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": f"handle-{index}",
            "body": json.dumps(compliance_event(node_id, account=ACCOUNT, region=REGION, time=when)),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:psh-bench-events",
            "awsRegion": REGION,
        }
        for index, node_id in enumerate(node_ids)
    ]


class LambdaContext:
    invoked_function_arn = FUNCTION_ARN

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


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


def discarding_logger() -> JsonLogger:
    """Formats every record as in Lambda (that CPU counts), then drops it."""
    return JsonLogger("forwarder", "INFO", stream=_Discard())


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)
