"""The pure ASFF builder and the per-node decision."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from patch_securityhub import cli
from patch_securityhub.finding import (
    FindingContext,
    build_finding,
    decide,
    finding_id,
    finding_size,
    most_severe,
)
from patch_securityhub.model import NodeInfo, NodeSnapshot, PatchItem, PriorFinding
from patch_securityhub.outcome import IMPORTED, RESOLVED, SKIPPED
from patch_securityhub.ssm_read import parse_patch_state
from unit_helpers import ACCOUNT, DATA, REGION, assert_valid_finding, ts

CTX = FindingContext(account=ACCOUNT, region=REGION)
NOW = ts("2026-11-23T12:00:00Z")


def snapshot(
    node_id: str = "i-0123456789abcdef0", items: list[PatchItem] | None = None, **state
) -> NodeSnapshot:
    row = {
        "InstanceId": node_id,
        "BaselineId": "pb-0123456789abcdef0",
        "InstalledCount": 10,
        "MissingCount": 2,
        "FailedCount": 0,
        "OperationStartTime": "2026-11-23T10:00:00Z",
        "OperationEndTime": "2026-11-23T10:01:00Z",
        "Operation": "Scan",
        "RebootOption": "NoReboot",
    }
    row.update(state)
    kind = "ManagedInstance" if node_id.startswith("mi-") else "EC2Instance"
    return NodeSnapshot(
        node_id=node_id,
        state=parse_patch_state(row),
        info=NodeInfo(node_id, kind, "Linux", "Ubuntu"),
        items=items or [],
    )


def test_native_patch_manager_example_is_reproduced() -> None:
    """The AWS docs' 'typical finding from Patch Manager' (Systems Manager user guide), field by field."""
    document = json.loads((DATA / "ssm" / "native_example_patch_state.json").read_text())
    [finding] = cli.render(document, account="111122223333", region="us-east-2")
    assert_valid_finding(finding)
    assert finding["SchemaVersion"] == "2018-10-08"
    assert finding["AwsAccountId"] == "111122223333"
    assert finding["Types"] == ["Software & Configuration Checks/Patch Management/Compliance"]
    assert finding["CreatedAt"] == "2021-11-11T22:05:25Z"
    assert finding["UpdatedAt"] == "2021-11-11T22:05:25Z"
    assert finding["Severity"] == {"Label": "INFORMATIONAL", "Normalized": 0}
    assert finding["Title"] == "Systems Manager Patch Summary - Managed Instance Non-Compliant"
    assert finding["Description"] == (
        "This AWS control checks whether each instance that is managed by AWS Systems Manager is in "
        "compliance with the rules of the patch baseline that applies to that instance when a compliance "
        "Scan runs."
    )
    assert finding["Remediation"] == {
        "Recommendation": {
            "Text": "For information about bringing instances into patch compliance, see "
            "'Remediating out-of-compliance instances (Patch Manager)'.",
            "Url": "https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-compliance-remediation.html",
        }
    }
    assert finding["SourceUrl"] == (
        "https://us-east-2.console.aws.amazon.com/systems-manager/fleet-manager/i-02573cafcfEXAMPLE/patch"
        "?region=us-east-2"
    )
    assert finding["Resources"] == [
        {"Type": "AwsEc2Instance", "Id": "i-02573cafcfEXAMPLE", "Partition": "aws", "Region": "us-east-2"}
    ]
    assert finding["RecordState"] == "ACTIVE"
    assert finding["PatchSummary"] == {
        "Id": "pb-0c10e65780EXAMPLE",
        "InstalledCount": 45,
        "MissingCount": 2,
        "FailedCount": 0,
        "InstalledOtherCount": 396,
        "InstalledRejectedCount": 0,
        "InstalledPendingReboot": 0,
        "OperationStartTime": "2021-11-11T22:05:06Z",
        "OperationEndTime": "2021-11-11T22:05:25Z",
        "RebootOption": "NoReboot",
        "Operation": "SCAN",
    }
    # Where the product deliberately differs from the native finding: its own product, a stable id.
    assert finding["ProductArn"] == "arn:aws:securityhub:us-east-2:111122223333:product/111122223333/default"
    assert finding["Id"] == "arn:aws:securityhub:us-east-2:111122223333:patch-securityhub/i-02573cafcfEXAMPLE"
    assert finding["Compliance"] == {"Status": "FAILED"}
    assert finding["FindingProviderFields"]["Severity"]["Label"] == "INFORMATIONAL"


def test_critical_and_low_patches_make_a_critical_finding() -> None:
    items = [
        PatchItem("openssl", "openssl", "Missing", "CRITICAL", cve_ids=("CVE-2026-0001",)),
        PatchItem("tzdata", "tzdata", "Missing", "LOW"),
    ]
    finding = build_finding(snapshot(items=items), CTX, prior=None, now=NOW)
    assert_valid_finding(finding)
    assert finding["Severity"] == {"Label": "CRITICAL", "Normalized": 90}
    assert finding["FindingProviderFields"]["Severity"] == {"Label": "CRITICAL", "Original": "CRITICAL"}
    assert finding["FindingProviderFields"]["Types"] == finding["Types"]
    fields = finding["ProductFields"]
    assert (
        fields["patch-securityhub/NonCompliantPatches/01"]
        == "openssl [Missing, CRITICAL]; tzdata [Missing, LOW]"
    )
    assert fields["patch-securityhub/CveIds/01"] == "CVE-2026-0001"
    assert fields["patch-securityhub/Truncated"] == "false"


@pytest.mark.parametrize(
    ("labels", "expected", "normalized"),
    [
        (["INFORMATIONAL"], "INFORMATIONAL", 0),
        (["LOW", "INFORMATIONAL"], "LOW", 1),
        (["MEDIUM", "LOW"], "MEDIUM", 40),
        (["HIGH", "MEDIUM"], "HIGH", 70),
        (["LOW", "CRITICAL", "HIGH"], "CRITICAL", 90),
    ],
)
def test_severity_is_the_most_severe_patch(labels: list[str], expected: str, normalized: int) -> None:
    items = [PatchItem(f"p{i}", "", "Missing", label) for i, label in enumerate(labels)]
    finding = build_finding(snapshot(items=items), CTX, prior=None, now=NOW)
    assert finding["Severity"] == {"Label": expected, "Normalized": normalized}
    assert_valid_finding(finding)


def test_unspecified_compliance_level_counts_as_informational() -> None:
    from patch_securityhub.ssm_read import compliance_level_label, vendor_severity_label

    assert compliance_level_label("UNSPECIFIED") == "INFORMATIONAL"
    assert vendor_severity_label("Important") == "HIGH"
    assert vendor_severity_label("Moderate") == "MEDIUM"
    assert vendor_severity_label("") == "INFORMATIONAL"
    assert most_severe([], critical_count=None) == "INFORMATIONAL"
    assert most_severe([], critical_count=3) == "CRITICAL"


def test_on_premises_node_is_reported_as_ec2_instance_by_default() -> None:
    finding = build_finding(snapshot("mi-0123456789abcdef0"), CTX, prior=None, now=NOW)
    assert_valid_finding(finding)
    assert finding["Resources"][0]["Type"] == "AwsEc2Instance"
    assert finding["Resources"][0]["Id"] == "mi-0123456789abcdef0"
    assert finding["ProductFields"]["patch-securityhub/ResourceKind"] == "ManagedInstance"


def test_on_premises_node_as_other_when_configured() -> None:
    ctx = FindingContext(account=ACCOUNT, region=REGION, onprem_resource_type="Other")
    finding = build_finding(snapshot("mi-0123456789abcdef0"), ctx, prior=None, now=NOW)
    assert_valid_finding(finding)
    resource = finding["Resources"][0]
    assert resource["Type"] == "Other"
    assert resource["Details"]["Other"]["OnPremises"] == "true"
    ec2 = build_finding(snapshot("i-0123456789abcdef0"), ctx, prior=None, now=NOW)
    assert ec2["Resources"][0]["Type"] == "AwsEc2Instance"


def test_finding_id_is_stable_per_account_region_node() -> None:
    first = build_finding(snapshot(), CTX, prior=None, now=NOW)
    second = build_finding(snapshot(MissingCount=7), CTX, prior=None, now=NOW + timedelta(days=1))
    assert first["Id"] == second["Id"] == finding_id(ACCOUNT, REGION, "i-0123456789abcdef0")
    other_region = FindingContext(account=ACCOUNT, region="eu-west-1")
    assert build_finding(snapshot(), other_region, prior=None, now=NOW)["Id"] != first["Id"]


def prior(
    created: str, updated: str, *, record: str = "ACTIVE", status: str = "FAILED", end: str | None = None
):
    return PriorFinding(
        finding_id=finding_id(ACCOUNT, REGION, "i-0123456789abcdef0"),
        created_at=ts(created),
        updated_at=ts(updated),
        record_state=record,
        compliance_status=status,
        operation_end=ts(end) if end else None,
    )


def test_created_at_is_kept_and_updated_at_strictly_increases() -> None:
    earlier = prior("2026-01-01T00:00:00Z", "2026-11-23T11:00:00Z")
    finding = build_finding(snapshot(), CTX, prior=earlier, now=NOW)
    assert finding["CreatedAt"] == "2026-01-01T00:00:00Z"
    assert finding["UpdatedAt"] == "2026-11-23T12:00:00Z"
    # The stored finding is newer than our clock (skew): UpdatedAt still moves forward.
    ahead = prior("2026-01-01T00:00:00Z", "2026-11-23T12:30:00.250Z")
    finding = build_finding(snapshot(), CTX, prior=ahead, now=NOW)
    assert finding["UpdatedAt"] == "2026-11-23T12:30:00.251Z"
    assert_valid_finding(finding)


def test_compliant_node_without_prior_finding_produces_nothing() -> None:
    compliant = snapshot(MissingCount=0)
    assert not compliant.non_compliant
    assert decide(compliant, None, ts("2026-11-23T10:01:05Z")).status is SKIPPED
    assert cli.render({"InstancePatchStates": [_raw(MissingCount=0)]}, account=ACCOUNT, region=REGION) == []


def _raw(**overrides):
    row = {
        "InstanceId": "i-0123456789abcdef0",
        "BaselineId": "pb-0123456789abcdef0",
        "OperationStartTime": "2026-11-23T10:00:00Z",
        "OperationEndTime": "2026-11-23T10:01:00Z",
        "Operation": "Scan",
    }
    row.update(overrides)
    return row


def test_compliant_node_with_active_finding_is_resolved_and_archived() -> None:
    compliant = snapshot(MissingCount=0, OperationEndTime="2026-11-23T11:01:00Z")
    active = prior("2026-11-01T00:00:00Z", "2026-11-23T10:02:00Z", end="2026-11-23T10:01:00Z")
    decision = decide(compliant, active, ts("2026-11-23T11:01:05Z"))
    assert (decision.status, decision.reason) == (RESOLVED, "compliant")
    finding = build_finding(compliant, CTX, prior=active, now=NOW)
    assert_valid_finding(finding)
    assert finding["RecordState"] == "ARCHIVED"
    assert finding["Compliance"] == {"Status": "PASSED"}
    assert finding["Severity"]["Label"] == "INFORMATIONAL"
    assert finding["CreatedAt"] == "2026-11-01T00:00:00Z"
    assert not any(
        key.startswith("patch-securityhub/NonCompliantPatches") for key in finding["ProductFields"]
    )
    archived = prior("2026-11-01T00:00:00Z", "2026-11-23T12:00:00Z", record="ARCHIVED", status="PASSED",
                     end="2026-11-23T11:01:00Z")  # fmt: skip
    assert decide(compliant, archived, None).reason == "already_resolved"


def test_stale_event_does_not_overwrite_newer_data() -> None:
    current = snapshot(OperationEndTime="2026-11-23T11:01:00Z")
    published = prior("2026-11-01T00:00:00Z", "2026-11-23T11:02:00Z", end="2026-11-23T11:01:00Z")
    # An event about the 10:01 scan arrives after the 11:01 scan was already published.
    decision = decide(current, published, ts("2026-11-23T10:01:05Z"))
    assert (decision.status, decision.reason) == (SKIPPED, "stale_event")
    # SSM's read lags behind what Security Hub already holds: never regress.
    lagging = snapshot(OperationEndTime="2026-11-23T09:00:00Z")
    assert decide(lagging, published, None).reason == "stale_state"
    # A reconciliation (no event) of the same scan refreshes the finding (keeps it from expiring).
    assert decide(current, published, None).status is IMPORTED
    # A newer scan is imported even if the event is old.
    newer = snapshot(OperationEndTime="2026-11-23T12:01:00Z")
    assert decide(newer, published, ts("2026-11-23T10:01:05Z")).status is IMPORTED


def test_oversized_patch_list_stays_under_limit_and_says_what_it_truncated() -> None:
    items = [
        PatchItem(
            f"kernel-livepatch-5.10.{n}-{'x' * 40}",
            f"Security update {n} " + "y" * 200,
            "Missing" if n % 3 else "Failed",
            ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")[n % 5],
            "Security",
            tuple(f"CVE-2026-{n * 10 + k:05d}" for k in range(6)),
        )
        for n in range(5000)
    ]
    finding = build_finding(snapshot(items=items, MissingCount=5000), CTX, prior=None, now=NOW)
    assert_valid_finding(finding)
    assert finding_size(finding) < 240 * 1024
    fields = finding["ProductFields"]
    assert fields["patch-securityhub/Truncated"] == "true"
    assert fields["patch-securityhub/NonCompliantPatchCount"] == "5000"
    assert fields["patch-securityhub/CveCount"] == "30000"
    listed = int(fields["patch-securityhub/NonCompliantPatchesListed"])
    cves_listed = int(fields["patch-securityhub/CvesListed"])
    assert 0 < listed < 5000
    assert 0 < cves_listed < 30000
    assert f"Listed {listed} of 5000 non-compliant patches" in fields["patch-securityhub/TruncationNote"]
    assert f"{cves_listed} of 30000 CVE ids" in fields["patch-securityhub/TruncationNote"]
    # What is listed is exactly what the counts say, and the most severe patches come first.
    chunks = [v for k, v in sorted(fields.items()) if k.startswith("patch-securityhub/NonCompliantPatches/")]
    entries = "; ".join(chunks).split("; ")
    assert len(entries) == listed
    assert all("CRITICAL" in e for e in entries[: min(listed, 1000)])
    cve_chunks = [v for k, v in sorted(fields.items()) if k.startswith("patch-securityhub/CveIds/")]
    assert len(",".join(cve_chunks).split(",")) == cves_listed
    assert len(fields) <= 50
    assert all(len(v) <= 2048 for v in fields.values())
