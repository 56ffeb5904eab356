"""`make demo`: the whole product on one machine, on LocalStack.

    python -m psh_stage.demo up     # LocalStack, apply examples/complete, scan a fleet, show findings
    python -m psh_stage.demo down   # destroy the deployment, stop LocalStack

Nothing here shortcuts the pipeline: the scan runs the association's document (AWS-RunPatchBaselineWithHooks),
SSM emits the compliance events, EventBridge queues them, the packaged forwarder Lambda imports the findings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime
from typing import Any

from psh_localstack.client import ssm as ssm_control

from psh_stage import fleet, lifecycle
from psh_stage.aws import Aws, tag_nodes, wait_until
from psh_stage.findings import SEVERITY_RANK, findings_table, own_findings
from psh_stage.paths import BUILD, ROOT
from psh_stage.terraform import Stage, complete_stage

DEMO_ACCOUNT = "000000000000"
FLEET_SIZE = 50
PATCHED_NODES = 10
RESULT = BUILD / "demo" / "result.json"


def demo_env(localstack_env: dict[str, str]) -> dict[str, str]:
    """LocalStack maps a 12-digit access key to that account: the demo gets an account of its own."""
    return {**localstack_env, "AWS_ACCESS_KEY_ID": os.environ.get("PSH_DEMO_ACCOUNT", DEMO_ACCOUNT)}


def demo_stage(env: dict[str, str]) -> Stage:
    return complete_stage(env, "demo")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def latency_seconds(finding: dict[str, Any]) -> float:
    """Scan end (when SSM emits the event) to the finding's UpdatedAt (when the forwarder built it)."""
    summary = finding["PatchSummary"]
    return (_parse_time(finding["UpdatedAt"]) - _parse_time(summary["OperationEndTime"])).total_seconds()


def non_compliant_nodes(ssm: Any, node_ids: list[str]) -> set[str]:
    """What SSM itself says is non-compliant for Patch, after the scan."""
    wanted = set(node_ids)
    found: set[str] = set()
    paginator = ssm.get_paginator("list_resource_compliance_summaries")
    for page in paginator.paginate(Filters=[{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]):
        for item in page["ResourceComplianceSummaryItems"]:
            if item["ResourceId"] in wanted and item["Status"] == "NON_COMPLIANT":
                found.add(item["ResourceId"])
    return found


def wait_for_findings(aws: Aws, account: str, nodes: set[str], state: str, timeout: float) -> list[dict]:
    def probe() -> list[dict]:
        return [
            f
            for f in own_findings(aws.client("securityhub"), account, aws.region)
            if f["Resources"][0]["Id"] in nodes and f["RecordState"] == state
        ]

    return wait_until(
        probe,
        lambda found: len(found) >= len(nodes),
        timeout=timeout,
        interval=0.5,
        what=f"{len(nodes)} {state} findings",
    )


def up() -> int:
    started = time.monotonic()
    running = lifecycle.up(verbose=True)
    print(f"LocalStack: {running.endpoint}")
    env = demo_env(running.env)
    aws = Aws(env)
    stage = demo_stage(env)

    print("\n== terraform apply examples/complete")
    t0 = time.monotonic()
    outputs = stage.apply()
    module = outputs["module"]
    print(f"applied in {time.monotonic() - t0:.0f}s: {len(stage.state_resources())} resources")

    print(f"\n== registering a simulated fleet of {FLEET_SIZE} nodes (EC2 i- and on-prem mi-)")
    nodes = fleet.mixed_fleet(FLEET_SIZE, seed=7, patches_per_node=3)
    for index, node in enumerate(nodes):
        node["PatchGroup"] = ("web", "batch")[index % 2]
    ids = ssm_control.register_nodes(running.endpoint, nodes, account_id=aws.account, region=aws.region)
    account = aws.account
    ssm = aws.client("ssm")
    # examples/complete targets the tag PatchGroup = web | batch.
    tag_nodes(ssm, {node["InstanceId"]: {"PatchGroup": node["PatchGroup"]} for node in nodes})

    print("\n== scan: the module's association runs AWS-RunPatchBaselineWithHooks (Operation=Scan)")
    scan_started = time.monotonic()
    execution = fleet.run_association_once(ssm, module["patch_association_id"])
    print(f"association execution {execution['ExecutionId']}: {execution['Status']}")
    expected = non_compliant_nodes(ssm, ids)
    print(f"SSM reports {len(expected)} non-compliant of {len(ids)} nodes; waiting for their findings")
    first = wait_until(
        lambda: own_findings(aws.client("securityhub"), account, aws.region),
        bool,
        timeout=180,
        interval=0.25,
        what="the first finding",
    )
    time_to_first = time.monotonic() - scan_started
    findings = wait_for_findings(aws, account, expected, "ACTIVE", timeout=300)
    all_in = time.monotonic() - scan_started
    print()
    print(findings_table(findings))
    latencies = sorted(latency_seconds(f) for f in findings)
    severities: dict[str, int] = {}
    for finding in findings:
        severities[finding["Severity"]["Label"]] = severities.get(finding["Severity"]["Label"], 0) + 1
    print(
        f"\n{len(findings)} findings for {len(expected)} non-compliant nodes "
        f"({len(ids) - len(expected)} compliant nodes: no finding). By severity: "
        + ", ".join(f"{k} {v}" for k, v in sorted(severities.items(), key=lambda kv: SEVERITY_RANK[kv[0]]))
    )
    print(
        f"time to first finding {time_to_first:.1f}s, all findings in {all_in:.1f}s; "
        f"scan-end -> finding latency p50 {statistics.median(latencies):.1f}s, max {latencies[-1]:.1f}s "
        f"(first seen: {first[0]['Resources'][0]['Id']})"
    )

    patched = sorted(expected)[:PATCHED_NODES]
    print(f"\n== Patch Now on {len(patched)} nodes: AWS-RunPatchBaseline Operation=Install")
    fleet.send_patch_command(ssm, patched, operation="Install", reboot_option="RebootIfNeeded")
    still_failing = non_compliant_nodes(ssm, patched)
    resolved = wait_for_findings(aws, account, set(patched) - still_failing, "ARCHIVED", timeout=180)
    print(findings_table(resolved))
    if still_failing:
        print(
            f"{len(still_failing)} node(s) still non-compliant after Install (a patch failed): "
            "finding kept ACTIVE"
        )
    active = [
        f
        for f in own_findings(aws.client("securityhub"), account, aws.region)
        if f["RecordState"] == "ACTIVE"
    ]
    print(
        f"\n{len(resolved)} findings resolved automatically (Compliance PASSED, ARCHIVED); "
        f"{len(active)} still ACTIVE. Total demo time {time.monotonic() - started:.0f}s."
    )
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(
        json.dumps(
            {
                "nodes": len(ids),
                "non_compliant": len(expected),
                "findings": len(findings),
                "time_to_first_finding_s": round(time_to_first, 2),
                "all_findings_s": round(all_in, 2),
                "latency_p50_s": round(statistics.median(latencies), 2),
                "latency_max_s": round(latencies[-1], 2),
                "resolved": len(resolved),
                "example_finding": findings[0],
            },
            indent=2,
            default=str,
        )
    )
    print(f"Details in {RESULT.relative_to(ROOT)}. Tear down with `make demo-down`.")
    return 0


def down() -> int:
    running = lifecycle.current()
    if running:
        demo_stage(demo_env(running.env)).destroy()
    lifecycle.down()
    print("demo torn down")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["up", "down"])
    args = parser.parse_args()
    return up() if args.action == "up" else down()


if __name__ == "__main__":
    sys.exit(main())
