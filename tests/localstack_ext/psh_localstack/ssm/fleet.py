"""The simulated fleet: node registration, patch operations, compliance writes and the EventBridge events."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from localstack.aws.api import CommonServiceException
from localstack.aws.connect import connect_to

from psh_localstack.ssm import patching
from psh_localstack.ssm.store import PatchStore

LOG = logging.getLogger(__name__)

# Baselines AWS predefines per operating system (ids as they appear in DescribeInstancePatchStates).
DEFAULT_BASELINES = {
    "WINDOWS": "pb-016889927b2bb8542",
    "AMAZON_LINUX_2": "pb-0c10e65780cbe9a12",
    "AMAZON_LINUX_2023": "pb-05c9c9bf778d4c4d0",
    "UBUNTU": "pb-06e3563bd35503f2b",
    "REDHAT_ENTERPRISE_LINUX": "pb-0cbb3a633de00f07c",
}
PATCH_GROUP_TAGS = ("Patch Group", "PatchGroup")


def now() -> datetime:
    return datetime.now(UTC)


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
    if not instance_id.startswith(("i-", "mi-")):
        raise CommonServiceException("InvalidInstanceId", f"{instance_id} is neither i-... nor mi-...")
    on_prem = instance_id.startswith("mi-")
    patches = []
    for patch in spec.get("Patches", []):
        state = patch.get("State", "MISSING")
        if state not in patching.PATCH_STATES:
            raise CommonServiceException("ValidationException", f"unknown patch state {state}")
        level = patch.get("ComplianceLevel", "UNSPECIFIED")
        if level not in patching.COMPLIANCE_LEVELS:
            raise CommonServiceException("ValidationException", f"unknown compliance level {level}")
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
        if spec.get("PatchGroup"):
            store.tags.setdefault(("ManagedInstance", instance_id), {})["Patch Group"] = spec["PatchGroup"]
    return info


def patch_group_of(store: PatchStore, instance_id: str) -> str:
    tags = store.tags.get(("ManagedInstance", instance_id), {})
    for key in PATCH_GROUP_TAGS:
        if tags.get(key):
            return tags[key]
    return store.nodes[instance_id]["patch_group"]


def baseline_for(store: PatchStore, instance_id: str) -> str:
    group = patch_group_of(store, instance_id)
    if group and group in store.patch_groups:
        return store.patch_groups[group]
    system = operating_system(store.nodes[instance_id]["info"])
    for baseline_id, baseline in store.baselines.items():
        if baseline.get("OperatingSystem") == system and baseline.get("DefaultBaseline"):
            return baseline_id
    return DEFAULT_BASELINES[system]


def resolve_targets(
    store: PatchStore, targets: list[dict[str, Any]] | None, instance_ids: list[str] | None
) -> list[str]:
    """Fleet nodes matched by InstanceIds, or by Targets (InstanceIds incl. "*", tag:<key>, tag-key)."""
    if instance_ids:
        return [each for each in instance_ids if each in store.nodes]
    chosen: list[str] = []
    for target in targets or []:
        key, values = target.get("Key", ""), target.get("Values", [])
        for instance_id in store.nodes:
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
    """Scan/Install one node: new patch states, PatchSummary, Patch compliance items, event on change."""
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
        items = patching.compliance_items(
            node["patches"], baseline_id=baseline_id, patch_group=group, installed_time_fallback=ended
        )
        execution = {"ExecutionTime": ended, "ExecutionId": execution_id, "ExecutionType": "Command"}
    put_compliance(
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


def put_compliance(
    store: PatchStore,
    account_id: str,
    region: str,
    *,
    resource_type: str,
    resource_id: str,
    compliance_type: str,
    execution: dict[str, Any],
    items: list[dict[str, Any]],
    baseline_id: str = "",
    partial: bool = False,
) -> None:
    """Store compliance items (COMPLETE replaces, PARTIAL merges by Id); emit the event on a state change.

    The state is the overall status, its severity and which items are non-compliant at which severity: a
    rescan that finds exactly what the last one found emits nothing; a new missing or a fixed patch does."""
    key = (resource_type, resource_id, compliance_type)
    with store.lock:
        previous = store.compliance.get(key)
        if partial and previous:
            merged = {item["Id"]: item for item in previous["Items"]}
            merged.update({item["Id"]: item for item in items})
            items = list(merged.values())
        before = compliance_state(previous["Items"]) if previous else None
        store.compliance[key] = {"ExecutionSummary": execution, "Items": items, "UpdatedAt": now()}
        status, severity = patching.overall_status(items)
    if compliance_state(items) != before:
        emit_compliance_event(
            account_id,
            region,
            resource_id=resource_id,
            compliance_type=compliance_type,
            status=status,
            severity=severity,
            baseline_id=baseline_id,
            when=execution.get("ExecutionTime") or now(),
        )


def compliance_state(items: list[dict[str, Any]]) -> tuple[str, str, frozenset[tuple[str, str]]]:
    status, severity = patching.overall_status(items)
    failing = frozenset((item["Id"], item["Severity"]) for item in items if item["Status"] == "NON_COMPLIANT")
    return status, severity, failing


def emit_compliance_event(
    account_id: str,
    region: str,
    *,
    resource_id: str,
    compliance_type: str,
    status: str,
    severity: str,
    baseline_id: str,
    when: datetime,
) -> None:
    """`Configuration Compliance State Change`, as SSM publishes it to the default event bus."""
    detail = {
        "last-runtime": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "compliance-status": status.lower(),
        "resource-type": "managed-instance",
        "resource-id": resource_id,
        "compliance-type": compliance_type,
    }
    if compliance_type == "Patch":
        detail["patch-baseline-id"] = baseline_id
        detail["severity"] = severity.lower()
    try:
        events = connect_to(aws_access_key_id=account_id, region_name=region).events
        events.put_events(
            Entries=[
                {
                    "Source": "aws.ssm",
                    "DetailType": "Configuration Compliance State Change",
                    "Resources": [f"arn:aws:ssm:{region}:{account_id}:managed-instance/{resource_id}"],
                    "Detail": json.dumps(detail),
                    "Time": when,
                }
            ]
        )
    except Exception:
        LOG.exception("could not emit compliance event for %s", resource_id)


def new_command_id() -> str:
    return str(uuid.uuid4())
