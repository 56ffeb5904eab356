"""Section 3d: a sweep of a fleet whose findings exist (the daily run), under every documented Security Hub
limit (BatchImportFindings 10 TPS burst 30, GetFindings 3 TPS burst 6).

SSM is answered in-process from recorded responses (recorded_aws, as in 3b); Security Hub is the project's
emulator on LocalStack. The sweep runs in-process as one invocation (its own time bound decides whether it
goes on in another); the requests it writes are then handled by worker processes, like concurrent forwarder
invocations, through the forwarder's handler, ten messages a batch (the module's `forwarder_batch_size`).
Every node is non-compliant, so every finding is re-imported: the sweep's heaviest day.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from workload import RecordedFleet

READY_TIMEOUT_S = 120
BATCH_MESSAGES = 10  # the module's forwarder_batch_size
REDELIVERIES = 5  # a message handed back (batchItemFailures) comes back like an SQS redelivery, this often
LAMBDA_TIMEOUT_S = 900.0
SSM_OPERATIONS = {
    "describe_instance_information": "DescribeInstanceInformation",
    "describe_instance_patch_states": "DescribeInstancePatchStates",
    "list_compliance_items": "ListComplianceItems",
    "describe_instance_patches": "DescribeInstancePatches",
}


@dataclass(frozen=True)
class Share:
    """One worker's sweep requests."""

    fleet: RecordedFleet
    bodies: list[str]


def context_for(account: str, region: str, function: str) -> Any:
    from workload import LambdaContext

    return LambdaContext(f"arn:aws:lambda:{region}:{account}:function:{function}")


def _forwarder_worker(share: Share, go: Any, ready: Any) -> dict[str, Any]:
    fleet = share.fleet
    os.environ.update(fleet.env)
    from patch_securityhub import forwarder
    from patch_securityhub.aws import clients
    from patch_securityhub.config import ForwarderConfig
    from workload import QUARANTINE_URL, TimedClient, discarding_logger, sqs_record

    recorded = fleet.recorded()
    (securityhub,) = clients(fleet.region, "securityhub", attempts=1)
    seconds: dict[str, float] = {}
    calls: dict[str, int] = {}
    runtime = forwarder.Runtime(
        config=ForwarderConfig(
            region=fleet.region, quarantine_queue_url=QUARANTINE_URL, ssm_read_concurrency=1
        ),
        ssm=recorded.client("ssm"),
        securityhub=TimedClient(securityhub, seconds, threading.Lock(), calls),
        sqs=recorded.client("sqs"),
        logger=discarding_logger(),
    )
    ready.release()
    go.wait()
    started = time.monotonic()
    invocations: list[float] = []
    redelivered = left = 0
    for start in range(0, len(share.bodies), BATCH_MESSAGES):
        pending = [sqs_record(body) for body in share.bodies[start : start + BATCH_MESSAGES]]
        for receive in range(1, REDELIVERIES + 2):
            began = time.monotonic()
            answer = forwarder.handle(
                {"Records": pending},
                context_for(fleet.account, fleet.region, "psh-bench-forwarder"),
                runtime,
            )
            invocations.append(time.monotonic() - began)
            failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
            pending = [
                sqs_record(r["body"], receive_count=receive + 1) for r in pending if r["messageId"] in failed
            ]
            if not pending:
                break
            redelivered += len(pending)
        left += len(pending)
    return {
        "seconds": time.monotonic() - started,
        "invocations": invocations,
        "redelivered": redelivered,
        "left": left,
        "ssm_calls": dict(recorded.calls),
        "securityhub_calls": calls,
        "securityhub_seconds": seconds,
        "quarantined": Counter(json.loads(body).get("reason") for body in recorded.sent),
    }


def forward(fleet: RecordedFleet, bodies: list[str], *, workers: int) -> dict[str, Any]:
    """The sweep's requests through `workers` forwarder processes (batches dealt out in turn)."""
    batches = [bodies[i : i + BATCH_MESSAGES] for i in range(0, len(bodies), BATCH_MESSAGES)]
    shares = [[body for batch in batches[index::workers] for body in batch] for index in range(workers)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        go = manager.Event()
        ready = manager.Semaphore(0)
        with context.Pool(workers) as pool:
            pending = [
                pool.apply_async(_forwarder_worker, (Share(fleet, share), go, ready)) for share in shares
            ]
            deadline = time.monotonic() + READY_TIMEOUT_S
            for _ in shares:
                while not ready.acquire(timeout=1):
                    for result in pending:
                        if result.ready():
                            result.get()  # a worker that failed before it got ready: its error
                    if time.monotonic() > deadline:
                        raise RuntimeError("a forwarder worker did not get ready")
            started = time.monotonic()
            go.set()
            results = [result.get() for result in pending]
            seconds = time.monotonic() - started
    return {"seconds": seconds, "workers": results}


def sweep_once(fleet: RecordedFleet, securityhub: Any) -> dict[str, Any]:
    """One invocation of the sweep handler's run, in-process: SSM and SQS recorded, Security Hub live
    (`securityhub`: a client with the Lambda's SDK settings)."""
    from patch_securityhub import sweep
    from patch_securityhub.config import SweepConfig
    from workload import TimedClient, discarding_logger

    class NoContinuation:
        def invoke(self, **_: Any) -> Any:
            raise RuntimeError("the sweep wanted a second invocation: it was out of time")

    account, region = fleet.account, fleet.region
    recorded = fleet.recorded()
    seconds: dict[str, float] = {}
    calls: dict[str, int] = {}
    runtime = sweep.SweepRuntime(
        config=SweepConfig(region=region, main_queue_url=f"https://sqs.{region}.amazonaws.com/{account}/q"),
        ssm=recorded.client("ssm"),
        securityhub=TimedClient(securityhub, seconds, threading.Lock(), calls),
        sqs=recorded.client("sqs"),
        lambda_=NoContinuation(),
        logger=discarding_logger("sweep"),
    )
    started = time.monotonic()
    summary = sweep.run({}, context_for(account, region, "psh-bench-sweep"), runtime)
    return {
        "seconds": time.monotonic() - started,
        "summary": summary,
        "bodies": list(recorded.sent),
        "ssm_calls": dict(recorded.calls),
        "securityhub_calls": calls,
        "securityhub_seconds": seconds,
    }


def figures(
    nodes: int, swept: dict[str, Any], forwarded: dict[str, Any], refreshed: int, present: int
) -> dict[str, Any]:
    """The section's flat keys (`sweep_...`)."""
    workers = forwarded["workers"]

    def total(kind: str, operation: str) -> float:
        return sum(w[kind].get(operation, 0) for w in workers)

    invocations = [s for w in workers for s in w["invocations"]]
    sweep_gf_s = swept["securityhub_seconds"].get("get_findings", 0.0)
    forward_gf_s = total("securityhub_seconds", "get_findings")
    worker_seconds = swept["seconds"] + sum(w["seconds"] for w in workers)
    wall = swept["seconds"] + forwarded["seconds"]
    result = {
        "nodes": nodes,
        "findings_walked": swept["summary"]["findings"],
        "messages": swept["summary"]["messages"],
        "run_action": swept["summary"]["action"],
        "run_seconds": round(swept["seconds"], 1),
        "run_get_findings_calls": swept["securityhub_calls"].get("get_findings", 0),
        "run_get_findings_seconds": round(sweep_gf_s, 1),
        "run_describe_instance_information_calls": swept["ssm_calls"].get("DescribeInstanceInformation", 0),
        "run_send_message_calls": swept["ssm_calls"].get("SendMessage", 0),
        "forward_seconds": round(forwarded["seconds"], 1),
        "forward_workers": len(workers),
        "seconds": round(wall, 1),
        "findings_refreshed": refreshed,
        "findings_per_s": round(refreshed / wall, 1),
        "lost": nodes - present,
        "forward_invocations": len(invocations),
        "invocation_p50_s": round(statistics.median(invocations), 2),
        "invocation_max_s": round(max(invocations), 2),
        "invocation_of_timeout_pct": round(100 * max(invocations) / LAMBDA_TIMEOUT_S, 1),
        "messages_redelivered": sum(w["redelivered"] for w in workers),
        "messages_left": sum(w["left"] for w in workers),
        "quarantined": sum(sum(w["quarantined"].values()) for w in workers),
        "quarantine_reasons": dict(sum((w["quarantined"] for w in workers), Counter())),
        **{
            f"forward_{name}_calls": int(total("ssm_calls", operation))
            for name, operation in SSM_OPERATIONS.items()
        },
        "forward_get_findings_calls": int(total("securityhub_calls", "get_findings")),
        "forward_import_calls": int(total("securityhub_calls", "batch_import_findings")),
        "get_findings_seconds": round(sweep_gf_s + forward_gf_s, 1),
        "import_seconds": round(total("securityhub_seconds", "batch_import_findings"), 1),
        "get_findings_pct_of_time": round(100 * (sweep_gf_s + forward_gf_s) / worker_seconds, 1),
    }
    return {f"sweep_{key}": value for key, value in result.items()}
