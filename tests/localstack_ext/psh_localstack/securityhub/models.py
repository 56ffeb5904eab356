"""Per account/region state of the Security Hub emulation, and operations shared with the control routes."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute

from . import asff
from .products import ProductArn, parse_product_arn


@dataclass
class Hub:
    hub_arn: str
    subscribed_at: str
    auto_enable_controls: bool = True
    control_finding_generator: str = "SECURITY_CONTROL"
    enable_default_standards: bool = True
    tags: dict[str, str] = field(default_factory=dict)


class SecurityHubStore(BaseStore):
    hub: Hub | None = LocalAttribute(default=None)
    # product ARN -> product subscription ARN, in the order they were enabled
    subscriptions: dict[str, str] = LocalAttribute(default=dict)
    # (ProductArn, Id) -> finding
    findings: dict[tuple[str, str], asff.StoredFinding] = LocalAttribute(default=dict)


securityhub_stores: AccountRegionBundle[SecurityHubStore] = AccountRegionBundle(
    "securityhub", SecurityHubStore
)

# One lock for all stores: requests run on several threads and imports read-modify-write findings.
STATE_LOCK = threading.RLock()
_SEQUENCE = itertools.count(1)


def next_sequence() -> int:
    return next(_SEQUENCE)


def reset_all() -> None:
    with STATE_LOCK:
        securityhub_stores.reset()


def upsert_finding(
    store: SecurityHubStore, incoming: dict[str, Any], product: ProductArn, region: str
) -> bool:
    """Create or update one validated finding. False if an update was ignored (UpdatedAt not later)."""
    key = (incoming["ProductArn"], incoming["Id"])
    existing = store.findings.get(key)
    if existing is None:
        store.findings[key] = asff.create(incoming, product, region, next_sequence())
        return True
    return asff.apply_update(existing, incoming, product, region)


class SeedError(Exception):
    pass


def seed_native_findings(account_id: str, region: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Import findings as an AWS integration (e.g. aws/ssm-patch-manager) would; customers cannot do this."""
    store = securityhub_stores[account_id][region]
    results: dict[str, Any] = {"imported": 0, "ignored": 0, "failed": []}
    with STATE_LOCK:
        if store.hub is None:
            raise SeedError(f"Security Hub is not enabled in account {account_id} region {region}")
        for finding in findings:
            finding_id = finding.get("Id") if isinstance(finding, dict) else None
            try:
                asff.validate(finding)
            except asff.InvalidFindingError as error:
                results["failed"].append({"Id": finding_id, "ErrorMessage": str(error)})
                continue
            product = parse_product_arn(finding["ProductArn"])
            if product is None or not product.is_aws or product.region != region:
                results["failed"].append(
                    {"Id": finding_id, "ErrorMessage": f"ProductArn must be an AWS product in {region}"}
                )
                continue
            if finding["AwsAccountId"] != account_id:
                results["failed"].append(
                    {"Id": finding_id, "ErrorMessage": "AwsAccountId must be the account"}
                )
                continue
            if upsert_finding(store, finding, product, region):
                results["imported"] += 1
            else:
                results["ignored"] += 1
    return results
