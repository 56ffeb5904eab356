"""Plain data the pipeline passes between its pure steps (no AWS, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Managed node ids, as the DescribeInstanceInformation API reference documents them:
# `(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)` (ASCII word characters: AWS's own examples use ids like
# i-02573cafcfEXAMPLE; the event schema is stricter, lowercase hex as EC2 and SSM issue them).
# Always used with fullmatch: `$` in Python's re also matches before a trailing newline, so
# "i-0123456789abcdef0\n" would pass a `search` or `match`.
NODE_ID = re.compile(r"i-(?:\w{8}|\w{17})|mi-\w{17}", re.ASCII)


def is_node_id(value: object) -> bool:
    return isinstance(value, str) and NODE_ID.fullmatch(value) is not None


# Security Hub severity labels, least to most severe, with their Normalized values.
SEVERITY_ORDER = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
SEVERITY_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


@dataclass(frozen=True)
class PatchState:
    """One row of DescribeInstancePatchStates."""

    node_id: str
    baseline_id: str
    patch_group: str | None
    installed: int
    installed_other: int
    installed_pending_reboot: int
    installed_rejected: int
    missing: int
    failed: int
    operation: str  # Scan | Install
    operation_start: datetime
    operation_end: datetime
    reboot_option: str | None
    critical_non_compliant: int | None = None
    security_non_compliant: int | None = None
    other_non_compliant: int | None = None

    @property
    def counts_non_compliant(self) -> bool:
        explicit = (self.critical_non_compliant or 0) + (self.security_non_compliant or 0)
        explicit += self.other_non_compliant or 0
        summary = self.missing + self.failed + self.installed_pending_reboot + self.installed_rejected
        return explicit > 0 or summary > 0


@dataclass(frozen=True)
class PatchItem:
    """A non-compliant patch, merged from ListComplianceItems and/or DescribeInstancePatches."""

    patch_id: str
    title: str
    state: str  # Missing | Failed | InstalledPendingReboot | InstalledRejected | NonCompliant
    severity: str  # Security Hub label derived from the baseline's compliance level or vendor severity
    classification: str = ""
    cve_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeInfo:
    """One row of DescribeInstanceInformation."""

    node_id: str
    resource_type: str  # EC2Instance | ManagedInstance
    platform_type: str | None = None
    platform_name: str | None = None
    platform_version: str | None = None
    computer_name: str | None = None

    @property
    def on_premises(self) -> bool:
        return self.resource_type == "ManagedInstance" or self.node_id.startswith("mi-")


@dataclass
class NodeSnapshot:
    """Everything known about a node at one moment: the input of the finding builder."""

    node_id: str
    state: PatchState | None
    info: NodeInfo | None
    items: list[PatchItem] = field(default_factory=list)

    @property
    def non_compliant(self) -> bool:
        if self.state is None:
            return False
        return self.state.counts_non_compliant or bool(self.items)


@dataclass(frozen=True)
class PriorFinding:
    """What Security Hub already holds for a node (from GetFindings)."""

    finding_id: str
    created_at: datetime
    updated_at: datetime
    record_state: str
    compliance_status: str | None
    operation_end: datetime | None
    # UpdatedAt later than now plus the allowed clock skew: Security Hub ignores every update not later than
    # the stored UpdatedAt, so no import can replace this finding until then.
    updated_in_future: bool = False
    own: bool = True  # written by this product (finding.GENERATOR_ID, ProviderName, the account's product)
    # The stored finding as GetFindings returned it: archiving a node that is gone re-sends it.
    raw: dict[str, Any] | None = field(default=None, compare=False, repr=False)
