"""The switches of each emulated service over the shared fault and rate-limit modules, without LocalStack."""

from __future__ import annotations

import pytest
from psh_localstack.faults import RequestRejectedError
from psh_localstack.securityhub.traffic import RATE_LIMITED, Traffic
from psh_localstack.ssm.traffic import FAULTABLE_OPERATIONS, SSM_FAULTS


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_security_hub_counts_every_request_and_every_rejection() -> None:
    traffic = Traffic(clock=FakeClock())
    traffic.configure_rate_limit(True, rate=1, burst=1)
    traffic.admit("BatchImportFindings", "111111111111", "us-east-1")
    with pytest.raises(RequestRejectedError) as caught:
        traffic.admit("BatchImportFindings", "111111111111", "us-east-1")
    assert caught.value.reason == RATE_LIMITED
    traffic.set_fault("throttle", 5, operations=["DescribeHub"])
    with pytest.raises(RequestRejectedError):
        traffic.admit("DescribeHub", "111111111111", "us-east-1")
    state = traffic.snapshot()
    assert state["requests"] == {"BatchImportFindings": 2, "DescribeHub": 1}
    assert state["rejected"] == {"BatchImportFindings": 1, "DescribeHub": 1}
    traffic.reset_counters()
    assert traffic.snapshot()["requests"] == {} and traffic.snapshot()["rejected"] == {}


def test_a_latency_fault_serves_without_touching_the_rate_limit() -> None:
    traffic = Traffic(clock=FakeClock())
    traffic.configure_rate_limit(True, rate=1, burst=1)
    traffic.set_fault("latency", 5, operations=["BatchImportFindings"], delay_seconds=2)
    for _ in range(3):
        assert traffic.admit("BatchImportFindings", "111111111111", "us-east-1") == 2


def test_injected_finding_failures_are_used_up() -> None:
    traffic = Traffic(clock=FakeClock())
    traffic.fail_findings("bad-", 1)
    assert traffic.injected_failure("good-1") is None
    assert traffic.injected_failure("bad-1") == ("InternalFailure", "Injected failure")
    assert traffic.injected_failure("bad-2") is None
    assert traffic.snapshot()["findings_failed"] == 1
    assert traffic.snapshot()["finding_failures"] is None


def test_the_ssm_switch_covers_the_four_compliance_reads() -> None:
    assert sorted(FAULTABLE_OPERATIONS) == [
        "DescribeInstanceInformation",
        "DescribeInstancePatchStates",
        "DescribeInstancePatches",
        "ListComplianceItems",
    ]
    assert SSM_FAULTS.operations == FAULTABLE_OPERATIONS
    with pytest.raises(ValueError, match="have no fault switch"):
        SSM_FAULTS.set("throttle", 1, operations=["SendCommand"])


def test_read_lag_is_a_number_from_0_to_600_default_0() -> None:
    traffic = Traffic(clock=FakeClock())
    assert traffic.snapshot()["behaviour"]["read_lag_seconds"] == 0
    traffic.set_behaviour({"read_lag_seconds": 2})
    assert traffic.behaviour.read_lag_seconds == 2.0
    traffic.set_behaviour({"read_lag_seconds": 600})
    for wrong in (-1, 600.5, "2", True, None):
        with pytest.raises(ValueError, match="read_lag_seconds"):
            traffic.set_behaviour({"read_lag_seconds": wrong})
    assert traffic.behaviour.read_lag_seconds == 600.0
    traffic.reset_behaviour()
    assert traffic.behaviour.read_lag_seconds == 0
