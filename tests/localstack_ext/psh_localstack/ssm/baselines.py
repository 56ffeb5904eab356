"""Patch baselines and patch groups: Create/Get/Update/Delete/DescribePatchBaseline(s),
Register/Deregister/GetPatchBaselineForPatchGroup, DescribePatchGroups (Systems Manager API reference of
each)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from psh_localstack.ssm import fleet
from psh_localstack.ssm.clock import now
from psh_localstack.ssm.errors import client_error
from psh_localstack.ssm.models import PatchStore
from psh_localstack.ssm.pagination import page

# What GetPatchBaseline answers for fields CreatePatchBaseline did not set: the request defaults of the API
# reference (OperatingSystem WINDOWS, ApprovedPatchesComplianceLevel UNSPECIFIED,
# ApprovedPatchesEnableNonSecurity false, RejectedPatchesAction ALLOW_AS_DEPENDENCY).
BASELINE_DEFAULTS = {
    "OperatingSystem": "WINDOWS",
    "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
    "ApprovedPatchesEnableNonSecurity": False,
    "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
    "ApprovedPatches": [],
    "RejectedPatches": [],
    "Sources": [],
    # AWS always returns both groups; the Terraform provider dereferences them.
    "GlobalFilters": {"PatchFilters": []},
    "ApprovalRules": {"PatchRules": []},
}
# The CreatePatchBaseline / UpdatePatchBaseline request fields a baseline keeps (OperatingSystem cannot be
# updated: UpdatePatchBaseline has no such field).
BASELINE_FIELDS = (
    "Name",
    "OperatingSystem",
    "GlobalFilters",
    "ApprovalRules",
    "ApprovedPatches",
    "ApprovedPatchesComplianceLevel",
    "ApprovedPatchesEnableNonSecurity",
    "RejectedPatches",
    "RejectedPatchesAction",
    "Description",
    "Sources",
    "AvailableSecurityUpdatesComplianceStatus",
)
# DescribePatchBaselines filter keys (API reference, Filters: NAME_PREFIX, OWNER, OPERATING_SYSTEM).
BASELINE_FILTER_FIELDS: dict[str, str | None] = {
    "NAME_PREFIX": "BaselineName",
    "OWNER": None,
    "OPERATING_SYSTEM": "OperatingSystem",
}


def baseline(store: PatchStore, baseline_id: str) -> dict[str, Any]:
    """The stored baseline of an id or ARN; DoesNotExistException when there is none."""
    baseline_id = baseline_id.rsplit("/", maxsplit=1)[-1]
    if baseline_id not in store.baselines:
        raise client_error("DoesNotExistException", f"Patch Baseline {baseline_id} does not exist.")
    return store.baselines[baseline_id]


def _view(store: PatchStore, stored: dict[str, Any]) -> dict[str, Any]:
    """GetPatchBaseline's answer: the baseline plus the patch groups registered with it."""
    view = {key: value for key, value in stored.items() if key != "DefaultBaseline"}
    view["PatchGroups"] = sorted(
        group for group, bid in store.patch_groups.items() if bid == stored["BaselineId"]
    )
    return view


def create_patch_baseline(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    # pb- and 17 hex digits, the form of AWS's ids (e.g. pb-0574b43a65ea646ed, RegisterDefaultPatchBaseline)
    baseline_id = "pb-" + uuid.uuid4().hex[:17]
    stamp = now()
    created = {
        **copy.deepcopy(BASELINE_DEFAULTS),
        **{key: copy.deepcopy(request[key]) for key in BASELINE_FIELDS if key in request},
        "BaselineId": baseline_id,
        "CreatedDate": stamp,
        "ModifiedDate": stamp,
    }
    with store.lock:
        store.baselines[baseline_id] = created
        store.tags[("PatchBaseline", baseline_id)] = {
            tag["Key"]: tag["Value"] for tag in request.get("Tags", [])
        }
    return {"BaselineId": baseline_id}


def get_patch_baseline(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    return _view(store, baseline(store, request["BaselineId"]))


def update_patch_baseline(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    """Replace=true resets every field the request leaves out (API reference, UpdatePatchBaseline: "If True,
    then all fields that are required by the CreatePatchBaseline operation are also required for this API
    request. Optional fields that aren't specified are set to null")."""
    with store.lock:
        stored = baseline(store, request["BaselineId"])
        if request.get("Replace"):
            kept = {key: stored[key] for key in ("BaselineId", "CreatedDate", "OperatingSystem")}
            stored.clear()
            stored.update({**copy.deepcopy(BASELINE_DEFAULTS), **kept})
        for key in BASELINE_FIELDS:
            if key in request and key != "OperatingSystem":
                stored[key] = copy.deepcopy(request[key])
        stored["ModifiedDate"] = now()
        return _view(store, stored)


def delete_patch_baseline(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    baseline_id = request["BaselineId"]
    with store.lock:
        # ResourceInUseException: "Error returned if an attempt is made to delete a patch baseline that is
        # registered for a patch group." (botocore model)
        if baseline_id in store.patch_groups.values():
            raise client_error(
                "ResourceInUseException", f"Patch Baseline {baseline_id} is registered with patch groups."
            )
        store.baselines.pop(baseline_id, None)
        store.tags.pop(("PatchBaseline", baseline_id), None)
    return {"BaselineId": baseline_id}


def _matches(identity: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    for flt in filters:
        field = BASELINE_FILTER_FIELDS.get(flt["Key"])
        if flt["Key"] == "OWNER":
            # OWNER: AWS (predefined), Self (custom) or All; the store holds custom baselines only.
            if "Self" not in flt["Values"] and "All" not in flt["Values"]:
                return False
        elif flt["Key"] == "NAME_PREFIX":
            if not any(str(identity[field]).startswith(value) for value in flt["Values"]):
                return False
        elif field and identity.get(field) not in flt["Values"]:
            return False
    return True


def describe_patch_baselines(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    identities = []
    for stored in store.baselines.values():
        identity = {
            "BaselineId": stored["BaselineId"],
            "BaselineName": stored["Name"],
            "OperatingSystem": stored["OperatingSystem"],
            "BaselineDescription": stored.get("Description", ""),
            "DefaultBaseline": bool(stored.get("DefaultBaseline")),
        }
        if _matches(identity, request.get("Filters", [])):
            identities.append(identity)
    chunk, token = page(identities, request, "DescribePatchBaselines", 50)
    return {"BaselineIdentities": chunk, **token}


def register_patch_baseline_for_patch_group(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    with store.lock:
        baseline(store, request["BaselineId"])
        group = request["PatchGroup"]
        # AlreadyExistsException: "Error returned if an attempt is made to register a patch group with a patch
        # baseline that is already registered with a different patch baseline." (botocore model)
        if group in store.patch_groups:
            raise client_error(
                "AlreadyExistsException",
                f"Patch Group {group} is already registered with baseline {store.patch_groups[group]}",
            )
        store.patch_groups[group] = request["BaselineId"]
    return {"BaselineId": request["BaselineId"], "PatchGroup": group}


def deregister_patch_baseline_for_patch_group(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    with store.lock:
        if store.patch_groups.get(request["PatchGroup"]) != request["BaselineId"]:
            raise client_error(
                "DoesNotExistException",
                f"Patch Group {request['PatchGroup']} is not registered with {request['BaselineId']}",
            )
        del store.patch_groups[request["PatchGroup"]]
    return {"BaselineId": request["BaselineId"], "PatchGroup": request["PatchGroup"]}


def get_patch_baseline_for_patch_group(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    # A group without a registered baseline gets the operating system's default baseline; without an
    # OperatingSystem, Windows' (as GetDefaultPatchBaseline: "If you don't specify an operating system value,
    # the default patch baseline for Windows is returned", API reference).
    system = request.get("OperatingSystem", "WINDOWS")
    baseline_id = store.patch_groups.get(request["PatchGroup"], fleet.DEFAULT_BASELINES.get(system))
    return {"BaselineId": baseline_id, "PatchGroup": request["PatchGroup"], "OperatingSystem": system}


def describe_patch_groups(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    mappings = []
    for group, baseline_id in sorted(store.patch_groups.items()):
        stored = store.baselines[baseline_id]
        mappings.append(
            {
                "PatchGroup": group,
                "BaselineIdentity": {
                    "BaselineId": baseline_id,
                    "BaselineName": stored["Name"],
                    "OperatingSystem": stored["OperatingSystem"],
                    "DefaultBaseline": False,
                    "BaselineDescription": stored.get("Description", ""),
                },
            }
        )
    chunk, token = page(mappings, request, "DescribePatchGroups", 50)
    return {"Mappings": chunk, **token}
