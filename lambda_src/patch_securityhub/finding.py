"""Pure ASFF builder: NodeSnapshot (+ what Security Hub already holds) -> one finding, or nothing.

No boto3 and no I/O here, so the CLI, the Lambda and the tests share exactly the same logic.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import __version__
from .model import SEVERITY_NORMALIZED, SEVERITY_ORDER, NodeSnapshot, PatchItem, PriorFinding
from .outcome import IMPORTED, RESOLVED, SKIPPED, Decision
from .timeutil import ONE_MS, format_rfc3339

PROVIDER_NAME = "patch-securityhub"
SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software & Configuration Checks/Patch Management/Compliance"
GENERATOR_ID = "patch-securityhub/ssm-patch-compliance"
TITLE_NON_COMPLIANT = "Systems Manager Patch Summary - Managed Instance Non-Compliant"
TITLE_COMPLIANT = "Systems Manager Patch Summary - Managed Instance Compliant"
TITLE_GONE = "Systems Manager Patch Summary - Managed Instance No Longer Exists"
DESCRIPTION = (
    "This AWS control checks whether each instance that is managed by AWS Systems Manager is in compliance "
    "with the rules of the patch baseline that applies to that instance when a compliance Scan runs."
)
REMEDIATION_TEXT = (
    "For information about bringing instances into patch compliance, see "
    "'Remediating out-of-compliance instances (Patch Manager)'."
)
REMEDIATION_URL = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-compliance-remediation.html"
)
MAX_FINDING_BYTES = 240 * 1024
PRODUCT_FIELD_VALUE_MAX = 2048
# ASFF limits (BatchImportFindings: Title <= 256, Description <= 1024 characters, a ProductFields value
# <= 2048; Resources[].Details.Other values: the project's ASFF schema allows 1023).
TITLE_MAX = 256
DESCRIPTION_MAX = 1024
OTHER_DETAIL_VALUE_MAX = 1023
TRUNCATED_MARKER = " [truncated]"
PATCH_LIST_KEYS = 18
CVE_LIST_KEYS = 14
_FIELD_PREFIX = "patch-securityhub/"


@dataclass(frozen=True)
class FindingContext:
    account: str
    region: str
    onprem_resource_type: str = "AwsEc2Instance"
    provider_version: str = __version__

    @property
    def partition(self) -> str:
        return partition_for(self.region)


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def product_arn(account: str, region: str) -> str:
    """The account's own custom integration: the only product a customer may import into."""
    return f"arn:{partition_for(region)}:securityhub:{region}:{account}:product/{account}/default"


def finding_id(account: str, region: str, node_id: str) -> str:
    """One stable id per (account, region, node): every scan updates the same finding in place."""
    return f"arn:{partition_for(region)}:securityhub:{region}:{account}:{PROVIDER_NAME}/{node_id}"


def source_url(region: str, node_id: str) -> str:
    domain = {
        "aws-cn": "console.amazonaws.cn",
        "aws-us-gov": "console.amazonaws-us-gov.com",
    }.get(partition_for(region), "console.aws.amazon.com")
    return f"https://{region}.{domain}/systems-manager/fleet-manager/{node_id}/patch?region={region}"


def most_severe(items: list[PatchItem], critical_count: int | None = None) -> str:
    """Most severe non-compliant patch; without item details, a critical count still means CRITICAL."""
    rank = max((SEVERITY_ORDER.index(i.severity) for i in items if i.severity in SEVERITY_ORDER), default=0)
    if critical_count:
        rank = max(rank, SEVERITY_ORDER.index("CRITICAL"))
    return SEVERITY_ORDER[rank]


def decide(snapshot: NodeSnapshot, prior: PriorFinding | None, event_time: datetime | None) -> Decision:
    """What to do with a node, given its current SSM state and the finding Security Hub already holds.

    The snapshot is read from SSM now, so it is never older than the event that triggered it; what can be
    older is SSM's read itself (eventual consistency) or an event about a scan already published.
    """
    state = snapshot.state
    if state is None:
        return Decision(SKIPPED, "no_patch_state")
    wanted = "FAILED" if snapshot.non_compliant else "PASSED"
    if prior is not None and prior.operation_end is not None:
        if state.operation_end < prior.operation_end:
            return Decision(SKIPPED, "stale_state")
        same_scan = state.operation_end == prior.operation_end
        if event_time is not None and same_scan and prior.compliance_status == wanted:
            return Decision(SKIPPED, "stale_event" if event_time < state.operation_end else "unchanged")
    if snapshot.non_compliant:
        return Decision(IMPORTED, "non_compliant")
    if prior is None:
        return Decision(SKIPPED, "compliant_no_finding")
    if prior.record_state == "ARCHIVED" and prior.compliance_status == "PASSED":
        return Decision(SKIPPED, "already_resolved")
    return Decision(RESOLVED, "compliant")


def _severity_block(label: str) -> dict[str, Any]:
    return {"Label": label, "Normalized": SEVERITY_NORMALIZED[label]}


def _pack(entries: list[str], separator: str, keys: int) -> tuple[list[str], int]:
    """Greedily pack entries into at most `keys` strings of <= 2048 chars -> (chunks, entries packed)."""
    chunks: list[str] = []
    current = ""
    packed = 0
    for entry in entries:
        candidate = entry if not current else current + separator + entry
        # An entry longer than a value still takes a value of its own: _fit_product_fields cuts it.
        if not current or len(candidate) <= PRODUCT_FIELD_VALUE_MAX:
            current = candidate
            packed += 1
            continue
        chunks.append(current)
        if len(chunks) == keys:
            return chunks, packed
        current = entry
        packed += 1
    if current:
        chunks.append(current)
    return chunks, packed


def cut(value: str, limit: int) -> str:
    """`value` within `limit` characters; a cut value ends with TRUNCATED_MARKER so a reader knows."""
    if len(value) <= limit:
        return value
    return value[: limit - len(TRUNCATED_MARKER)] + TRUNCATED_MARKER


def _fit_product_fields(product: dict[str, str]) -> dict[str, str]:
    """Cut every value over PRODUCT_FIELD_VALUE_MAX (never drop it) and say so in Truncated/TruncationNote."""
    oversized = sorted(key for key, value in product.items() if len(value) > PRODUCT_FIELD_VALUE_MAX)
    if not oversized:
        return product
    fitted = {key: cut(value, PRODUCT_FIELD_VALUE_MAX) for key, value in product.items()}
    note = f"Cut to {PRODUCT_FIELD_VALUE_MAX} characters: {', '.join(oversized)}."
    truncated_key, note_key = _FIELD_PREFIX + "Truncated", _FIELD_PREFIX + "TruncationNote"
    if truncated_key in fitted:  # the two keys already exist for a non-compliant node: update them in place
        fitted[truncated_key] = "true"
        earlier = fitted.get(note_key)
        fitted[note_key] = cut(f"{earlier} {note}" if earlier else note, PRODUCT_FIELD_VALUE_MAX)
    elif len(fitted) <= 48:  # ASFF allows 50 keys
        fitted[truncated_key] = "true"
        fitted[note_key] = cut(note, PRODUCT_FIELD_VALUE_MAX)
    return fitted


def _patch_entry(item: PatchItem) -> str:
    entry = f"{item.patch_id} [{item.state}, {item.severity}]"
    return entry[:300]


def _ordered_items(items: list[PatchItem]) -> list[PatchItem]:
    return sorted(items, key=lambda i: (-SEVERITY_ORDER.index(i.severity), i.state, i.patch_id))


def _patch_fields(items: list[PatchItem]) -> dict[str, str]:
    ordered = _ordered_items(items)
    patch_chunks, patches_listed = _pack([_patch_entry(i) for i in ordered], "; ", PATCH_LIST_KEYS)
    cves: list[str] = []
    seen: set[str] = set()
    for item in ordered:  # CVEs of the most severe patches first, so truncation drops the least severe
        for cve in item.cve_ids:
            if cve not in seen:
                seen.add(cve)
                cves.append(cve)
    cve_chunks, cves_listed = _pack(cves, ",", CVE_LIST_KEYS)
    fields = {
        "NonCompliantPatchCount": str(len(ordered)),
        "NonCompliantPatchesListed": str(patches_listed),
        "CveCount": str(len(cves)),
        "CvesListed": str(cves_listed),
    }
    truncated = patches_listed < len(ordered) or cves_listed < len(cves)
    fields["Truncated"] = "true" if truncated else "false"
    if truncated:
        fields["TruncationNote"] = (
            f"Listed {patches_listed} of {len(ordered)} non-compliant patches and "
            f"{cves_listed} of {len(cves)} CVE ids (most severe first) to stay within Security Hub limits; "
            "see Systems Manager Patch Manager for the full list."
        )
    for index, chunk in enumerate(patch_chunks, start=1):
        fields[f"NonCompliantPatches/{index:02d}"] = chunk
    for index, chunk in enumerate(cve_chunks, start=1):
        fields[f"CveIds/{index:02d}"] = chunk
    return fields


def _product_fields(
    snapshot: NodeSnapshot,
    ctx: FindingContext,
    include_patches: bool,
    known_platform: dict[str, str] | None = None,
) -> dict[str, str]:
    state = snapshot.state
    assert state is not None
    fields: dict[str, str] = {}
    info = snapshot.info
    on_prem = info.on_premises if info else snapshot.node_id.startswith("mi-")
    fields["ResourceKind"] = "ManagedInstance" if on_prem else "EC2Instance"
    if info is None:  # SSM does not list a stopped node: keep what the published finding said of it
        fields.update(known_platform or {})
    if info and info.platform_type:
        fields["PlatformType"] = info.platform_type
    if info and info.platform_name:
        fields["PlatformName"] = info.platform_name
    if state.patch_group:
        fields["PatchGroup"] = state.patch_group
    for key, value in (
        ("CriticalNonCompliantCount", state.critical_non_compliant),
        ("SecurityNonCompliantCount", state.security_non_compliant),
        ("OtherNonCompliantCount", state.other_non_compliant),
    ):
        if value is not None:
            fields[key] = str(value)
    if include_patches:
        fields.update(_patch_fields(snapshot.items))
    product = {"ProviderName": PROVIDER_NAME, "ProviderVersion": ctx.provider_version}
    product.update({_FIELD_PREFIX + key: value for key, value in fields.items()})
    return _fit_product_fields(product)


def _resource(snapshot: NodeSnapshot, ctx: FindingContext) -> dict[str, Any]:
    info = snapshot.info
    on_prem = info.on_premises if info else snapshot.node_id.startswith("mi-")
    resource_type = ctx.onprem_resource_type if on_prem else "AwsEc2Instance"
    resource: dict[str, Any] = {
        "Type": resource_type,
        "Id": snapshot.node_id,
        "Partition": ctx.partition,
        "Region": ctx.region,
    }
    if resource_type == "Other":
        other = {"ManagedNodeId": snapshot.node_id, "OnPremises": "true"}
        if info and info.platform_name:
            other["PlatformName"] = cut(info.platform_name, OTHER_DETAIL_VALUE_MAX)
        if info and info.computer_name:
            other["ComputerName"] = cut(info.computer_name, OTHER_DETAIL_VALUE_MAX)
        resource["Details"] = {"Other": other}
    return resource


def _patch_summary(snapshot: NodeSnapshot) -> dict[str, Any]:
    state = snapshot.state
    assert state is not None
    summary: dict[str, Any] = {
        "Id": state.baseline_id,
        "InstalledCount": state.installed,
        "MissingCount": state.missing,
        "FailedCount": state.failed,
        "InstalledOtherCount": state.installed_other,
        "InstalledRejectedCount": state.installed_rejected,
        "InstalledPendingReboot": state.installed_pending_reboot,
        "OperationStartTime": format_rfc3339(state.operation_start),
        "OperationEndTime": format_rfc3339(state.operation_end),
    }
    if state.reboot_option:
        summary["RebootOption"] = state.reboot_option
    summary["Operation"] = state.operation.upper()
    return summary


def timestamps(prior: PriorFinding | None, now: datetime) -> tuple[datetime, datetime]:
    """(CreatedAt, UpdatedAt): CreatedAt from the first import, UpdatedAt strictly after the stored one."""
    updated = now if prior is None or now > prior.updated_at else prior.updated_at + ONE_MS
    created = prior.created_at if prior is not None and prior.created_at <= updated else updated
    return created, updated


def build_finding(
    snapshot: NodeSnapshot, ctx: FindingContext, *, prior: PriorFinding | None, now: datetime
) -> dict[str, Any]:
    """The ASFF finding for a node: ACTIVE/FAILED when non-compliant, ARCHIVED/PASSED when resolved."""
    if snapshot.state is None:
        raise ValueError(f"{snapshot.node_id} has no patch state to report")
    non_compliant = snapshot.non_compliant
    state = snapshot.state
    label = most_severe(snapshot.items, state.critical_non_compliant) if non_compliant else "INFORMATIONAL"
    created, updated = timestamps(prior, now)
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(ctx.account, ctx.region, snapshot.node_id),
        "ProductArn": product_arn(ctx.account, ctx.region),
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": ctx.account,
        "Types": [FINDING_TYPE],
        "CreatedAt": format_rfc3339(created),
        "UpdatedAt": format_rfc3339(updated),
        "LastObservedAt": format_rfc3339(state.operation_end),
        "Severity": _severity_block(label),
        "Title": cut(TITLE_NON_COMPLIANT if non_compliant else TITLE_COMPLIANT, TITLE_MAX),
        "Description": cut(DESCRIPTION, DESCRIPTION_MAX),
        "Remediation": {"Recommendation": {"Text": REMEDIATION_TEXT, "Url": REMEDIATION_URL}},
        "SourceUrl": source_url(ctx.region, snapshot.node_id),
        "ProductFields": _product_fields(
            snapshot, ctx, include_patches=non_compliant, known_platform=_platform_of(prior)
        ),
        "Resources": [_resource(snapshot, ctx)],
        "Compliance": {"Status": "FAILED" if non_compliant else "PASSED"},
        "RecordState": "ACTIVE" if non_compliant else "ARCHIVED",
        "PatchSummary": _patch_summary(snapshot),
        "FindingProviderFields": {"Severity": {"Label": label, "Original": label}, "Types": [FINDING_TYPE]},
    }
    size = finding_size(finding)
    if (
        size > MAX_FINDING_BYTES
    ):  # cannot happen with the bounded lists above; refuse rather than truncate silently
        raise ValueError(f"finding for {snapshot.node_id} is {size} bytes, over {MAX_FINDING_BYTES}")
    return finding


def _platform_of(prior: PriorFinding | None) -> dict[str, str]:
    """PlatformType / PlatformName from a finding this product published (for a node SSM does not list)."""
    fields = (prior.raw or {}).get("ProductFields") if prior is not None and prior.own else None
    if not isinstance(fields, dict):
        return {}
    known = {}
    for key in ("PlatformType", "PlatformName"):
        value = fields.get(_FIELD_PREFIX + key)
        if isinstance(value, str):
            known[key] = value
    return known


# The attributes of a stored finding that this product wrote and sends again when it archives the finding of
# a node that no longer exists. Security Hub's own attributes (ProcessedAt, Workflow, WorkflowState, Note,
# UserDefinedFields, VerificationState, ProductName, CompanyName, Region, ...) are not sent back.
_RESENT_ATTRIBUTES = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "LastObservedAt",
    "Description",
    "Remediation",
    "SourceUrl",
    "Resources",
    "PatchSummary",
)


def gone_finding(prior: PriorFinding, reason: str, *, now: datetime) -> dict[str, Any]:
    """The published finding of a node that was terminated or deregistered, archived: ARCHIVED, Compliance
    NOT_AVAILABLE (ASFF Compliance.Status: "the resource was deleted"), severity INFORMATIONAL, and
    `patch-securityhub/ArchiveReason` = `reason` (node_terminated | node_deregistered) in ProductFields."""
    if prior.raw is None or not prior.own:
        raise ValueError(f"{prior.finding_id}: only a finding this product published can be archived")
    finding = {k: copy.deepcopy(prior.raw[k]) for k in _RESENT_ATTRIBUTES if k in prior.raw}
    created, updated = timestamps(prior, now)
    stored_fields = prior.raw.get("ProductFields")
    fields = {
        k: v
        for k, v in (stored_fields if isinstance(stored_fields, dict) else {}).items()
        if isinstance(k, str) and isinstance(v, str) and not k.startswith("aws/")  # aws/...: Security Hub's
    }
    fields[_FIELD_PREFIX + "ArchiveReason"] = reason
    finding.update(
        {
            "CreatedAt": format_rfc3339(created),
            "UpdatedAt": format_rfc3339(updated),
            "Title": TITLE_GONE,
            "Severity": _severity_block("INFORMATIONAL"),
            "FindingProviderFields": {
                "Severity": {"Label": "INFORMATIONAL", "Original": "INFORMATIONAL"},
                "Types": [FINDING_TYPE],
            },
            "Compliance": {"Status": "NOT_AVAILABLE"},
            "RecordState": "ARCHIVED",
            "ProductFields": _fit_product_fields(fields),
        }
    )
    return finding


def finding_size(finding: dict[str, Any]) -> int:
    return len(json.dumps(finding, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
