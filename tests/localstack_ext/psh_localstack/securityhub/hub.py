"""The hub and its tags: EnableSecurityHub, DescribeHub, UpdateSecurityHubConfiguration, DisableSecurityHub,
TagResource, UntagResource, ListTagsForResource (Security Hub API Reference of each; what Terraform's
aws_securityhub_account calls)."""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .models import STATE_LOCK, Hub, SecurityHubStore
from .products import hub_arn, subscribed_on_enable, subscription_arn
from .timestamps import now_iso

MAX_TAGS = 50  # TagMap: at most 50 entries (botocore model)
CONTROL_FINDING_GENERATORS = ("SECURITY_CONTROL", "STANDARD_CONTROL")  # ControlFindingGenerator's enum
# TagKey: 1..128 characters, not starting with "aws:"; TagValue: at most 256 characters (botocore model).
_TAG_KEY = re.compile(r"^(?!aws:)[\w\s+\-=.:/@]{1,128}$")
MAX_TAG_VALUE = 256


def enum_or_fail(value: Any, allowed: tuple[str, ...], name: str) -> None:
    if value is not None and value not in allowed:
        raise errors.invalid_input(f"{name} must be one of: {', '.join(allowed)}")


def enabled_hub(store: SecurityHubStore, account_id: str) -> Hub:
    """The account's hub; InvalidAccessException when Security Hub is not enabled ("The account doesn't have
    permission to perform this action", botocore model)."""
    if store.hub is None:
        raise errors.not_subscribed(account_id)
    return store.hub


def _validate_tags(tags: dict[str, str]) -> None:
    for key, value in tags.items():
        if not _TAG_KEY.match(key):
            raise errors.invalid_input(f"Invalid tag key: {key}")
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE:
            raise errors.invalid_input(f"Invalid tag value for key {key}")


def _hub_resource(store: SecurityHubStore, resource_arn: str) -> Hub:
    if store.hub is None or resource_arn != store.hub.hub_arn:
        raise errors.not_found(f"Resource {resource_arn} not found")
    return store.hub


def enable_security_hub(
    store: SecurityHubStore, account_id: str, region: str, partition: str, request: dict[str, Any]
) -> dict[str, Any]:
    # EnableDefaultStandards defaults to true, ControlFindingGenerator to SECURITY_CONTROL (API Reference,
    # EnableSecurityHub); enabling twice is a ResourceConflictException ("The resource specified in the
    # request conflicts with an existing resource", botocore model).
    generator = request.get("ControlFindingGenerator")
    enum_or_fail(generator, CONTROL_FINDING_GENERATORS, "ControlFindingGenerator")
    tags = request.get("Tags") or {}
    _validate_tags(tags)
    if len(tags) > MAX_TAGS:
        raise errors.invalid_input(f"A resource can have at most {MAX_TAGS} tags")
    with STATE_LOCK:
        if store.hub is not None:
            raise errors.conflict(f"Account {account_id} is already subscribed to Security Hub")
        enable_default = request.get("EnableDefaultStandards")
        store.hub = Hub(
            hub_arn=hub_arn(region, account_id, partition),
            subscribed_at=now_iso(),
            control_finding_generator=generator or "SECURITY_CONTROL",
            enable_default_standards=True if enable_default is None else bool(enable_default),
            tags=dict(tags),
        )
        # The AWS service integrations that send findings are activated with the hub (user guide,
        # securityhub-internal-providers; products.SUBSCRIBED_ON_ENABLE).
        for product in subscribed_on_enable(region, partition):
            store.subscriptions[str(product)] = subscription_arn(product, account_id)
    return {}


def describe_hub(store: SecurityHubStore, account_id: str, request: dict[str, Any]) -> dict[str, Any]:
    with STATE_LOCK:
        hub = enabled_hub(store, account_id)
        requested = request.get("HubArn")
        if requested and requested != hub.hub_arn:
            if not requested.startswith("arn:") or ":hub/" not in requested:
                raise errors.invalid_input(f"Invalid HubArn: {requested}")
            raise errors.not_found(f"Hub {requested} not found")
        return {
            "HubArn": hub.hub_arn,
            "SubscribedAt": hub.subscribed_at,
            "AutoEnableControls": hub.auto_enable_controls,
            "ControlFindingGenerator": hub.control_finding_generator,
        }


def update_security_hub_configuration(
    store: SecurityHubStore, account_id: str, request: dict[str, Any]
) -> dict[str, Any]:
    generator = request.get("ControlFindingGenerator")
    enum_or_fail(generator, CONTROL_FINDING_GENERATORS, "ControlFindingGenerator")
    with STATE_LOCK:
        hub = enabled_hub(store, account_id)
        if request.get("AutoEnableControls") is not None:
            hub.auto_enable_controls = bool(request["AutoEnableControls"])
        if generator:
            hub.control_finding_generator = generator
    return {}


def disable_security_hub(store: SecurityHubStore, account_id: str) -> dict[str, Any]:
    with STATE_LOCK:
        enabled_hub(store, account_id)
        # Configuration (subscriptions, tags) goes with the hub; findings are kept but unreachable until the
        # hub is enabled again (API Reference, DisableSecurityHub: "your existing findings and insights and
        # any Security Hub configuration settings are deleted after 90 days").
        store.hub = None
        store.subscriptions.clear()
    return {}


def tag_resource(store: SecurityHubStore, request: dict[str, Any]) -> dict[str, Any]:
    tags = request.get("Tags") or {}
    _validate_tags(tags)
    with STATE_LOCK:
        hub = _hub_resource(store, request.get("ResourceArn", ""))
        merged = {**hub.tags, **tags}
        if len(merged) > MAX_TAGS:
            raise errors.invalid_input(f"A resource can have at most {MAX_TAGS} tags")
        hub.tags = merged
    return {}


def untag_resource(store: SecurityHubStore, request: dict[str, Any]) -> dict[str, Any]:
    with STATE_LOCK:
        hub = _hub_resource(store, request.get("ResourceArn", ""))
        for key in request.get("TagKeys") or []:
            hub.tags.pop(key, None)
    return {}


def list_tags_for_resource(store: SecurityHubStore, request: dict[str, Any]) -> dict[str, Any]:
    with STATE_LOCK:
        hub = _hub_resource(store, request.get("ResourceArn", ""))
        return {"Tags": dict(hub.tags)}
