"""The simulated fleet: node specs to register with the SSM emulation, and scans through SSM's own API.

mixed_fleet(count, seed)                   deterministic EC2 + on-prem nodes with a spread of patch states
send_patch_command(ssm, ids, op)           AWS-RunPatchBaseline through SendCommand; waits for completion
run_association_once(ssm, association_id)  StartAssociationsOnce; waits for the new execution to finish

Registering the nodes and scanning them directly are control routes: `psh_localstack.client.ssm`.
"""

from __future__ import annotations

import random
import time
from typing import Any

CLASSIFICATIONS = {
    "Windows": ["SecurityUpdates", "CriticalUpdates", "Updates", "UpdateRollups"],
    "Linux": ["Security", "Bugfix", "Enhancement"],
}
PATCH_SEVERITIES = {
    "Windows": ["Critical", "Important", "Moderate", "Low"],
    "Linux": ["Critical", "Important", "Medium", "Low"],
}
WINDOWS_NAME = "Microsoft Windows Server 2022 Datacenter"
COMPLIANCE_LEVELS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"]
STATES = ["MISSING", "INSTALLED", "INSTALLED_OTHER", "NOT_APPLICABLE", "FAILED", "INSTALLED_PENDING_REBOOT"]
STATE_WEIGHTS = [30, 40, 5, 15, 5, 5]


def make_patch(rng: random.Random, platform: str, index: int, state: str | None = None) -> dict[str, Any]:
    if platform == "Windows":
        kb = f"KB{5000000 + rng.randrange(100000)}"
    else:
        kb = f"pkg-{index}-{rng.randrange(10**6)}"
    cves = [f"CVE-2026-{rng.randrange(10000, 99999)}" for _ in range(rng.randrange(0, 3))]
    return {
        "KBId": kb,
        "Title": f"{'Security update' if platform == 'Windows' else 'Package update'} {kb}",
        "Classification": rng.choice(CLASSIFICATIONS[platform]),
        "Severity": rng.choice(PATCH_SEVERITIES[platform]),
        "CVEIds": cves,
        "State": state or rng.choices(STATES, STATE_WEIGHTS)[0],
        "ComplianceLevel": rng.choice(COMPLIANCE_LEVELS),
    }


def mixed_fleet(
    count: int, seed: int = 1, *, on_prem_share: float = 0.3, patches_per_node: int = 8, patch_group: str = ""
) -> list[dict[str, Any]]:
    """Deterministic mix of EC2 (i-) and on-prem (mi-) nodes, Windows and Linux, with varied patch states."""
    rng = random.Random(seed)
    nodes = []
    for index in range(count):
        on_prem = rng.random() < on_prem_share
        platform = rng.choice(["Windows", "Linux"])
        instance_id = f"mi-{rng.getrandbits(68):017x}" if on_prem else f"i-{rng.getrandbits(68):017x}"
        nodes.append(
            {
                "InstanceId": instance_id,
                "PlatformType": platform,
                "PlatformName": WINDOWS_NAME if platform == "Windows" else "Amazon Linux",
                "ComputerName": f"node-{seed}-{index}",
                "IPAddress": f"10.{seed % 256}.{index // 256}.{index % 256}",
                "PatchGroup": patch_group,
                "Patches": [make_patch(rng, platform, n) for n in range(patches_per_node)],
            }
        )
    return nodes


def wait_command(ssm: Any, command_id: str, instance_ids: list[str], timeout_s: float = 60) -> dict[str, str]:
    """Poll until every invocation is terminal; returns instance id -> status."""
    deadline = time.monotonic() + timeout_s
    while True:
        invocations = ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
        statuses = {each["InstanceId"]: each["Status"] for each in invocations}
        if all(statuses.get(each) in {"Success", "Failed", "Cancelled", "TimedOut"} for each in instance_ids):
            return statuses
        if time.monotonic() > deadline:
            raise TimeoutError(f"command {command_id} not finished: {statuses}")
        time.sleep(0.2)


def send_patch_command(
    ssm: Any,
    instance_ids: list[str],
    operation: str = "Scan",
    reboot_option: str = "RebootIfNeeded",
    document: str = "AWS-RunPatchBaseline",
) -> tuple[str, dict[str, str]]:
    parameters = {"Operation": [operation], "RebootOption": [reboot_option]}
    command = ssm.send_command(InstanceIds=instance_ids, DocumentName=document, Parameters=parameters)[
        "Command"
    ]
    return command["CommandId"], wait_command(ssm, command["CommandId"], instance_ids)


def run_association_once(ssm: Any, association_id: str, timeout_s: float = 60) -> dict[str, Any]:
    before = len(ssm.describe_association_executions(AssociationId=association_id)["AssociationExecutions"])
    ssm.start_associations_once(AssociationIds=[association_id])
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = ssm.describe_association_executions(AssociationId=association_id)["AssociationExecutions"]
        if len(runs) > before and runs[0]["Status"] in {"Success", "Failed"}:
            return runs[0]
        time.sleep(0.2)
    raise TimeoutError(f"association {association_id} did not finish a new execution")
