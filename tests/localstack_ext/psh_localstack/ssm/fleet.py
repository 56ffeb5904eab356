"""The emulated fleet: managed nodes, the baseline and patch group of each, and a patch operation on one.

Nodes are registered through the control route (/_psh/ssm/nodes, an emulator convenience: there is no
agent); what Systems Manager then reports about them follows the API reference of each read.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from psh_localstack import clock as emulator_clock
from psh_localstack.ssm import compliance, lifecycle, patching, readlag
from psh_localstack.ssm.clock import now
from psh_localstack.ssm.errors import client_error
from psh_localstack.ssm.models import PatchStore
from psh_localstack.ssm.nodes import NODE_ID, is_node_id

LOG = logging.getLogger(__name__)

# AWS predefines a default baseline per operating system (Patch Manager user guide, "Predefined and custom
# patch baselines"). These ids stand in for them: AWS's own are per Region (RegisterDefaultPatchBaseline's
# example: arn:aws:ssm:us-east-2:733109147000:patchbaseline/pb-0574b43a65ea646ed).
DEFAULT_BASELINES = {
    "WINDOWS": "pb-016889927b2bb8542",
    "AMAZON_LINUX_2": "pb-0c10e65780cbe9a12",
    "AMAZON_LINUX_2023": "pb-05c9c9bf778d4c4d0",
    "UBUNTU": "pb-06e3563bd35503f2b",
    "REDHAT_ENTERPRISE_LINUX": "pb-0cbb3a633de00f07c",
}
# A node's patch group is the value of its tag "Patch Group", or "PatchGroup" where tags in instance metadata
# are allowed (their keys cannot contain spaces) (Patch Manager user guide, "Patch groups").
PATCH_GROUP_TAGS = ("Patch Group", "PatchGroup")


def operating_system(info: dict[str, Any]) -> str:
    name = f"{info.get('PlatformType', '')} {info.get('PlatformName', '')}".lower()
    if "windows" in name:
        return "WINDOWS"
    if "ubuntu" in name:
        return "UBUNTU"
    if "red hat" in name or "rhel" in name:
        return "REDHAT_ENTERPRISE_LINUX"
    if "2023" in name:
        return "AMAZON_LINUX_2023"
    return "AMAZON_LINUX_2"


def register_node(store: PatchStore, spec: dict[str, Any]) -> dict[str, Any]:
    """Add or replace a managed node. `spec`: InstanceId, PlatformType/Name/Version, PatchGroup, Patches."""
    instance_id = spec["InstanceId"]
    if not is_node_id(instance_id):
        raise client_error("InvalidInstanceId", f"{instance_id} does not match {NODE_ID.pattern}")
    on_prem = instance_id.startswith("mi-")
    patches = []
    for patch in spec.get("Patches", []):
        state = patch.get("State", "MISSING")
        if state not in patching.PATCH_STATES:
            raise client_error("ValidationException", f"unknown patch state {state}")
        level = patch.get("ComplianceLevel", "UNSPECIFIED")
        if level not in patching.COMPLIANCE_LEVELS:
            raise client_error("ValidationException", f"unknown compliance level {level}")
        patches.append(
            {
                "KBId": patch.get("KBId") or patch["Id"],
                "Title": patch.get("Title", patch.get("KBId") or patch["Id"]),
                "Classification": patch.get("Classification", ""),
                "Severity": patch.get("Severity", ""),
                "CVEIds": list(patch.get("CVEIds", [])),
                "State": state,
                "ComplianceLevel": level,
                "FailOnInstall": bool(patch.get("FailOnInstall")),
                **({"InstalledTime": now()} if state.startswith("INSTALLED") else {}),
            }
        )
    platform_type = spec.get("PlatformType", "Linux")
    # The InstanceInformation of DescribeInstanceInformation (API reference, InstanceInformation): on-premises
    # nodes (mi-) are ManagedInstance resources with a Name and a RegistrationDate, EC2 instances EC2Instance.
    info = {
        "InstanceId": instance_id,
        "PingStatus": spec.get("PingStatus", "Online"),
        "LastPingDateTime": now(),
        "AgentVersion": "3.3.1142.0",
        "IsLatestVersion": True,
        "PlatformType": platform_type,
        "PlatformName": spec.get(
            "PlatformName",
            "Microsoft Windows Server 2022 Datacenter" if platform_type == "Windows" else "Amazon Linux",
        ),
        "PlatformVersion": spec.get("PlatformVersion", "10.0.20348" if platform_type == "Windows" else "2"),
        "ResourceType": "ManagedInstance" if on_prem else "EC2Instance",
        "IPAddress": spec.get("IPAddress", "10.0.0.10"),
        "ComputerName": spec.get("ComputerName", instance_id),
        "AssociationStatus": "Success",
        "SourceId": instance_id,
        "SourceType": "AWS::SSM::ManagedInstance" if on_prem else "AWS::EC2::Instance",
    }
    if on_prem:
        info["Name"] = spec.get("Name", instance_id)
        info["RegistrationDate"] = now()
    with store.lock:
        store.nodes[instance_id] = {
            "info": info,
            "patches": patches,
            "patch_group": spec.get("PatchGroup", ""),
        }
        if not on_prem:
            # The EC2 view of the node (psh_localstack.ec2): a registered instance is running.
            store.nodes[instance_id]["ec2"] = {
                "state": lifecycle.RUNNING,
                "launch_time": now(),
                "terminated_at": None,
            }
        if spec.get("PatchGroup"):
            store.tags.setdefault(("ManagedInstance", instance_id), {})["Patch Group"] = spec["PatchGroup"]
    return info


def ec2_state(store: PatchStore, instance_id: str) -> str:
    """The node's EC2 state (an on-premises node, which has none, counts as running)."""
    return store.nodes[instance_id].get("ec2", {}).get("state", lifecycle.RUNNING)


def forget_node(store: PatchStore, instance_id: str) -> bool:
    """Remove the node, its patch state, compliance, tags and their read-lag versions; whether it existed."""
    with store.lock:
        existed = store.nodes.pop(instance_id, None) is not None
        store.patch_states.pop(instance_id, None)
        store.patch_state_versions.pop(instance_id, None)
        store.tags.pop(("ManagedInstance", instance_id), None)
        for key in [key for key in store.compliance if key[1] == instance_id]:
            del store.compliance[key]
        for key in [key for key in store.compliance_versions if key[1] == instance_id]:
            del store.compliance_versions[key]
    return existed


def forget_expired(store: PatchStore) -> None:
    """Forget the instances terminated longer ago than EC2 keeps them visible (lifecycle.forgotten), on the
    emulator's clock. Called before every read of the fleet, so the timer needs no thread."""
    moment = emulator_clock.now()
    with store.lock:
        expired = [
            instance_id
            for instance_id, node in store.nodes.items()
            if lifecycle.forgotten(node.get("ec2", {}).get("terminated_at"), moment)
        ]
        for instance_id in expired:
            forget_node(store, instance_id)


# DeregisterManagedInstance InstanceId: the model's ManagedInstanceId pattern (botocore model; API
# reference), below: EC2 instances (i-) are not deregistered through it.
MANAGED_INSTANCE_ID = re.compile(r"(^mi-[0-9a-f]{17}$)|(^eks_c:[0-9A-Za-z][A-Za-z0-9\-_]{0,99}_\w{17}$)")


def deregister_managed_instance(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    """DeregisterManagedInstance: "Removes the server or virtual machine from the list of registered
    servers." (API reference). The node goes with what Systems Manager holds about it (patch state,
    compliance, tags), as the control route's DELETE does. Errors: a value outside the model's pattern is
    AWS's request validation (ValidationException); an unknown node is InvalidInstanceId (the model's error
    for the operation). The response is empty ("If the action is successful, the service sends back an HTTP
    200 response with an empty HTTP body")."""
    instance_id = request["InstanceId"]
    if not MANAGED_INSTANCE_ID.match(instance_id):
        raise client_error(
            "ValidationException",
            f"1 validation error detected: Value '{instance_id}' at 'instanceId' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {MANAGED_INSTANCE_ID.pattern}",
        )
    if not forget_node(store, instance_id):
        raise client_error("InvalidInstanceId", f"Instance {instance_id} is not a registered managed node.")
    return {}


def patch_group_of(store: PatchStore, instance_id: str) -> str:
    tags = store.tags.get(("ManagedInstance", instance_id), {})
    for key in PATCH_GROUP_TAGS:
        if tags.get(key):
            return tags[key]
    return store.nodes[instance_id]["patch_group"]


def baseline_for(store: PatchStore, instance_id: str) -> str:
    """The baseline a patch operation uses: the patch group's, else the operating system's default ("If no
    patch group is specified, the default patch baseline for the operating system type is used", user guide,
    AWS-RunPatchBaseline)."""
    group = patch_group_of(store, instance_id)
    if group and group in store.patch_groups:
        return store.patch_groups[group]
    system = operating_system(store.nodes[instance_id]["info"])
    for baseline_id, baseline in store.baselines.items():
        if baseline.get("OperatingSystem") == system and baseline.get("DefaultBaseline"):
            return baseline_id
    return DEFAULT_BASELINES[system]


def terminated(store: PatchStore, instance_id: str) -> bool:
    """A terminated node is no target: InvalidInstanceId covers "The managed node isn't in a valid state.
    Valid states are: Running, Pending, Stopped, and Stopping. Invalid states are: Shutting-down and
    Terminated." (Systems Manager API reference, SendCommand, Errors)."""
    return ec2_state(store, instance_id) in (lifecycle.SHUTTING_DOWN, lifecycle.TERMINATED)


def resolve_targets(
    store: PatchStore, targets: list[dict[str, Any]] | None, instance_ids: list[str] | None
) -> list[str]:
    """Fleet nodes matched by InstanceIds, or by Targets: InstanceIds (with "*" for all), tag:<key>, tag-key
    (API reference, Target: the supported keys of Run Command and State Manager targets)."""
    if instance_ids:
        return [each for each in instance_ids if each in store.nodes and not terminated(store, each)]
    chosen: list[str] = []
    for target in targets or []:
        key, values = target.get("Key", ""), target.get("Values", [])
        for instance_id in store.nodes:
            if terminated(store, instance_id):
                continue
            tags = store.tags.get(("ManagedInstance", instance_id), {})
            matched = (
                (key == "InstanceIds" and ("*" in values or instance_id in values))
                or (key.startswith("tag:") and tags.get(key[4:]) in values)
                or (key == "tag-key" and any(value in tags for value in values))
            )
            if matched and instance_id not in chosen:
                chosen.append(instance_id)
    return chosen


def run_patch_operation(
    store: PatchStore,
    account_id: str,
    region: str,
    instance_id: str,
    *,
    operation: str,
    reboot_option: str,
    execution_id: str,
    snapshot_id: str = "",
) -> dict[str, Any]:
    """Scan or Install on one node, as AWS-RunPatchBaseline does: new patch states, the node's patch state
    (DescribeInstancePatchStates), its Patch compliance items, and the compliance event on a change."""
    started = now()
    with store.lock:
        node = store.nodes[instance_id]
        node["patches"] = patching.apply_operation(node["patches"], operation, reboot_option, started)
        baseline_id = baseline_for(store, instance_id)
        group = patch_group_of(store, instance_id)
        ended = now()
        summary = patching.patch_summary(
            instance_id,
            node["patches"],
            baseline_id=baseline_id,
            patch_group=group,
            operation=operation,
            reboot_option=reboot_option,
            started=started,
            ended=ended,
            snapshot_id=snapshot_id,
        )
        store.patch_states[instance_id] = summary
        # The version the lagged reads see (readlag): the patch state with the patches it describes.
        readlag.record(
            store.patch_state_versions.setdefault(instance_id, []),
            ended,
            {"state": copy.deepcopy(summary), "patches": copy.deepcopy(node["patches"])},
        )
        items = patching.compliance_items(
            node["patches"], baseline_id=baseline_id, patch_group=group, installed_time_fallback=ended
        )
        execution = {"ExecutionTime": ended, "ExecutionId": execution_id, "ExecutionType": "Command"}
    compliance.put_compliance(
        store,
        account_id,
        region,
        resource_type="ManagedInstance",
        resource_id=instance_id,
        compliance_type="Patch",
        execution=execution,
        items=items,
        baseline_id=baseline_id,
    )
    return summary
