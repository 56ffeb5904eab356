"""The EC2 view of the emulated fleet: its EC2 nodes (i-) as DescribeInstances shows instances, and their
state changes (StopInstances, StartInstances, TerminateInstances; EC2 API reference of each).

The nodes live in the Systems Manager store (psh_localstack.ssm.models); their lifecycle rules are
psh_localstack.ssm.lifecycle. Everything not a fleet node is LocalStack's own EC2 (moto): provider.py.
"""

from __future__ import annotations

import fnmatch
import hashlib
from typing import Any

from localstack.aws.api import CommonServiceException

from psh_localstack import clock as emulator_clock
from psh_localstack.ssm import lifecycle
from psh_localstack.ssm.clock import now
from psh_localstack.ssm.models import PatchStore

# DescribeInstances MaxResults: "You can use this parameter ... This value can be between 5 and 1000. You
# cannot specify this parameter and the instance IDs parameter in the same call." (EC2 API reference).
MAX_RESULTS = (5, 1000)
# The filters the fleet's instances answer (DescribeInstances, Filters: "instance-id - The ID of the
# instance", "instance-state-code", "instance-state-name"); a request with any other filter is moto's.
FLEET_FILTERS = ("instance-id", "instance-state-name", "instance-state-code")
INSTANCE_TYPE = "t3.micro"  # the emulator's choice: a registered node has no instance type of its own


def ec2_error(code: str, message: str) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=400)


def is_fleet_instance(store: PatchStore, instance_id: str) -> bool:
    return "ec2" in store.nodes.get(instance_id, {})


def change_state(
    store: PatchStore, instance_ids: list[str], action: str, *, apply: bool = True
) -> list[dict[str, Any]]:
    """Stop, start or terminate fleet instances: [{InstanceId, CurrentState, PreviousState}] in request
    order. All or nothing: an instance in the wrong state fails the call (IncorrectInstanceState) before any
    changes. The transition completes at once (the emulator's choice; lifecycle.transition)."""
    with store.lock:
        planned = []
        for instance_id in instance_ids:
            ec2 = store.nodes[instance_id]["ec2"]
            try:
                reported, final = lifecycle.transition(ec2["state"], action)
            except lifecycle.IncorrectStateError as error:
                # IncorrectInstanceState (EC2 API error codes), e.g. starting a terminated instance.
                raise ec2_error("IncorrectInstanceState", f"The instance '{instance_id}' {error}") from None
            planned.append((instance_id, ec2, reported, final))
        if not apply:
            return []
        changes = []
        for instance_id, ec2, reported, final in planned:
            previous = ec2["state"]
            if final != previous:
                ec2["state"] = final
                ec2["transition_at"] = now()
                if final == lifecycle.TERMINATED:
                    # EC2's timer for forgetting it runs on the emulator clock (lifecycle.forgotten).
                    ec2["terminated_at"] = emulator_clock.now()
            changes.append(
                {
                    "InstanceId": instance_id,
                    "CurrentState": lifecycle.state(reported),
                    "PreviousState": lifecycle.state(previous),
                }
            )
        return changes


def instance(store: PatchStore, instance_id: str) -> dict[str, Any]:
    """The Instance of DescribeInstances (EC2 API reference, Instance): the fields a fleet node can fill."""
    node = store.nodes[instance_id]
    ec2, info = node["ec2"], node["info"]
    windows = info.get("PlatformType") == "Windows"
    described: dict[str, Any] = {
        "InstanceId": instance_id,
        "InstanceType": INSTANCE_TYPE,
        "LaunchTime": ec2["launch_time"],
        "State": lifecycle.state(ec2["state"]),
        "PrivateIpAddress": info.get("IPAddress", ""),
        "PlatformDetails": "Windows" if windows else "Linux/UNIX",
        "Tags": [
            {"Key": key, "Value": value}
            for key, value in sorted(store.tags.get(("ManagedInstance", instance_id), {}).items())
        ],
    }
    if windows:
        described["Platform"] = "windows"  # Instance.Platform: "The platform. This value is windows for
        # Windows instances; otherwise, it is empty." (EC2 API reference)
    if ec2["state"] in (lifecycle.STOPPED, lifecycle.TERMINATED) and ec2.get("transition_at"):
        # StateTransitionReason, as the API reference's examples show it: "User initiated (<time> GMT)".
        described["StateTransitionReason"] = (
            f"User initiated ({ec2['transition_at'].strftime('%Y-%m-%d %H:%M:%S')} GMT)"
        )
    return described


def reservation(account_id: str, store: PatchStore, instance_id: str) -> dict[str, Any]:
    """One reservation per fleet instance (the emulator's choice: registration is no RunInstances call)."""
    digest = hashlib.sha256(instance_id.encode()).hexdigest()[:17]
    return {
        "ReservationId": f"r-{digest}",
        "OwnerId": account_id,
        "Groups": [],
        "Instances": [instance(store, instance_id)],
    }


def matches(store: PatchStore, instance_id: str, filters: list[dict[str, Any]]) -> bool:
    """Every filter matches one of its values; values may hold * and ? wildcards (EC2 API reference,
    Filter: "Filter values are case-sensitive", and wildcards in filter values)."""
    state = store.nodes[instance_id]["ec2"]["state"]
    fields = {
        "instance-id": instance_id,
        "instance-state-name": state,
        "instance-state-code": str(lifecycle.STATE_CODES[state]),
    }
    return all(
        any(fnmatch.fnmatchcase(fields[flt["Name"]], value) for value in flt.get("Values", []))
        for flt in filters
    )


def check_max_results(request: dict[str, Any]) -> None:
    size = request.get("MaxResults")
    if size is None:
        return
    if request.get("InstanceIds"):
        raise ec2_error(
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        )
    low, high = MAX_RESULTS
    if not low <= size <= high:
        raise ec2_error(
            "InvalidParameterValue",
            f"Value ( {size} ) for parameter maxResults is invalid. "
            f"Expecting a value between {low} and {high}.",
        )
