"""psh_localstack.ssm.patching without LocalStack: the patch state a scan or install computes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psh_localstack.ssm import patching

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def patch(kb: str, state: str, level: str = "HIGH", classification: str = "Security", **extra: Any) -> dict:
    return {
        "KBId": kb,
        "Title": f"update {kb}",
        "Classification": classification,
        "Severity": "Important",
        "CVEIds": ["CVE-2026-0001"],
        "State": state,
        "ComplianceLevel": level,
        **extra,
    }


FLEET_NODE = [
    patch("missing-critical", "MISSING", level="CRITICAL"),
    patch("missing-security", "MISSING"),
    patch("failed-other", "FAILED", classification="Bugfix"),
    patch("installed", "INSTALLED"),
    patch("not-applicable", "NOT_APPLICABLE"),
]


def test_a_scan_changes_nothing() -> None:
    assert patching.apply_operation(FLEET_NODE, "Scan", "RebootIfNeeded", NOW) == FLEET_NODE


def test_an_install_installs_missing_patches() -> None:
    after = {p["KBId"]: p for p in patching.apply_operation(FLEET_NODE, "Install", "RebootIfNeeded", NOW)}
    assert after["missing-critical"]["State"] == "INSTALLED"
    assert after["missing-critical"]["InstalledTime"] == NOW
    assert after["failed-other"]["State"] == "FAILED"  # only missing patches are installed


def test_an_install_without_reboot_leaves_patches_pending_and_failures_fail() -> None:
    patches = [patch("x", "MISSING"), patch("y", "MISSING", FailOnInstall=True)]
    after = {p["KBId"]: p["State"] for p in patching.apply_operation(patches, "Install", "NoReboot", NOW)}
    assert after == {"x": "INSTALLED_PENDING_REBOOT", "y": "FAILED"}


def test_patch_summary_counts_states_and_non_compliance_classes() -> None:
    summary = patching.patch_summary(
        "i-0123456789abcdef0",
        FLEET_NODE,
        baseline_id="pb-0123456789abcdef0",
        patch_group="web",
        operation="Scan",
        reboot_option="RebootIfNeeded",
        started=NOW,
        ended=NOW,
    )
    assert (summary["MissingCount"], summary["FailedCount"], summary["InstalledCount"]) == (2, 1, 1)
    assert summary["NotApplicableCount"] == 1
    assert (
        summary["CriticalNonCompliantCount"],
        summary["SecurityNonCompliantCount"],
        summary["OtherNonCompliantCount"],
    ) == (1, 1, 1)
    assert "SnapshotId" not in summary


def test_instance_patches_carry_cves_only_when_missing_or_failed() -> None:
    entries = {p["KBId"]: patching.instance_patch(p) for p in FLEET_NODE}
    assert entries["missing-security"]["CVEIds"] == "CVE-2026-0001"
    assert "CVEIds" not in entries["installed"]


def test_compliance_items_leave_out_not_applicable_patches() -> None:
    items = patching.compliance_items(
        FLEET_NODE, baseline_id="pb-1", patch_group="web", installed_time_fallback=NOW
    )
    by_id = {item["Id"]: item for item in items}
    assert set(by_id) == {"missing-critical", "missing-security", "failed-other", "installed"}
    assert by_id["missing-critical"]["Status"] == "NON_COMPLIANT"
    assert by_id["missing-critical"]["Severity"] == "CRITICAL"
    assert by_id["missing-critical"]["Details"]["PatchState"] == "Missing"
    assert by_id["missing-critical"]["Details"]["InstalledTime"] == ""
    assert by_id["installed"]["Status"] == "COMPLIANT"
    assert by_id["installed"]["Details"]["InstalledTime"] == "2026-01-01T00:00:00Z"


def test_overall_status_is_the_highest_severity_of_what_fails() -> None:
    items = patching.compliance_items(
        FLEET_NODE, baseline_id="pb-1", patch_group="web", installed_time_fallback=NOW
    )
    assert patching.overall_status(items) == ("NON_COMPLIANT", "CRITICAL")
    assert patching.overall_status([{"Status": "COMPLIANT", "Severity": "HIGH"}]) == (
        "COMPLIANT",
        "UNSPECIFIED",
    )
