"""Section 3b: the import path's ceiling under Security Hub's rate limit, with SSM out of the way.

Section 3 forwards a fleet through LocalStack's SSM, whose one Python process answers every per-node read:
that measures the emulator. Here each worker is its own process, like a concurrent Lambda invocation: SSM is
answered in-process from recorded responses (recorded_aws, real botocore clients), Security Hub is the
project's emulator on LocalStack limiting BatchImportFindings to 10 TPS, burst 30, and the forwarder's own
Backoff rides out the throttling. What remains is the forwarder's CPU, the import calls and the rate limit.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from workload import RecordedFleet

HERE = Path(__file__).resolve().parent
READY_TIMEOUT_S = 120
REDELIVERIES = 5  # a batch's transient nodes are tried again this often, then counted as not landed


@dataclass(frozen=True)
class Job:
    """One worker's share: its nodes (the fleet's specs), and how many it forwards a batch."""

    fleet: RecordedFleet
    batch: int


def _worker(job: Job, go: Any, ready: Any) -> dict[str, Any]:
    os.environ.update(job.fleet.env)
    from patch_securityhub.aws import clients
    from patch_securityhub.pipeline import TRANSIENT, NodeRequest, process
    from patch_securityhub.retry import Backoff
    from workload import discarding_logger

    account, region, batch, specs = job.fleet.account, job.fleet.region, job.batch, job.fleet.specs
    recorded = job.fleet.recorded()
    ssm = recorded.client("ssm")
    (securityhub,) = clients(region, "securityhub", attempts=1)
    ids = [spec["InstanceId"] for spec in specs]
    ready.release()
    go.wait()
    started = time.monotonic()
    cpu_started = time.process_time()
    statuses: dict[str, int] = {}
    import_calls = redeliveries = 0
    for start in range(0, len(ids), batch):
        pending = ids[start : start + batch]
        # Nodes left transient (throttled past the Backoff) come back like an SQS redelivery would.
        for _ in range(REDELIVERIES + 1):
            report = process(
                [NodeRequest(node_id) for node_id in pending],
                ssm_client=ssm,
                securityhub_client=securityhub,
                account=account,
                region=region,
                backoff=Backoff(),
                logger=discarding_logger(),
            )
            import_calls += report.import_calls
            pending = [o.node_id for o in report.outcomes.values() if o.status == TRANSIENT]
            for outcome in report.outcomes.values():
                if outcome.status != TRANSIENT:
                    statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
            if not pending:
                break
            redeliveries += 1
        statuses[TRANSIENT] = statuses.get(TRANSIENT, 0) + len(pending)
    return {
        "seconds": time.monotonic() - started,
        "cpu_seconds": time.process_time() - cpu_started - recorded.service_seconds,
        "statuses": statuses,
        "import_calls": import_calls,
        "redeliveries": redeliveries,
    }


def import_ceiling(
    env: dict[str, str],
    account: str,
    region: str,
    specs: list[dict[str, Any]],
    *,
    workers: int,
    batch: int,
    scan_end: datetime | None = None,
) -> dict[str, Any]:
    """Forward `specs` with `workers` processes; returns wall seconds from the common start, per-worker CPU,
    outcome counts and import calls. The caller sets the rate limit and counts what landed."""
    context = multiprocessing.get_context("spawn")
    shares = [specs[index::workers] for index in range(workers)]
    with context.Manager() as manager:
        go = manager.Event()
        ready = manager.Semaphore(0)
        with context.Pool(workers) as pool:
            pending = [
                pool.apply_async(
                    _worker, (Job(RecordedFleet(env, share, account, region, scan_end), batch), go, ready)
                )
                for share in shares
            ]
            for _ in shares:
                if not ready.acquire(timeout=READY_TIMEOUT_S):
                    raise RuntimeError("a ceiling worker did not get ready")
            started = time.monotonic()
            go.set()
            results = [result.get() for result in pending]
            seconds = time.monotonic() - started
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "seconds": seconds,
        "worker_cpu_seconds": [round(r["cpu_seconds"], 1) for r in results],
        "statuses": statuses,
        "import_calls": sum(r["import_calls"] for r in results),
        "redeliveries": sum(r["redeliveries"] for r in results),
    }
