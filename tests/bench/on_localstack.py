"""Sections 3, 5 and 6 on the project's LocalStack: fleet throughput under Security Hub's rate limit,
end-to-end latency through the deployed pipeline, and Terraform plan/apply/destroy times of examples/complete.

Each section runs in its own random account (a 12-digit access key is an account in LocalStack), so it never
shares SSM nodes, EventBridge rules or findings with the demo or the tests.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import ceiling
import sweep_bench
from patch_securityhub.aws import sdk_config
from patch_securityhub.config import DEFAULT_SSM_READ_CONCURRENCY
from patch_securityhub.pipeline import IMPORTED, PERMANENT, TRANSIENT, NodeRequest, ProcessReport, process
from psh_localstack.client import securityhub as shc
from psh_localstack.client import ssm as ssm_control
from psh_stage import demo, fleet
from psh_stage.aws import Aws, wait_until
from psh_stage.findings import own_findings
from psh_stage.terraform import Stage, complete_stage
from workload import RecordedFleet, TimedClient, discarding_logger, non_compliant_fleet

REGISTER_CHUNK = 1000
FIRST_FINDING_TIMEOUT_S = 120
ALL_FINDINGS_TIMEOUT_S = 240
SCAN_CHUNK = 500
# The Lambda's SDK settings (one attempt per call; the forwarder's Backoff retries).
LAMBDA_SDK_CONFIG = sdk_config(attempts=1)


def own_account_env(base_env: dict[str, str]) -> tuple[str, dict[str, str]]:
    account = str(random.SystemRandom().randrange(10**11, 10**12))
    return account, {**base_env, "AWS_ACCESS_KEY_ID": account}


def scan(endpoint: str, account: str, region: str, instance_ids: list[str]) -> None:
    """The control route's synchronous Scan of `instance_ids` in `account`."""
    ssm_control.scan_via_control(endpoint, instance_ids, account_id=account, region=region, timeout=600)


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def count_own_findings(securityhub: Any, account: str, region: str, node_ids: set[str]) -> int:
    return sum(
        1
        for f in own_findings(
            securityhub, account, region, RecordState=[{"Value": "ACTIVE", "Comparison": "EQUALS"}]
        )
        if f["Resources"][0]["Id"] in node_ids
    )


def fleet_throughput(
    endpoint: str,
    base_env: dict[str, str],
    *,
    nodes: int,
    batch: int,
    workers: int,
    budget_s: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Forward a whole fleet with pipeline.process in `workers` concurrent batches (like concurrent Lambdas),
    with the Security Hub emulator limiting BatchImportFindings to 10 TPS, burst 30. No batch starts after
    `budget_s` seconds: the fleet figures are then null and the partial run's rate is kept."""
    account, env = own_account_env(base_env)
    aws = Aws(env)
    region = aws.region
    if aws.account != account:
        raise RuntimeError(f"LocalStack mapped access key {account} to account {aws.account}")
    aws.client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    specs = non_compliant_fleet(nodes, seed=10_000)
    ids = [spec["InstanceId"] for spec in specs]
    started = time.monotonic()
    for start in range(0, nodes, REGISTER_CHUNK):
        ssm_control.register_nodes(
            endpoint, specs[start : start + REGISTER_CHUNK], account_id=account, region=region
        )
    registered = time.monotonic()
    for start in range(0, nodes, SCAN_CHUNK):
        scan(endpoint, account, region, ids[start : start + SCAN_CHUNK])
    scanned = time.monotonic()
    log(f"  {nodes} nodes registered in {registered - started:.0f}s, scanned in {scanned - registered:.0f}s")

    call_seconds: dict[str, float] = {}
    lock = threading.Lock()

    def forward(chunk: list[str]) -> ProcessReport:
        ssm = TimedClient(
            aws.session.client("ssm", endpoint_url=aws.endpoint, config=LAMBDA_SDK_CONFIG), call_seconds, lock
        )
        securityhub = TimedClient(
            aws.session.client("securityhub", endpoint_url=aws.endpoint, config=LAMBDA_SDK_CONFIG),
            call_seconds,
            lock,
        )
        return process(
            [NodeRequest(node_id) for node_id in chunk],
            ssm_client=ssm,
            securityhub_client=securityhub,
            account=account,
            region=region,
            logger=discarding_logger(),
            read_concurrency=DEFAULT_SSM_READ_CONCURRENCY,  # as the Lambda reads
        )

    before = shc.status(endpoint)
    shc.set_rate_limit(endpoint, enabled=True, rate=10, burst=30, operations=["BatchImportFindings"])
    try:
        forward_started = time.monotonic()
        deadline = forward_started + budget_s
        batches = iter([ids[i : i + batch] for i in range(0, nodes, batch)])
        results: list[ProcessReport] = []

        def worker() -> None:
            # Like Lambda pollers: each takes the next batch; none starts one after the time budget is spent.
            while time.monotonic() < deadline:
                with lock:
                    chunk = next(batches, None)
                if chunk is None:
                    return
                report = forward(chunk)
                with lock:
                    results.append(report)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(worker) for _ in range(workers)]:
                future.result()
        seconds = time.monotonic() - forward_started
    finally:
        shc.set_rate_limit(endpoint, enabled=False)
    after = shc.status(endpoint)
    attempted = [node_id for report in results for node_id in report.outcomes]
    present = count_own_findings(aws.client("securityhub"), account, region, set(attempted))
    finished = len(attempted) == nodes
    import_calls = sum(report.import_calls for report in results)
    failures = [o for report in results for o in report.outcomes.values() if o.status != IMPORTED]
    rejected = after["rejected"].get("BatchImportFindings", 0) - before["rejected"].get(
        "BatchImportFindings", 0
    )
    aws.client("securityhub").disable_security_hub()
    return {
        "fleet_10000_nodes": nodes,
        "fleet_nodes_forwarded": len(attempted),
        "fleet_forward_seconds": round(seconds, 1),
        # Only a whole fleet gives the fleet figures; a partial run keeps its rate figures.
        "fleet_10000_seconds": round(seconds, 1) if finished else None,
        "fleet_10000_lost": nodes - present if finished else None,
        "fleet_lost_of_forwarded": len(attempted) - present,
        "fleet_10000_transient_nodes": sum(report.count(TRANSIENT) for report in results),
        "fleet_10000_permanent_nodes": sum(report.count(PERMANENT) for report in results),
        "fleet_10000_first_failure": f"{failures[0].status}: {failures[0].reason}" if failures else None,
        "throughput_findings_per_s": round(present / seconds, 1),
        "throughput_vs_ceiling_pct": round(100 * present / seconds / 1000, 1),
        "fleet_10000_import_calls": import_calls,
        "fleet_10000_throttled_calls": rejected,
        "fleet_setup_seconds": round(scanned - started, 1),
        "fleet_10000_workers": workers,
        # Wall time inside each kind of call, summed over the workers: where the time goes.
        "fleet_10000_ssm_call_seconds": round(
            sum(v for k, v in call_seconds.items() if k.startswith(("describe_", "list_"))), 1
        ),
        "fleet_10000_get_findings_call_seconds": round(call_seconds.get("get_findings", 0.0), 1),
        "fleet_10000_import_call_seconds": round(call_seconds.get("batch_import_findings", 0.0), 1),
    }


def ceiling_throughput(
    endpoint: str,
    base_env: dict[str, str],
    *,
    nodes: int,
    batch: int,
    workers: int,
    limits: dict[str, tuple[float, int]],
    prefix: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Section 3b (ceiling.py): the import path alone under Security Hub rate `limits`, SSM recorded.
    Figures are keyed `<prefix>_...`."""
    account, env = own_account_env(base_env)
    aws = Aws(env)
    aws.client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    specs = non_compliant_fleet(nodes, seed=20_000)
    before = shc.status(endpoint)
    shc.set_rate_limit(endpoint, enabled=True, limits=limits)
    try:
        result = ceiling.import_ceiling(env, account, aws.region, specs, workers=workers, batch=batch)
    finally:
        shc.set_rate_limit(endpoint, enabled=False)
    after = shc.status(endpoint)
    present = count_own_findings(
        aws.client("securityhub"), account, aws.region, {spec["InstanceId"] for spec in specs}
    )
    aws.client("securityhub").disable_security_hub()
    seconds = result["seconds"]
    log(
        f"  {present} findings in {seconds:.1f}s, {workers} worker processes, limits {limits} "
        f"(forwarder CPU s: {result['worker_cpu_seconds']})"
    )

    def delta(kind: str, operation: str) -> int:
        return after[kind].get(operation, 0) - before[kind].get(operation, 0)

    figures = {
        "nodes": nodes,
        "workers": workers,
        "seconds": round(seconds, 1),
        "findings_per_s": round(present / seconds, 1),
        "vs_1000_pct": round(100 * present / seconds / 1000, 1),
        "lost": nodes - present,
        "import_calls": result["import_calls"],
        "throttled_calls": delta("rejected", "BatchImportFindings"),
        "get_findings_calls": delta("requests", "GetFindings"),
        "get_findings_throttled": delta("rejected", "GetFindings"),
        "redelivered_batches": result["redeliveries"],
        "worker_cpu_seconds": result["worker_cpu_seconds"],
        "outcomes": result["statuses"],
    }
    return {f"{prefix}_{key}": value for key, value in figures.items()}


def sweep_throughput(
    endpoint: str,
    base_env: dict[str, str],
    *,
    nodes: int,
    workers: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Section 3d (sweep_bench.py): the sweep of a fleet whose findings exist, under every documented
    Security Hub limit. Setup (not counted): the fleet's findings imported with no limit."""
    account, env = own_account_env(base_env)
    aws = Aws(env)
    securityhub = aws.client("securityhub")
    securityhub.enable_security_hub(EnableDefaultStandards=False)
    specs = non_compliant_fleet(nodes, seed=30_000)
    ids = {spec["InstanceId"] for spec in specs}
    scan_end = datetime.now(UTC) - timedelta(minutes=10)

    def updated() -> dict[str, str]:
        found = own_findings(securityhub, account, aws.region)
        return {f["Resources"][0]["Id"]: f["UpdatedAt"] for f in found if f["RecordState"] == "ACTIVE"}

    ceiling.import_ceiling(env, account, aws.region, specs, workers=workers, batch=100, scan_end=scan_end)
    before = updated()
    if set(before) != ids:
        raise RuntimeError(f"setup: {len(before)} of {nodes} findings imported")
    recorded = RecordedFleet(env, specs, account, aws.region, scan_end)
    shc.set_rate_limit(endpoint, enabled=True, limits=shc.DOCUMENTED_LIMITS)
    try:
        lambda_sdk = aws.session.client("securityhub", endpoint_url=aws.endpoint, config=LAMBDA_SDK_CONFIG)
        swept = sweep_bench.sweep_once(recorded, lambda_sdk)
        log(f"  sweep: {swept['summary']} in {swept['seconds']:.1f}s")
        forwarded = sweep_bench.forward(recorded, swept["bodies"], workers=workers)
    finally:
        shc.set_rate_limit(endpoint, enabled=False)
    after = updated()
    securityhub.disable_security_hub()
    refreshed = sum(1 for node_id, stamp in after.items() if node_id in before and stamp > before[node_id])
    result = sweep_bench.figures(nodes, swept, forwarded, refreshed, len(set(after) & ids))
    log(f"  {refreshed} findings refreshed in {result['sweep_seconds']}s")
    return result


def bench_stage(env: dict[str, str]) -> Stage:
    return complete_stage(env, "bench")


def terraform_and_e2e(
    endpoint: str, base_env: dict[str, str], *, nodes: int, log: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Plan/apply examples/complete, scan `nodes` nodes through its association, measure scan-end -> finding
    latency, destroy. Returns (figures, errors by part); a failed part leaves its figures out."""
    account, env = own_account_env(base_env)
    stage = bench_stage(env)
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    _forget_leftovers(stage)
    tf = stage.prepare()  # terraform init: not part of the timings
    started = time.monotonic()
    tf.plan(tf_vars=stage.vars())
    out["plan_seconds"] = round(time.monotonic() - started, 1)
    log(f"  plan {out['plan_seconds']}s")
    try:
        started = time.monotonic()
        outputs = stage.apply()
        out["apply_seconds"] = round(time.monotonic() - started, 1)
        log(f"  apply {out['apply_seconds']}s")
        try:
            out.update(
                _latency(endpoint, env=env, account=account, module=outputs["module"], nodes=nodes, log=log)
            )
        except Exception as exc:  # keep plan/apply/destroy figures when the pipeline part fails
            errors["e2e"] = f"{type(exc).__name__}: {str(exc)[:400]}"
    except Exception as exc:
        errors["apply"] = f"{type(exc).__name__}: {str(exc)[-600:]}"
    finally:
        started = time.monotonic()
        try:
            stage.destroy()
            out["destroy_seconds"] = round(time.monotonic() - started, 1)
            log(f"  destroy {out['destroy_seconds']}s")
        except Exception as exc:
            errors["destroy"] = f"{type(exc).__name__}: {str(exc)[-600:]}"
    return out, errors


def _quarantined_reason(aws: Aws, module: dict[str, Any]) -> str:
    """Why the forwarder quarantined a message, if it did (the first message's reason and detail)."""
    try:
        messages = (
            aws.client("sqs")
            .receive_message(
                QueueUrl=module["quarantine_queue_url"], MaxNumberOfMessages=1, VisibilityTimeout=0
            )
            .get("Messages", [])
        )
    except Exception as exc:
        return f"quarantine queue unreadable: {type(exc).__name__}"
    if not messages:
        return "nothing"
    envelope = json.loads(messages[0]["Body"])
    return f"{envelope.get('reason')}: {str(envelope.get('detail'))[:200]}"


def _forget_leftovers(stage: Stage) -> None:
    """Destroy what an interrupted run left; if LocalStack was restarted since, its state names nothing."""
    try:
        stage.destroy()
    except Exception:
        for state in stage.tfdir.glob("terraform.tfstate*"):
            state.unlink()


def _latency(
    endpoint: str,
    *,
    env: dict[str, str],
    account: str,
    module: dict[str, Any],
    nodes: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    aws = Aws(env)
    specs = non_compliant_fleet(nodes, seed=200)
    ids = ssm_control.register_nodes(endpoint, specs, account_id=account, region=aws.region)
    ssm = aws.client("ssm")
    for index, node_id in enumerate(ids):  # the association targets tag:PatchGroup = web | batch
        group = ("web", "batch")[index % 2]
        ssm.add_tags_to_resource(
            ResourceType="ManagedInstance", ResourceId=node_id, Tags=[{"Key": "PatchGroup", "Value": group}]
        )
    started = time.monotonic()
    execution = fleet.run_association_once(ssm, module["patch_association_id"], timeout_s=300)
    expected = demo.non_compliant_nodes(ssm, ids)
    took = time.monotonic() - started
    log(f"  association {execution['Status']} in {took:.0f}s; {len(expected)} non-compliant")
    if not expected:
        raise RuntimeError("the scan reported no non-compliant node")
    first = wait_until(
        lambda: own_findings(aws.client("securityhub"), account, aws.region),
        bool,
        timeout=FIRST_FINDING_TIMEOUT_S,
        interval=0.5,
        what=f"the first finding (quarantined: {_quarantined_reason(aws, module)})",
    )
    log(f"  first finding after {time.monotonic() - started:.0f}s ({first[0]['Resources'][0]['Id']})")
    findings = demo.wait_for_findings(aws, account, expected, "ACTIVE", timeout=ALL_FINDINGS_TIMEOUT_S)
    all_in = time.monotonic() - started
    latencies = sorted(demo.latency_seconds(f) for f in findings if f["Resources"][0]["Id"] in expected)
    return {
        "e2e_nodes": len(ids),
        "e2e_findings": len(latencies),
        "e2e_latency_p50_s": round(percentile(latencies, 50), 2),
        "e2e_latency_p95_s": round(percentile(latencies, 95), 2),
        "e2e_latency_p99_s": round(percentile(latencies, 99), 2),
        "e2e_latency_max_s": round(latencies[-1], 2),
        "e2e_all_findings_seconds": round(all_in, 1),
    }
