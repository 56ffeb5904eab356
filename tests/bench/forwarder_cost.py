"""Sections 1 and 2: the forwarder's CPU per node and its API economy, in-process, recorded AWS answers.

CPU is process time of `forwarder.handle` on an SQS batch (event validation, SSM reads and parsing, decisions,
finding build, botocore serialisation of the requests and parsing of the responses), minus the CPU the
recorded service itself spent producing answers.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from naive import forward_naively
from patch_securityhub import forwarder
from recorded_aws import RecordedAws
from workload import ACCOUNT, REGION, LambdaContext, non_compliant_fleet, runtime, sqs_records

SSM_OPERATIONS = (
    "DescribeInstanceInformation",
    "DescribeInstancePatchStates",
    "ListComplianceItems",
    "DescribeInstancePatches",
)


class Bench:
    """One recorded AWS and one set of clients, reused across fleets (model loading happens once)."""

    def __init__(self) -> None:
        self.recorded = RecordedAws(ACCOUNT, REGION)
        self.ssm = self.recorded.client("ssm")
        self.securityhub = self.recorded.client("securityhub")
        self.runtime = runtime(self.ssm, self.securityhub, self.recorded.client("sqs"))
        self._seed = 100

    def batch(self, nodes: int) -> dict[str, Any]:
        """A fresh fleet of `nodes` non-compliant nodes loaded into the recorded AWS, and its SQS event."""
        self._seed += 1
        specs = non_compliant_fleet(nodes, seed=self._seed)
        self.recorded.load(specs)
        return {"Records": sqs_records([s["InstanceId"] for s in specs], datetime.now(UTC))}

    def handle(self, event: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """(forwarder CPU seconds, handler result) for one invocation."""
        gc.collect()
        service_before = self.recorded.service_seconds
        started = time.process_time()
        result = forwarder.handle(event, LambdaContext(), self.runtime)
        spent = time.process_time() - started
        return spent - (self.recorded.service_seconds - service_before), result


def _checked(result: dict[str, Any], bench: Bench, nodes: int) -> None:
    if result["batchItemFailures"]:
        raise RuntimeError(
            f"{len(result['batchItemFailures'])} messages failed: {result['batchItemFailures'][:3]}"
        )
    if len(bench.recorded.findings) != nodes:
        raise RuntimeError(f"{len(bench.recorded.findings)} findings for {nodes} non-compliant nodes")


def cpu_per_node(sizes: list[int], repeats: dict[int, int]) -> dict[str, Any]:
    bench = Bench()
    bench.handle(bench.batch(5))  # warm-up: service models, JSON Schema validator, regexes
    out: dict[str, Any] = {}
    for size in sizes:
        samples = []
        for _ in range(repeats.get(size, 1)):
            event = bench.batch(size)
            seconds, result = bench.handle(event)
            _checked(result, bench, size)
            samples.append(seconds * 1000 / size)
        out[f"cpu_ms_per_node_{size}"] = round(statistics.median(samples), 3)
    largest = max(sizes)
    out["cpu_ms_per_node"] = out[f"cpu_ms_per_node_{largest}"]
    smallest_batch = min(s for s in sizes if s >= 100) if any(s >= 100 for s in sizes) else largest
    out["cpu_growth_ratio"] = round(
        out[f"cpu_ms_per_node_{largest}"] / out[f"cpu_ms_per_node_{smallest_batch}"], 3
    )
    return out


def api_economy(nodes: int = 1000) -> dict[str, Any]:
    """Calls per 1 000 non-compliant nodes: the product vs the naive forwarder, on the same fleet."""
    bench = Bench()
    bench.handle(bench.batch(5))
    event = bench.batch(nodes)
    _, result = bench.handle(event)
    _checked(result, bench, nodes)
    product = dict(bench.recorded.calls)
    node_ids = sorted(bench.recorded.nodes)
    bench.recorded.findings.clear()
    bench.recorded.calls.clear()
    started = time.process_time()
    service_before = bench.recorded.service_seconds
    imported = forward_naively(
        node_ids,
        ssm=bench.ssm,
        securityhub=bench.securityhub,
        account=ACCOUNT,
        region=REGION,
        now=datetime.now(UTC),
    )
    naive_cpu = time.process_time() - started - (bench.recorded.service_seconds - service_before)
    if imported != nodes:
        raise RuntimeError(f"naive forwarder imported {imported} of {nodes}")
    naive = dict(bench.recorded.calls)
    scale = 1000 / nodes
    ssm_calls = sum(product.get(op, 0) for op in SSM_OPERATIONS)
    product_total = sum(product.values())
    naive_total = sum(naive.values())
    out: dict[str, Any] = {
        "batch_import_calls_per_1000_nodes": round(product.get("BatchImportFindings", 0) * scale, 1),
        "ssm_calls_per_1000_nodes": round(ssm_calls * scale, 1),
        "get_findings_calls_per_1000_nodes": round(product.get("GetFindings", 0) * scale, 1),
        "total_calls_per_1000_nodes": round(product_total * scale, 1),
        "naive_calls_per_1000_nodes": round(naive_total * scale, 1),
        "naive_batch_import_calls_per_1000_nodes": round(naive.get("BatchImportFindings", 0) * scale, 1),
        "naive_ssm_calls_per_1000_nodes": round(sum(naive.get(op, 0) for op in SSM_OPERATIONS) * scale, 1),
        "naive_to_product_call_ratio": round(naive_total / product_total, 2),
        "naive_cpu_ms_per_node": round(naive_cpu * 1000 / nodes, 3),
    }
    for operation in SSM_OPERATIONS:
        out[f"calls_{operation}_per_1000_nodes"] = round(product.get(operation, 0) * scale, 1)
    return out


def profile_hot_path(nodes: int, top: int = 20) -> tuple[str, list[str]]:
    """cProfile of one invocation: (full report text, the top entries by own time)."""
    bench = Bench()
    bench.handle(bench.batch(5))
    event = bench.batch(nodes)
    profiler = cProfile.Profile()
    profiler.enable()
    forwarder.handle(event, LambdaContext(), bench.runtime)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top + 10)
    ranked = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)
    entries = ["by own time (all code; json encode/decode is partly the recorded service):"]
    entries += [_entry(key, value) for key, value in ranked[:top]]
    product = [kv for kv in stats.stats.items() if "patch_securityhub" in kv[0][0]]
    entries.append("product functions by cumulative time:")
    entries += [
        _entry(key, value) for key, value in sorted(product, key=lambda kv: kv[1][3], reverse=True)[:12]
    ]
    return text.getvalue(), entries


def _entry(key: tuple[str, int, str], value: tuple[Any, ...]) -> str:
    filename, line, name = key
    _, calls, own, cumulative, _ = value
    where = f"{_short(filename)}:{line}({name})"
    return f"{own * 1000:8.1f} ms own {cumulative * 1000:8.1f} ms cum {calls:>8} calls  {where}"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lambda_src/", "tests/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
