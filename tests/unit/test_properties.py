"""Property tests over the finding builder: any SSM data -> a valid finding, nothing, or a clear rejection."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from patch_securityhub.cli import render
from patch_securityhub.finding import finding_size
from patch_securityhub.ssm_read import InvalidSsmDataError
from unit_helpers import ACCOUNT, REGION, assert_valid_finding

hex_id = st.text(alphabet="0123456789abcdef", min_size=17, max_size=17)
node_id = st.one_of(hex_id.map(lambda h: "i-" + h), hex_id.map(lambda h: "mi-" + h), st.text(max_size=20))
count = st.one_of(st.integers(min_value=0, max_value=200_000), st.integers(), st.none(), st.text(max_size=3))
timestamp = st.one_of(
    st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(lambda d: d.isoformat()),
    st.text(max_size=30),
)
severity = st.sampled_from(
    ["Critical", "Important", "Moderate", "Low", "Unspecified", "", "CRITICAL", "weird"]
)
state_name = st.sampled_from(["Missing", "Failed", "InstalledPendingReboot", "InstalledRejected", "Installed",
                              "NotApplicable", "InstalledOther"])  # fmt: skip
printable_or_not = st.text(max_size=300)

patch_row = st.fixed_dictionaries(
    {
        "Title": printable_or_not,
        "KBId": st.text(max_size=300),
        "Classification": st.text(max_size=30),
        "Severity": severity,
        "State": state_name,
        "InstalledTime": st.just("1970-01-01T00:00:00Z"),
    },
    optional={
        "CVEIds": st.lists(st.from_regex(r"CVE-20[0-9]{2}-[0-9]{4,7}", fullmatch=True), max_size=30).map(
            ",".join
        )
    },
)

state_row = st.fixed_dictionaries(
    {
        "InstanceId": node_id,
        "BaselineId": st.one_of(st.just("pb-0123456789abcdef0"), st.text(max_size=140)),
        "InstalledCount": count,
        "MissingCount": count,
        "FailedCount": count,
        "InstalledOtherCount": count,
        "InstalledRejectedCount": count,
        "InstalledPendingRebootCount": count,
        "OperationStartTime": timestamp,
        "OperationEndTime": timestamp,
        "Operation": st.sampled_from(["Scan", "Install", "SCAN", "Reboot"]),
    },
    optional={
        "RebootOption": st.sampled_from(["RebootIfNeeded", "NoReboot", "Sometimes"]),
        "PatchGroup": printable_or_not,
        "CriticalNonCompliantCount": count,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    row=state_row,
    patches=st.lists(patch_row, max_size=25),
    onprem_type=st.sampled_from(["AwsEc2Instance", "Other"]),
)
def test_builder_gives_a_valid_finding_or_a_clear_rejection(
    row: dict[str, Any], patches: list[dict[str, Any]], onprem_type: str
) -> None:
    try:
        findings = render(
            {"InstancePatchStates": [row]},
            account=ACCOUNT,
            region=REGION,
            compliance_items={"Patches": patches},
            onprem_resource_type=onprem_type,
        )
    except InvalidSsmDataError as rejection:
        assert str(rejection)
        return
    for finding in findings:
        assert_valid_finding(finding)
        assert finding_size(finding) <= 240 * 1024


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    size=st.integers(min_value=1000, max_value=6000),
)
def test_large_patch_lists_always_fit(seed: int, size: int) -> None:
    """Thousands of missing patches with CVEs (generated from a seed: cheap to shrink and replay)."""
    rng = random.Random(seed)
    severities = ["Critical", "Important", "Moderate", "Low", "Unspecified"]
    many = [
        {
            "Title": f"Security update {n} " + "t" * rng.randrange(0, 200),
            "KBId": f"pkg-{n}-" + "k" * rng.randrange(0, 250),
            "Classification": "Security",
            "Severity": rng.choice(severities),
            "State": rng.choice(["Missing", "Failed"]),
            "InstalledTime": "1970-01-01T00:00:00Z",
            "CVEIds": ",".join(f"CVE-{rng.randrange(1999, 2027)}-{rng.randrange(1000, 9999999)}"
                               for _ in range(rng.randrange(0, 12))),
        }
        for n in range(size)
    ]  # fmt: skip
    row = {
        "InstanceId": "i-0123456789abcdef0",
        "BaselineId": "pb-0123456789abcdef0",
        "MissingCount": size,
        "OperationStartTime": "2026-11-23T10:00:00Z",
        "OperationEndTime": "2026-11-23T10:01:00Z",
        "Operation": "Scan",
    }
    [finding] = render(
        {"InstancePatchStates": [row]}, account=ACCOUNT, region=REGION, compliance_items={"Patches": many}
    )
    assert_valid_finding(finding)
    fields = finding["ProductFields"]
    listed = int(fields["patch-securityhub/NonCompliantPatchesListed"])
    assert int(fields["patch-securityhub/NonCompliantPatchCount"]) == size
    assert listed < size
    assert fields["patch-securityhub/Truncated"] == "true"
    assert f"Listed {listed} of {size} non-compliant patches" in fields["patch-securityhub/TruncationNote"]
