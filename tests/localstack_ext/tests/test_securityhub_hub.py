"""Security Hub emulation: the hub, its tags and product subscriptions (what Terraform's resources call)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from localaws_helpers import REGION, Account, error_code, make_client, status_code

PATCH_MANAGER = f"arn:aws:securityhub:{REGION}::product/aws/ssm-patch-manager"
PROWLER = f"arn:aws:securityhub:{REGION}::product/prowler/prowler"


def test_hub_operations_before_enabling_answer_invalid_access(account: Account) -> None:
    calls = [
        account.client.describe_hub,
        account.client.disable_security_hub,
        account.client.get_findings,
        account.client.list_enabled_products_for_import,
        lambda: account.client.update_security_hub_configuration(AutoEnableControls=False),
        lambda: account.client.enable_import_findings_for_product(ProductArn=PATCH_MANAGER),
    ]
    for call in calls:
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught.value) == "InvalidAccessException"
        assert status_code(caught.value) == 401
        # Terraform's aws_securityhub_account treats exactly this message as "not found".
        assert "not subscribed to AWS Security Hub" in str(caught.value)


def test_enable_describe_update_disable_round_trip(account: Account) -> None:
    account.client.enable_security_hub(
        Tags={"team": "sec"}, EnableDefaultStandards=True, ControlFindingGenerator="STANDARD_CONTROL"
    )
    described = account.client.describe_hub(HubArn=account.hub_arn)
    assert described["HubArn"] == account.hub_arn
    assert described["SubscribedAt"].endswith("Z")
    assert described["AutoEnableControls"] is True
    assert described["ControlFindingGenerator"] == "STANDARD_CONTROL"

    with pytest.raises(ClientError) as caught:
        account.client.enable_security_hub()
    assert error_code(caught.value) == "ResourceConflictException"

    account.client.update_security_hub_configuration(
        AutoEnableControls=False, ControlFindingGenerator="SECURITY_CONTROL"
    )
    described = account.client.describe_hub()
    assert described["AutoEnableControls"] is False
    assert described["ControlFindingGenerator"] == "SECURITY_CONTROL"

    account.client.disable_security_hub()
    with pytest.raises(ClientError) as caught:
        account.client.describe_hub()
    assert error_code(caught.value) == "InvalidAccessException"

    account.client.enable_security_hub()
    assert account.client.describe_hub()["ControlFindingGenerator"] == "SECURITY_CONTROL"


def test_enable_rejects_invalid_control_finding_generator(account: Account) -> None:
    with pytest.raises(ClientError) as caught:
        account.client.enable_security_hub(ControlFindingGenerator="SOMETHING_ELSE")
    assert error_code(caught.value) == "InvalidInputException"


def test_describe_hub_with_another_hub_arn_is_not_found(hub: Account) -> None:
    other = f"arn:aws:securityhub:{REGION}:123456789012:hub/default"
    with pytest.raises(ClientError) as caught:
        hub.client.describe_hub(HubArn=other)
    assert error_code(caught.value) == "ResourceNotFoundException"


def test_hubs_are_per_region(hub: Account, endpoint: str) -> None:
    other_region = make_client(endpoint, hub.id, region="eu-west-1")
    with pytest.raises(ClientError) as caught:
        other_region.describe_hub()
    assert error_code(caught.value) == "InvalidAccessException"


def test_tags_on_the_hub(account: Account) -> None:
    account.client.enable_security_hub(Tags={"a": "1", "b": "2"})
    assert account.client.list_tags_for_resource(ResourceArn=account.hub_arn)["Tags"] == {"a": "1", "b": "2"}
    account.client.tag_resource(ResourceArn=account.hub_arn, Tags={"b": "3", "c": "4"})
    account.client.untag_resource(ResourceArn=account.hub_arn, TagKeys=["a"])
    assert account.client.list_tags_for_resource(ResourceArn=account.hub_arn)["Tags"] == {"b": "3", "c": "4"}

    with pytest.raises(ClientError) as caught:
        account.client.tag_resource(ResourceArn=account.hub_arn, Tags={"aws:reserved": "x"})
    assert error_code(caught.value) == "InvalidInputException"

    unknown = f"arn:aws:securityhub:{REGION}:{account.id}:automation-rule/none"
    with pytest.raises(ClientError) as caught:
        account.client.list_tags_for_resource(ResourceArn=unknown)
    assert error_code(caught.value) == "ResourceNotFoundException"


def _subscription(account: Account, product: str) -> str:
    return f"arn:aws:securityhub:{REGION}:{account.id}:product-subscription/aws/{product}"


def test_enabling_the_hub_subscribes_the_aws_integrations_that_send_findings(hub: Account) -> None:
    # User guide, securityhub-internal-providers: AWS service integrations that send findings "are activated
    # automatically after you enable Security Hub CSPM".
    subscribed = hub.client.list_enabled_products_for_import()["ProductSubscriptions"]
    for product in ("ssm-patch-manager", "guardduty", "inspector", "config", "access-analyzer", "macie"):
        assert _subscription(hub, product) in subscribed
    assert not any("/prowler/" in arn for arn in subscribed)


def test_product_subscription_lifecycle(hub: Account) -> None:
    arn = _subscription(hub, "ssm-patch-manager")
    # Already subscribed by enabling the hub: EnableImportFindingsForProduct is a ResourceConflictException.
    with pytest.raises(ClientError) as caught:
        hub.client.enable_import_findings_for_product(ProductArn=PATCH_MANAGER)
    assert error_code(caught.value) == "ResourceConflictException"

    hub.client.disable_import_findings_for_product(ProductSubscriptionArn=arn)
    assert arn not in hub.client.list_enabled_products_for_import()["ProductSubscriptions"]
    with pytest.raises(ClientError) as caught:
        hub.client.disable_import_findings_for_product(ProductSubscriptionArn=arn)
    assert error_code(caught.value) == "ResourceNotFoundException"

    # Disabled by hand, the integration is enabled again as a new subscription.
    again = hub.client.enable_import_findings_for_product(ProductArn=PATCH_MANAGER)["ProductSubscriptionArn"]
    assert again == arn
    assert arn in hub.client.list_enabled_products_for_import()["ProductSubscriptions"]
    with pytest.raises(ClientError) as caught:
        hub.client.enable_import_findings_for_product(ProductArn=PATCH_MANAGER)
    assert error_code(caught.value) == "ResourceConflictException"


def test_enable_import_rejects_unknown_or_foreign_products(hub: Account) -> None:
    for product in (
        f"arn:aws:securityhub:{REGION}::product/nobody/nothing",
        "arn:aws:securityhub:eu-west-1::product/aws/ssm-patch-manager",
        "not-an-arn",
    ):
        with pytest.raises(ClientError) as caught:
            hub.client.enable_import_findings_for_product(ProductArn=product)
        assert error_code(caught.value) == "InvalidInputException", product


def test_list_enabled_products_pages(hub: Account) -> None:
    automatic = hub.client.list_enabled_products_for_import()["ProductSubscriptions"]
    expected = [
        *automatic,
        hub.client.enable_import_findings_for_product(ProductArn=PROWLER)["ProductSubscriptionArn"],
    ]
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = hub.client.list_enabled_products_for_import(
            MaxResults=2, **({"NextToken": token} if token else {})
        )
        seen.extend(page["ProductSubscriptions"])
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert seen == expected
    assert pages == (len(expected) + 1) // 2


def test_disable_hub_drops_subscriptions(hub: Account) -> None:
    automatic = hub.client.list_enabled_products_for_import()["ProductSubscriptions"]
    hub.client.enable_import_findings_for_product(ProductArn=PROWLER)
    hub.client.disable_security_hub()
    hub.client.enable_security_hub()
    # Re-enabled, the hub has the automatic subscriptions again and none of the earlier hub's own.
    assert hub.client.list_enabled_products_for_import()["ProductSubscriptions"] == automatic


def test_describe_products_lists_the_catalog(hub: Account) -> None:
    products = hub.client.describe_products()["Products"]
    by_arn = {p["ProductArn"]: p for p in products}
    assert by_arn[PATCH_MANAGER]["ProductName"] == "Systems Manager Patch Manager"
    assert by_arn[PATCH_MANAGER]["CompanyName"] == "AWS"
    only = hub.client.describe_products(ProductArn=PROWLER)["Products"]
    assert [p["ProductArn"] for p in only] == [PROWLER]
