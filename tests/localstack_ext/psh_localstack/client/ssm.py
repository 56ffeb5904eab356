"""Control routes of the SSM emulation (`/_psh/ssm/...`): the simulated managed nodes, scans, faults.

from psh_localstack.client import ssm as ssm_control
ssm_control.register_nodes(endpoint, nodes, account_id="111111111111")
ssm_control.set_fault(endpoint, "throttle", seconds=4)
"""

from __future__ import annotations

from typing import Any

from psh_localstack.client import TIMEOUT_S, ControlError, call

__all__ = ["ControlError"]


def register_nodes(
    endpoint: str, nodes: list[dict[str, Any]], *, account_id: str = "000000000000", region: str = "us-east-1"
) -> list[str]:
    body = {"nodes": nodes, "account_id": account_id, "region": region}
    return call(endpoint, "POST", "/_psh/ssm/nodes", body)["registered"]


def list_nodes(endpoint: str) -> list[dict[str, Any]]:
    return call(endpoint, "GET", "/_psh/ssm/nodes")["nodes"]


def delete_node(endpoint: str, instance_id: str) -> None:
    call(endpoint, "DELETE", f"/_psh/ssm/nodes/{instance_id}")


def delete_node_of(endpoint: str, instance_id: str, account_id: str, region: str) -> None:
    """Forget a node of `account_id`/`region` (ControlError with status 404 when it does not exist)."""
    call(endpoint, "DELETE", f"/_psh/ssm/nodes/{instance_id}?account_id={account_id}&region={region}")


def scan_via_control(
    endpoint: str,
    instance_ids: list[str],
    operation: str = "Scan",
    reboot_option: str = "RebootIfNeeded",
    *,
    account_id: str | None = None,
    region: str | None = None,
    timeout: float = TIMEOUT_S,
) -> dict[str, Any]:
    """Scan (or install on) the nodes of `account_id`/`region` (default 000000000000 / us-east-1)."""
    body: dict[str, Any] = {
        "instance_ids": instance_ids,
        "operation": operation,
        "reboot_option": reboot_option,
    }
    if account_id:
        body["account_id"] = account_id
    if region:
        body["region"] = region
    return call(endpoint, "POST", "/_psh/ssm/scan", body, timeout=timeout)


def set_fault(
    endpoint: str, mode: str, seconds: float, operations: list[str] | None = None
) -> dict[str, Any]:
    """Mode "throttle" (400 ThrottlingException), "unavailable" (500 InternalServerError) or "repeat_token"
    (every page carries the same NextToken) for N s on DescribeInstanceInformation,
    DescribeInstancePatchStates, DescribeInstancePatches and ListComplianceItems, or on the named ones."""
    body: dict[str, Any] = {"mode": mode, "seconds": seconds}
    if operations is not None:
        body["operations"] = operations
    return call(endpoint, "POST", "/_psh/ssm/fault", body)


def clear_fault(endpoint: str) -> dict[str, Any]:
    return call(endpoint, "DELETE", "/_psh/ssm/fault")


def fault_status(endpoint: str) -> dict[str, Any]:
    """{"fault": {...} | None, "rejected": {operation: n}}"""
    return call(endpoint, "GET", "/_psh/ssm/fault")


def behaviour(endpoint: str) -> dict[str, Any]:
    """The behaviour switches {"unknown_instance_ids", "filter_after_paging", "patch_state_filter",
    "event_drop_share", "event_drop_seed", "read_lag_seconds"} and the compliance event counters
    {"events_emitted", "events_dropped"}."""
    return call(endpoint, "GET", "/_psh/ssm/behaviour")


def event_counters(endpoint: str) -> dict[str, int]:
    """{"events_emitted", "events_dropped"}: the compliance events sent and dropped (event_drop_share) since
    the drop share or seed was last set, or the switches reset."""
    state = behaviour(endpoint)
    return {key: state[key] for key in ("events_emitted", "events_dropped")}


def set_behaviour(endpoint: str, **switches: Any) -> dict[str, Any]:
    """Change some switches, e.g. set_behaviour(endpoint, unknown_instance_ids="empty"); answers all of them.

    unknown_instance_ids: "error" (default: InvalidInstanceId, as AWS documents) | "empty" (left out).
    filter_after_paging: True (default: filtered pages may be empty with a NextToken) | False.
    patch_state_filter: "documented" (default: UPPER_SNAKE State values refused) | "documented_and_model".
    event_drop_share: 0.0 (default) .. 1.0, the share of compliance events dropped (best-effort delivery),
    drawn from an RNG seeded with event_drop_seed (default 0); setting either zeroes the event counters.
    read_lag_seconds: 0 (default) .. 600, DescribeInstancePatchStates, DescribeInstancePatches and
    ListComplianceItems answer each node as it was that many seconds ago."""
    return call(endpoint, "PUT", "/_psh/ssm/behaviour", switches)


def reset_behaviour(endpoint: str) -> dict[str, Any]:
    return call(endpoint, "DELETE", "/_psh/ssm/behaviour")
