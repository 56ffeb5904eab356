"""SSM response parsing (pure) and batched, paginated reads (Stubber)."""

from __future__ import annotations

import json

import pytest
from patch_securityhub.retry import Backoff
from patch_securityhub.ssm_read import (
    InvalidSsmDataError,
    SsmReader,
    merge_items,
    parse_compliance_items,
    parse_instance_information,
    parse_instance_patches,
    parse_patch_states,
)
from unit_helpers import DATA, info_row, no_sleep, node_ids, patch_state_row, ts


def test_docs_describe_instance_patch_states_example_parses() -> None:
    [state] = parse_patch_states(
        json.loads((DATA / "ssm" / "docs_describe_instance_patch_states.json").read_text())
    )
    assert state.node_id == "i-1234567890abcdef0"
    assert (state.installed, state.installed_other, state.missing, state.failed) == (123, 334, 1, 2)
    assert state.operation_end == ts("2021-05-03T18:01:09Z")
    assert state.critical_non_compliant == 2
    assert state.counts_non_compliant


def test_docs_describe_instance_patches_keeps_only_non_compliant_states() -> None:
    everything = json.loads((DATA / "ssm" / "docs_describe_instance_patches_all.json").read_text())
    assert parse_instance_patches(everything) == []  # Installed and InstalledOther are not findings
    missing = json.loads((DATA / "ssm" / "docs_describe_instance_patches_missing.json").read_text())
    [item] = parse_instance_patches(missing)
    assert (item.patch_id, item.state, item.severity) == ("KB890830", "Missing", "INFORMATIONAL")


def test_not_applicable_patches_are_not_findings() -> None:
    document = {
        "Patches": [
            {"Title": "a", "KBId": "KB1", "Classification": "", "Severity": "Critical",
             "State": "NotApplicable", "InstalledTime": "1970-01-01T00:00:00Z"},
            {"Title": "b", "KBId": "KB2", "Classification": "", "Severity": "Critical", "State": "Failed",
             "InstalledTime": "1970-01-01T00:00:00Z", "CVEIds": "CVE-2026-0002, cve-2026-0001,not-a-cve"},
        ]
    }  # fmt: skip
    [item] = parse_instance_patches(document)
    assert item.patch_id == "KB2"
    assert item.cve_ids == ("CVE-2026-0001", "CVE-2026-0002")


def test_compliance_items_carry_the_baseline_severity_and_merge_with_patches() -> None:
    compliance = parse_compliance_items(
        {
            "ComplianceItems": [
                {"ComplianceType": "Patch", "Id": "KB1", "Title": "one", "Status": "NON_COMPLIANT",
                 "Severity": "UNSPECIFIED", "Details": {"PatchState": "Missing"}},
                {"ComplianceType": "Patch", "Id": "KB2", "Status": "COMPLIANT", "Severity": "CRITICAL"},
                {"ComplianceType": "Association", "Id": "x", "Status": "NON_COMPLIANT", "Severity": "HIGH"},
                {"ComplianceType": "Patch", "Id": "KB3", "Status": "NON_COMPLIANT", "Severity": "HIGH"},
            ]
        }
    )  # fmt: skip
    assert [(i.patch_id, i.severity) for i in compliance] == [("KB1", "INFORMATIONAL"), ("KB3", "HIGH")]
    patches = parse_instance_patches(
        {"Patches": [{"Title": "one", "KBId": "KB1", "Classification": "Security", "Severity": "Critical",
                      "State": "Missing", "InstalledTime": "1970-01-01T00:00:00Z",
                      "CVEIds": "CVE-2026-1000"}]}
    )  # fmt: skip
    merged = {i.patch_id: i for i in merge_items(compliance, patches)}
    assert (
        merged["KB1"].severity == "INFORMATIONAL"
    )  # the baseline's compliance level wins over vendor severity
    assert merged["KB1"].cve_ids == ("CVE-2026-1000",)
    assert merged["KB3"].severity == "HIGH"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"InstanceId": "i-xyz"}, "not a managed node id"),
        ({"BaselineId": "pb bad id"}, "not a patch baseline id"),
        ({"Operation": "Reboot"}, "not Scan or Install"),
        ({"OperationEndTime": "soon"}, "invalid"),
        ({"OperationEndTime": "0999-01-01T00:00:00Z"}, "before 1970"),
        ({"MissingCount": -1}, "non-negative integer"),
        ({"MissingCount": "3"}, "non-negative integer"),
        ({"RebootOption": "Always"}, "RebootIfNeeded"),
    ],
)
def test_invalid_patch_states_are_rejected_with_a_reason(row: dict, message: str) -> None:
    document = {"InstancePatchStates": [patch_state_row("i-0123456789abcdef0", **row)]}
    with pytest.raises(InvalidSsmDataError, match=message):
        parse_patch_states(document)


def test_documents_of_the_wrong_kind_are_rejected() -> None:
    for parser in (
        parse_patch_states,
        parse_compliance_items,
        parse_instance_patches,
        parse_instance_information,
    ):
        with pytest.raises(InvalidSsmDataError, match="not a"):
            parser({"Something": []})


def test_counts_are_clamped_to_the_asff_range() -> None:
    [state] = parse_patch_states(
        {"InstancePatchStates": [patch_state_row("i-0123456789abcdef0", MissingCount=10**7)]}
    )
    assert state.missing == 100_000


def test_patch_states_are_read_50_ids_per_call_with_paging(stubbed) -> None:
    nodes = node_ids(120)
    stub = stubbed["ssm_stub"]
    ordered = sorted(nodes)
    chunks = [ordered[0:50], ordered[50:100], ordered[100:120]]
    # First chunk answers in two pages.
    stub.add_response(
        "describe_instance_patch_states",
        {"InstancePatchStates": [patch_state_row(n) for n in chunks[0][:30]], "NextToken": "page-2"},
        {"InstanceIds": chunks[0], "MaxResults": 50},
    )
    stub.add_response(
        "describe_instance_patch_states",
        {"InstancePatchStates": [patch_state_row(n) for n in chunks[0][30:]]},
        {"InstanceIds": chunks[0], "MaxResults": 50, "NextToken": "page-2"},
    )
    for chunk in chunks[1:]:
        stub.add_response(
            "describe_instance_patch_states",
            {"InstancePatchStates": [patch_state_row(n) for n in chunk]},
            {"InstanceIds": chunk, "MaxResults": 50},
        )
    states, unreadable = SsmReader(stubbed["ssm"], Backoff(sleep=no_sleep)).patch_states(nodes)
    assert sorted(states) == ordered
    assert unreadable == {}
    stub.assert_no_pending_responses()


def test_instance_information_marks_on_premises_nodes(stubbed) -> None:
    ec2, onprem = "i-0123456789abcdef0", "mi-0123456789abcdef0"
    stubbed["ssm_stub"].add_response(
        "describe_instance_information",
        {"InstanceInformationList": [info_row(ec2), info_row(onprem, PlatformType="Windows")]},
        {"Filters": [{"Key": "InstanceIds", "Values": [ec2, onprem]}], "MaxResults": 50},
    )
    infos = SsmReader(stubbed["ssm"], Backoff(sleep=no_sleep)).node_information([onprem, ec2])
    assert not infos[ec2].on_premises
    assert infos[onprem].on_premises
    assert infos[onprem].platform_type == "Windows"


def test_reads_back_off_on_throttling(stubbed) -> None:
    node = "i-0123456789abcdef0"
    stub = stubbed["ssm_stub"]
    stub.add_client_error("describe_instance_information", "ThrottlingException", http_status_code=400)
    stub.add_response("describe_instance_information", {"InstanceInformationList": [info_row(node)]})
    sleeps: list[float] = []
    infos = SsmReader(stubbed["ssm"], Backoff(sleep=sleeps.append)).node_information([node])
    assert list(infos) == [node]
    assert len(sleeps) == 1


def test_backoff_gives_up_when_the_lambda_is_out_of_time(stubbed) -> None:
    from botocore.exceptions import ClientError

    stubbed["ssm_stub"].add_client_error(
        "describe_instance_information", "ThrottlingException", http_status_code=400
    )
    left = iter([5.0, 0.9])  # created with 5 s left (reserve 1.25 s); 0.9 s left when the call fails
    backoff = Backoff(sleep=no_sleep, remaining_seconds=lambda: next(left))
    with pytest.raises(ClientError):
        SsmReader(stubbed["ssm"], backoff).node_information(["i-0123456789abcdef0"])
    assert backoff.retries_done == 0


def test_a_short_timeout_still_leaves_room_to_retry(stubbed) -> None:
    """The reserve is a share of the invocation's time: a 5 s function retries (a fixed 10 s reserve never
    would), and keeps 1.25 s to report its results."""
    node = "i-0123456789abcdef0"
    stub = stubbed["ssm_stub"]
    stub.add_client_error("describe_instance_information", "ThrottlingException", http_status_code=400)
    stub.add_response("describe_instance_information", {"InstanceInformationList": [info_row(node)]})
    backoff = Backoff(sleep=no_sleep, remaining_seconds=lambda: 5.0)
    assert backoff.reserve_seconds == 1.25
    assert list(SsmReader(stubbed["ssm"], backoff).node_information([node])) == [node]
    assert backoff.retries_done == 1
    assert Backoff(remaining_seconds=lambda: 900.0).reserve_seconds == 10.0


def test_patch_states_are_accepted_in_both_spellings() -> None:
    rows = [
        {"Title": "a", "KBId": "KB1", "Classification": "", "Severity": "Low", "State": state,
         "InstalledTime": "1970-01-01T00:00:00Z"}
        for state in ("MISSING", "INSTALLED_PENDING_REBOOT", "InstalledRejected", "NOT_APPLICABLE",
                      "INSTALLED")
    ]  # fmt: skip
    states = [item.state for item in parse_instance_patches({"Patches": rows})]
    assert states == ["Missing", "InstalledPendingReboot", "InstalledRejected"]
