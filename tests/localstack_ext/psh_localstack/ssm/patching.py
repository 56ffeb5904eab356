"""Pure patch-scan logic of the simulated fleet: states after an operation, PatchSummary, compliance items."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

PATCH_STATES = (
    "INSTALLED",
    "INSTALLED_OTHER",
    "INSTALLED_PENDING_REBOOT",
    "INSTALLED_REJECTED",
    "MISSING",
    "NOT_APPLICABLE",
    "FAILED",
    "AVAILABLE_SECURITY_UPDATE",
)
NON_COMPLIANT_STATES = {"MISSING", "FAILED", "INSTALLED_PENDING_REBOOT", "INSTALLED_REJECTED"}
COMPLIANCE_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
SECURITY_CLASSIFICATIONS = {"SecurityUpdates", "CriticalUpdates", "Security"}


def apply_operation(
    patches: list[dict[str, Any]], operation: str, reboot_option: str, now: datetime
) -> list[dict[str, Any]]:
    """Patches after a Scan (unchanged) or an Install (missing -> installed; pending reboot with NoReboot)."""
    result = copy.deepcopy(patches)
    if operation != "Install":
        return result
    for patch in result:
        if patch["State"] != "MISSING":
            continue
        if patch.get("FailOnInstall"):
            patch["State"] = "FAILED"
        else:
            patch["State"] = "INSTALLED_PENDING_REBOOT" if reboot_option == "NoReboot" else "INSTALLED"
            patch["InstalledTime"] = now
            patch["CVEIds"] = patch.get("CVEIds", [])
    return result


def is_security(patch: dict[str, Any]) -> bool:
    return patch.get("Classification") in SECURITY_CLASSIFICATIONS


def patch_summary(
    instance_id: str,
    patches: list[dict[str, Any]],
    *,
    baseline_id: str,
    patch_group: str,
    operation: str,
    reboot_option: str,
    started: datetime,
    ended: datetime,
    snapshot_id: str = "",
) -> dict[str, Any]:
    """The DescribeInstancePatchStates entry of a node."""
    counts = {state: 0 for state in PATCH_STATES}
    critical = security = other = 0
    for patch in patches:
        counts[patch["State"]] += 1
        if patch["State"] in NON_COMPLIANT_STATES:
            if patch.get("ComplianceLevel") == "CRITICAL":
                critical += 1
            elif is_security(patch):
                security += 1
            else:
                other += 1
    summary = {
        "InstanceId": instance_id,
        "PatchGroup": patch_group,
        "BaselineId": baseline_id,
        "InstalledCount": counts["INSTALLED"],
        "InstalledOtherCount": counts["INSTALLED_OTHER"],
        "InstalledPendingRebootCount": counts["INSTALLED_PENDING_REBOOT"],
        "InstalledRejectedCount": counts["INSTALLED_REJECTED"],
        "MissingCount": counts["MISSING"],
        "FailedCount": counts["FAILED"],
        "UnreportedNotApplicableCount": 0,
        "NotApplicableCount": counts["NOT_APPLICABLE"],
        "AvailableSecurityUpdateCount": counts["AVAILABLE_SECURITY_UPDATE"],
        "OperationStartTime": started,
        "OperationEndTime": ended,
        "Operation": operation,
        "RebootOption": reboot_option,
        "CriticalNonCompliantCount": critical,
        "SecurityNonCompliantCount": security,
        "OtherNonCompliantCount": other,
    }
    if snapshot_id:
        summary["SnapshotId"] = snapshot_id
    return summary


def instance_patch(patch: dict[str, Any]) -> dict[str, Any]:
    """The DescribeInstancePatches entry (CVEIds only for missing / failed patches, as SSM reports them)."""
    entry = {
        "Title": patch["Title"],
        "KBId": patch["KBId"],
        "Classification": patch.get("Classification", ""),
        "Severity": patch.get("Severity", ""),
        "State": patch["State"],
    }
    if patch.get("InstalledTime"):
        entry["InstalledTime"] = patch["InstalledTime"]
    if patch["State"] in {"MISSING", "FAILED"} and patch.get("CVEIds"):
        entry["CVEIds"] = ",".join(patch["CVEIds"])
    return entry


def compliance_items(
    patches: list[dict[str, Any]], *, baseline_id: str, patch_group: str, installed_time_fallback: datetime
) -> list[dict[str, Any]]:
    """Patch compliance items as Patch Manager writes them (NOT_APPLICABLE patches are not reported)."""
    items = []
    for patch in patches:
        if patch["State"] == "NOT_APPLICABLE":
            continue
        installed = patch.get("InstalledTime")
        items.append(
            {
                "Id": patch["KBId"],
                "Title": patch["Title"],
                "Severity": patch.get("ComplianceLevel", "UNSPECIFIED"),
                "Status": "NON_COMPLIANT" if patch["State"] in NON_COMPLIANT_STATES else "COMPLIANT",
                "Details": {
                    "Classification": patch.get("Classification", ""),
                    "PatchSeverity": patch.get("Severity", ""),
                    "PatchState": _title_case_state(patch["State"]),
                    "PatchBaselineId": baseline_id,
                    "PatchGroup": patch_group,
                    "InstalledTime": (installed or installed_time_fallback).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if patch["State"] != "MISSING"
                    else "",
                },
            }
        )
    return items


def _title_case_state(state: str) -> str:
    return "".join(word.capitalize() for word in state.split("_"))


def overall_status(items: list[dict[str, Any]]) -> tuple[str, str]:
    """(COMPLIANT|NON_COMPLIANT, highest severity among non-compliant items or UNSPECIFIED)."""
    failing = [item["Severity"] for item in items if item["Status"] == "NON_COMPLIANT"]
    if not failing:
        return "COMPLIANT", "UNSPECIFIED"
    return "NON_COMPLIANT", min(failing, key=COMPLIANCE_LEVELS.index)
