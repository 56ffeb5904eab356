"""Managed nodes and their patch state: DescribeInstanceInformation, DescribeInstancePatchStates,
DescribeInstancePatchStatesForPatchGroup, DescribeInstancePatches (Systems Manager API reference of each)."""

from __future__ import annotations

import copy
from typing import Any

from psh_localstack.ssm import patching
from psh_localstack.ssm.errors import client_error, validation_error
from psh_localstack.ssm.models import PatchStore
from psh_localstack.ssm.pagination import page

MAX_PATCH_STATE_IDS = 50  # DescribeInstancePatchStates InstanceIds: 1..50 (API reference)
# DescribeInstancePatches filter keys (API reference, Filters: "Supported keys for
# DescribeInstancePatches include the following: Classification, KBId, Severity, State").
PATCH_FILTER_KEYS = ("Classification", "KBId", "Severity", "State")
# InstanceInformationFilter / InstanceInformationStringFilter keys -> InstanceInformation fields.
INFORMATION_FIELDS = {
    "InstanceIds": "InstanceId",
    "PlatformTypes": "PlatformType",
    "ResourceType": "ResourceType",
    "PingStatus": "PingStatus",
    "AssociationStatus": "AssociationStatus",
    "AgentVersion": "AgentVersion",
}


def describe_instance_information(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    """Nodes matching every filter; `tag:<key>` filters match the node's tags (API reference,
    InstanceInformationStringFilter)."""
    filters = [(flt["key"], flt["valueSet"]) for flt in request.get("InstanceInformationFilterList", [])]
    filters += [(flt["Key"], flt["Values"]) for flt in request.get("Filters", [])]
    found = []
    for instance_id, node in sorted(store.nodes.items()):
        info = node["info"]
        tags = store.tags.get(("ManagedInstance", instance_id), {})
        if all(
            (tags.get(key[4:]) in values)
            if key.startswith("tag:")
            else (info.get(INFORMATION_FIELDS.get(key, key)) in values)
            for key, values in filters
        ):
            found.append(info)
    # The API reference documents a default of 10 per page; the emulator answers up to 50 without MaxResults.
    chunk, token = page(found, request, "DescribeInstanceInformation", 50)
    return {"InstanceInformationList": copy.deepcopy(chunk), **token}


def describe_instance_patch_states(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    ids = request["InstanceIds"]
    if len(ids) > MAX_PATCH_STATE_IDS:
        raise validation_error(
            "1 validation error detected: Value at 'instanceIds' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_PATCH_STATE_IDS}"
        )
    # A node without a patch operation yet has no patch state: it is left out of the answer.
    states = [store.patch_states[each] for each in ids if each in store.patch_states]
    chunk, token = page(states, request, "DescribeInstancePatchStates", 10)
    return {"InstancePatchStates": copy.deepcopy(chunk), **token}


def describe_instance_patch_states_for_patch_group(
    store: PatchStore, request: dict[str, Any]
) -> dict[str, Any]:
    states = [state for state in store.patch_states.values() if state["PatchGroup"] == request["PatchGroup"]]
    chunk, token = page(states, request, "DescribeInstancePatchStatesForPatchGroup", 50)
    return {"InstancePatchStates": copy.deepcopy(chunk), **token}


def describe_instance_patches(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    node = store.nodes.get(request["InstanceId"])
    if node is None:
        raise client_error("InvalidInstanceId", f"Instance {request['InstanceId']} is not managed.")
    if request["InstanceId"] not in store.patch_states:
        return {"Patches": []}  # nothing reported before the first scan
    patches = [patching.instance_patch(patch) for patch in node["patches"]]
    for flt in request.get("Filters", []):
        if flt["Key"] not in PATCH_FILTER_KEYS:
            raise client_error("InvalidFilter", f"Filter key {flt['Key']} is not supported.")
        patches = [patch for patch in patches if patch[flt["Key"]] in flt["Values"]]
    chunk, token = page(patches, request, "DescribeInstancePatches", 50)
    return {"Patches": chunk, **token}
