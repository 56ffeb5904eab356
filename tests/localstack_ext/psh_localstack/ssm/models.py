"""Per account and Region state of the Systems Manager additions (LocalStack's store bundle)."""

from __future__ import annotations

import threading
from typing import Any

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute


class PatchStore(BaseStore):
    # instance id -> {"info": InstanceInformation, "patches": [patch...], "patch_group": str, and for an EC2
    # instance (i-) "ec2": {"state", "launch_time", "terminated_at"} (ssm/lifecycle.py, psh_localstack/ec2)}
    nodes: dict[str, dict[str, Any]] = LocalAttribute(default=dict)
    # instance id -> DescribeInstancePatchStates entry
    patch_states: dict[str, dict[str, Any]] = LocalAttribute(default=dict)
    # (resource type, resource id, compliance type) -> {"ExecutionSummary", "Items", "UpdatedAt"}
    compliance: dict[tuple[str, str, str], dict[str, Any]] = LocalAttribute(default=dict)
    # Earlier versions for the read-lag switch (readlag.py): [(written at, value), ...] per node / record;
    # a patch state version is {"state": InstancePatchState, "patches": [patch...]}.
    patch_state_versions: dict[str, list[tuple[Any, Any]]] = LocalAttribute(default=dict)
    compliance_versions: dict[tuple[str, str, str], list[tuple[Any, Any]]] = LocalAttribute(default=dict)
    baselines: dict[str, dict[str, Any]] = LocalAttribute(default=dict)
    patch_groups: dict[str, str] = LocalAttribute(default=dict)  # patch group -> baseline id
    associations: dict[str, dict[str, Any]] = LocalAttribute(default=dict)
    association_executions: dict[str, list[dict[str, Any]]] = LocalAttribute(default=dict)
    commands: dict[str, dict[str, Any]] = LocalAttribute(default=dict)
    # (resource type, resource id) -> {key: value}
    tags: dict[tuple[str, str], dict[str, str]] = LocalAttribute(default=dict)
    lock: threading.RLock = LocalAttribute(default=threading.RLock)


patch_stores: AccountRegionBundle[PatchStore] = AccountRegionBundle("ssm", PatchStore)
