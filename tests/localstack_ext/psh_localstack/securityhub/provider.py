"""Security Hub provider for LocalStack 4.14 (no generated API module exists, so handlers take raw requests).

Follows the documented contract of the operations the product and Terraform use; see the module docstrings of
asff.py (BatchImportFindings rules) and filters.py (GetFindings semantics).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import time
from collections.abc import Callable
from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, handler

from . import asff, paging
from .filters import InvalidFilterError, compile_filters, exact_keys, sort_findings
from .models import STATE_LOCK, Hub, SecurityHubStore, securityhub_stores, upsert_finding
from .products import (
    CATALOG,
    catalog_entry,
    catalog_product_arn,
    hub_arn,
    parse_product_arn,
    parse_subscription_arn,
    subscription_arn,
)
from .timestamps import now_iso
from .traffic import TRAFFIC, RequestRejectedError

MAX_IMPORT_FINDINGS = 100
MAX_IMPORT_BYTES = 6 * 1024 * 1024
MAX_UPDATE_FINDINGS = 100
MAX_PAGE = 100
MAX_TAGS = 50
CONTROL_FINDING_GENERATORS = ("SECURITY_CONTROL", "STANDARD_CONTROL")
_TAG_KEY = re.compile(r"^(?!aws:)[\w\s+\-=.:/@]{1,128}$")
_BATCH_UPDATE_FIELDS = (
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


# --- errors ----------------------------------------------------------------------------------------------


def _error(code: str, message: str, status: int) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=status, sender_fault=status < 500)


def invalid_input(message: str) -> CommonServiceException:
    return _error("InvalidInputException", message, 400)


def not_subscribed(account_id: str) -> CommonServiceException:
    return _error(
        "InvalidAccessException", f"Account {account_id} is not subscribed to AWS Security Hub", 401
    )


def not_found(message: str) -> CommonServiceException:
    return _error("ResourceNotFoundException", message, 404)


def _rejection_error(rejection: RequestRejectedError) -> CommonServiceException:
    if rejection.kind == "unavailable":
        return _error("ServiceUnavailable", "Service is unavailable, please try again later", 503)
    return _error("TooManyRequestsException", "Too Many Requests", 429)


def operation(name: str) -> Callable:
    """`@handler(name, expand=False)` that first counts the request, then applies faults and rate limit."""

    def wrap(fn: Callable[[Any, RequestContext, dict], dict]) -> Callable:
        @functools.wraps(fn)
        def guarded(self: Any, context: RequestContext, request: dict) -> dict:
            try:
                delay = TRAFFIC.admit(name, context.account_id, context.region)
            except RequestRejectedError as rejection:
                raise _rejection_error(rejection) from None
            if delay:
                time.sleep(delay)  # an injected "latency" fault: the request is served, late
            return fn(self, context, request or {})

        return handler(name, expand=False)(guarded)

    return wrap


# --- helpers ---------------------------------------------------------------------------------------------


def _store(context: RequestContext) -> SecurityHubStore:
    return securityhub_stores[context.account_id][context.region]


def _enabled_hub(context: RequestContext, store: SecurityHubStore) -> Hub:
    if store.hub is None:
        raise not_subscribed(context.account_id)
    return store.hub


def _validate_tags(tags: dict[str, str]) -> None:
    for key, value in tags.items():
        if not _TAG_KEY.match(key):
            raise invalid_input(f"Invalid tag key: {key}")
        if not isinstance(value, str) or len(value) > 256:
            raise invalid_input(f"Invalid tag value for key {key}")


def _max_results(request: dict, default: int = MAX_PAGE) -> int:
    value = request.get("MaxResults")
    if value is None:
        return default
    if not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
        raise invalid_input(f"MaxResults must be between 1 and {MAX_PAGE}")
    return value


def _page(items: list, request: dict, query: Any) -> tuple[list, str | None]:
    try:
        return paging.page(items, request.get("NextToken"), _max_results(request), query)
    except paging.InvalidTokenError as error:
        raise invalid_input(str(error)) from None


def _check_hub_resource(context: RequestContext, store: SecurityHubStore, resource_arn: str) -> Hub:
    if store.hub is None or resource_arn != store.hub.hub_arn:
        raise not_found(f"Resource {resource_arn} not found")
    return store.hub


def _enum_or_fail(value: Any, allowed: tuple[str, ...], name: str) -> None:
    if value is not None and value not in allowed:
        raise invalid_input(f"{name} must be one of: {', '.join(allowed)}")


class SecurityHubProvider:
    service = "securityhub"

    # --- the hub ------------------------------------------------------------------------------------------
    @operation("EnableSecurityHub")
    def enable_security_hub(self, context: RequestContext, request: dict) -> dict:
        generator = request.get("ControlFindingGenerator")
        _enum_or_fail(generator, CONTROL_FINDING_GENERATORS, "ControlFindingGenerator")
        tags = request.get("Tags") or {}
        _validate_tags(tags)
        if len(tags) > MAX_TAGS:
            raise invalid_input(f"A resource can have at most {MAX_TAGS} tags")
        store = _store(context)
        with STATE_LOCK:
            if store.hub is not None:
                raise _error(
                    "ResourceConflictException",
                    f"Account {context.account_id} is already subscribed to Security Hub",
                    409,
                )
            enable_default = request.get("EnableDefaultStandards")
            store.hub = Hub(
                hub_arn=hub_arn(context.region, context.account_id, context.partition),
                subscribed_at=now_iso(),
                control_finding_generator=generator or "SECURITY_CONTROL",
                enable_default_standards=True if enable_default is None else bool(enable_default),
                tags=dict(tags),
            )
        return {}

    @operation("DescribeHub")
    def describe_hub(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        with STATE_LOCK:
            hub = _enabled_hub(context, store)
            requested = request.get("HubArn")
            if requested and requested != hub.hub_arn:
                if not requested.startswith("arn:") or ":hub/" not in requested:
                    raise invalid_input(f"Invalid HubArn: {requested}")
                raise not_found(f"Hub {requested} not found")
            return {
                "HubArn": hub.hub_arn,
                "SubscribedAt": hub.subscribed_at,
                "AutoEnableControls": hub.auto_enable_controls,
                "ControlFindingGenerator": hub.control_finding_generator,
            }

    @operation("UpdateSecurityHubConfiguration")
    def update_security_hub_configuration(self, context: RequestContext, request: dict) -> dict:
        generator = request.get("ControlFindingGenerator")
        _enum_or_fail(generator, CONTROL_FINDING_GENERATORS, "ControlFindingGenerator")
        store = _store(context)
        with STATE_LOCK:
            hub = _enabled_hub(context, store)
            if request.get("AutoEnableControls") is not None:
                hub.auto_enable_controls = bool(request["AutoEnableControls"])
            if generator:
                hub.control_finding_generator = generator
        return {}

    @operation("DisableSecurityHub")
    def disable_security_hub(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        with STATE_LOCK:
            _enabled_hub(context, store)
            # Configuration (subscriptions, tags) goes with the hub; findings are kept (AWS deletes them only
            # after 90 days) but are unreachable until the hub is enabled again.
            store.hub = None
            store.subscriptions.clear()
        return {}

    # --- tags ---------------------------------------------------------------------------------------------
    @operation("TagResource")
    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        tags = request.get("Tags") or {}
        _validate_tags(tags)
        store = _store(context)
        with STATE_LOCK:
            hub = _check_hub_resource(context, store, request.get("ResourceArn", ""))
            merged = {**hub.tags, **tags}
            if len(merged) > MAX_TAGS:
                raise invalid_input(f"A resource can have at most {MAX_TAGS} tags")
            hub.tags = merged
        return {}

    @operation("UntagResource")
    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        with STATE_LOCK:
            hub = _check_hub_resource(context, store, request.get("ResourceArn", ""))
            for key in request.get("TagKeys") or []:
                hub.tags.pop(key, None)
        return {}

    @operation("ListTagsForResource")
    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        with STATE_LOCK:
            hub = _check_hub_resource(context, store, request.get("ResourceArn", ""))
            return {"Tags": dict(hub.tags)}

    # --- products -----------------------------------------------------------------------------------------
    @operation("DescribeProducts")
    def describe_products(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        with STATE_LOCK:
            _enabled_hub(context, store)
        products = []
        for entry in CATALOG:
            arn = catalog_product_arn(entry, context.region, context.partition)
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
        items, token = _page(products, request, {"op": "DescribeProducts", "arn": request.get("ProductArn")})
        return {"Products": items, **({"NextToken": token} if token else {})}

    @operation("EnableImportFindingsForProduct")
    def enable_import_findings_for_product(self, context: RequestContext, request: dict) -> dict:
        raw = request.get("ProductArn", "")
        product = parse_product_arn(raw)
        if product is None:
            raise invalid_input(f"Invalid ProductArn: {raw}")
        store = _store(context)
        with STATE_LOCK:
            _enabled_hub(context, store)
            if product.region != context.region:
                raise invalid_input(f"ProductArn {raw} is not in region {context.region}")
            own_custom = product.is_custom and product.account == context.account_id
            if catalog_entry(product) is None and not own_custom:
                raise invalid_input(f"Product {raw} does not exist")
            if raw in store.subscriptions:
                raise _error(
                    "ResourceConflictException",
                    f"Account {context.account_id} is already subscribed to product {raw}",
                    409,
                )
            arn = subscription_arn(product, context.account_id)
            store.subscriptions[raw] = arn
        return {"ProductSubscriptionArn": arn}

    @operation("DisableImportFindingsForProduct")
    def disable_import_findings_for_product(self, context: RequestContext, request: dict) -> dict:
        arn = request.get("ProductSubscriptionArn", "")
        if parse_subscription_arn(arn) is None:
            raise invalid_input(f"Invalid ProductSubscriptionArn: {arn}")
        store = _store(context)
        with STATE_LOCK:
            _enabled_hub(context, store)
            for product_arn, subscription in list(store.subscriptions.items()):
                if subscription == arn:
                    del store.subscriptions[product_arn]
                    return {}
        raise not_found(f"Product subscription {arn} not found")

    @operation("ListEnabledProductsForImport")
    def list_enabled_products_for_import(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        with STATE_LOCK:
            _enabled_hub(context, store)
            subscriptions = list(store.subscriptions.values())
        items, token = _page(subscriptions, request, {"op": "ListEnabledProductsForImport"})
        return {"ProductSubscriptions": items, **({"NextToken": token} if token else {})}

    # --- findings -----------------------------------------------------------------------------------------
    @operation("BatchImportFindings")
    def batch_import_findings(self, context: RequestContext, request: dict) -> dict:
        findings = request.get("Findings")
        if not isinstance(findings, list) or not findings:
            raise invalid_input("Findings must contain at least 1 finding")
        if len(findings) > MAX_IMPORT_FINDINGS:
            raise invalid_input(
                f"1 validation error detected: Value at 'findings' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_IMPORT_FINDINGS}"
            )
        if len(json.dumps(findings, separators=(",", ":")).encode()) > MAX_IMPORT_BYTES:
            raise invalid_input("The request exceeds the maximum size of 6 MB")
        TRAFFIC.record_findings_received(len(findings))
        self._authorize_import(context, findings)

        store = _store(context)
        failed: list[dict[str, str]] = []
        with STATE_LOCK:
            for finding in findings:
                finding_id = finding.get("Id") if isinstance(finding, dict) else None
                failure = TRAFFIC.injected_failure(finding_id) if isinstance(finding_id, str) else None
                failure = failure or self._import_one(context, store, finding)
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

    @staticmethod
    def _authorize_import(context: RequestContext, findings: list) -> None:
        """Security Hub authorizes BatchImportFindings on the product resource and the finding's account: a
        customer may import only under its own default product (or a subscribed partner product) for its own
        account and region. Anything else fails the whole request with AccessDeniedException."""
        for finding in findings:
            if not isinstance(finding, dict):
                continue
            account, raw_product = finding.get("AwsAccountId"), finding.get("ProductArn")
            product = parse_product_arn(raw_product)
            well_formed_account = isinstance(account, str) and len(account) == 12 and account.isdigit()
            if product is None or not well_formed_account:
                continue  # reported per finding as InvalidInput
            allowed = product.region == context.region and (
                (product.is_custom and product.account == context.account_id)
                or (not product.account and not product.is_aws)
            )
            if not allowed or account != context.account_id:
                raise _error(
                    "AccessDeniedException",
                    f"User: arn:{context.partition}:iam::{context.account_id}:root "
                    "is not authorized to perform: "
                    f"securityhub:BatchImportFindings on resource: {raw_product}"
                    + ("" if account == context.account_id else f" for account {account}"),
                    403,
                )

    @staticmethod
    def _import_one(context: RequestContext, store: SecurityHubStore, finding: Any) -> tuple[str, str] | None:
        if store.hub is None:
            return "InvalidAccess", f"Account {context.account_id} is not subscribed to AWS Security Hub"
        try:
            asff.validate(finding)
        except asff.InvalidFindingError as error:
            return "InvalidInput", str(error)
        product = parse_product_arn(finding["ProductArn"])
        if product is None:
            return "InvalidInput", f"{asff.FORMAT_PREFIX}data.ProductArn should be a product ARN"
        if not product.is_custom and finding["ProductArn"] not in store.subscriptions:
            return "InvalidAccess", f"Account {context.account_id} is not subscribed to product {product}"
        upsert_finding(store, finding, product, context.region)
        return None

    @operation("GetFindings")
    def get_findings(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        max_results = _max_results(request)
        try:
            predicate = compile_filters(request.get("Filters"))
        except InvalidFilterError as error:
            raise invalid_input(str(error)) from None
        with STATE_LOCK:
            _enabled_hub(context, store)
            keys = exact_keys(request.get("Filters"))
            candidates = (
                [store.findings[k] for k in dict.fromkeys(keys) if k in store.findings]
                if keys is not None
                else store.findings.values()
            )
            matching = [s.finding for s in candidates if predicate(s.finding)]
            try:
                ordered = sort_findings(matching, request.get("SortCriteria"))
            except InvalidFilterError as error:
                raise invalid_input(str(error)) from None
            query = {"op": "GetFindings", "f": request.get("Filters"), "s": request.get("SortCriteria")}
            try:
                items, token = paging.page(ordered, request.get("NextToken"), max_results, query)
            except paging.InvalidTokenError as error:
                raise invalid_input(str(error)) from None
            result = [copy.deepcopy(item) for item in items]
        return {"Findings": result, **({"NextToken": token} if token else {})}

    @operation("BatchUpdateFindings")
    def batch_update_findings(self, context: RequestContext, request: dict) -> dict:
        identifiers = request.get("FindingIdentifiers") or []
        if not identifiers:
            raise invalid_input("FindingIdentifiers must contain at least 1 item")
        if len(identifiers) > MAX_UPDATE_FINDINGS:
            raise invalid_input(f"FindingIdentifiers can contain at most {MAX_UPDATE_FINDINGS} items")
        updates = {name: request[name] for name in _BATCH_UPDATE_FIELDS if request.get(name) is not None}
        if not updates:
            raise invalid_input("At least one field to update must be provided")
        _validate_batch_update(updates)

        store = _store(context)
        processed: list[dict[str, str]] = []
        unprocessed: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        with STATE_LOCK:
            _enabled_hub(context, store)
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
            if not isinstance(value, str) or not value or len(value) > 512:
                raise invalid_input(f"Note.{name} is required and must be 1 to 512 characters")
    severity = updates.get("Severity")
    if severity is not None:
        _enum_or_fail(severity.get("Label"), asff.SEVERITY_LABELS, "Severity.Label")
        normalized = severity.get("Normalized")
        if normalized is not None and not 0 <= normalized <= 100:
            raise invalid_input("Severity.Normalized must be between 0 and 100")
        if severity.get("Label") is None and normalized is None and severity.get("Product") is None:
            raise invalid_input("Severity must contain Label, Normalized or Product")
    workflow = updates.get("Workflow")
    if workflow is not None:
        _enum_or_fail(workflow.get("Status"), asff.WORKFLOW_STATUSES, "Workflow.Status")
    _enum_or_fail(updates.get("VerificationState"), asff.VERIFICATION_STATES, "VerificationState")
    for name in ("Confidence", "Criticality"):
        value = updates.get(name)
        if value is not None and not 0 <= value <= 100:
            raise invalid_input(f"{name} must be between 0 and 100")
    types = updates.get("Types")
    if types is not None:
        for value in types:
            if value.split("/", 1)[0] not in asff.TYPE_NAMESPACES:
                raise invalid_input(f"Invalid finding type: {value}")


def _apply_batch_update(stored: asff.StoredFinding, updates: dict[str, Any]) -> None:
    finding = stored.finding
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
