"""Security Hub emulation: the rules BatchImportFindings enforces."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from localaws_helpers import REGION, Account, error_code, make_finding, status_code
from psh_localstack.client import securityhub as shc

PATCH_MANAGER = f"arn:aws:securityhub:{REGION}::product/aws/ssm-patch-manager"
PROWLER = f"arn:aws:securityhub:{REGION}::product/prowler/prowler"


def _import(account: Account, *findings: dict, raw: bool = False) -> dict:
    client = account.raw_client if raw else account.client
    return client.batch_import_findings(Findings=list(findings))


def _single_failure(response: dict) -> tuple[str, str]:
    assert response["SuccessCount"] == 0 and response["FailedCount"] == 1, response
    failure = response["FailedFindings"][0]
    return failure["ErrorCode"], failure["ErrorMessage"]


def test_import_creates_a_finding_with_service_fields(hub: Account) -> None:
    response = _import(hub, hub.finding("f-1", FirstObservedAt="2025-12-31T23:00:00Z"))
    assert response == {**response, "SuccessCount": 1, "FailedCount": 0, "FailedFindings": []}
    stored = hub.get_one("f-1")
    assert stored["ProductName"] == "Default"
    assert stored["CompanyName"] == "Personal"
    assert stored["Region"] == REGION
    assert stored["Severity"] == {"Label": "HIGH", "Normalized": 70}
    assert stored["FindingProviderFields"]["Severity"]["Label"] == "HIGH"
    assert stored["FindingProviderFields"]["Types"] == ["Software and Configuration Checks/Patch Management"]
    assert stored["Workflow"] == {"Status": "NEW"}
    assert stored["RecordState"] == "ACTIVE"
    assert stored["FirstObservedAt"] == "2025-12-31T23:00:00Z"
    assert stored["ProductFields"]["aws/securityhub/FindingId"] == f"{hub.product_arn}/f-1"


def test_import_accepts_the_type_namespace_spelling_of_native_patch_findings(hub: Account) -> None:
    patch_type = "Software & Configuration Checks/Patch Management/Compliance"
    response = _import(hub, hub.finding("f-amp", Types=[patch_type]))
    assert response["SuccessCount"] == 1, response
    assert hub.get_one("f-amp")["Types"] == [patch_type]


def test_import_without_hub_fails_each_finding_with_invalid_access(account: Account) -> None:
    code, message = _single_failure(_import(account, account.finding("f-1")))
    assert code == "InvalidAccess"
    assert "not subscribed" in message


def test_import_for_another_account_is_access_denied(hub: Account) -> None:
    foreign = hub.finding("f-1", AwsAccountId="123456789012")
    with pytest.raises(ClientError) as caught:
        _import(hub, hub.finding("ok"), foreign)
    assert error_code(caught.value) == "AccessDeniedException"
    assert status_code(caught.value) == 403
    assert hub.client.get_findings()["Findings"] == []  # the whole request was refused


@pytest.mark.parametrize(
    "product_arn",
    [
        PATCH_MANAGER,  # AWS's own integrations cannot be written by customers
        f"arn:aws:securityhub:{REGION}:123456789012:product/123456789012/default",  # someone else's product
        "arn:aws:securityhub:eu-west-1:{account}:product/{account}/default",  # another region
    ],
)
def test_import_under_a_product_the_caller_does_not_own_is_access_denied(
    hub: Account, product_arn: str
) -> None:
    with pytest.raises(ClientError) as caught:
        _import(hub, hub.finding("f-1", ProductArn=product_arn.format(account=hub.id)))
    assert error_code(caught.value) == "AccessDeniedException"


def test_partner_product_needs_a_subscription(hub: Account) -> None:
    partner = make_finding(hub.id, PROWLER, "p-1")
    assert _single_failure(_import(hub, partner))[0] == "InvalidAccess"
    hub.client.enable_import_findings_for_product(ProductArn=PROWLER)
    assert _import(hub, partner)["SuccessCount"] == 1
    stored = hub.get_one("p-1", PROWLER)
    assert (stored["ProductName"], stored["CompanyName"]) == ("Prowler", "Prowler")


def test_more_than_100_findings_is_rejected_whole(hub: Account) -> None:
    findings = [hub.finding(f"f-{i}") for i in range(101)]
    with pytest.raises(ClientError) as caught:
        _import(hub, *findings)
    assert error_code(caught.value) == "InvalidInputException"
    assert _import(hub, *findings[:100])["SuccessCount"] == 100


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"SchemaVersion": "2018-10-09"}, "SchemaVersion"),
        ({"Title": "t" * 257}, "Title should NOT be longer than 256"),
        ({"Description": "d" * 1025}, "Description should NOT be longer than 1024"),
        ({"Severity": {"Label": "SEVERE"}}, "Severity.Label"),
        ({"RecordState": "DELETED"}, "RecordState"),
        ({"Compliance": {"Status": "BROKEN"}}, "Compliance.Status"),
        ({"Workflow": {"Status": "DONE"}}, "Workflow.Status"),
        ({"VerificationState": "MAYBE"}, "VerificationState"),
        ({"PatchSummary": {"Id": "pb-1", "Operation": "Scan"}}, "PatchSummary.Operation"),
        ({"PatchSummary": {"Id": "pb-1", "RebootOption": "Always"}}, "PatchSummary.RebootOption"),
        ({"PatchSummary": {"Id": "pb-1", "MissingCount": 100_001}}, "PatchSummary.MissingCount"),
        ({"UpdatedAt": "2026-01-01 00:00:00"}, "UpdatedAt"),
        ({"Types": ["Not A Namespace/Thing"]}, "Types[0]"),
        ({"Resources": []}, "Resources"),
        ({"AwsAccountId": "12345"}, "AwsAccountId"),
    ],
)
def test_format_violations_fail_the_finding(hub: Account, change: dict, expected: str) -> None:
    code, message = _single_failure(_import(hub, hub.finding("bad", **change), raw=True))
    assert code == "InvalidInput"
    assert message.startswith("Finding does not adhere to Amazon Finding Format.")
    assert expected in message


@pytest.mark.parametrize(
    "field", ["Title", "Description", "GeneratorId", "CreatedAt", "UpdatedAt", "Resources"]
)
def test_missing_required_field_fails_the_finding(hub: Account, field: str) -> None:
    finding = hub.finding("bad")
    del finding[field]
    code, message = _single_failure(_import(hub, finding, raw=True))
    assert code == "InvalidInput"
    assert f"required property '{field}'" in message


def test_severity_and_types_may_come_from_finding_provider_fields_only(hub: Account) -> None:
    finding = hub.finding("fpf")
    del finding["Severity"], finding["Types"]
    assert _single_failure(_import(hub, dict(finding, Id="none"), raw=True))[0] == "InvalidInput"
    finding["FindingProviderFields"] = {
        "Severity": {"Label": "CRITICAL", "Original": "Critical"},
        "Types": ["Software and Configuration Checks/Patch Management"],
    }
    assert _import(hub, finding)["SuccessCount"] == 1
    stored = hub.get_one("fpf")
    assert stored["Severity"]["Label"] == "CRITICAL" and stored["Severity"]["Normalized"] == 90


def test_finding_over_240_kb_fails(hub: Account) -> None:
    big_details = {f"k{i}": "x" * 2000 for i in range(130)}
    finding = hub.finding("big")
    finding["Resources"][0]["Details"] = {"Other": big_details}
    code, message = _single_failure(_import(hub, finding))
    assert code == "InvalidInput"
    assert "240 KB" in message


def test_mixed_batch_reports_each_failure(hub: Account) -> None:
    response = _import(hub, hub.finding("good"), hub.finding("bad", Title="t" * 300), hub.finding("good-2"))
    assert response["SuccessCount"] == 2 and response["FailedCount"] == 1
    assert [f["Id"] for f in response["FailedFindings"]] == ["bad"]


def test_update_applies_only_when_updated_at_is_later(hub: Account) -> None:
    _import(hub, hub.finding("u", UpdatedAt="2026-01-02T00:00:00Z", Title="first"))
    for stale in ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-02T01:00:00+02:00"):
        response = _import(hub, hub.finding("u", UpdatedAt=stale, Title="stale"))
        assert response["SuccessCount"] == 1  # ignored updates are not failures
        assert hub.get_one("u")["Title"] == "first"
    _import(
        hub,
        hub.finding(
            "u", UpdatedAt="2026-01-02T00:00:00.001Z", Title="second", CreatedAt="2026-01-02T00:00:00Z"
        ),
    )
    stored = hub.get_one("u")
    assert stored["Title"] == "second"
    assert stored["UpdatedAt"] == "2026-01-02T00:00:00.001Z"
    # CreatedAt is not among the fields an update cannot change (user guide, "Using BatchImportFindings to
    # create and update findings"): stored as the provider sent it.
    assert stored["CreatedAt"] == "2026-01-02T00:00:00Z"


def test_update_stores_created_at_as_the_provider_sends_it(hub: Account) -> None:
    _import(hub, hub.finding("ca", CreatedAt="2026-01-01T00:00:00Z", UpdatedAt="2026-01-01T00:00:00Z"))
    _import(hub, hub.finding("ca", CreatedAt="2025-06-01T08:00:00Z", UpdatedAt="2026-01-02T00:00:00Z"))
    assert hub.get_one("ca")["CreatedAt"] == "2025-06-01T08:00:00Z"
    # An ignored update (UpdatedAt not later) changes nothing, CreatedAt included.
    _import(hub, hub.finding("ca", CreatedAt="2024-01-01T00:00:00Z", UpdatedAt="2026-01-02T00:00:00Z"))
    assert hub.get_one("ca")["CreatedAt"] == "2025-06-01T08:00:00Z"
    # Filters see the stored value.
    window = {"CreatedAt": [{"Start": "2025-06-01T00:00:00Z", "End": "2025-06-02T00:00:00Z"}]}
    assert [f["Id"] for f in hub.client.get_findings(Filters=window)["Findings"]] == ["ca"]


def test_customer_owned_fields_are_taken_on_create_and_ignored_on_update(hub: Account) -> None:
    note = {"Text": "from provider", "UpdatedBy": "provider", "UpdatedAt": "2026-01-01T00:00:00Z"}
    _import(
        hub,
        hub.finding(
            "c",
            Note=note,
            UserDefinedFields={"k": "v"},
            VerificationState="TRUE_POSITIVE",
            Workflow={"Status": "NOTIFIED"},
        ),
    )
    created = hub.get_one("c")
    assert created["Note"]["Text"] == "from provider" and created["Workflow"]["Status"] == "NOTIFIED"
    _import(
        hub,
        hub.finding(
            "c",
            UpdatedAt="2026-01-03T00:00:00Z",
            Note=dict(note, Text="changed"),
            UserDefinedFields={"k": "changed"},
            VerificationState="FALSE_POSITIVE",
            Workflow={"Status": "SUPPRESSED"},
        ),
    )
    updated = hub.get_one("c")
    assert updated["Note"]["Text"] == "from provider"
    assert updated["UserDefinedFields"] == {"k": "v"}
    assert updated["VerificationState"] == "TRUE_POSITIVE"
    assert updated["Workflow"]["Status"] == "NOTIFIED"
    assert updated["UpdatedAt"] == "2026-01-03T00:00:00Z"


@pytest.mark.parametrize("workflow", ["NOTIFIED", "RESOLVED"])
def test_unarchiving_reopens_notified_or_resolved_workflow(hub: Account, workflow: str) -> None:
    _import(hub, hub.finding("r", RecordState="ARCHIVED"))
    hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "r", "ProductArn": hub.product_arn}], Workflow={"Status": workflow}
    )
    _import(hub, hub.finding("r", RecordState="ACTIVE", UpdatedAt="2026-01-05T00:00:00Z"))
    assert hub.get_one("r")["Workflow"]["Status"] == "NEW"


def test_compliance_regression_reopens_resolved_workflow(hub: Account) -> None:
    _import(hub, hub.finding("cr", Compliance={"Status": "PASSED"}))
    hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "cr", "ProductArn": hub.product_arn}], Workflow={"Status": "RESOLVED"}
    )
    _import(hub, hub.finding("cr", Compliance={"Status": "PASSED"}, UpdatedAt="2026-01-02T00:00:00Z"))
    assert hub.get_one("cr")["Workflow"]["Status"] == "RESOLVED"  # no change of status: stays resolved
    _import(hub, hub.finding("cr", Compliance={"Status": "FAILED"}, UpdatedAt="2026-01-03T00:00:00Z"))
    assert hub.get_one("cr")["Workflow"]["Status"] == "NEW"


def test_suppressed_workflow_is_not_reopened(hub: Account) -> None:
    _import(hub, hub.finding("s", RecordState="ARCHIVED", Compliance={"Status": "PASSED"}))
    hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "s", "ProductArn": hub.product_arn}], Workflow={"Status": "SUPPRESSED"}
    )
    _import(hub, hub.finding("s", UpdatedAt="2026-01-02T00:00:00Z"))
    assert hub.get_one("s")["Workflow"]["Status"] == "SUPPRESSED"


def test_provider_severity_applies_unless_the_customer_changed_it(hub: Account) -> None:
    _import(hub, hub.finding("sev", Severity={"Label": "LOW"}))
    _import(
        hub,
        hub.finding(
            "sev",
            FindingProviderFields={"Severity": {"Label": "MEDIUM"}},
            Severity={"Label": "MEDIUM"},
            UpdatedAt="2026-01-02T00:00:00Z",
        ),
    )
    assert hub.get_one("sev")["Severity"]["Label"] == "MEDIUM"
    hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "sev", "ProductArn": hub.product_arn}], Severity={"Label": "CRITICAL"}
    )
    _import(
        hub,
        hub.finding(
            "sev",
            FindingProviderFields={"Severity": {"Label": "LOW"}},
            Severity={"Label": "LOW"},
            UpdatedAt="2026-01-03T00:00:00Z",
        ),
    )
    stored = hub.get_one("sev")
    assert stored["Severity"]["Label"] == "CRITICAL"
    assert stored["FindingProviderFields"]["Severity"]["Label"] == "LOW"


def test_custom_integration_may_name_its_product(hub: Account) -> None:
    _import(hub, hub.finding("named", ProductName="Example Scanner", CompanyName="Example Corp"))
    stored = hub.get_one("named")
    assert (stored["ProductName"], stored["CompanyName"]) == ("Example Scanner", "Example Corp")
    assert stored["ProductFields"]["aws/securityhub/ProductName"] == "Default"
    assert stored["ProductFields"]["aws/securityhub/CompanyName"] == "Personal"


def test_import_without_hub_can_fail_the_whole_call(account: Account, endpoint: str) -> None:
    try:
        state = shc.set_behaviour(endpoint, hub_disabled_import="whole_call")
        assert state["behaviour"]["hub_disabled_import"] == "whole_call"
        with pytest.raises(ClientError) as caught:
            _import(account, account.finding("f-1"))
        assert error_code(caught.value) == "InvalidAccessException"
        assert status_code(caught.value) == 401
    finally:
        shc.reset_behaviour(endpoint)
    assert _single_failure(_import(account, account.finding("f-1")))[0] == "InvalidAccess"


def test_import_after_the_hub_is_disabled_fails_each_finding(hub: Account) -> None:
    hub.client.disable_security_hub()
    code, message = _single_failure(_import(hub, hub.finding("f-1")))
    assert code == "InvalidAccess" and "not subscribed" in message


def test_an_empty_batch_is_rejected_whole(hub: Account) -> None:
    # botocore checks the list's minimum of 1 only with parameter validation on; the service refuses it too.
    with pytest.raises(ClientError) as caught:
        hub.raw_client.batch_import_findings(Findings=[])
    assert error_code(caught.value) == "InvalidInputException"
    assert status_code(caught.value) == 400
