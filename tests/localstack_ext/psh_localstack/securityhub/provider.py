"""Security Hub provider for LocalStack 4.14 (no generated API module exists, so handlers take raw requests).

A thin dispatcher in the style of LocalStack's own providers: each handler counts the request, lets the
switches of traffic.py refuse or delay it, resolves the account/Region store and calls the module of its
concern (hub, integrations, findings). Registered as Security Hub's default provider.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from localstack.aws.api import RequestContext, handler

from psh_localstack.faults import RequestRejectedError

from . import errors, findings, hub, integrations
from .models import SecurityHubStore, securityhub_stores
from .traffic import TRAFFIC

Request = dict[str, Any]
Response = dict[str, Any]


def operation(name: str) -> Callable:
    """`@handler(name, expand=False)` that first counts the request, then applies faults and rate limit."""

    def wrap(fn: Callable[[Any, RequestContext, Request], Response]) -> Callable:
        @functools.wraps(fn)
        def guarded(self: Any, context: RequestContext, request: Request) -> Response:
            try:
                delay = TRAFFIC.admit(name, context.account_id, context.region)
            except RequestRejectedError as rejected:
                raise errors.rejection(rejected, TRAFFIC.behaviour.throttle_error) from None
            if delay:
                time.sleep(delay)  # an injected latency fault: the request is served, late
            return fn(self, context, request or {})

        return handler(name, expand=False)(guarded)

    return wrap


def _store(context: RequestContext) -> SecurityHubStore:
    return securityhub_stores[context.account_id][context.region]


class SecurityHubProvider:
    service = "securityhub"

    # --- the hub ------------------------------------------------------------------------------------------
    @operation("EnableSecurityHub")
    def enable_security_hub(self, context: RequestContext, request: Request) -> Response:
        return hub.enable_security_hub(
            _store(context), context.account_id, context.region, context.partition, request
        )

    @operation("DescribeHub")
    def describe_hub(self, context: RequestContext, request: Request) -> Response:
        return hub.describe_hub(_store(context), context.account_id, request)

    @operation("UpdateSecurityHubConfiguration")
    def update_security_hub_configuration(self, context: RequestContext, request: Request) -> Response:
        return hub.update_security_hub_configuration(_store(context), context.account_id, request)

    @operation("DisableSecurityHub")
    def disable_security_hub(self, context: RequestContext, request: Request) -> Response:
        return hub.disable_security_hub(_store(context), context.account_id)

    # --- tags ---------------------------------------------------------------------------------------------
    @operation("TagResource")
    def tag_resource(self, context: RequestContext, request: Request) -> Response:
        return hub.tag_resource(_store(context), request)

    @operation("UntagResource")
    def untag_resource(self, context: RequestContext, request: Request) -> Response:
        return hub.untag_resource(_store(context), request)

    @operation("ListTagsForResource")
    def list_tags_for_resource(self, context: RequestContext, request: Request) -> Response:
        return hub.list_tags_for_resource(_store(context), request)

    # --- products -----------------------------------------------------------------------------------------
    @operation("DescribeProducts")
    def describe_products(self, context: RequestContext, request: Request) -> Response:
        return integrations.describe_products(
            _store(context), context.account_id, context.region, context.partition, request
        )

    @operation("EnableImportFindingsForProduct")
    def enable_import_findings_for_product(self, context: RequestContext, request: Request) -> Response:
        return integrations.enable_import_findings_for_product(
            _store(context), context.account_id, context.region, request
        )

    @operation("DisableImportFindingsForProduct")
    def disable_import_findings_for_product(self, context: RequestContext, request: Request) -> Response:
        return integrations.disable_import_findings_for_product(_store(context), context.account_id, request)

    @operation("ListEnabledProductsForImport")
    def list_enabled_products_for_import(self, context: RequestContext, request: Request) -> Response:
        return integrations.list_enabled_products_for_import(_store(context), context.account_id, request)

    # --- findings -----------------------------------------------------------------------------------------
    @operation("BatchImportFindings")
    def batch_import_findings(self, context: RequestContext, request: Request) -> Response:
        return findings.batch_import_findings(
            _store(context), context.account_id, context.region, context.partition, request
        )

    @operation("GetFindings")
    def get_findings(self, context: RequestContext, request: Request) -> Response:
        return findings.get_findings(_store(context), context.account_id, request)

    @operation("BatchUpdateFindings")
    def batch_update_findings(self, context: RequestContext, request: Request) -> Response:
        return findings.batch_update_findings(_store(context), context.account_id, request)
