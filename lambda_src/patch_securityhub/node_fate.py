"""Where a managed node went when Systems Manager no longer lists it.

DescribeInstanceInformation "does not return information for nodes that are either Stopped or Terminated"
(Systems Manager API Reference, DescribeInstanceInformation), so a node missing from its answer is not
necessarily gone. For an EC2 instance, EC2 tells: DescribeInstances with the `instance-id` filter returns the
instance while it exists, terminated ones included for a while ("Recently terminated instances might appear in
the returned results. This interval is usually less than one hour", EC2 API Reference, DescribeInstances), and
leaves out an id it no longer knows (a filter, unlike InstanceIds, does not fail the call for it). A hybrid
node (`mi-`) has no EC2 instance: once SSM does not list it, it was deregistered.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from .paging import pages
from .retry import Backoff

# EC2 documents no limit on the values of the instance-id filter; 100 keeps every request small.
EC2_IDS_PER_CALL = 100
EC2_MAX_RESULTS = 1000  # DescribeInstances MaxResults: 5..1000 (API Reference)


class NodeFate(StrEnum):
    """What a node SSM does not list is."""

    STOPPED = "stopped"  # the instance exists (pending, running, stopping, stopped): its finding is kept
    TERMINATED = "terminated"  # shutting-down, terminated, or unknown to EC2: its finding is archived
    DEREGISTERED = "deregistered"  # a hybrid node SSM no longer knows: its finding is archived

    @property
    def gone(self) -> bool:
        return self is not NodeFate.STOPPED


# InstanceState.Name (EC2 API Reference, InstanceState): pending | running | shutting-down | terminated |
# stopping | stopped.
_GONE_STATES = frozenset({"shutting-down", "terminated"})


def fate_from_state(state_name: str | None) -> NodeFate:
    """EC2's instance state (None: EC2 does not know the id) -> the node's fate."""
    if state_name is None or state_name in _GONE_STATES:
        return NodeFate.TERMINATED
    return NodeFate.STOPPED


def instance_states(document: dict[str, Any]) -> dict[str, str]:
    """A DescribeInstances page -> {instance id: state name}; malformed entries are left out."""
    states: dict[str, str] = {}
    for reservation in document.get("Reservations") or []:
        if not isinstance(reservation, dict):
            continue
        for instance in reservation.get("Instances") or []:
            if not isinstance(instance, dict):
                continue
            instance_id = instance.get("InstanceId")
            state = instance.get("State")
            name = state.get("Name") if isinstance(state, dict) else None
            if isinstance(instance_id, str) and isinstance(name, str):
                states[instance_id] = name
    return states


def node_fates(ec2_client: Any, backoff: Backoff, node_ids: Iterable[str]) -> dict[str, NodeFate]:
    """The fate of each node SSM does not list: one DescribeInstances call per 100 EC2 ids (paged)."""
    ids = sorted(set(node_ids))
    fates = {node_id: NodeFate.DEREGISTERED for node_id in ids if node_id.startswith("mi-")}
    ec2_ids = [node_id for node_id in ids if not node_id.startswith("mi-")]
    for start in range(0, len(ec2_ids), EC2_IDS_PER_CALL):
        chunk = ec2_ids[start : start + EC2_IDS_PER_CALL]
        states: dict[str, str] = {}
        for page in pages(
            backoff,
            ec2_client.describe_instances,
            "DescribeInstances",
            Filters=[{"Name": "instance-id", "Values": chunk}],
            MaxResults=EC2_MAX_RESULTS,
        ):
            states.update(instance_states(page))
        for node_id in chunk:
            fates[node_id] = fate_from_state(states.get(node_id))
    return fates
