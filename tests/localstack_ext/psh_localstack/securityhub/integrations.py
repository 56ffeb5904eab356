"""Products and product subscriptions: DescribeProducts, EnableImportFindingsForProduct,
DisableImportFindingsForProduct, ListEnabledProductsForImport (Security Hub API Reference of each).

Who may import under which product is in products.py and findings.authorize_import.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .hub import enabled_hub
from .models import STATE_LOCK, SecurityHubStore
from .pagination import page
from .products import (
    CATALOG,
    catalog_entry,
    catalog_product_arn,
    parse_product_arn,
    parse_subscription_arn,
    subscription_arn,
)


def describe_products(
    store: SecurityHubStore, account_id: str, region: str, partition: str, request: dict[str, Any]
) -> dict[str, Any]:
    with STATE_LOCK:
        enabled_hub(store, account_id)
    products = []
    for entry in CATALOG:
        arn = catalog_product_arn(entry, region, partition)
        if request.get("ProductArn") and request["ProductArn"] != arn:
            continue
        products.append(
            {
                "ProductArn": arn,
                "ProductName": entry.product_name,
                "CompanyName": entry.company_name,
                "Description": entry.description,
                "Categories": list(entry.categories),
                "IntegrationTypes": list(entry.integration_types),
            }
        )
    items, token = page(products, request, {"op": "DescribeProducts", "arn": request.get("ProductArn")})
    return {"Products": items, **token}


def enable_import_findings_for_product(
    store: SecurityHubStore, account_id: str, region: str, request: dict[str, Any]
) -> dict[str, Any]:
    raw = request.get("ProductArn", "")
    product = parse_product_arn(raw)
    if product is None:
        raise errors.invalid_input(f"Invalid ProductArn: {raw}")
    with STATE_LOCK:
        enabled_hub(store, account_id)
        if product.region != region:
            raise errors.invalid_input(f"ProductArn {raw} is not in region {region}")
        # A product of the catalog, or the account's own default product (custom integrations: user guide,
        # "Using custom product integrations to send findings to Security Hub").
        own_custom = product.is_custom and product.account == account_id
        if catalog_entry(product) is None and not own_custom:
            raise errors.invalid_input(f"Product {raw} does not exist")
        # Subscribing to a subscribed product is a ResourceConflictException ("The resource specified in the
        # request conflicts with an existing resource", API Reference, EnableImportFindingsForProduct,
        # Errors), also for the AWS integrations that enabling the hub subscribed (hub.enable_security_hub).
        if raw in store.subscriptions:
            raise errors.conflict(f"Account {account_id} is already subscribed to product {raw}")
        arn = subscription_arn(product, account_id)
        store.subscriptions[raw] = arn
    return {"ProductSubscriptionArn": arn}


def disable_import_findings_for_product(
    store: SecurityHubStore, account_id: str, request: dict[str, Any]
) -> dict[str, Any]:
    arn = request.get("ProductSubscriptionArn", "")
    if parse_subscription_arn(arn) is None:
        raise errors.invalid_input(f"Invalid ProductSubscriptionArn: {arn}")
    with STATE_LOCK:
        enabled_hub(store, account_id)
        for product_arn, subscription in list(store.subscriptions.items()):
            if subscription == arn:
                del store.subscriptions[product_arn]
                return {}
    raise errors.not_found(f"Product subscription {arn} not found")


def list_enabled_products_for_import(
    store: SecurityHubStore, account_id: str, request: dict[str, Any]
) -> dict[str, Any]:
    with STATE_LOCK:
        enabled_hub(store, account_id)
        subscriptions = list(store.subscriptions.values())
    items, token = page(subscriptions, request, {"op": "ListEnabledProductsForImport"})
    return {"ProductSubscriptions": items, **token}
