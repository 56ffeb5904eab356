"""Control routes of the Systems Manager emulation (emulator conveniences, not AWS APIs):

  POST   /_psh/ssm/nodes            {"nodes": [{InstanceId, PlatformType, PatchGroup, Patches: [...]}]}
  GET    /_psh/ssm/nodes            list registered nodes (InstanceInformation + patches)
  DELETE /_psh/ssm/nodes/<id>       forget a node (and its patch state and compliance)
  POST   /_psh/ssm/scan             {"instance_ids": [...], "operation": "Scan"|"Install", "reboot_option"}
                                    runs synchronously; returns the patch state of each node; stopped and
                                    terminated nodes are skipped ("skipped": [ids])
  POST   /_psh/ssm/fault            {"mode": "throttle"|"unavailable", "seconds": N, "operations": [...]}
                                    DescribeInstanceInformation, DescribeInstancePatchStates,
                                    DescribeInstancePatches and ListComplianceItems (or the named ones of
                                    them) answer 400 ThrottlingException / 500 InternalServerError for N s
  DELETE /_psh/ssm/fault            clear it
  GET    /_psh/ssm/fault            the active fault and rejected counts per operation
  GET    /_psh/ssm/behaviour        the behaviour switches (psh_localstack.ssm.behaviour) and the compliance
                                    event counters {"events_emitted", "events_dropped"}
  PUT    /_psh/ssm/behaviour        {"unknown_instance_ids": "error"|"empty", "filter_after_paging": bool,
                                     "patch_state_filter": "documented_and_model"|"documented",
                                     "event_drop_share": 0..1, "event_drop_seed": int,
                                     "read_lag_seconds": 0..600}; a new share or seed zeroes the counters
  DELETE /_psh/ssm/behaviour        back to the defaults (counters zeroed)

Account and Region: "account_id" / "region" in the body or query string (default 000000000000 / us-east-1).
"""

from __future__ import annotations

from typing import Any

from localstack.aws.api import CommonServiceException
from localstack.http import Request, Response

from psh_localstack.faults import parse_fault_request
from psh_localstack.ssm import commands, fleet, lifecycle
from psh_localstack.ssm.behaviour import SSM_BEHAVIOUR
from psh_localstack.ssm.events import COMPLIANCE_EVENTS
from psh_localstack.ssm.models import PatchStore, patch_stores
from psh_localstack.ssm.traffic import SSM_FAULTS

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


def _scope(request: Request, body: dict[str, Any]) -> tuple[str, str]:
    account = body.get("account_id") or request.args.get("account_id") or DEFAULT_ACCOUNT
    region = body.get("region") or request.args.get("region") or DEFAULT_REGION
    return account, region


def _store(account: str, region: str) -> PatchStore:
    return patch_stores[account][region]


def _json_body(request: Request) -> dict[str, Any]:
    return request.get_json(silent=True) or {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(each) for key, each in value.items()}
    if isinstance(value, list):
        return [_jsonable(each) for each in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def register_nodes(request: Request) -> Response:
    body = _json_body(request)
    account, region = _scope(request, body)
    store = _store(account, region)
    try:
        registered = [fleet.register_node(store, spec) for spec in body.get("nodes", [])]
    except (CommonServiceException, KeyError) as error:
        return Response.for_json({"error": str(error)}, status=400)
    return Response.for_json({"registered": [info["InstanceId"] for info in registered]})


def list_nodes(request: Request) -> Response:
    account, region = _scope(request, {})
    store = _store(account, region)
    fleet.forget_expired(store)
    return Response.for_json(
        {
            "nodes": _jsonable(
                [
                    {
                        **node["info"],
                        "PatchGroup": fleet.patch_group_of(store, instance_id),
                        "Patches": node["patches"],
                        **({"InstanceState": node["ec2"]["state"]} if "ec2" in node else {}),
                    }
                    for instance_id, node in sorted(store.nodes.items())
                ]
            )
        }
    )


def delete_node(request: Request, instance_id: str) -> Response:
    account, region = _scope(request, {})
    existed = fleet.forget_node(_store(account, region), instance_id)
    return Response.for_json({"deleted": existed}, status=200 if existed else 404)


def scan(request: Request) -> Response:
    body = _json_body(request)
    account, region = _scope(request, body)
    store = _store(account, region)
    fleet.forget_expired(store)
    instance_ids = body.get("instance_ids") or sorted(store.nodes)
    unknown = [each for each in instance_ids if each not in store.nodes]
    if unknown:
        return Response.for_json({"error": f"unknown nodes {unknown}"}, status=400)
    operation = body.get("operation", "Scan")
    if operation not in ("Scan", "Install"):
        return Response.for_json({"error": f"operation {operation} is not Scan or Install"}, status=400)
    # A stopped or terminated node runs no agent, so no patch operation reaches it: it is skipped and named
    # in "skipped" (the emulator's choice; Run Command answers such a node DeliveryTimedOut, commands.py).
    skipped = [each for each in instance_ids if not lifecycle.reachable(fleet.ec2_state(store, each))]
    execution_id = commands.new_command_id()
    summaries = [
        fleet.run_patch_operation(
            store,
            account,
            region,
            instance_id,
            operation=operation,
            reboot_option=body.get("reboot_option", "RebootIfNeeded"),
            execution_id=execution_id,
        )
        for instance_id in instance_ids
        if instance_id not in skipped
    ]
    return Response.for_json(
        {"execution_id": execution_id, "patch_states": _jsonable(summaries), "skipped": skipped}
    )


def _fault_state() -> dict[str, Any]:
    return {"fault": SSM_FAULTS.snapshot(), "rejected": dict(SSM_FAULTS.rejected())}


def set_fault(request: Request) -> Response:
    try:
        mode, seconds, operations, _ = parse_fault_request(_json_body(request))
        SSM_FAULTS.set(mode, seconds, operations)
    except (ValueError, TypeError) as error:
        return Response.for_json({"error": str(error)}, status=400)
    return Response.for_json(_fault_state())


def clear_fault(request: Request) -> Response:
    SSM_FAULTS.clear()
    return Response.for_json(_fault_state())


def fault_status(request: Request) -> Response:
    return Response.for_json(_fault_state())


def _behaviour_state() -> dict[str, Any]:
    """The switches and the compliance event counters (events_emitted, events_dropped)."""
    return {**SSM_BEHAVIOUR.snapshot(), **COMPLIANCE_EVENTS.counters()}


def get_behaviour(request: Request) -> Response:
    return Response.for_json(_behaviour_state())


def set_behaviour(request: Request) -> Response:
    changes = _json_body(request)
    try:
        current = SSM_BEHAVIOUR.update(changes)
    except ValueError as error:
        return Response.for_json({"error": str(error)}, status=400)
    if {"event_drop_share", "event_drop_seed"} & set(changes):
        # A new share or seed starts the draw again, so a test sees the same drops on every run.
        COMPLIANCE_EVENTS.configure(current.event_drop_share, current.event_drop_seed)
    return Response.for_json(_behaviour_state())


def reset_behaviour(request: Request) -> Response:
    current = SSM_BEHAVIOUR.reset()
    COMPLIANCE_EVENTS.configure(current.event_drop_share, current.event_drop_seed)
    return Response.for_json(_behaviour_state())


def register(router) -> None:
    router.add("/_psh/ssm/behaviour", get_behaviour, methods=["GET"])
    router.add("/_psh/ssm/behaviour", set_behaviour, methods=["PUT"])
    router.add("/_psh/ssm/behaviour", reset_behaviour, methods=["DELETE"])
    router.add("/_psh/ssm/fault", set_fault, methods=["POST"])
    router.add("/_psh/ssm/fault", clear_fault, methods=["DELETE"])
    router.add("/_psh/ssm/fault", fault_status, methods=["GET"])
    router.add("/_psh/ssm/nodes", register_nodes, methods=["POST"])
    router.add("/_psh/ssm/nodes", list_nodes, methods=["GET"])
    router.add("/_psh/ssm/nodes/<instance_id>", delete_node, methods=["DELETE"])
    router.add("/_psh/ssm/scan", scan, methods=["POST"])
