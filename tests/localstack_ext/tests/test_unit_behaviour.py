"""The behaviour switches of the SSM and Security Hub emulations (pure: no LocalStack)."""

from __future__ import annotations

import pytest
from psh_localstack.securityhub.traffic import Traffic
from psh_localstack.ssm import patching
from psh_localstack.ssm.behaviour import BehaviourSwitch


def test_ssm_switches_default_to_the_documented_behaviour() -> None:
    switch = BehaviourSwitch()
    assert switch.snapshot() == {
        "unknown_instance_ids": "error",
        "filter_after_paging": True,
        "patch_state_filter": "documented",
        "event_drop_share": 0.0,
        "event_drop_seed": 0,
        "read_lag_seconds": 0,
    }
    assert switch.update({"unknown_instance_ids": "empty"}).unknown_instance_ids == "empty"
    assert switch.reset().unknown_instance_ids == "error"


@pytest.mark.parametrize(
    "changes",
    [
        {"nope": 1},
        {"unknown_instance_ids": "sometimes"},
        {"filter_after_paging": 1},
        {"patch_state_filter": ""},
    ],
)
def test_ssm_switches_refuse_unknown_names_and_values(changes: dict) -> None:
    with pytest.raises(ValueError):
        BehaviourSwitch().update(changes)


def test_security_hub_switches_default_and_reset() -> None:
    traffic = Traffic()
    assert traffic.snapshot()["behaviour"] == {
        "hub_disabled_import": "failed_findings",
        "throttle_error": "TooManyRequestsException",
        "read_lag_seconds": 0.0,
    }
    traffic.set_behaviour({"throttle_error": "LimitExceededException"})
    assert traffic.behaviour.throttle_error == "LimitExceededException"
    with pytest.raises(ValueError):
        traffic.set_behaviour({"throttle_error": "SlowDown"})
    traffic.reset()
    assert traffic.behaviour.throttle_error == "TooManyRequestsException"


@pytest.mark.parametrize(
    ("state", "spelling"),
    [
        ("INSTALLED", "Installed"),
        ("INSTALLED_OTHER", "InstalledOther"),
        ("INSTALLED_PENDING_REBOOT", "InstalledPendingReboot"),
        ("INSTALLED_REJECTED", "InstalledRejected"),
        ("MISSING", "Missing"),
        ("NOT_APPLICABLE", "NotApplicable"),
        ("FAILED", "Failed"),
    ],
)
def test_patch_states_are_spelled_as_the_service_answers(state: str, spelling: str) -> None:
    assert patching.api_state(state) == spelling
