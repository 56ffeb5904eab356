"""Findings: BatchImportFindings, GetFindings, BatchUpdateFindings (Security Hub API Reference of each), and
the import of findings an AWS integration sends.

The finding format and the import rules are in asff.py; GetFindings' filters and sorting in filters.py.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from . import asff, errors
from .filters import InvalidFilterError, compile_filters, exact_keys, sort_findings
from .hub import enabled_hub, enum_or_fail
from .models import STATE_LOCK, SecurityHubStore, next_sequence, securityhub_stores
from .pagination import max_results, page
from .products import ProductArn, parse_product_arn
from .retention import purge_expired
from .timestamps import now_iso
from .traffic import HUB_DISABLED_WHOLE_CALL, TRAFFIC

# BatchImportFindings: "up to 100 findings per batch, up to 240 KB per finding, and up to 6 MB per batch"
# (partner guide, "Guidelines for using the BatchImportFindings API"); BatchUpdateFindings: at most 100
# FindingIdentifiers (API Reference).
MAX_IMPORT_FINDINGS = 100
MAX_IMPORT_BYTES = 6 * 1024 * 1024
MAX_UPDATE_FINDINGS = 100
# The fields BatchUpdateFindings updates (API Reference, BatchUpdateFindings request syntax).
BATCH_UPDATE_FIELDS = (
    "Note",
    "Severity",
    "VerificationState",
    "Confidence",
    "Criticality",
    "Types",
    "UserDefinedFields",
    "Workflow",
    "RelatedFindings",
)
NOTE_MAX_LENGTH = 512  # NoteUpdate Text and UpdatedBy: 1..512 characters (API Reference, NoteUpdate)


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


# --- BatchImportFindings ------------------------------------------------------------------------------------


def batch_import_findings(
    store: SecurityHubStore, account_id: str, region: str, partition: str, request: dict[str, Any]
) -> dict[str, Any]:
    findings = request.get("Findings")
    if not isinstance(findings, list) or not findings:
        raise errors.invalid_input("Findings must contain at least 1 finding")
    if len(findings) > MAX_IMPORT_FINDINGS:
        raise errors.invalid_input(
            f"1 validation error detected: Value at 'findings' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_IMPORT_FINDINGS}"
        )
    if len(json.dumps(findings, separators=(",", ":")).encode()) > MAX_IMPORT_BYTES:
        raise errors.invalid_input("The request exceeds the maximum size of 6 MB")
    TRAFFIC.record_findings_received(len(findings))
    authorize_import(account_id, region, partition, findings)
    # An injected refusal of the whole request (traffic.FindingFailures.whole_request), as AWS answers a
    # request it will not take: InvalidInputException, "The request was rejected because you supplied an
    # invalid or out-of-range value for an input parameter" (API Reference, BatchImportFindings, Errors).
    refusal = TRAFFIC.refused_request(
        [f.get("Id") for f in findings if isinstance(f, dict) and isinstance(f.get("Id"), str)]
    )
    if refusal is not None:
        raise errors.invalid_input(refusal)
    if store.hub is None and TRAFFIC.behaviour.hub_disabled_import == HUB_DISABLED_WHOLE_CALL:
        raise errors.not_subscribed(account_id)  # the switch's whole-call answer (traffic.Behaviour)

    # Each finding succeeds or fails on its own: SuccessCount, FailedCount and FailedFindings (Id, ErrorCode,
    # ErrorMessage) (API Reference, BatchImportFindings response).
    failed: list[dict[str, str]] = []
    with STATE_LOCK:
        purge_expired(store.findings)  # retention.py: an expired finding is created anew, not updated
        for finding in findings:
            finding_id = finding.get("Id") if isinstance(finding, dict) else None
            failure = TRAFFIC.injected_failure(finding_id) if isinstance(finding_id, str) else None
            failure = failure or _import_one(account_id, region, store, finding)
            if failure is not None:
                code, message = failure
                failed.append(
                    {"Id": str(finding_id or "unknown"), "ErrorCode": code, "ErrorMessage": message}
                )
    return {
        "SuccessCount": len(findings) - len(failed),
        "FailedCount": len(failed),
        "FailedFindings": failed,
    }


def authorize_import(account_id: str, region: str, partition: str, findings: list) -> None:
    """Security Hub authorizes BatchImportFindings on the product resource and the finding's account: a
    customer may import only under its own default product (or a subscribed partner product) for its own
    account and Region (API Reference, BatchImportFindings: "the identifier of the account that you are
    calling BatchImportFindings from needs to be the same as the AwsAccountId attribute for the finding").
    Anything else fails the whole request with AccessDeniedException, as AWS Support described it
    (prowler-cloud/prowler#867)."""
    for finding in findings:
        if not isinstance(finding, dict):
            continue
        account, raw_product = finding.get("AwsAccountId"), finding.get("ProductArn")
        product = parse_product_arn(raw_product)
        well_formed_account = isinstance(account, str) and len(account) == 12 and account.isdigit()
        if product is None or not well_formed_account:
            continue  # reported per finding as InvalidInput
        allowed = product.region == region and (
            (product.is_custom and product.account == account_id)
            or (not product.account and not product.is_aws)
        )
        if not allowed or account != account_id:
            raise errors.access_denied(
                f"User: arn:{partition}:iam::{account_id}:root "
                "is not authorized to perform: "
                f"securityhub:BatchImportFindings on resource: {raw_product}"
                + ("" if account == account_id else f" for account {account}")
            )


def _import_one(
    account_id: str, region: str, store: SecurityHubStore, finding: Any
) -> tuple[str, str] | None:
    """None when imported (or ignored as not newer), else (ErrorCode, ErrorMessage). InvalidAccess when the
    hub is not enabled or the partner product's import is not enabled (traffic.Behaviour for the hub)."""
    if store.hub is None:
        return "InvalidAccess", f"Account {account_id} is not subscribed to AWS Security Hub"
    try:
        asff.validate(finding)
    except asff.InvalidFindingError as error:
        return "InvalidInput", str(error)
    product = parse_product_arn(finding["ProductArn"])
    if product is None:
        return "InvalidInput", f"{asff.FORMAT_PREFIX}data.ProductArn should be a product ARN"
    # A partner product must be subscribed (EnableImportFindingsForProduct) before findings arrive under it.
    if not product.is_custom and finding["ProductArn"] not in store.subscriptions:
        return "InvalidAccess", f"Account {account_id} is not subscribed to product {product}"
    upsert_finding(store, finding, product, region)
    return None


# --- GetFindings --------------------------------------------------------------------------------------------


def get_findings(store: SecurityHubStore, account_id: str, request: dict[str, Any]) -> dict[str, Any]:
    max_results(request)  # MaxResults is checked before the filters
    try:
        predicate = compile_filters(request.get("Filters"))
    except InvalidFilterError as error:
        raise errors.invalid_input(str(error)) from None
    with STATE_LOCK:
        enabled_hub(store, account_id)
        purge_expired(store.findings)
        keys = exact_keys(request.get("Filters"))
        candidates = (
            [store.findings[k] for k in dict.fromkeys(keys) if k in store.findings]
            if keys is not None
            else store.findings.values()
        )
        views = _visible_versions(candidates, TRAFFIC.behaviour.read_lag_seconds)
        matching = [view for view in views if predicate(view)]
        try:
            ordered = sort_findings(matching, request.get("SortCriteria"))
        except InvalidFilterError as error:
            raise errors.invalid_input(str(error)) from None
        query = {"op": "GetFindings", "f": request.get("Filters"), "s": request.get("SortCriteria")}
        items, token = page(ordered, request, query)
        result = [copy.deepcopy(item) for item in items]
    return {"Findings": result, **token}


def _visible_versions(candidates: Any, lag_seconds: float) -> list[dict[str, Any]]:
    """Each finding as GetFindings sees it with a read lag (traffic.Behaviour.read_lag_seconds): the version
    that was current `lag_seconds` ago; a finding created since then is not seen at all. Security Hub's reads
    are eventually consistent: "This process can take several minutes" (user guide, "BatchUpdateFindings for
    customers", https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html)
    and "Security Hub is eventual consistent. GetFindings filtered by UpdatedAt can return old finding
    versions" (prowler-cloud/prowler#684). Lag 0 (the default) reads the stored state."""
    if lag_seconds <= 0:
        return [stored.finding for stored in candidates]
    cutoff = time.monotonic() - lag_seconds
    versions = (asff.version_as_of(stored, cutoff) for stored in candidates)
    return [version for version in versions if version is not None]


# --- BatchUpdateFindings ------------------------------------------------------------------------------------


def batch_update_findings(
    store: SecurityHubStore, account_id: str, request: dict[str, Any]
) -> dict[str, Any]:
    identifiers = request.get("FindingIdentifiers") or []
    if not identifiers:
        raise errors.invalid_input("FindingIdentifiers must contain at least 1 item")
    if len(identifiers) > MAX_UPDATE_FINDINGS:
        raise errors.invalid_input(f"FindingIdentifiers can contain at most {MAX_UPDATE_FINDINGS} items")
    updates = {name: request[name] for name in BATCH_UPDATE_FIELDS if request.get(name) is not None}
    if not updates:
        raise errors.invalid_input("At least one field to update must be provided")
    _validate_batch_update(updates)

    # ProcessedFindings and UnprocessedFindings (FindingIdentifier, ErrorCode, ErrorMessage) (API Reference,
    # BatchUpdateFindings response).
    processed: list[dict[str, str]] = []
    unprocessed: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    with STATE_LOCK:
        enabled_hub(store, account_id)
        purge_expired(store.findings)
        for identifier in identifiers:
            key = (identifier.get("ProductArn", ""), identifier.get("Id", ""))
            ident = {"Id": key[1], "ProductArn": key[0]}
            if key in seen:
                unprocessed.append(
                    {
                        "FindingIdentifier": ident,
                        "ErrorCode": "DuplicatedFindingIdentifier",
                        "ErrorMessage": "Finding identifier is duplicated in the request",
                    }
                )
                continue
            seen.add(key)
            stored = store.findings.get(key)
            if stored is None:
                unprocessed.append(
                    {
                        "FindingIdentifier": ident,
                        "ErrorCode": "FindingNotFound",
                        "ErrorMessage": "Finding not found",
                    }
                )
                continue
            _apply_batch_update(stored, updates)
            processed.append(ident)
    return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}


def _validate_batch_update(updates: dict[str, Any]) -> None:
    note = updates.get("Note")
    if note is not None:
        for name in ("Text", "UpdatedBy"):
            value = note.get(name)
            if not isinstance(value, str) or not value or len(value) > NOTE_MAX_LENGTH:
                raise errors.invalid_input(
                    f"Note.{name} is required and must be 1 to {NOTE_MAX_LENGTH} characters"
                )
    severity = updates.get("Severity")
    if severity is not None:
        enum_or_fail(severity.get("Label"), asff.SEVERITY_LABELS, "Severity.Label")
        normalized = severity.get("Normalized")
        if normalized is not None and not 0 <= normalized <= 100:
            raise errors.invalid_input("Severity.Normalized must be between 0 and 100")
        if severity.get("Label") is None and normalized is None and severity.get("Product") is None:
            raise errors.invalid_input("Severity must contain Label, Normalized or Product")
    workflow = updates.get("Workflow")
    if workflow is not None:
        enum_or_fail(workflow.get("Status"), asff.WORKFLOW_STATUSES, "Workflow.Status")
    enum_or_fail(updates.get("VerificationState"), asff.VERIFICATION_STATES, "VerificationState")
    for name in ("Confidence", "Criticality"):
        value = updates.get(name)
        if value is not None and not 0 <= value <= 100:
            raise errors.invalid_input(f"{name} must be between 0 and 100")
    types = updates.get("Types")
    if types is not None:
        for value in types:
            if value.split("/", 1)[0] not in asff.TYPE_NAMESPACES:
                raise errors.invalid_input(f"Invalid finding type: {value}")


def _apply_batch_update(stored: asff.StoredFinding, updates: dict[str, Any]) -> None:
    """Apply a customer's update. Severity given as Label or Normalized gets the other one from the documented
    mapping (asff.NORMALIZED_FOR_LABEL, asff.label_for_normalized); the fields it changed are recorded so a
    later BatchImportFindings leaves them alone (asff.PROVIDER_UNLESS_CUSTOMER). The update is written as a
    new version (every changed field gets a new object), so a lagging read can still answer the previous
    one; it renews the finding's retention (retention.py)."""
    finding = dict(stored.finding)
    for name, value in updates.items():
        if name == "Note":
            finding["Note"] = {"Text": value["Text"], "UpdatedBy": value["UpdatedBy"], "UpdatedAt": now_iso()}
        elif name == "Severity":
            severity = dict(finding.get("Severity") or {})
            if value.get("Product") is not None:
                severity["Product"] = value["Product"]
            if value.get("Label") is not None:
                severity["Label"] = value["Label"]
                severity["Normalized"] = (
                    value["Normalized"]
                    if value.get("Normalized") is not None
                    else asff.NORMALIZED_FOR_LABEL[value["Label"]]
                )
            elif value.get("Normalized") is not None:
                severity["Normalized"] = value["Normalized"]
                severity["Label"] = asff.label_for_normalized(value["Normalized"])
            finding["Severity"] = severity
        elif name == "Workflow":
            if value.get("Status"):
                finding["Workflow"] = {"Status": value["Status"]}
        elif name == "UserDefinedFields":
            finding["UserDefinedFields"] = {**(finding.get("UserDefinedFields") or {}), **value}
        else:
            finding[name] = copy.deepcopy(value)
        stored.customer_changed.add(name)
    finding["ProcessedAt"] = now_iso()
    stored.write(finding)


# --- findings of AWS integrations ---------------------------------------------------------------------------


class SeedError(Exception):
    pass


def seed_native_findings(account_id: str, region: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Import findings as an AWS integration (e.g. aws/ssm-patch-manager) sends them; customers cannot do this
    (AWS service integrations send their findings to Security Hub themselves: user guide, "AWS service
    integrations with Security Hub"). Reached through the control route /_psh/securityhub/native-findings."""
    store = securityhub_stores[account_id][region]
    results: dict[str, Any] = {"imported": 0, "ignored": 0, "failed": []}
    with STATE_LOCK:
        if store.hub is None:
            raise SeedError(f"Security Hub is not enabled in account {account_id} region {region}")
        purge_expired(store.findings)
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
