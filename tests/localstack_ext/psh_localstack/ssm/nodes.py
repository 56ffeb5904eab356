"""Managed nodes and their patch state: DescribeInstanceInformation, DescribeInstancePatchStates,
DescribeInstancePatchStatesForPatchGroup, DescribeInstancePatches (Systems Manager API reference of each)."""

from __future__ import annotations

import copy
import re
from typing import Any

from psh_localstack.ssm import lifecycle, patching, readlag
from psh_localstack.ssm.behaviour import SSM_BEHAVIOUR, STATE_FILTER_BOTH, UNKNOWN_IDS_ERROR
from psh_localstack.ssm.clock import now
from psh_localstack.ssm.errors import client_error, validation_error
from psh_localstack.ssm.models import PatchStore
from psh_localstack.ssm.pagination import check_max_results, page

# The model's InstanceId shape (botocore ssm/2014-11-06/service-2.json): "(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)".
NODE_ID = re.compile(r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)")
# DescribeInstanceInformation MaxResults: MaxResultsEC2Compatible 5..50, "The default value is 10 items"
# (botocore model and API reference).
INFORMATION_PAGE = (5, 50, 10)
# DescribeInstancePatchStates / DescribeInstancePatches MaxResults: PatchComplianceMaxResults 10..100
# (botocore model); no default is documented: 10 for the states, 50 for the patches here.
PATCH_COMPLIANCE_PAGE = (10, 100)
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


def is_node_id(value: Any) -> bool:
    return isinstance(value, str) and NODE_ID.match(value) is not None


def _pattern_error(name: str, value: Any) -> Exception:
    # AWS's request validation of a value outside the model's InstanceId pattern.
    return validation_error(
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NODE_ID.pattern}"
    )


def _check_requested_ids(store: PatchStore, filters: list[tuple[str, list[str]]]) -> None:
    """DescribeInstanceInformation: "If you specify a node ID that isn't valid or a node that you don't own,
    you receive an error." (API reference); the model lists InvalidInstanceId for it. The lenient answer
    (the id left out) is the behaviour switch's UNKNOWN_IDS_EMPTY."""
    if SSM_BEHAVIOUR.current.unknown_instance_ids != UNKNOWN_IDS_ERROR:
        return
    requested = [value for key, values in filters if key == "InstanceIds" for value in values]
    refused = [value for value in requested if not is_node_id(value) or value not in store.nodes]
    if refused:
        raise client_error("InvalidInstanceId", f"Instances {refused} not in a valid state for account.")


def _information_filters(request: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """InstanceInformationFilterList (legacy: key / valueSet) and Filters (Key / Values). "Attempting to use
    InstanceInformationFilterList and Filters leads to an exception error." (API reference); the model names
    no code for it: InvalidFilterKey here."""
    legacy, current = request.get("InstanceInformationFilterList"), request.get("Filters")
    if legacy and current:
        raise client_error(
            "InvalidFilterKey", "InstanceInformationFilterList and Filters cannot be used together."
        )
    return [(flt["key"], flt["valueSet"]) for flt in legacy or []] + [
        (flt["Key"], flt["Values"]) for flt in current or []
    ]


def describe_instance_information(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    """Nodes matching every filter; `tag:<key>` filters match the node's tags (API reference,
    InstanceInformationStringFilter)."""
    filters = _information_filters(request)
    _check_requested_ids(store, filters)
    low, high, default_size = INFORMATION_PAGE
    check_max_results(request, low, high)

    def matches(instance_id: str, info: dict[str, Any]) -> bool:
        tags = store.tags.get(("ManagedInstance", instance_id), {})
        return all(
            (tags.get(key[4:]) in values)
            if key.startswith("tag:")
            else (info.get(INFORMATION_FIELDS.get(key, key)) in values)
            for key, values in filters
        )

    # "This operation does not return information for nodes that are either Stopped or Terminated." (API
    # reference): such nodes are left out, also when the InstanceIds filter names them (they are the
    # account's nodes, so _check_requested_ids let them through); EC2 forgets a terminated instance after
    # about an hour (fleet.forget_expired), and then its id is unknown.
    nodes = sorted(
        (instance_id, node)
        for instance_id, node in store.nodes.items()
        if lifecycle.reported_by_ssm(node.get("ec2", {}).get("state", lifecycle.RUNNING))
    )
    if filters and SSM_BEHAVIOUR.current.filter_after_paging:
        # The service pages over all the account's nodes and filters each page: a page can come back empty
        # with a NextToken (aws/aws-cli#2626, describe-instance-information with filters).
        chunk, token = page(nodes, request, "DescribeInstanceInformation", default_size)
        found = [node["info"] for instance_id, node in chunk if matches(instance_id, node["info"])]
    else:
        selected = [node["info"] for instance_id, node in nodes if matches(instance_id, node["info"])]
        found, token = page(selected, request, "DescribeInstanceInformation", default_size)
    return {"InstanceInformationList": copy.deepcopy(found), **token}


def _patch_state_version(store: PatchStore, instance_id: str) -> dict[str, Any] | None:
    """{"state", "patches"} of the node as a read sees it: the current ones, or with the read_lag_seconds
    switch the version written at least that long ago (readlag.py); None before the first patch operation."""
    if instance_id not in store.patch_states:
        return None
    lag = SSM_BEHAVIOUR.current.read_lag_seconds
    if not lag:
        return {"state": store.patch_states[instance_id], "patches": store.nodes[instance_id]["patches"]}
    return readlag.visible(store.patch_state_versions.get(instance_id, []), now(), lag)


def describe_instance_patch_states(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    ids = request["InstanceIds"]
    for each in ids:
        if not is_node_id(each):
            raise _pattern_error("instanceIds", each)
    check_max_results(request, *PATCH_COMPLIANCE_PAGE)
    if len(ids) > MAX_PATCH_STATE_IDS:
        raise validation_error(
            "1 validation error detected: Value at 'instanceIds' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_PATCH_STATE_IDS}"
        )
    # A node without a patch operation yet has no patch state: it is left out of the answer. A stopped
    # node keeps its last one (the data is kept; only DescribeInstanceInformation leaves it out).
    states = [state for state in (_patch_state_version(store, each) for each in ids) if state is not None]
    states = [state["state"] for state in states]
    chunk, token = page(states, request, "DescribeInstancePatchStates", 10)
    return {"InstancePatchStates": copy.deepcopy(chunk), **token}


def describe_instance_patch_states_for_patch_group(
    store: PatchStore, request: dict[str, Any]
) -> dict[str, Any]:
    states = [state for state in store.patch_states.values() if state["PatchGroup"] == request["PatchGroup"]]
    chunk, token = page(states, request, "DescribeInstancePatchStatesForPatchGroup", 50)
    return {"InstancePatchStates": copy.deepcopy(chunk), **token}


def _state_filter(values: list[str]) -> set[str]:
    """The internal patch states a State filter selects. Accepted: the spelling the service answers in
    (patching.api_state: the API reference's samples and the CLI examples) and, unless the behaviour switch
    says STATE_FILTER_DOCUMENTED, botocore's enum spelling; anything else is InvalidFilter (the model's error
    for DescribeInstancePatches' filters)."""
    accepted = {patching.api_state(state): state for state in patching.PATCH_STATES}
    if SSM_BEHAVIOUR.current.patch_state_filter == STATE_FILTER_BOTH:
        accepted.update({state: state for state in patching.PATCH_STATES})
    refused = [value for value in values if value not in accepted]
    if refused:
        raise client_error("InvalidFilter", f"Invalid filter value(s) {refused} for key State.")
    return {accepted[value] for value in values}


def describe_instance_patches(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    instance_id = request["InstanceId"]
    if not is_node_id(instance_id):
        raise _pattern_error("instanceId", instance_id)
    check_max_results(request, *PATCH_COMPLIANCE_PAGE)
    node = store.nodes.get(instance_id)
    if node is None:
        raise client_error("InvalidInstanceId", f"Instance {instance_id} is not managed.")
    version = _patch_state_version(store, instance_id)
    patches = list(version["patches"]) if version else []
    for flt in request.get("Filters", []):
        key = flt["Key"]
        if key not in PATCH_FILTER_KEYS:
            raise client_error("InvalidFilter", f"Filter key {key} is not supported.")
        if key == "State":
            states = _state_filter(flt["Values"])
            patches = [patch for patch in patches if patch["State"] in states]
        else:
            patches = [patch for patch in patches if patching.instance_patch(patch)[key] in flt["Values"]]
    if version is None:
        return {"Patches": []}  # nothing reported before the first scan
    chunk, token = page(
        [patching.instance_patch(patch) for patch in patches], request, "DescribeInstancePatches", 50
    )
    return {"Patches": chunk, **token}
