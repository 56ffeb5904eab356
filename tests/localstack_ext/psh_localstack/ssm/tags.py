"""Tags of the resources this emulation owns: AddTagsToResource, RemoveTagsFromResource, ListTagsForResource
for ResourceType Association, PatchBaseline and ManagedInstance (Systems Manager API reference of each).

Tags of other resource types are LocalStack's (moto's): the handlers answer None for them and the provider
falls back.
"""

from __future__ import annotations

from typing import Any

from psh_localstack.ssm.errors import client_error
from psh_localstack.ssm.models import PatchStore

OWN_TAG_TYPES = ("Association", "PatchBaseline", "ManagedInstance")


def _target(store: PatchStore, request: dict[str, Any]) -> tuple[str, str] | None:
    resource_type, resource_id = request["ResourceType"], request["ResourceId"]
    if resource_type not in OWN_TAG_TYPES:
        return None
    exists = {
        "Association": store.associations,
        "PatchBaseline": store.baselines,
        "ManagedInstance": store.nodes,
    }[resource_type]
    if resource_id not in exists:
        # InvalidResourceId: "The resource ID isn't valid." (botocore model)
        raise client_error("InvalidResourceId", f"{resource_type} {resource_id} does not exist")
    return resource_type, resource_id


def add_tags_to_resource(store: PatchStore, request: dict[str, Any]) -> dict[str, Any] | None:
    target = _target(store, request)
    if target is None:
        return None
    with store.lock:
        store.tags.setdefault(target, {}).update({tag["Key"]: tag["Value"] for tag in request["Tags"]})
    return {}


def remove_tags_from_resource(store: PatchStore, request: dict[str, Any]) -> dict[str, Any] | None:
    target = _target(store, request)
    if target is None:
        return None
    tags = store.tags.setdefault(target, {})
    for key in request["TagKeys"]:
        tags.pop(key, None)
    return {}


def list_tags_for_resource(store: PatchStore, request: dict[str, Any]) -> dict[str, Any] | None:
    target = _target(store, request)
    if target is None:
        return None
    tags = store.tags.get(target, {})
    return {"TagList": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}
