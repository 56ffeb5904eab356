"""Pure patch-scan logic of the emulated fleet: states after an operation, patch state, compliance items.

Sources: the Systems Manager API Reference (InstancePatchState, PatchComplianceData, ComplianceItem) and the
Patch Manager user guide ("Patch compliance state values"). Imports nothing from LocalStack.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

# PatchComplianceData.State (botocore model's enum).
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
# Patches that make a node NON_COMPLIANT: missing, failed, rejected but installed, and installed awaiting a
# reboot (InstancePatchState.CriticalNonCompliantCount: "These patches might be missing, have failed
# installation, were rejected, or were installed but awaiting a required managed node reboot").
NON_COMPLIANT_STATES = {"MISSING", "FAILED", "INSTALLED_PENDING_REBOOT", "INSTALLED_REJECTED"}
# ComplianceSeverity, most severe first (botocore model's enum).
COMPLIANCE_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
# Classifications that count as security patches: Windows' SecurityUpdates and CriticalUpdates, Linux's
# Security (Patch Manager user guide, patch baseline rules: CLASSIFICATION values per operating system).
SECURITY_CLASSIFICATIONS = {"SecurityUpdates", "CriticalUpdates", "Security"}


def apply_operation(
    patches: list[dict[str, Any]], operation: str, reboot_option: str, now: datetime
) -> list[dict[str, Any]]:
    """Patches after a Scan (unchanged) or an Install (missing -> installed). InstancePatchState.RebootOption:
    "Reboots aren't attempted for Patch Manager Scan operations"; "NoReboot: ... Patches installed with this
    option are assigned a status of InstalledPendingReboot." (API Reference)."""
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
    """The DescribeInstancePatchStates entry of a node (API Reference, InstancePatchState): counts per state,
    and the non-compliant patches split into critical (the baseline's compliance level CRITICAL), security
    (a security classification) and other."""
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
    """The DescribeInstancePatches entry, State in the service's spelling (api_state) (API Reference,
    PatchComplianceData.CVEIds: "Currently, CVE ID values are reported only for patches with a status of
    Missing or Failed.")."""
    entry = {
        "Title": patch["Title"],
        "KBId": patch["KBId"],
        "Classification": patch.get("Classification", ""),
        "Severity": patch.get("Severity", ""),
        "State": api_state(patch["State"]),
    }
    if patch.get("InstalledTime"):
        entry["InstalledTime"] = patch["InstalledTime"]
    if patch["State"] in {"MISSING", "FAILED"} and patch.get("CVEIds"):
        entry["CVEIds"] = ",".join(patch["CVEIds"])
    return entry


def compliance_items(
    patches: list[dict[str, Any]], *, baseline_id: str, patch_group: str, installed_time_fallback: datetime
) -> list[dict[str, Any]]:
    """Patch compliance items as Patch Manager writes them: one per patch, at the baseline's compliance level,
    NOT_APPLICABLE patches left out, Details with the patch's classification, severity and state (the
    compliance data of a Patch Manager scan, user guide, "Patch compliance state values")."""
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
                    "PatchState": api_state(patch["State"]),
                    "PatchBaselineId": baseline_id,
                    "PatchGroup": patch_group,
                    "InstalledTime": (installed or installed_time_fallback).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if patch["State"] != "MISSING"
                    else "",
                },
            }
        )
    return items


def api_state(state: str) -> str:
    """A patch state as the service answers it: INSTALLED_OTHER -> InstalledOther. The API reference's
    DescribeInstancePatches filter samples are "Installed | InstalledOther | InstalledPendingReboot", the AWS
    CLI examples (describe-instance-patches) return "State": "Installed" and filter "Values=Missing", and the
    user guide's "Patch compliance state values" names the rest (InstalledRejected, NotApplicable, Failed,
    AvailableSecurityUpdate); botocore's enum spells them UPPER_SNAKE."""
    return "".join(word.capitalize() for word in state.split("_"))


def overall_status(items: list[dict[str, Any]]) -> tuple[str, str]:
    """(COMPLIANT | NON_COMPLIANT, the highest severity among non-compliant items or UNSPECIFIED): a resource
    is non-compliant when any item is (ResourceComplianceSummaryItem, Status and OverallSeverity)."""
    failing = [item["Severity"] for item in items if item["Status"] == "NON_COMPLIANT"]
    if not failing:
        return "COMPLIANT", "UNSPECIFIED"
    return "NON_COMPLIANT", min(failing, key=COMPLIANCE_LEVELS.index)
