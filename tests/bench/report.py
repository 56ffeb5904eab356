"""The printed table: one row per figure, its value (or n/a and why), and its target where it has one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str = ""
    target: str = ""


def _ceiling_rows(prefix: str) -> list[Row]:
    return [
        Row(f"{prefix}_nodes", "fleet size"),
        Row(f"{prefix}_workers", "worker processes"),
        Row(f"{prefix}_seconds", "time to forward the fleet", "s", "<= 11 s (1 000/s - 10 %)"),
        Row(f"{prefix}_findings_per_s", "findings per second", "/s", ">= 900"),
        Row(f"{prefix}_vs_1000_pct", "of the 1 000 findings/s ceiling", "%"),
        Row(f"{prefix}_lost", "findings lost", "", "0"),
        Row(f"{prefix}_import_calls", "BatchImportFindings calls"),
        Row(f"{prefix}_throttled_calls", "  throttled (429) answers"),
        Row(f"{prefix}_get_findings_calls", "GetFindings calls (prior findings, 20 ids/call)"),
        Row(f"{prefix}_get_findings_throttled", "  throttled (429) answers"),
        Row(f"{prefix}_redelivered_batches", "batches redelivered (transient nodes)"),
        Row(f"{prefix}_worker_cpu_seconds", "forwarder CPU per worker", "s"),
    ]


ROWS: list[tuple[str, list[Row]]] = [
    (
        "1. forwarder CPU (in-process, recorded AWS answers, real botocore)",
        [
            Row("cpu_ms_per_node_1", "CPU per node, batch of 1", "ms"),
            Row("cpu_ms_per_node_100", "CPU per node, batch of 100", "ms"),
            Row("cpu_ms_per_node_1000", "CPU per node, batch of 1 000", "ms"),
            Row("cpu_ms_per_node_10000", "CPU per node, batch of 10 000", "ms"),
            Row("cpu_ms_per_node", "CPU per node (largest batch)", "ms", "<= 5 ms"),
            Row("cpu_growth_ratio", "per-node CPU, largest / 100 batch", "x", "~1 (linear)"),
        ],
    ),
    (
        "2. API economy per 1 000 non-compliant nodes",
        [
            Row("batch_import_calls_per_1000_nodes", "BatchImportFindings calls", "", "10"),
            Row("ssm_calls_per_1000_nodes", "SSM calls", "", "batched to API max"),
            Row("calls_DescribeInstanceInformation_per_1000_nodes", "  DescribeInstanceInformation"),
            Row("calls_DescribeInstancePatchStates_per_1000_nodes", "  DescribeInstancePatchStates"),
            Row("calls_ListComplianceItems_per_1000_nodes", "  ListComplianceItems (1 id/call by API)"),
            Row(
                "calls_DescribeInstancePatches_per_1000_nodes", "  DescribeInstancePatches (1 id/call by API)"
            ),
            Row("get_findings_calls_per_1000_nodes", "GetFindings calls (20 ids/call)"),
            Row("total_calls_per_1000_nodes", "all calls, product"),
            Row("naive_calls_per_1000_nodes", "all calls, naive (per node, per finding)"),
            Row("naive_batch_import_calls_per_1000_nodes", "  of which BatchImportFindings"),
            Row("naive_to_product_call_ratio", "naive / product calls", "x"),
            Row("naive_cpu_ms_per_node", "naive CPU per node", "ms"),
        ],
    ),
    (
        "3. throughput ceiling (LocalStack, BatchImportFindings limited to 10 TPS burst 30)",
        [
            Row("fleet_10000_nodes", "fleet size"),
            Row("fleet_nodes_forwarded", "nodes forwarded within the time budget"),
            Row("fleet_forward_seconds", "forwarding time", "s"),
            Row("fleet_lost_of_forwarded", "findings lost of the forwarded nodes"),
            Row("fleet_10000_seconds", "time to forward the fleet", "s", "<= 11 s (1 000/s - 10 %)"),
            Row("throughput_findings_per_s", "findings per second", "/s", ">= 900"),
            Row("throughput_vs_ceiling_pct", "of the 1 000 findings/s ceiling", "%"),
            Row("fleet_10000_lost", "findings lost", "", "0"),
            Row("fleet_10000_transient_nodes", "nodes left for retry (transient)"),
            Row("fleet_10000_permanent_nodes", "nodes rejected (permanent)"),
            Row("fleet_10000_first_failure", "first failure"),
            Row("fleet_10000_import_calls", "BatchImportFindings calls"),
            Row("fleet_10000_throttled_calls", "throttled (429) answers"),
            Row("fleet_10000_workers", "concurrent batches of 500 nodes (like Lambdas)"),
            Row("fleet_10000_ssm_call_seconds", "time in SSM calls (sum over workers)", "s"),
            Row("fleet_10000_get_findings_call_seconds", "time in GetFindings (sum over workers)", "s"),
            Row("fleet_10000_import_call_seconds", "time in BatchImportFindings (sum, incl. backoff)", "s"),
            Row("fleet_setup_seconds", "setup: register + scan (not counted)", "s"),
        ],
    ),
    (
        "3b. import-path ceiling (worker processes like Lambdas, SSM recorded in-process, Security Hub on "
        "LocalStack with its documented limits: BatchImportFindings 10 TPS burst 30, GetFindings 3 TPS "
        "burst 6)",
        _ceiling_rows("ceiling"),
    ),
    (
        "3c. the same with only BatchImportFindings limited (reading prior findings unthrottled)",
        _ceiling_rows("ceiling_import_only"),
    ),
    (
        "3d. the daily sweep of a fleet whose findings exist (every node non-compliant: every finding "
        "re-imported), every documented Security Hub limit on; SSM recorded in-process, the forwarder in "
        "worker processes like Lambdas, 10 messages a batch",
        [
            Row("sweep_nodes", "fleet size"),
            Row("sweep_seconds", "sweep run + forwarding, wall", "s"),
            Row("sweep_findings_refreshed", "findings refreshed (UpdatedAt moved)"),
            Row("sweep_findings_per_s", "findings refreshed per second", "/s"),
            Row("sweep_lost", "findings lost", "", "0"),
            Row("sweep_run_action", "sweep run"),
            Row("sweep_run_seconds", "  sweep invocation, wall", "s", "well under 900 s (Lambda timeout)"),
            Row("sweep_findings_walked", "  ACTIVE findings walked (GetFindings, 100 a page)"),
            Row("sweep_run_get_findings_calls", "  GetFindings calls"),
            Row("sweep_run_get_findings_seconds", "  time in GetFindings", "s"),
            Row("sweep_run_describe_instance_information_calls", "  DescribeInstanceInformation calls"),
            Row("sweep_messages", "  sweep requests (<= 50 nodes each)"),
            Row("sweep_run_send_message_calls", "  SendMessage calls"),
            Row("sweep_forward_seconds", "forwarding the requests, wall", "s"),
            Row("sweep_forward_workers", "  worker processes"),
            Row("sweep_forward_invocations", "  forwarder invocations"),
            Row("sweep_invocation_p50_s", "  invocation p50", "s"),
            Row("sweep_invocation_max_s", "  invocation max", "s", "well under 900 s (Lambda timeout)"),
            Row("sweep_invocation_of_timeout_pct", "  longest invocation, of the timeout", "%"),
            Row("sweep_messages_redelivered", "  messages handed back and redelivered"),
            Row("sweep_messages_left", "  messages still failing after 5 redeliveries", "", "0"),
            Row("sweep_quarantined", "  messages quarantined", "", "0"),
            Row(
                "sweep_forward_describe_instance_information_calls",
                "  DescribeInstanceInformation calls",
                "",
                "0",
            ),
            Row("sweep_forward_describe_instance_patch_states_calls", "  DescribeInstancePatchStates calls"),
            Row(
                "sweep_forward_list_compliance_items_calls", "  ListComplianceItems calls (1 id/call by API)"
            ),
            Row(
                "sweep_forward_describe_instance_patches_calls", "  DescribeInstancePatches calls (1 id/call)"
            ),
            Row("sweep_forward_get_findings_calls", "  GetFindings calls (prior findings)", "", "0"),
            Row("sweep_forward_import_calls", "  BatchImportFindings calls", "", "nodes / 100"),
            Row("sweep_get_findings_seconds", "time in GetFindings (sweep + forwarders)", "s"),
            Row("sweep_import_seconds", "time in BatchImportFindings (forwarders, incl. backoff)", "s"),
            Row(
                "sweep_get_findings_pct_of_time",
                "GetFindings share of the processes' time",
                "%",
                "not dominant",
            ),
        ],
    ),
    (
        "4. cold start and footprint (packaged zip, Lambda runtime python)",
        [
            Row("cold_start_ms_forwarder", "import forwarder handler", "ms", "< 300 ms"),
            Row("cold_start_ms_forwarder_x86_64", "  x86_64 package", "ms"),
            Row("cold_start_ms_forwarder_arm64", "  arm64 package", "ms"),
            Row("cold_start_ms_redrive", "import redrive handler", "ms", "< 300 ms"),
            Row("first_invocation_init_ms", "first invocation init (config + 3 clients)", "ms"),
            Row("zip_bytes_forwarder", "forwarder.zip", "B", "< 5 MB"),
            Row("zip_bytes_forwarder_x86_64", "  x86_64", "B"),
            Row("zip_bytes_forwarder_arm64", "  arm64", "B"),
            Row("zip_bytes_redrive", "redrive.zip", "B", "< 5 MB"),
            Row("zip_bytes_redrive_x86_64", "  x86_64", "B"),
            Row("zip_bytes_redrive_arm64", "  arm64", "B"),
            Row("peak_rss_mb", "peak RSS, batch of 10", "MB", "< 128 MB"),
            Row("rss_after_import_mb", "RSS after import", "MB"),
        ],
    ),
    (
        "5/6. end to end and Terraform (LocalStack, examples/complete)",
        [
            Row("plan_seconds", "terraform plan", "s"),
            Row("apply_seconds", "terraform apply", "s"),
            Row("destroy_seconds", "terraform destroy", "s"),
            Row("e2e_findings", "findings (non-compliant of 200 nodes)"),
            Row("e2e_latency_p50_s", "scan end -> finding p50", "s"),
            Row("e2e_latency_p95_s", "scan end -> finding p95", "s"),
            Row("e2e_latency_p99_s", "scan end -> finding p99", "s", "< 30 s"),
            Row("e2e_latency_max_s", "scan end -> finding max", "s"),
            Row("e2e_all_findings_seconds", "association start -> all findings", "s"),
        ],
    ),
]


def _value(value: Any, unit: str) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 10:
        text = f"{int(value):,}"
    elif isinstance(value, float):
        text = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".rstrip()


def table(results: dict[str, Any], reasons: dict[str, str]) -> str:
    """`reasons` maps a key to why it has no value."""
    lines = []
    width = 46
    for title, rows in ROWS:
        lines.append(f"\n{title}")
        for row in rows:
            if row.key not in results and row.key not in reasons:
                continue
            value = results.get(row.key)
            shown = (
                _value(value, row.unit)
                if value is not None
                else f"n/a ({reasons.get(row.key, 'not measured')})"
            )
            target = f"   [target {row.target}]" if row.target else ""
            lines.append(f"  {row.label:<{width}} {shown}{target}")
    return "\n".join(lines)
