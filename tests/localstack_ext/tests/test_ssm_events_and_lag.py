"""Best-effort compliance events (switches event_drop_share / event_drop_seed, counters events_emitted /
events_dropped) and the read lag of the patch-state reads (switch read_lag_seconds)."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

import pytest
from psh_localstack.client import ssm as ssm_control

REGION = "us-east-1"
MISSING = {"KBId": "pkg-1", "State": "MISSING", "ComplianceLevel": "HIGH", "Classification": "Security"}


def _register(endpoint: str, account_id: str) -> str:
    node = {"InstanceId": "i-" + uuid.uuid4().hex[:17], "PlatformType": "Linux", "Patches": [MISSING]}
    return ssm_control.register_nodes(endpoint, [node], account_id=account_id)[0]


def _flip_compliance(ssm: Any, node: str, times: int) -> None:
    """`times` compliance changes of the node (each would emit one event)."""
    for index in range(times):
        status = "COMPLIANT" if index % 2 else "NON_COMPLIANT"
        ssm.put_compliance_items(
            ResourceId=node,
            ResourceType="ManagedInstance",
            ComplianceType="Custom:Drill",
            ExecutionSummary={"ExecutionTime": time.time()},
            Items=[{"Id": "item", "Severity": "HIGH", "Status": status}],
        )


def test_the_behaviour_route_shows_the_new_switches_and_counters(ssm_behaviour: str) -> None:
    state = ssm_control.behaviour(ssm_behaviour)
    assert {key: state[key] for key in ("event_drop_share", "event_drop_seed", "read_lag_seconds")} == {
        "event_drop_share": 0.0,
        "event_drop_seed": 0,
        "read_lag_seconds": 0,
    }
    assert state["events_emitted"] == 0 and state["events_dropped"] == 0
    for switches in ({"event_drop_share": 1.5}, {"read_lag_seconds": 601}, {"event_drop_seed": -1}):
        with pytest.raises(ssm_control.ControlError):
            ssm_control.set_behaviour(ssm_behaviour, **switches)
    assert ssm_control.set_behaviour(ssm_behaviour, read_lag_seconds=5)["read_lag_seconds"] == 5
    assert ssm_control.reset_behaviour(ssm_behaviour)["read_lag_seconds"] == 0


def test_a_seeded_share_of_compliance_events_is_dropped(
    ssm_behaviour: str, fleet_account: tuple[str, Any]
) -> None:
    account_id, ssm = fleet_account
    node = _register(ssm_behaviour, account_id)
    draw = random.Random(7)
    expected = sum(draw.random() < 0.5 for _ in range(12))
    for _ in range(2):  # the same seed drops the same events
        ssm_control.set_behaviour(ssm_behaviour, event_drop_share=0.5, event_drop_seed=7)
        _flip_compliance(ssm, node, 12)
        counters = ssm_control.event_counters(ssm_behaviour)
        assert counters == {"events_emitted": 12 - expected, "events_dropped": expected}
    ssm_control.set_behaviour(ssm_behaviour, event_drop_share=0.0)
    _flip_compliance(ssm, node, 3)
    assert ssm_control.behaviour(ssm_behaviour)["events_emitted"] == 3


def test_reads_lag_behind_a_scan_by_read_lag_seconds(
    ssm_behaviour: str, fleet_account: tuple[str, Any]
) -> None:
    account_id, ssm = fleet_account
    node = _register(ssm_behaviour, account_id)
    lag = 2

    def reads() -> tuple[list[Any], list[str], list[str]]:
        states = ssm.describe_instance_patch_states(InstanceIds=[node])["InstancePatchStates"]
        patches = [each["State"] for each in ssm.describe_instance_patches(InstanceId=node)["Patches"]]
        items = ssm.list_compliance_items(ResourceIds=[node])["ComplianceItems"]
        return [each["MissingCount"] for each in states], patches, [each["Status"] for each in items]

    ssm_control.set_behaviour(ssm_behaviour, read_lag_seconds=lag)
    ssm_control.scan_via_control(ssm_behaviour, [node], "Scan", account_id=account_id)
    assert reads() == ([], [], [])  # the first scan is not visible yet
    time.sleep(lag + 0.3)
    assert reads() == ([1], ["Missing"], ["NON_COMPLIANT"])
    emitted = ssm_control.behaviour(ssm_behaviour)["events_emitted"]
    ssm_control.scan_via_control(ssm_behaviour, [node], "Install", account_id=account_id)
    assert ssm_control.behaviour(ssm_behaviour)["events_emitted"] == emitted + 1  # the event is not delayed
    assert reads() == ([1], ["Missing"], ["NON_COMPLIANT"])  # the previous state, still
    time.sleep(lag + 0.3)
    assert reads() == ([0], ["Installed"], ["COMPLIANT"])
    ssm_control.reset_behaviour(ssm_behaviour)
    assert reads() == ([0], ["Installed"], ["COMPLIANT"])
