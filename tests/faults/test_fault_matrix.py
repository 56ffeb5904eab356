"""Fault matrix on LocalStack through the real pipeline: SSM scan -> EventBridge -> SQS -> packaged forwarder
Lambda (host executor) -> Security Hub emulator, with the DLQ and the scheduled redrive of examples/complete.

Each test registers its own nodes, injects one fault, scans, and measures the end state (see matrix.py): every
non-compliant node has exactly one ACTIVE finding with SSM's latest OperationEndTime, main queue and DLQ are
empty, and the quarantine holds only the poison message the test sent. Rows go to the table and to
build/faults.json.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from matrix import (
    POISON_BODY,
    Fleet,
    drain_quarantine,
    row,
    send_bodies,
    wait_converged,
)
from patch_securityhub.events import sweep_message
from patch_securityhub.finding import finding_id
from psh_localstack.client import clock
from psh_localstack.client import securityhub as shc
from psh_localstack.client import ssm as ssm_control
from psh_stage.aws import queue_depths, wait_until
from psh_stage.deployments import Deployment
from psh_stage.findings import by_node

REDRIVE_WAIT = 150.0  # the redrive runs every minute; LocalStack's scheduler may start a tick late
# The burst drains in ~170 s on an idle 2-core machine; the wait leaves room for a busy one (a convergence
# bound, not a speed assertion: the row's recover_seconds is the measured figure).
BURST_CONVERGE_TIMEOUT = 600.0


def _finish(
    deployment: Deployment,
    record: Callable,
    fault: str,
    fleet_: Fleet,
    *,
    sent: int,
    recover_from: float,
    poison: int = 1,
    timeout: float = 240.0,
    truth: dict[str, dict] | None = None,
) -> None:
    truth = truth if truth is not None else fleet_.truth()
    state, converged = wait_converged(deployment, truth, poison=poison, timeout=timeout)
    recovered = time.monotonic() - recover_from
    reasons = drain_quarantine(deployment)
    record(row(fault, sent, state, recovered))
    assert converged, f"{fault}: did not converge: {state}, quarantine reasons {reasons}"
    assert state.expected > 0, "the fleet must have non-compliant nodes"
    # Only the poison is quarantined, and once: the forwarder deletes it from the queue as soon as it is kept,
    # so a batch that fails or times out afterwards does not bring it back.
    assert reasons == ["not_json"] * poison, reasons


def _poison(deployment: Deployment) -> int:
    return send_bodies(deployment, [POISON_BODY])


def test_same_event_delivered_three_times(deployment: Deployment, record: Callable) -> None:
    nodes = Fleet.register(deployment, 8, seed=11)
    t0 = time.monotonic()
    sent = _poison(deployment) + nodes.scan()
    truth = nodes.truth()
    # The scan's own events plus two more copies of each: the same fact arrives three times, concurrently.
    sent += send_bodies(deployment, [nodes.event_body(n, truth[n]) for n in nodes.node_ids] * 2)
    _finish(deployment, record, "same event delivered 3x", nodes, sent=sent, recover_from=t0)


def test_an_old_scans_event_after_a_newer_one_keeps_the_newer_data(
    deployment: Deployment, record: Callable
) -> None:
    nodes = Fleet.register(deployment, 8, seed=12)
    nodes.scan()
    first = nodes.truth()
    assert wait_converged(deployment, first, poison=0)[1], "first scan must land"
    non_compliant = [n for n, t in first.items() if t["non_compliant"]]
    nodes.release_missing_patch(nodes.node_ids, index=90)
    nodes.scan()
    second = nodes.truth()
    assert all(second[n]["end"] > first[n]["end"] for n in nodes.node_ids)
    assert wait_converged(deployment, second, poison=0)[1], "second scan must land"
    t0 = time.monotonic()
    sent = _poison(deployment) + send_bodies(
        deployment, [nodes.event_body(n, first[n]) for n in nodes.node_ids]
    )
    _finish(deployment, record, "old scan's event after a newer one", nodes, sent=sent, recover_from=t0)
    for finding in deployment.findings():
        if finding["Resources"][0]["Id"] in non_compliant:
            assert finding["PatchSummary"]["MissingCount"] >= 1


def test_throttled_batch_import(deployment: Deployment, record: Callable) -> None:
    nodes = Fleet.register(deployment, 8, seed=13)
    rejected = shc.rejected_count(deployment.endpoint, "BatchImportFindings")
    t0 = time.monotonic()
    shc.set_fault(deployment.endpoint, "throttle", seconds=4, operations=["BatchImportFindings"])
    sent = _poison(deployment) + nodes.scan()
    _finish(deployment, record, "BatchImportFindings throttled 4 s", nodes, sent=sent, recover_from=t0 + 4)
    assert shc.rejected_count(deployment.endpoint, "BatchImportFindings") > rejected, (
        "the fault was never hit"
    )


def test_partial_failed_findings_in_a_batch(deployment: Deployment, record: Callable) -> None:
    nodes = Fleet.register(deployment, 10, seed=14)
    account, region = deployment.account, deployment.aws.region
    failed_before = shc.status(deployment.endpoint)["findings_failed"]
    t0 = time.monotonic()
    # The next 3 findings of this account fail inside their batch; the rest of the batch lands.
    shc.fail_findings(deployment.endpoint, finding_id(account, region, ""), 3)
    sent = _poison(deployment) + nodes.scan()
    _finish(deployment, record, "3 FailedFindings (InternalFailure)", nodes, sent=sent, recover_from=t0)
    assert shc.status(deployment.endpoint)["findings_failed"] - failed_before == 3


def test_hostile_records_mixed_with_good_ones_are_each_quarantined_once(
    deployment: Deployment, record: Callable
) -> None:
    """One queue's worth of good events with hostile records among them (issue: no batch is ever poisoned):
    the good findings land, each hostile record is quarantined once with its own reason and never handed back
    (nor its batch: main queue and DLQ end empty), and a well-formed event for a node nobody knows is
    acknowledged. The row's recovery includes the compliant nodes' events, which wait out Security Hub's read
    lag twice (prior_not_visible) before they are acknowledged."""
    nodes = Fleet.register(deployment, 6, seed=15)
    t0 = time.monotonic()
    sent = nodes.scan()
    truth = nodes.truth()
    event = json.loads(nodes.event_body(nodes.node_ids[0], truth[nodes.node_ids[0]]))

    def variant(**detail: str) -> str:
        changed = {**event, "detail": {**event["detail"], **detail}}
        changed.pop("resources", None)
        return json.dumps(changed)

    hostile = [  # (the reason it must be quarantined with, the body)
        # A UTC offset that takes the time past datetime's range (OverflowError once, a retry loop).
        ("malformed_time", json.dumps({**event, "time": "9999-12-31T23:59:59-23:59"})),
        # Python's `$` matches before a final newline: the schema's pattern alone would let it through.
        ("malformed_resource_id", variant(**{"resource-id": event["detail"]["resource-id"] + "\n"})),
        # 10 hex digits: a length SSM never issues (8 or 17).
        ("malformed_resource_id", variant(**{"resource-id": "i-0123456789"})),
        # Its quarantine envelope would pass SQS's 256 KiB: the kept copy of the body is cut, with a mark.
        ("missing_field", json.dumps({"padding": "x" * 250_000})),
    ]
    unknown = variant(**{"resource-id": "i-0fffffffffffffff1"})  # well formed; neither SSM nor EC2 knows it
    good = [nodes.event_body(n, truth[n]) for n in nodes.node_ids]
    small = [body for _, body in hostile if len(body) < 100_000]
    sent += send_bodies(deployment, [*good[:3], *small, unknown, *good[3:]])  # one SendMessageBatch: 10
    sent += send_bodies(deployment, [body for _, body in hostile if len(body) >= 100_000])
    state, converged = wait_converged(deployment, truth, poison=len(hostile))
    recovered = time.monotonic() - t0
    reasons = drain_quarantine(deployment)
    record(row("hostile records among good events", sent, state, recovered))
    assert converged, f"did not converge: {state}, quarantine reasons {reasons}"
    assert sorted(reasons) == sorted(reason for reason, _ in hostile), reasons


def test_an_import_refused_whole_for_one_finding_lands_the_rest(
    deployment: Deployment, record: Callable
) -> None:
    """BatchImportFindings refuses every request holding one node's finding (InvalidInputException, as AWS
    refuses a request it will not take) while a sweep request refreshes the fleet: the chunk is split until
    only that finding is refused; it is quarantined once (import_rejected), every other finding is refreshed,
    and the refused node keeps the finding it had."""
    nodes = Fleet.register(deployment, 8, seed=16)
    nodes.scan()
    truth = nodes.truth()
    assert wait_converged(deployment, truth, poison=0)[1], "the scan must land first"
    non_compliant = sorted(n for n, t in truth.items() if t["non_compliant"])
    bad = non_compliant[0]
    account, region = deployment.account, deployment.aws.region
    before = {n: f[0]["UpdatedAt"] for n, f in by_node(deployment.findings()).items() if n in truth}
    refused = finding_id(account, region, bad)
    shc.fail_findings(
        deployment.endpoint, refused, count=50, error_message="Invalid finding", whole_request=True
    )
    try:
        t0 = time.monotonic()
        sweep = sweep_message("fault-row", "nodes", nodes.node_ids, account=account, region=region)
        sent = send_bodies(deployment, [sweep])
        state, converged = wait_converged(deployment, truth, poison=1)
        wait_until(
            lambda: by_node(deployment.findings()),
            lambda found: all(found[n][0]["UpdatedAt"] > before[n] for n in non_compliant[1:]),
            timeout=60,
            what="the other findings refreshed",
        )
        recovered = time.monotonic() - t0
    finally:
        shc.fail_findings(deployment.endpoint, refused, count=0)
    reasons = drain_quarantine(deployment)
    record(row("an import refused whole (InvalidInputException) for 1 of 8 findings", sent, state, recovered))
    assert converged, f"did not converge: {state}, quarantine reasons {reasons}"
    assert reasons == ["import_rejected"], reasons
    assert by_node(deployment.findings())[bad][0]["UpdatedAt"] == before[bad]


def test_ssm_pages_that_repeat_their_next_token_stop_in_bounded_calls(
    deployment: Deployment, record: Callable
) -> None:
    """DescribeInstanceInformation answers every page with the same NextToken for 4 s: each read stops at the
    repeated token (2 calls) and hands its messages back; the retries after the fault import everything."""
    nodes = Fleet.register(deployment, 8, seed=17)
    operation = "DescribeInstanceInformation"
    before = ssm_control.fault_status(deployment.endpoint)["rejected"].get(operation, 0)
    t0 = time.monotonic()
    ssm_control.set_fault(deployment.endpoint, "repeat_token", seconds=4, operations=[operation])
    sent = _poison(deployment) + nodes.scan()
    time.sleep(max(0.0, t0 + 4.2 - time.monotonic()))  # the harness reads SSM too: after the fault
    calls = ssm_control.fault_status(deployment.endpoint)["rejected"].get(operation, 0) - before
    _finish(
        deployment,
        record,
        f"SSM pages repeat their NextToken 4 s ({calls} calls served)",
        nodes,
        sent=sent,
        recover_from=t0 + 4,
    )
    # Two calls per read at most (the page, then the page that repeats the token), one read per batch.
    assert 0 < calls <= 2 * sent, calls


def _ssm_fault(
    deployment: Deployment, record: Callable, mode: str, operations: list[str] | None, seed: int
) -> None:
    nodes = Fleet.register(deployment, 8, seed=seed)
    before = sum(ssm_control.fault_status(deployment.endpoint)["rejected"].values())
    t0 = time.monotonic()
    ssm_control.set_fault(deployment.endpoint, mode, seconds=4, operations=operations)
    sent = _poison(deployment) + nodes.scan()
    time.sleep(max(0.0, t0 + 4.2 - time.monotonic()))  # the harness reads SSM too: after the fault
    label = "throttled (400)" if mode == "throttle" else "5xx (500)"
    _finish(deployment, record, f"SSM reads {label} 4 s", nodes, sent=sent, recover_from=t0 + 4)
    after = sum(ssm_control.fault_status(deployment.endpoint)["rejected"].values())
    assert after > before, "the fault was never hit"


def test_ssm_reads_throttled(deployment: Deployment, record: Callable) -> None:
    _ssm_fault(deployment, record, "throttle", None, seed=15)


def test_ssm_reads_fail_with_5xx(deployment: Deployment, record: Callable) -> None:
    _ssm_fault(
        deployment, record, "unavailable", ["DescribeInstancePatchStates", "DescribeInstancePatches"], 16
    )


def test_forwarder_times_out_mid_batch(deployment: Deployment, record: Callable) -> None:
    """BatchImportFindings answers after 8 s, past the 5 s function timeout: the host executor kills the
    runtime mid-batch, the batch comes back after the visibility timeout, and the late import must not
    duplicate."""
    nodes = Fleet.register(deployment, 8, seed=17)
    logs = deployment.aws.client("logs")
    group = f"/aws/lambda/{deployment.module['forwarder_function_name']}"
    started = datetime.now(UTC)
    t0 = time.monotonic()
    shc.set_fault(
        deployment.endpoint, "latency", seconds=3, operations=["BatchImportFindings"], delay_seconds=8
    )
    sent = _poison(deployment) + nodes.scan()
    _finish(deployment, record, "forwarder timed out mid-batch", nodes, sent=sent, recover_from=t0 + 3)
    events = logs.filter_log_events(logGroupName=group, startTime=int(started.timestamp() * 1000))["events"]
    assert any("timed out" in event["message"] for event in events), "the forwarder never timed out"


def test_security_hub_down_past_the_retry_window_then_imports_refused_for_two_redrive_runs(
    deployment: Deployment, record: Callable
) -> None:
    sqs = deployment.aws.client("sqs")
    nodes = Fleet.register(deployment, 8, seed=18)
    shc.set_fault(deployment.endpoint, "unavailable", seconds=3600)
    sent = _poison(deployment) + nodes.scan()
    # Two failed receives (visibility 30 s each): every event is in the DLQ.
    wait_until(
        lambda: queue_depths(sqs, deployment.queues),
        lambda d: d["main"] == 0 and d["dlq"] > 0,
        timeout=180,
        interval=2,
        what="events to reach the DLQ",
    )
    # Security Hub answers again, but BatchImportFindings is still refused: the hub looks healthy to any probe
    # but the import itself. The redrive probes the import, so for two runs it moves nothing.
    shc.set_fault(deployment.endpoint, "unavailable", seconds=3600, operations=["BatchImportFindings"])
    held = queue_depths(sqs, deployment.queues)["dlq"]
    cloudwatch = deployment.aws.client("cloudwatch")
    dlq_name = deployment.module["dlq_url"].rsplit("/", 1)[-1]

    def blocked_runs() -> tuple[float, float]:
        """(runs, the most messages a run held) of what the module's redrive_blocked alarm watches: each
        blocked run publishes the messages it held (a run probes up to 3 times, the SDK's attempts: probes
        do not count runs)."""
        points = cloudwatch.get_metric_statistics(
            Namespace="patch-securityhub",
            MetricName="RedriveBlocked",
            Dimensions=[{"Name": "DeadLetterQueue", "Value": dlq_name}],
            StartTime=datetime.now(UTC) - timedelta(hours=2),
            EndTime=datetime.now(UTC) + timedelta(minutes=5),
            Period=60,
            Statistics=["Maximum", "SampleCount"],
        )["Datapoints"]
        return sum(p["SampleCount"] for p in points), max((p["Maximum"] for p in points), default=0.0)

    runs_before, _ = blocked_runs()  # runs blocked while Security Hub was down altogether
    runs, most_held = wait_until(
        blocked_runs,
        lambda state: state[0] >= runs_before + 2,
        timeout=2 * REDRIVE_WAIT,
        interval=2,
        what="two scheduled redrive runs blocked by the refused import",
    )
    depths = queue_depths(sqs, deployment.queues)
    assert (depths["main"], depths["dlq"]) == (0, held), (
        f"the redrive moved messages it could not land: {depths}"
    )
    assert most_held >= held, (runs, most_held)
    assert "redrive_blocked" in deployment.module["alarm_names"]
    shc.clear_fault(deployment.endpoint)
    cleared = time.monotonic()
    _finish(
        deployment,
        record,
        "Security Hub down > retry window, then imports refused for 2 redrive runs",
        nodes,
        sent=sent,
        recover_from=cleared,
        timeout=300,
    )


# --- findings over time: the sweep, node lifecycle, retention, read lag -----------------------------------


def _sweep(deployment: Deployment) -> dict:
    """One run of the deployed sweep, invoked as its schedule invokes it (the event carries nothing)."""
    answer = deployment.aws.client("lambda").invoke(
        FunctionName=deployment.module["sweep_function_name"], Payload=b"{}"
    )
    payload = json.loads(answer["Payload"].read() or b"{}")
    assert "FunctionError" not in answer, payload
    assert payload["action"] == "done", payload
    return payload


def _updated_at(deployment: Deployment, node_ids: list[str]) -> dict[str, str]:
    return {
        f["Resources"][0]["Id"]: f["UpdatedAt"]
        for f in deployment.findings()
        if f["Resources"][0]["Id"] in node_ids
    }


def test_dropped_events_are_repaired_by_the_sweep(deployment: Deployment, record: Callable) -> None:
    nodes = Fleet.register(deployment, 8, seed=21)
    endpoint = deployment.endpoint
    ssm_control.set_behaviour(endpoint, event_drop_share=1.0)  # best-effort delivery at its worst
    try:
        dropped = nodes.scan()
        assert ssm_control.event_counters(endpoint)["events_dropped"] >= dropped  # none of them was sent
    finally:
        ssm_control.set_behaviour(endpoint, event_drop_share=0.0)
    t0 = time.monotonic()
    sent = _poison(deployment)
    _sweep(deployment)
    _finish(
        deployment,
        record,
        "every event dropped, the sweep repairs",
        nodes,
        sent=sent + dropped,
        recover_from=t0,
    )


def test_a_finding_untouched_for_91_days_is_kept_by_the_sweep(
    deployment: Deployment, record: Callable
) -> None:
    nodes = Fleet.register(deployment, 6, seed=22)
    endpoint = deployment.endpoint
    sent = nodes.scan()
    truth = nodes.truth()
    assert wait_converged(deployment, truth, poison=0)[1], "the scan must land"
    expected = [n for n, t in truth.items() if t["non_compliant"]]
    before = _updated_at(deployment, expected)
    t0 = time.monotonic()
    try:
        clock.advance(endpoint, 60 * 86400)  # 60 days without a compliance change: no event
        _sweep(deployment)
        # The sweep's requests refresh every finding (UpdatedAt moves), though nothing changed.
        wait_until(
            lambda: _updated_at(deployment, expected),
            lambda now: len(now) == len(expected) and all(now[n] > before[n] for n in expected),
            timeout=120,
            what="the sweep's refresh of every finding",
        )
        clock.advance(endpoint, 31 * 86400)  # 91 days after the import, 31 after the sweep's refresh
        sent += _poison(deployment)
        _finish(
            deployment,
            record,
            "91 days without a change (clock moved), sweep",
            nodes,
            sent=sent,
            recover_from=t0,
        )
    finally:
        clock.reset(endpoint)


def test_terminated_nodes_are_archived_and_stopped_ones_kept_not_poison(
    deployment: Deployment, record: Callable
) -> None:
    nodes = Fleet.register(deployment, 12, seed=23)
    nodes.scan()
    truth = nodes.truth()
    assert wait_converged(deployment, truth, poison=0)[1], "the scan must land"
    ec2_nodes = [n for n in nodes.node_ids if n.startswith("i-") and truth[n]["non_compliant"]]
    assert len(ec2_nodes) >= 4, "the fleet needs four non-compliant EC2 nodes"
    gone, stopped = ec2_nodes[:2], ec2_nodes[2:4]
    ec2 = deployment.aws.client("ec2")
    ec2.terminate_instances(InstanceIds=gone)
    ec2.stop_instances(InstanceIds=stopped)
    t0 = time.monotonic()
    # Events about the stopped nodes (SSM's, of their last scan) are not poison: only our poison is kept.
    sent = _poison(deployment) + send_bodies(deployment, [nodes.event_body(n, truth[n]) for n in stopped])
    _sweep(deployment)
    # The terminated nodes must have no ACTIVE finding; everything else stays as SSM says.
    final = {n: {**t, "non_compliant": t["non_compliant"] and n not in gone} for n, t in truth.items()}
    _finish(
        deployment,
        record,
        "2 nodes terminated, 2 stopped (+ their events)",
        nodes,
        sent=sent,
        recover_from=t0,
        truth=final,
    )
    archived = {f["Resources"][0]["Id"]: f for f in deployment.findings() if f["Resources"][0]["Id"] in gone}
    assert {n: f["RecordState"] for n, f in archived.items()} == dict.fromkeys(gone, "ARCHIVED")
    assert {f["ProductFields"]["patch-securityhub/ArchiveReason"] for f in archived.values()} == {
        "node_terminated"
    }
    assert {f["Compliance"]["Status"] for f in archived.values()} == {"NOT_AVAILABLE"}


def test_security_hub_reads_lag_10s_through_a_scan_then_install_burst(
    deployment: Deployment, record: Callable
) -> None:
    nodes = Fleet.register(deployment, 8, seed=24)
    endpoint = deployment.endpoint
    shc.set_read_lag(endpoint, 10)
    try:
        t0 = time.monotonic()
        received = shc.status(endpoint)["findings_received"]
        sent = _poison(deployment) + nodes.scan()
        scanned = nodes.truth()
        non_compliant = [n for n, t in scanned.items() if t["non_compliant"]]
        patched = non_compliant[: max(1, len(non_compliant) // 2)]
        # The scan's findings reach Security Hub, and are not visible yet (10 s) when half of the
        # non-compliant nodes install their patches.
        wait_until(
            lambda: shc.status(endpoint)["findings_received"] - received,
            lambda count: count >= len(non_compliant),
            timeout=120,
            what="the scan's imports",
        )
        sent += len(
            ssm_control.scan_via_control(
                endpoint, patched, "Install", account_id=deployment.account, region=deployment.aws.region
            )["patch_states"]
        )
        # An Install that leaves a node's compliance as it was (a patch failed to install) sends no event
        # (SSM's events come on a change): the sweep brings such a node's finding up to date. It runs once
        # every finding of the scan is visible.
        wait_until(
            lambda: {f["Resources"][0]["Id"] for f in deployment.findings()},
            lambda visible: set(non_compliant) <= visible,
            timeout=120,
            what="the scan's findings to become visible",
        )
        _sweep(deployment)
        _finish(
            deployment,
            record,
            "GetFindings lags 10 s, Scan then Install (+ sweep)",
            nodes,
            sent=sent,
            recover_from=t0,
            timeout=300.0,
        )
    finally:
        shc.set_read_lag(endpoint, 0)
    final = nodes.truth()
    mine = {f["Resources"][0]["Id"]: f for f in deployment.findings() if f["Resources"][0]["Id"] in patched}
    assert set(mine) == set(patched)
    for node_id, finding in mine.items():
        wanted = "ACTIVE" if final[node_id]["non_compliant"] else "ARCHIVED"
        assert finding["RecordState"] == wanted, (node_id, finding["RecordState"])
    # CreatedAt is the scan's import's: every later version was built on the finding the scan created (a
    # finding imported with no prior has CreatedAt == UpdatedAt).
    assert all(f["CreatedAt"] < f["UpdatedAt"] for f in mine.values()), mine


def _runtime_processes(function_name: str) -> int:
    """Host-executor runtimes of the function alive now (each serves one invocation at a time)."""
    wanted = f"AWS_LAMBDA_FUNCTION_NAME={function_name}".encode()
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0"):
            count += 1
    return count


def test_burst_of_10000_events(deployment: Deployment, record: Callable) -> None:
    nodes = Fleet.register(deployment, 200, seed=19)
    function = deployment.module["forwarder_function_name"]
    mapping = deployment.aws.client("lambda").list_event_source_mappings(FunctionName=function)
    (esm,) = mapping["EventSourceMappings"]
    cap = esm["ScalingConfig"]["MaximumConcurrency"]
    t0 = time.monotonic()
    sent = nodes.scan()  # the scan's own events race with the burst
    truth = nodes.truth()
    bodies = [
        nodes.event_body(nodes.node_ids[i % 200], truth[nodes.node_ids[i % 200]]) for i in range(10_000)
    ]

    peak = {"runtimes": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak["runtimes"] = max(peak["runtimes"], _runtime_processes(function))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            accepted = sum(
                pool.map(lambda i: send_bodies(deployment, bodies[i : i + 500]), range(0, 10_000, 500))
            )
        assert accepted == 10_000
        sent += accepted
        _finish(
            deployment,
            record,
            "10 000 events burst (200 nodes)",
            nodes,
            sent=sent,
            recover_from=t0,
            poison=0,
            timeout=BURST_CONVERGE_TIMEOUT,
        )
    finally:
        stop.set()
        sampler.join()
    assert 1 <= peak["runtimes"] <= cap, f"forwarder runtimes peaked at {peak['runtimes']}, cap {cap}"
