"""Security Hub emulation: GetFindings (filters, paging, sorting) and BatchUpdateFindings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from localaws_helpers import REGION, Account, error_code, native_patch_finding, random_account_id
from psh_localstack.client import securityhub as shc

NATIVE = f"arn:aws:securityhub:{REGION}::product/aws/ssm-patch-manager"


def eq(*values: str) -> list[dict[str, str]]:
    return [{"Value": v, "Comparison": "EQUALS"} for v in values]


def ids(findings: list[dict]) -> set[str]:
    return {f["Id"] for f in findings}


@pytest.fixture
def corpus(hub: Account) -> Account:
    """Six findings with varied attributes."""
    now = datetime.now(UTC)
    recent = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    findings = [
        hub.finding(
            "a", Severity={"Label": "CRITICAL"}, Title="Alpha patch", UpdatedAt="2026-01-01T00:00:00Z"
        ),
        hub.finding(
            "b",
            Severity={"Label": "HIGH"},
            Title="Bravo patch",
            UpdatedAt="2026-02-01T00:00:00Z",
            Compliance={"Status": "PASSED"},
        ),
        hub.finding(
            "c",
            Severity={"Label": "MEDIUM"},
            Title="Charlie",
            UpdatedAt="2026-03-01T00:00:00Z",
            RecordState="ARCHIVED",
            GeneratorId="other-generator",
        ),
        hub.finding(
            "d",
            Severity={"Label": "LOW"},
            Title="Delta",
            UpdatedAt=recent,
            Resources=[{"Type": "Other", "Id": "mi-0123456789abcdef0"}],
        ),
        hub.finding(
            "e",
            Severity={"Label": "INFORMATIONAL"},
            Title="Echo",
            UpdatedAt="2025-06-01T00:00:00Z",
            Resources=[{"Type": "AwsEc2Instance", "Id": "i-e1"}, {"Type": "AwsAccount", "Id": "acct"}],
        ),
        hub.finding("f", Severity={"Normalized": 75}, Title="Foxtrot", UpdatedAt="2025-01-01T00:00:00Z"),
    ]
    assert hub.client.batch_import_findings(Findings=findings)["SuccessCount"] == 6
    hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "b", "ProductArn": hub.product_arn}], Workflow={"Status": "RESOLVED"}
    )
    return hub


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"Id": eq("a", "c", "zzz")}, {"a", "c"}),
        ({"SeverityLabel": eq("CRITICAL", "LOW")}, {"a", "d"}),
        ({"SeverityLabel": eq("HIGH")}, {"b", "f"}),  # f: Normalized 75 -> HIGH
        ({"RecordState": eq("ACTIVE")}, {"a", "b", "d", "e", "f"}),
        ({"WorkflowStatus": eq("RESOLVED")}, {"b"}),
        ({"WorkflowStatus": eq("NEW", "NOTIFIED")}, {"a", "c", "d", "e", "f"}),
        ({"ComplianceStatus": eq("PASSED")}, {"b"}),
        ({"GeneratorId": eq("other-generator")}, {"c"}),
        ({"ResourceType": eq("Other")}, {"d"}),
        ({"ResourceId": eq("mi-0123456789abcdef0", "acct")}, {"d", "e"}),
        ({"ResourceId": [{"Value": "mi-", "Comparison": "PREFIX"}]}, {"d"}),
        (
            {
                "Title": [
                    {"Value": "Alpha", "Comparison": "PREFIX"},
                    {"Value": "Bravo", "Comparison": "PREFIX"},
                ]
            },
            {"a", "b"},
        ),
        (
            {
                "Title": [
                    {"Value": "Alpha patch", "Comparison": "NOT_EQUALS"},
                    {"Value": "Bravo patch", "Comparison": "NOT_EQUALS"},
                ]
            },
            {"c", "d", "e", "f"},
        ),
        ({"Title": [{"Value": "patch", "Comparison": "PREFIX"}]}, set()),
        (
            {
                "Title": [
                    {"Value": "A", "Comparison": "PREFIX_NOT_EQUALS"},
                    {"Value": "B", "Comparison": "PREFIX_NOT_EQUALS"},
                ]
            },
            {"c", "d", "e", "f"},
        ),
        (
            {
                "ResourceType": [
                    {"Value": "Aws", "Comparison": "PREFIX"},
                    {"Value": "AwsAccount", "Comparison": "NOT_EQUALS"},
                ]
            },
            {"a", "b", "c", "f"},
        ),
        (
            {"ProductName": eq("Default"), "CompanyName": eq("Personal"), "SeverityLabel": eq("CRITICAL")},
            {"a"},
        ),
        ({"SeverityNormalized": [{"Gte": 70}]}, {"a", "b", "f"}),
        ({"SeverityNormalized": [{"Gte": 40, "Lte": 70}]}, {"b", "c"}),
        ({"SeverityNormalized": [{"Eq": 0}, {"Eq": 1}]}, {"d", "e"}),
        ({"UpdatedAt": [{"Start": "2026-01-15T00:00:00Z", "End": "2026-03-01T00:00:00Z"}]}, {"b", "c"}),
        ({"UpdatedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS"}}]}, {"d"}),
        (
            {"CreatedAt": [{"Start": "2025-12-31T00:00:00Z", "End": "2026-01-01T00:00:00Z"}]},
            {"a", "b", "c", "d", "e", "f"},
        ),
    ],
)
def test_get_findings_filters(corpus: Account, filters: dict, expected: set[str]) -> None:
    assert ids(corpus.get_all(Filters=filters)) == expected


def test_filters_on_product_and_account(corpus: Account) -> None:
    assert (
        len(corpus.get_all(Filters={"ProductArn": eq(corpus.product_arn), "AwsAccountId": eq(corpus.id)}))
        == 6
    )
    assert corpus.get_all(Filters={"AwsAccountId": eq("123456789012")}) == []
    # ProductArn + Id EQUALS is looked up directly; the remaining filters must still apply.
    pinned = {"ProductArn": eq(corpus.product_arn), "Id": eq("a", "b", "a", "zzz")}
    assert [f["Id"] for f in corpus.get_all(Filters=pinned)] == ["b", "a"]
    assert ids(corpus.get_all(Filters={**pinned, "ComplianceStatus": eq("PASSED")})) == {"b"}
    assert corpus.get_all(Filters={**pinned, "ProductArn": eq(NATIVE)}) == []


@pytest.mark.parametrize(
    "filters",
    [
        {"Title": [{"Value": "Alpha", "Comparison": "EQUALS"}, {"Value": "B", "Comparison": "NOT_EQUALS"}]},
        {"Title": [{"Value": "Alpha", "Comparison": "CONTAINS"}]},
        {"ProcessName": eq("x")},  # in the API, not emulated: refused rather than silently ignored
        {"Id": eq(*[str(i) for i in range(21)])},
    ],
)
def test_invalid_filters_are_rejected(corpus: Account, filters: dict) -> None:
    with pytest.raises(ClientError) as caught:
        corpus.client.get_findings(Filters=filters)
    assert error_code(caught.value) == "InvalidInputException"


def test_paging_returns_every_finding_once(hub: Account) -> None:
    findings = [hub.finding(f"p-{i:03d}") for i in range(100)] + [hub.finding("p-100")]
    hub.client.batch_import_findings(Findings=findings[:100])
    hub.client.batch_import_findings(Findings=findings[100:])
    pages: list[list[str]] = []
    token = None
    while True:
        page = hub.client.get_findings(MaxResults=40, **({"NextToken": token} if token else {}))
        pages.append([f["Id"] for f in page["Findings"]])
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [40, 40, 21]
    flat = [i for p in pages for i in p]
    assert sorted(flat) == sorted(f["Id"] for f in findings)
    assert len(hub.client.get_findings()["Findings"]) == 100  # default and maximum page size


def test_invalid_paging_arguments(corpus: Account) -> None:
    with pytest.raises(ClientError) as caught:
        corpus.raw_client.get_findings(MaxResults=101)
    assert error_code(caught.value) == "InvalidInputException"
    token = corpus.client.get_findings(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as caught:
        corpus.client.get_findings(MaxResults=1, NextToken=token, Filters={"Id": eq("a")})
    assert error_code(caught.value) == "InvalidInputException"


def test_sorting(corpus: Account) -> None:
    by_title = corpus.get_all(SortCriteria=[{"Field": "Title", "SortOrder": "asc"}])
    assert [f["Id"] for f in by_title] == ["a", "b", "c", "d", "e", "f"]
    by_severity = corpus.get_all(
        SortCriteria=[
            {"Field": "SeverityNormalized", "SortOrder": "desc"},
            {"Field": "Title", "SortOrder": "desc"},
        ]
    )
    assert [f["Id"] for f in by_severity] == ["a", "f", "b", "c", "d", "e"]
    default = [f["Id"] for f in corpus.get_all()]
    assert default == ["d", "c", "b", "a", "e", "f"]  # most recently updated first


def test_batch_update_findings_sets_workflow_note_and_more(corpus: Account) -> None:
    response = corpus.client.batch_update_findings(
        FindingIdentifiers=[
            {"Id": "a", "ProductArn": corpus.product_arn},
            {"Id": "c", "ProductArn": corpus.product_arn},
        ],
        Workflow={"Status": "NOTIFIED"},
        Note={"Text": "ticket OPS-1", "UpdatedBy": "analyst"},
        VerificationState="TRUE_POSITIVE",
        Confidence=80,
        UserDefinedFields={"ticket": "OPS-1"},
    )
    assert response["UnprocessedFindings"] == []
    assert {f["Id"] for f in response["ProcessedFindings"]} == {"a", "c"}
    updated = corpus.get_one("a")
    assert updated["Workflow"]["Status"] == "NOTIFIED"
    assert updated["Note"]["Text"] == "ticket OPS-1" and updated["Note"]["UpdatedBy"] == "analyst"
    assert updated["Note"]["UpdatedAt"].endswith("Z")
    assert updated["VerificationState"] == "TRUE_POSITIVE"
    assert updated["Confidence"] == 80
    assert updated["UserDefinedFields"] == {"ticket": "OPS-1"}
    assert updated["UpdatedAt"] == "2026-01-01T00:00:00Z"  # BatchUpdateFindings does not touch UpdatedAt
    assert ids(corpus.get_all(Filters={"NoteText": eq("ticket OPS-1")})) == {"a", "c"}


def test_batch_update_reports_unprocessed_findings(corpus: Account) -> None:
    response = corpus.client.batch_update_findings(
        FindingIdentifiers=[
            {"Id": "a", "ProductArn": corpus.product_arn},
            {"Id": "a", "ProductArn": corpus.product_arn},
            {"Id": "missing", "ProductArn": corpus.product_arn},
            {"Id": "a", "ProductArn": NATIVE},
        ],
        Workflow={"Status": "SUPPRESSED"},
    )
    assert [f["Id"] for f in response["ProcessedFindings"]] == ["a"]
    codes = [(u["FindingIdentifier"]["Id"], u["ErrorCode"]) for u in response["UnprocessedFindings"]]
    assert codes == [
        ("a", "DuplicatedFindingIdentifier"),
        ("missing", "FindingNotFound"),
        ("a", "FindingNotFound"),
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"Workflow": {"Status": "DONE"}},
        {"Note": {"Text": "x" * 513, "UpdatedBy": "me"}},
        {"Severity": {"Label": "SEVERE"}},
        {},
    ],
)
def test_batch_update_rejects_invalid_requests(corpus: Account, kwargs: dict) -> None:
    with pytest.raises(ClientError) as caught:
        corpus.raw_client.batch_update_findings(
            FindingIdentifiers=[{"Id": "a", "ProductArn": corpus.product_arn}], **kwargs
        )
    assert error_code(caught.value) == "InvalidInputException"


def test_batch_update_limits_to_100_findings(corpus: Account) -> None:
    identifiers = [{"Id": f"x-{i}", "ProductArn": corpus.product_arn} for i in range(101)]
    with pytest.raises(ClientError) as caught:
        corpus.client.batch_update_findings(FindingIdentifiers=identifiers, Workflow={"Status": "NEW"})
    assert error_code(caught.value) == "InvalidInputException"


def test_batch_update_without_hub_is_invalid_access(account: Account) -> None:
    with pytest.raises(ClientError) as caught:
        account.client.batch_update_findings(
            FindingIdentifiers=[{"Id": "a", "ProductArn": account.product_arn}], Workflow={"Status": "NEW"}
        )
    assert error_code(caught.value) == "InvalidAccessException"


def test_batch_update_on_seeded_native_patch_manager_findings(hub: Account, endpoint: str) -> None:
    native = [native_patch_finding(hub.id, f"native-{i}", f"i-0000{i}") for i in range(3)]
    assert shc.seed_native_findings(endpoint, hub.id, REGION, native) == {
        "imported": 3,
        "ignored": 0,
        "failed": [],
    }
    found = hub.get_all(
        Filters={
            "ProductArn": eq(NATIVE),
            "ResourceId": [
                {"Value": f"arn:aws:ec2:{REGION}:{hub.id}:instance/i-0000", "Comparison": "PREFIX"}
            ],
        }
    )
    assert ids(found) == {"native-0", "native-1", "native-2"}
    assert {f["ProductName"] for f in found} == {"Systems Manager Patch Manager"}
    assert {f["CompanyName"] for f in found} == {"AWS"}

    response = hub.client.batch_update_findings(
        FindingIdentifiers=[
            {"Id": "native-0", "ProductArn": NATIVE},
            {"Id": "native-1", "ProductArn": NATIVE},
        ],
        Workflow={"Status": "RESOLVED"},
        Note={"Text": "node is compliant again", "UpdatedBy": "example-integration"},
    )
    assert len(response["ProcessedFindings"]) == 2 and response["UnprocessedFindings"] == []
    resolved = hub.get_all(Filters={"ProductArn": eq(NATIVE), "WorkflowStatus": eq("RESOLVED")})
    assert ids(resolved) == {"native-0", "native-1"}
    assert {f["Note"]["Text"] for f in resolved} == {"node is compliant again"}


def test_seeding_native_findings_checks_its_input(hub: Account, endpoint: str) -> None:
    custom = hub.finding("not-native")
    result = shc.seed_native_findings(
        endpoint, hub.id, REGION, [custom, native_patch_finding(hub.id, "n", "i-1", Title="")]
    )
    assert result["imported"] == 0 and len(result["failed"]) == 2
    with pytest.raises(shc.ControlError, match="409"):
        without_hub = random_account_id()
        shc.seed_native_findings(
            endpoint, without_hub, REGION, [native_patch_finding(without_hub, "n", "i-1")]
        )
