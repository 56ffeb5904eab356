"""Hostile corpus: every input from outside (events, SSM, Security Hub) that once crashed, looped or froze a
node. Each case ends in exactly one outcome: done, quarantined with a stable reason code, or handed back for a
transient reason a bounded number of retries can clear. Errors are botocore error shapes of the SSM and
Security Hub models (Stubber add_client_error with the codes AWS documents)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from patch_securityhub import pipeline
from patch_securityhub.events import REJECTION_REASONS, EventRejectedError, parse_event
from patch_securityhub.finding import (
    GENERATOR_ID,
    PRODUCT_FIELD_VALUE_MAX,
    PROVIDER_NAME,
    TRUNCATED_MARKER,
    FindingContext,
    build_finding,
    finding_id,
    product_arn,
)
from patch_securityhub.finding_check import finding_errors
from patch_securityhub.model import NodeSnapshot, PatchItem, is_node_id
from patch_securityhub.paging import MAX_PAGES, PagingError, pages
from patch_securityhub.pipeline import (
    PERMANENT,
    PERMANENT_REASONS,
    SKIPPED,
    TRANSIENT,
    TRANSIENT_REASONS,
    NodeRequest,
)
from patch_securityhub.retry import Backoff
from patch_securityhub.securityhub_io import SecurityHubFindings, parse_prior
from patch_securityhub.ssm_read import InvalidSsmDataError, SsmReader, parse_patch_state
from patch_securityhub.timeutil import MAX_CLOCK_SKEW, as_datetime, parse_rfc3339
from unit_helpers import (
    ACCOUNT,
    REGION,
    Flow,
    assert_valid_finding,
    compliance_event,
    info_row,
    instance_patch,
    no_sleep,
    patch_state_row,
    process_stubbed,
    ts,
)

NOW = ts("2026-11-23T12:00:00Z")
NODES = ["i-00000000000000001", "i-00000000000000002", "i-00000000000000003"]


def run(stubbed: dict[str, Any], nodes: list[str], **kwargs: Any) -> pipeline.ProcessReport:
    """process() over `nodes`; every permanent or transient outcome must carry a code of the closed sets."""
    report = process_stubbed(stubbed, [NodeRequest(n) for n in nodes], now=NOW, **kwargs)
    for outcome in report.outcomes.values():
        if outcome.status == PERMANENT:
            assert outcome.code in PERMANENT_REASONS, outcome
        if outcome.status == TRANSIENT:
            assert outcome.code in TRANSIENT_REASONS, outcome
    return report


def info_call(nodes: list[str]) -> dict[str, Any]:
    return {"Filters": [{"Key": "InstanceIds", "Values": nodes}], "MaxResults": 50}


def own_prior(node: str, **overrides: Any) -> dict[str, Any]:
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id(ACCOUNT, REGION, node),
        "ProductArn": product_arn(ACCOUNT, REGION),
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": ACCOUNT,
        "CreatedAt": "2026-11-01T00:00:00Z",
        "UpdatedAt": "2026-11-23T10:02:00Z",
        "Title": "t",
        "Description": "d",
        "Resources": [{"Type": "AwsEc2Instance", "Id": node}],
        "RecordState": "ACTIVE",
        "Compliance": {"Status": "FAILED"},
        "ProductFields": {"ProviderName": PROVIDER_NAME},
        "PatchSummary": {"Id": "pb-0123456789abcdef0", "OperationEndTime": "2026-11-23T10:01:00Z"},
    }
    finding.update(overrides)
    return finding


# --- events: ids and times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "time", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-02-30T00:00:00Z"]
)
def test_out_of_range_event_time_is_malformed_time_not_a_crash(time: str) -> None:
    with pytest.raises(EventRejectedError) as rejected:
        parse_event(compliance_event("i-0123456789abcdef0", time=time), account=ACCOUNT, region=REGION)
    assert rejected.value.reason == "malformed_time"


@pytest.mark.parametrize(
    "node",
    ["i-0123456789abcdef0\n", "i-0123456789", "i-0123456789ABCDEF0", "mi-0123456789abcdef", " i-01234567"],
)
def test_resource_ids_ssm_never_issues_are_rejected(node: str) -> None:
    event = compliance_event("i-0123456789abcdef0")
    event["detail"]["resource-id"] = node
    with pytest.raises(EventRejectedError) as rejected:
        parse_event(event, account=ACCOUNT, region=REGION)
    assert rejected.value.reason in ("malformed_resource_id", "resource_mismatch")


def test_trailing_newline_passes_the_schema_pattern_but_not_the_full_match() -> None:
    """The schema's `$`, run by re.search, matches before a final newline: the id check is a fullmatch."""
    event = compliance_event("i-0123456789abcdef0")
    event["detail"]["resource-id"] = "i-0123456789abcdef0\n"
    event.pop("resources", None)
    with pytest.raises(EventRejectedError) as rejected:
        parse_event(event, account=ACCOUNT, region=REGION)
    assert rejected.value.reason == "malformed_resource_id"
    assert "is not a node id" in rejected.value.detail  # raised by the full match, after the schema passed


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("i-01234567", True),
        ("i-0123456789abcdef0", True),
        ("mi-0123456789abcdef0", True),
        ("i-02573cafcfEXAMPLE", True),  # AWS's documented pattern is \w
        ("i-0123456789abcdef0\n", False),
        ("i-0123456789", False),
        ("mi-01234567", False),
        ("i-0123456789abcdef0 ", False),
        ("i-0123456٣", False),  # a non-ASCII digit is not \w under re.ASCII
        (None, False),
    ],
)
def test_node_id_is_the_documented_pattern_fully_matched(value: Any, valid: bool) -> None:
    assert is_node_id(value) is valid


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", 1e20, -1e20, float("nan")])
def test_out_of_range_times_are_value_errors(value: Any) -> None:
    with pytest.raises(ValueError):
        as_datetime(value)


@given(st.text(max_size=60))
def test_any_text_time_parses_or_raises_value_error(text: str) -> None:
    try:
        parsed = parse_rfc3339(text)
    except ValueError:
        return
    assert parsed.tzinfo is UTC


@given(
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})", fullmatch=True
    )
)
def test_any_schema_shaped_event_time_is_accepted_or_rejected_never_crashes(time: str) -> None:
    try:
        parse_event(compliance_event("i-0123456789abcdef0", time=time), account=ACCOUNT, region=REGION)
    except EventRejectedError as rejected:
        assert rejected.reason == "malformed_time"


# --- SSM: a node that makes a batched call fail is isolated ------------------------------------------------


def test_invalid_instance_id_is_isolated_by_splitting_the_call(stubbed) -> None:
    ssm = stubbed["ssm_stub"]
    a, b, c = NODES
    ssm.add_client_error(
        "describe_instance_information", "InvalidInstanceId", expected_params=info_call(NODES)
    )
    ssm.add_response(
        "describe_instance_information", {"InstanceInformationList": [info_row(a)]}, info_call([a])
    )
    ssm.add_client_error(
        "describe_instance_information", "InvalidInstanceId", expected_params=info_call([b, c])
    )
    ssm.add_response(
        "describe_instance_information", {"InstanceInformationList": [info_row(b)]}, info_call([b])
    )
    ssm.add_client_error("describe_instance_information", "InvalidInstanceId", expected_params=info_call([c]))
    rejected: dict[str, str] = {}
    infos = SsmReader(stubbed["ssm"], Backoff(sleep=no_sleep)).node_information(NODES, rejected)
    assert sorted(infos) == [a, b]
    assert rejected == {c: "InvalidInstanceId"}
    ssm.assert_no_pending_responses()


def test_a_refused_node_is_quarantined_and_the_rest_of_the_batch_proceeds(stubbed) -> None:
    ssm = stubbed["ssm_stub"]
    a, b = NODES[:2]
    ssm.add_client_error(
        "describe_instance_information", "InvalidInstanceId", expected_params=info_call([a, b])
    )
    ssm.add_response(
        "describe_instance_information", {"InstanceInformationList": [info_row(a)]}, info_call([a])
    )
    ssm.add_client_error("describe_instance_information", "InvalidInstanceId", expected_params=info_call([b]))
    Flow(stubbed).instances({b: None})  # AWS's answer for an id SSM does not know; EC2 does not know it
    ssm.add_client_error(
        "describe_instance_patch_states",
        "ValidationException",
        expected_params={"InstanceIds": [a], "MaxResults": 50},
    )
    Flow(stubbed).prior_findings([], [finding_id(ACCOUNT, REGION, b)])
    report = run(stubbed, [a, b])
    assert report.outcomes[b].status == SKIPPED
    assert report.outcomes[b].reason == "node_terminated"  # gone, and nothing of ours to archive
    assert report.outcomes[a].status == PERMANENT  # alone in its call, a ValidationException is about it
    assert report.outcomes[a].reason == "rejected_node_id: DescribeInstancePatchStates ValidationException"
    Flow(stubbed).assert_done()


def test_other_ssm_errors_are_not_split(stubbed) -> None:
    stubbed["ssm_stub"].add_client_error(
        "describe_instance_information", "InternalServerError", http_status_code=400
    )
    report = run(stubbed, NODES[:2])
    assert {o.status for o in report.outcomes.values()} == {TRANSIENT}
    assert {o.code for o in report.outcomes.values()} == {"read_failed"}
    Flow(stubbed).assert_done()


# --- paging ----------------------------------------------------------------------------------------------


def test_an_empty_page_with_a_next_token_does_not_end_paging(stubbed) -> None:
    node = NODES[0]
    ssm = stubbed["ssm_stub"]
    ssm.add_response("describe_instance_information", {"InstanceInformationList": [], "NextToken": "t1"})
    ssm.add_response("describe_instance_information", {"InstanceInformationList": [], "NextToken": "t2"})
    ssm.add_response(
        "describe_instance_information",
        {"InstanceInformationList": [info_row(node)]},
        {**info_call([node]), "NextToken": "t2"},
    )
    infos = SsmReader(stubbed["ssm"], Backoff(sleep=no_sleep)).node_information([node])
    assert list(infos) == [node]  # a live node is not "vanished"
    ssm.assert_no_pending_responses()


def test_a_repeated_next_token_stops_paging_as_transient(stubbed) -> None:
    ssm = stubbed["ssm_stub"]
    ssm.add_response("describe_instance_information", {"InstanceInformationList": [], "NextToken": "same"})
    ssm.add_response("describe_instance_information", {"InstanceInformationList": [], "NextToken": "same"})
    report = run(stubbed, NODES[:1])
    outcome = report.outcomes[NODES[0]]
    assert (outcome.status, outcome.code) == (TRANSIENT, "paging_repeated_token")
    Flow(stubbed).assert_done()


def test_a_repeated_next_token_of_get_findings_stops_paging(stubbed) -> None:
    hub = stubbed["securityhub_stub"]
    hub.add_response("get_findings", {"Findings": [], "NextToken": "same"})
    hub.add_response("get_findings", {"Findings": [], "NextToken": "same"})
    findings = SecurityHubFindings(
        stubbed["securityhub"], Backoff(sleep=no_sleep), product_arn(ACCOUNT, REGION)
    )
    with pytest.raises(PagingError) as stopped:
        findings.prior_findings([finding_id(ACCOUNT, REGION, NODES[0])])
    assert stopped.value.code == "paging_repeated_token"
    hub.assert_no_pending_responses()


def test_paging_checks_the_deadline_on_every_page(stubbed) -> None:
    ssm = stubbed["ssm_stub"]
    ssm.add_response("describe_instance_information", {"InstanceInformationList": [], "NextToken": "t1"})
    left = iter([60.0, 1.0])  # before the second page; before the third
    backoff = Backoff(sleep=no_sleep, remaining_seconds=lambda: next(left), reserve_seconds=5.0)
    ssm.add_response("describe_instance_information", {"InstanceInformationList": [], "NextToken": "t2"})
    with pytest.raises(PagingError) as stopped:
        SsmReader(stubbed["ssm"], backoff).node_information([NODES[0]])
    assert stopped.value.code == "paging_deadline"
    ssm.assert_no_pending_responses()


def test_a_server_that_never_stops_paging_is_bounded(stubbed) -> None:
    ssm = stubbed["ssm_stub"]
    for index in range(MAX_PAGES):
        ssm.add_response(
            "describe_instance_information", {"InstanceInformationList": [], "NextToken": f"t{index}"}
        )
    with pytest.raises(PagingError) as stopped:
        SsmReader(stubbed["ssm"], Backoff(sleep=no_sleep)).node_information([NODES[0]])
    assert stopped.value.code == "paging_too_many_pages"
    ssm.assert_no_pending_responses()


def test_paging_resumed_from_a_token_sends_it_and_refuses_it_back(stubbed) -> None:
    ssm = stubbed["ssm_stub"]
    ssm.add_response(
        "describe_instance_information",
        {"InstanceInformationList": [], "NextToken": "t9"},
        {"MaxResults": 50, "NextToken": "t9"},
    )
    chain = pages(
        Backoff(sleep=no_sleep),
        stubbed["ssm"].describe_instance_information,
        "Op",
        start_token="t9",
        MaxResults=50,
    )
    assert next(chain) == {"InstanceInformationList": [], "NextToken": "t9"}
    with pytest.raises(PagingError) as stopped:
        next(chain)
    assert stopped.value.code == "paging_repeated_token"  # the token it resumed from counts as received
    ssm.assert_no_pending_responses()


# --- times from elsewhere ----------------------------------------------------------------------------------


def test_a_future_operation_time_from_ssm_is_refused() -> None:
    future = NOW + MAX_CLOCK_SKEW + MAX_CLOCK_SKEW
    with pytest.raises(InvalidSsmDataError, match="in the future"):
        parse_patch_state(patch_state_row(NODES[0], OperationEndTime=future), NOW)
    with pytest.raises(InvalidSsmDataError, match="in the future"):
        parse_patch_state(patch_state_row(NODES[0], OperationStartTime=datetime(2099, 1, 1, tzinfo=UTC)), NOW)
    within_skew = NOW + MAX_CLOCK_SKEW
    assert parse_patch_state(patch_state_row(NODES[0], OperationEndTime=within_skew), NOW).operation_end


def test_a_future_ssm_time_quarantines_the_node_once(stubbed) -> None:
    node = NODES[0]
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node, OperationEndTime=datetime(2099, 1, 1, tzinfo=UTC))])
    report = run(stubbed, [node])
    assert (report.outcomes[node].status, report.outcomes[node].code) == (PERMANENT, "invalid_patch_state")
    flow.assert_done()


@pytest.mark.parametrize(
    "overrides",
    [
        {"PatchSummary": {"Id": "pb-1", "OperationEndTime": "2099-01-01T00:00:00Z"}},
        {"GeneratorId": "someone-else"},
        {"ProductFields": {"ProviderName": "another-tool"}},
        {"ProductArn": "arn:aws:securityhub:us-east-2:999999999999:product/999999999999/default"},
    ],
)
def test_a_prior_that_is_not_ours_or_from_the_future_cannot_make_a_scan_stale(overrides) -> None:
    prior = parse_prior(own_prior(NODES[0], **overrides), product_arn=product_arn(ACCOUNT, REGION), now=NOW)
    assert prior is not None
    assert prior.operation_end is None
    assert parse_prior(own_prior(NODES[0]), product_arn=product_arn(ACCOUNT, REGION), now=NOW).operation_end


def test_a_planted_future_operation_end_does_not_freeze_the_node(stubbed) -> None:
    node = NODES[0]
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node)])
    planted = own_prior(node, PatchSummary={"Id": "pb-1", "OperationEndTime": "2099-12-31T00:00:00Z"})
    flow.prior_findings([planted], [finding_id(ACCOUNT, REGION, node)])
    flow.items(node, patches=[instance_patch("KB1", "Critical")])
    flow.import_ok()
    report = run(stubbed, [node])
    assert report.outcomes[node].status == "imported"
    assert report.findings[0]["UpdatedAt"] < "2027"
    flow.assert_done()


def test_a_prior_updated_in_the_future_is_quarantined_not_overwritten_with_a_future_time(stubbed) -> None:
    node = NODES[0]
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node)])
    flow.prior_findings(
        [own_prior(node, UpdatedAt="2099-01-01T00:00:00Z")], [finding_id(ACCOUNT, REGION, node)]
    )
    report = run(stubbed, [node])
    assert (report.outcomes[node].status, report.outcomes[node].code) == (
        PERMANENT,
        "prior_updated_in_future",
    )
    assert report.import_calls == 0
    flow.assert_done()


# --- the ASFF check before sending; oversized values ------------------------------------------------------


def test_a_cve_id_with_thousands_of_digits_is_cut_with_a_note(stubbed) -> None:
    node = NODES[0]
    huge_cve = "CVE-2026-" + "1" * 5000
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, node)])
    flow.items(node, patches=[instance_patch("KB1", "Critical", cves=[huge_cve, "CVE-2026-0001"])])
    flow.import_ok()
    report = run(stubbed, [node])
    assert report.outcomes[node].status == "imported"
    [finding] = report.findings
    assert_valid_finding(finding)
    fields = finding["ProductFields"]
    assert all(len(v) <= PRODUCT_FIELD_VALUE_MAX for v in fields.values())
    cut_values = [v for v in fields.values() if v.endswith(TRUNCATED_MARKER)]
    assert cut_values and cut_values[0].startswith("CVE-2026-1111")
    assert fields["patch-securityhub/Truncated"] == "true"
    assert "Cut to 2048 characters" in fields["patch-securityhub/TruncationNote"]
    assert "CVE-2026-0001" in ",".join(fields.values())  # the other CVE is still there
    flow.assert_done()


def test_a_finding_that_fails_the_asff_check_is_never_sent(stubbed, monkeypatch) -> None:
    node = NODES[0]
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, node)])
    flow.items(node)
    monkeypatch.setattr(pipeline, "finding_errors", lambda finding: ["Title: too long"])
    report = run(stubbed, [node])
    assert (report.outcomes[node].status, report.outcomes[node].code) == (PERMANENT, "invalid_finding")
    assert report.import_calls == 0
    flow.assert_done()


# --- BatchImportFindings -----------------------------------------------------------------------------------


def finding_of(fid: str) -> dict[str, Any]:
    from patch_securityhub.cli import render

    row = patch_state_row("i-0123456789abcdef0")
    row["OperationStartTime"] = row["OperationStartTime"].isoformat()
    row["OperationEndTime"] = row["OperationEndTime"].isoformat()
    [finding] = render({"InstancePatchStates": [row]}, account=ACCOUNT, region=REGION)
    return {**finding, "Id": fid}


def hub_of(stubbed: dict[str, Any]) -> SecurityHubFindings:
    return SecurityHubFindings(stubbed["securityhub"], Backoff(sleep=no_sleep), product_arn(ACCOUNT, REGION))


def ok(count: int) -> dict[str, Any]:
    return {"FailedCount": 0, "SuccessCount": count, "FailedFindings": []}


def test_a_chunk_refused_as_a_whole_is_split_until_only_the_bad_finding_is_refused(stubbed) -> None:
    stub = stubbed["securityhub_stub"]
    findings = [finding_of(x) for x in "abcd"]
    stub.add_client_error("batch_import_findings", "InvalidInputException", http_status_code=400)
    stub.add_response("batch_import_findings", ok(2), {"Findings": findings[:2]})
    stub.add_client_error("batch_import_findings", "InvalidInputException", http_status_code=400)
    stub.add_response("batch_import_findings", ok(1), {"Findings": findings[2:3]})
    stub.add_client_error("batch_import_findings", "InvalidInputException", http_status_code=400)
    result = hub_of(stubbed).import_findings(findings)
    assert result.imported == {"a", "b", "c"}
    assert list(result.permanent) == ["d"] and result.permanent["d"].startswith("import_rejected: ")
    assert result.calls == 5  # at most 2n - 1
    stub.assert_no_pending_responses()


def test_splitting_is_bounded_when_every_finding_is_refused(stubbed) -> None:
    stub = stubbed["securityhub_stub"]
    findings = [finding_of(str(i)) for i in range(8)]
    for _ in range(2 * len(findings) - 1):
        stub.add_client_error("batch_import_findings", "InvalidInputException", http_status_code=400)
    result = hub_of(stubbed).import_findings(findings)
    assert set(result.permanent) == {f["Id"] for f in findings}
    assert result.calls == 2 * len(findings) - 1
    stub.assert_no_pending_responses()


def test_splitting_stops_at_the_deadline_and_hands_the_rest_back(stubbed) -> None:
    stub = stubbed["securityhub_stub"]
    findings = [finding_of(x) for x in "ab"]
    stub.add_client_error("batch_import_findings", "InvalidInputException", http_status_code=400)
    backoff = Backoff(sleep=no_sleep, remaining_seconds=lambda: 1.0, reserve_seconds=5.0)
    result = SecurityHubFindings(
        stubbed["securityhub"], backoff, product_arn(ACCOUNT, REGION)
    ).import_findings(findings)
    assert set(result.transient) == {"a", "b"}
    assert {r.split(":")[0] for r in result.transient.values()} == {"import_deadline"}
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "transient", "reason"),
    [
        ("InvalidAccess", True, "import_failed_transient"),
        ("InvalidAccessException", True, "import_failed_transient"),
        ("InvalidInput", False, "import_rejected"),
        ("SomethingNobodyDocumented", False, "import_failed_unknown_code"),
        ("", False, "import_failed_unknown_code"),
    ],
)
def test_failed_findings_codes_are_classified(stubbed, code: str, transient: bool, reason: str) -> None:
    stubbed["securityhub_stub"].add_response(
        "batch_import_findings",
        {
            "FailedCount": 1,
            "SuccessCount": 1,
            "FailedFindings": [{"Id": "b", "ErrorCode": code, "ErrorMessage": "m"}],
        },
    )
    result = hub_of(stubbed).import_findings([finding_of("a"), finding_of("b")])
    assert result.imported == {"a"}
    target = result.transient if transient else result.permanent
    assert target["b"].split(":")[0] == reason


def test_failed_count_without_failed_findings_is_not_success(stubbed) -> None:
    stubbed["securityhub_stub"].add_response(
        "batch_import_findings", {"FailedCount": 1, "SuccessCount": 1, "FailedFindings": []}
    )
    result = hub_of(stubbed).import_findings([finding_of("a"), finding_of("b")])
    assert result.imported == set()
    assert {r.split(":")[0] for r in result.transient.values()} == {"import_unconfirmed"}
    assert set(result.transient) == {"a", "b"}


# --- the closed set of quarantine reasons -------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "lambda_src" / "README.md"


def quarantine_table_codes() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quarantine reason codes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_every_quarantine_reason_is_documented_in_a_sorted_table() -> None:
    codes = quarantine_table_codes()
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    assert set(codes) >= REJECTION_REASONS | PERMANENT_REASONS
    assert not (TRANSIENT_REASONS & set(codes))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(min_value=4, max_value=6000), min_size=1, max_size=6),
    st.lists(st.text(min_size=1, max_size=3000), min_size=1, max_size=4),
)
def test_any_cve_lengths_and_patch_ids_give_a_valid_finding(
    digit_counts: list[int], patch_ids: list[str]
) -> None:
    cves = tuple(f"CVE-2026-{'7' * n}" for n in digit_counts)
    items = [
        PatchItem(patch_id=p, title=p, state="Missing", severity="HIGH", cve_ids=cves) for p in patch_ids
    ]
    state = parse_patch_state(patch_state_row(NODES[0]), NOW)
    snapshot = NodeSnapshot(node_id=NODES[0], state=state, info=None, items=items)
    finding = build_finding(snapshot, FindingContext(account=ACCOUNT, region=REGION), prior=None, now=NOW)
    assert not finding_errors(finding)
    fields = finding["ProductFields"]
    assert all(len(v) <= PRODUCT_FIELD_VALUE_MAX for v in fields.values())
    if any(n > PRODUCT_FIELD_VALUE_MAX for n in digit_counts):
        assert fields["patch-securityhub/Truncated"] == "true"
