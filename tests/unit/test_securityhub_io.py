"""Security Hub I/O: chunking, prior findings, failure classification."""

from __future__ import annotations

import json
from typing import Any

from patch_securityhub.finding import GENERATOR_ID, finding_id, product_arn
from patch_securityhub.retry import Backoff
from patch_securityhub.securityhub_io import SecurityHubFindings, chunk_findings, parse_prior
from unit_helpers import ACCOUNT, REGION, no_sleep, patch_state_row


def fake_finding(index: int, padding: int = 0) -> dict[str, Any]:
    return {"Id": f"finding-{index}", "ProductFields": {"pad": "x" * padding}}


def test_chunks_hold_at_most_100_findings() -> None:
    sizes = [len(chunk) for chunk in chunk_findings([fake_finding(i) for i in range(250)])]
    assert sizes == [100, 100, 50]


def test_chunks_stay_under_6_mb() -> None:
    findings = [fake_finding(i, padding=200 * 1024) for i in range(60)]  # 60 x ~200 KB = ~12 MB
    chunks = list(chunk_findings(findings))
    assert len(chunks) >= 2
    assert sum(len(c) for c in chunks) == 60
    for chunk in chunks:
        assert len(json.dumps({"Findings": chunk}).encode()) < 6 * 1024 * 1024


def security_hub(stubbed: dict[str, Any]) -> SecurityHubFindings:
    return SecurityHubFindings(stubbed["securityhub"], Backoff(sleep=no_sleep), product_arn(ACCOUNT, REGION))


def test_prior_findings_are_read_20_ids_per_call_with_paging(stubbed) -> None:
    ids = [finding_id(ACCOUNT, REGION, f"i-{n:017x}") for n in range(25)]
    stub = stubbed["securityhub_stub"]
    row = {
        "SchemaVersion": "2018-10-08",
        "Id": ids[0],
        "ProductArn": product_arn(ACCOUNT, REGION),
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": ACCOUNT,
        "CreatedAt": "2026-01-01T00:00:00Z",
        "UpdatedAt": "2026-01-02T00:00:00.5Z",
        "Title": "t",
        "Description": "d",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "i-00000000000000000"}],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
        "PatchSummary": {"Id": "pb-1", "OperationEndTime": "2026-01-02T00:00:00Z"},
    }
    ordered = sorted(ids)
    first_filter = {
        "ProductArn": [{"Value": product_arn(ACCOUNT, REGION), "Comparison": "EQUALS"}],
        "Id": [{"Value": v, "Comparison": "EQUALS"} for v in ordered[:20]],
    }
    stub.add_response(
        "get_findings", {"Findings": [row], "NextToken": "t2"}, {"Filters": first_filter, "MaxResults": 100}
    )
    stub.add_response(
        "get_findings",
        {"Findings": [{**row, "Id": ids[1], "CreatedAt": "not a time"}]},
        {"Filters": first_filter, "MaxResults": 100, "NextToken": "t2"},
    )
    stub.add_response("get_findings", {"Findings": []})
    priors = security_hub(stubbed).prior_findings(ids)
    assert list(priors) == [ids[0]]  # the unreadable one counts as absent
    assert priors[ids[0]].operation_end is not None
    stub.assert_no_pending_responses()


def test_import_classifies_failures(stubbed) -> None:
    stub = stubbed["securityhub_stub"]
    stub.add_response(
        "batch_import_findings",
        {
            "FailedCount": 2,
            "SuccessCount": 1,
            "FailedFindings": [
                {"Id": "b", "ErrorCode": "InvalidInput", "ErrorMessage": "bad"},
                {"Id": "c", "ErrorCode": "InternalError", "ErrorMessage": "later"},
            ],
        },
    )
    stub.add_client_error("batch_import_findings", "InvalidAccessException", http_status_code=401)
    findings = [real_finding(x) for x in "abc"]
    first = security_hub(stubbed).import_findings(findings)
    assert (first.imported, set(first.permanent), set(first.transient)) == ({"a"}, {"b"}, {"c"})
    assert first.permanent["b"].startswith("import_rejected: ")
    # Security Hub not enabled / access denied: an operator can fix it, so keep retrying.
    not_enabled = security_hub(stubbed).import_findings(findings)
    assert set(not_enabled.transient) == {"a", "b", "c"}
    stub.assert_no_pending_responses()


def real_finding(finding_id_: str) -> dict[str, Any]:
    from patch_securityhub.cli import render

    row = patch_state_row("i-0123456789abcdef0")
    row["OperationStartTime"] = row["OperationStartTime"].isoformat()
    row["OperationEndTime"] = row["OperationEndTime"].isoformat()
    [finding] = render({"InstancePatchStates": [row]}, account=ACCOUNT, region=REGION)
    return {**finding, "Id": finding_id_}


def test_parse_prior_tolerates_garbage() -> None:
    assert parse_prior({}) is None
    assert parse_prior({"Id": "x", "CreatedAt": 5, "UpdatedAt": None}) is None
