"""Per account and Region state of the Security Hub emulation (LocalStack's store bundle)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute

from . import asff


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
    # (ProductArn, Id) -> finding: a finding is identified by its product and its Id (ASFF, "Id": "The
    # product-specific identifier for a finding")
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
