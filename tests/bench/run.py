"""`make bench`: how well the product does its job, in one run; a table on stdout and build/bench.json.

    build/venv/bin/python tests/bench/run.py --out build/bench.json           # everything (< 15 min, 2 cores)
    build/venv/bin/python tests/bench/run.py --quick --out build/bench.json   # in-process sections only

Figures are measured, never asserted. A section that cannot run prints n/a with the reason and leaves its keys
null in the JSON (with an `error_<section>` key saying why).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import coldstart
import forwarder_cost
import report
from psh_localstack.client import securityhub as shc
from psh_stage.report import write_page

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PROFILE_OUT = ROOT / "build" / "bench-profile.txt"
# Keeps the full run under 15 minutes on 2 cores whatever the emulator's speed (see on_localstack).
FLEET_BUDGET_S = 300.0
CEILING_WORKERS = 2  # one per core: the forwarder is CPU-bound once SSM answers in-process
# The import path under every documented limit of the calls it makes, and under BatchImportFindings' alone
# (as if reading prior findings cost nothing): what bounds it, and what it could reach.
CEILING_LIMITS = {
    "ceiling": shc.DOCUMENTED_LIMITS,
    "ceiling_import_only": {"BatchImportFindings": shc.DOCUMENTED_LIMITS["BatchImportFindings"]},
}
LOCALSTACK_SECTIONS = ("fleet", "ceiling", "ceiling_import_only", "sweep", "terraform", "e2e")
REQUIRED_KEYS = (
    "cpu_ms_per_node",
    "batch_import_calls_per_1000_nodes",
    "ssm_calls_per_1000_nodes",
    "naive_calls_per_1000_nodes",
    "cold_start_ms",
    "zip_bytes",
    "peak_rss_mb",
    "fleet_10000_seconds",
    "fleet_10000_lost",
    "e2e_latency_p50_s",
    "e2e_latency_p99_s",
    "plan_seconds",
    "apply_seconds",
)
SECTION_KEYS = {
    "cpu": ["cpu_ms_per_node"],
    "api": ["batch_import_calls_per_1000_nodes", "ssm_calls_per_1000_nodes", "naive_calls_per_1000_nodes"],
    "coldstart": ["cold_start_ms", "zip_bytes", "peak_rss_mb"],
    "fleet": ["fleet_10000_seconds", "fleet_10000_lost", "throughput_findings_per_s"],
    "ceiling": ["ceiling_seconds", "ceiling_findings_per_s", "ceiling_lost"],
    "ceiling_import_only": [
        "ceiling_import_only_seconds",
        "ceiling_import_only_findings_per_s",
        "ceiling_import_only_lost",
    ],
    "sweep": ["sweep_seconds", "sweep_findings_per_s", "sweep_lost"],
    "terraform": ["plan_seconds", "apply_seconds", "destroy_seconds"],
    "e2e": ["e2e_latency_p50_s", "e2e_latency_p95_s", "e2e_latency_p99_s"],
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    def __init__(self) -> None:
        self.results: dict[str, Any] = {}
        self.reasons: dict[str, str] = {}

    def fail(self, section: str, reason: str, keys: list[str] | None = None) -> None:
        self.results[f"error_{section}"] = reason
        for key in keys or SECTION_KEYS[section]:
            self.results.setdefault(key, None)
            self.reasons[key] = reason

    def section(self, name: str, measure: Callable[[], dict[str, Any]]) -> None:
        log(f"== {name}")
        started = time.monotonic()
        try:
            self.results.update(measure())
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            self.fail(name, f"{type(exc).__name__}: {str(exc)[:300]}")
        log(f"   {time.monotonic() - started:.0f}s")


def profile(nodes: int) -> dict[str, Any]:
    text, top = forwarder_cost.profile_hot_path(nodes)
    PROFILE_OUT.parent.mkdir(parents=True, exist_ok=True)
    PROFILE_OUT.write_text(text)
    print(
        f"\nProfile of one forwarder invocation ({nodes} nodes), top entries by own time "
        f"(full report: {PROFILE_OUT.relative_to(ROOT)}):"
    )
    print("\n".join("  " + line for line in top))
    return {"profile_nodes": nodes}


def localstack_sections(bench: Bench, fleet_nodes: int, e2e_nodes: int) -> None:
    # Imported here: they load the LocalStack harness, needed only by these sections.
    import on_localstack
    from psh_stage import lifecycle as harness

    try:
        running = harness.up(verbose=False)
    except Exception as exc:
        for section in LOCALSTACK_SECTIONS:
            bench.fail(section, f"LocalStack did not start: {str(exc)[:200]}")
        return
    try:
        env = dict(running.env)
        bench.section(
            "fleet",
            lambda: on_localstack.fleet_throughput(
                running.endpoint,
                env,
                nodes=fleet_nodes,
                batch=500,
                workers=4,
                budget_s=FLEET_BUDGET_S,
                log=log,
            ),
        )
        if bench.results.get("fleet_10000_seconds") is None and "error_fleet" not in bench.results:
            forwarded = bench.results.get("fleet_nodes_forwarded")
            bench.fail(
                "fleet",
                f"time budget {FLEET_BUDGET_S:.0f}s spent after {forwarded} of {fleet_nodes} nodes",
                ["fleet_10000_seconds", "fleet_10000_lost"],
            )
        for section, limits in CEILING_LIMITS.items():
            bench.section(
                section,
                lambda limits=limits, section=section: on_localstack.ceiling_throughput(
                    running.endpoint,
                    env,
                    nodes=fleet_nodes,
                    batch=100,
                    workers=CEILING_WORKERS,
                    limits=limits,
                    prefix=section,
                    log=log,
                ),
            )
        bench.section(
            "sweep",
            lambda: on_localstack.sweep_throughput(
                running.endpoint, env, nodes=fleet_nodes, workers=CEILING_WORKERS, log=log
            ),
        )

        def terraform() -> dict[str, Any]:
            figures, errors = on_localstack.terraform_and_e2e(running.endpoint, env, nodes=e2e_nodes, log=log)
            for part, reason in errors.items():
                keys = SECTION_KEYS["e2e"] if part == "e2e" else ["apply_seconds", *SECTION_KEYS["e2e"]]
                if part == "destroy":
                    keys = ["destroy_seconds"]
                bench.fail(part, reason, keys)
            return figures

        bench.section("terraform", terraform)
    finally:
        if running.started_here:
            harness.down()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--quick", action="store_true", help="smaller sizes; skip the LocalStack sections")
    parser.add_argument("--page", type=Path, help="also write the figures as this Markdown results page")
    args = parser.parse_args()
    started = time.monotonic()
    bench = Bench()
    sizes = [1, 100, 1000] if args.quick else [1, 100, 1000, 10_000]
    bench.section("cpu", lambda: forwarder_cost.cpu_per_node(sizes, {1: 20, 100: 5, 1000: 2}))
    bench.section("api", lambda: forwarder_cost.api_economy(1000))
    bench.section("coldstart", lambda: coldstart.measure(runs=7))
    for arch in coldstart.ARCHITECTURES:
        if bench.results.get(f"cold_start_ms_forwarder_{arch}") is None:
            bench.reasons.setdefault(f"cold_start_ms_forwarder_{arch}", coldstart.NOT_THIS_HOST)
    bench.section("profile", lambda: profile(300 if args.quick else 1000))
    if args.quick:
        for section in LOCALSTACK_SECTIONS:
            bench.fail(section, "skipped (--quick)")
    else:
        localstack_sections(bench, fleet_nodes=10_000, e2e_nodes=200)
    for key in REQUIRED_KEYS:
        bench.results.setdefault(key, None)
    bench.results["bench_seconds"] = round(time.monotonic() - started, 1)
    bench.results["bench_mode"] = "quick" if args.quick else "full"
    bench.results["cpu_count"] = os.cpu_count()
    figures = report.table(bench.results, bench.reasons)
    print(figures)
    print(f"\nbench took {bench.results['bench_seconds']:.0f}s; figures in {args.out}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bench.results, indent=2, sort_keys=True) + "\n")
    if args.page:
        command = "make bench" + (" (--quick)" if args.quick else "")
        write_page(args.page, "Benchmark figures", command, f"{__doc__.strip()}\n\n```{figures}\n```")
        print(f"results page: {args.page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
