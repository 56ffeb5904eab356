"""Security Hub emulation: the control routes (fault switch, rate limiter, request counters).

Faults and the rate limiter are process-wide, so every test scopes them to operations or accounts it owns and
switches them off again in `finally`.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from localaws_helpers import Account, error_code, eventually, make_client, random_account_id, status_code
from psh_localstack.client import securityhub as shc


def _describe_ok(account: Account) -> bool:
    try:
        account.client.describe_hub()
        return True
    except ClientError as error:
        if error_code(error) in ("ServiceUnavailable", "TooManyRequestsException"):
            return False
        raise


def test_unavailable_fault_answers_503_then_recovers(hub: Account, endpoint: str) -> None:
    try:
        state = shc.set_fault(endpoint, "unavailable", seconds=2, operations=["DescribeHub"])
        assert state["fault"]["mode"] == "unavailable"
        with pytest.raises(ClientError) as caught:
            hub.client.describe_hub()
        assert status_code(caught.value) == 503
        assert error_code(caught.value) == "ServiceUnavailable"
        # Only the named operations fail.
        assert "ProductSubscriptions" in hub.client.list_enabled_products_for_import()
        assert eventually(lambda: _describe_ok(hub))
    finally:
        shc.clear_fault(endpoint)


def test_throttle_fault_answers_429(hub: Account, endpoint: str) -> None:
    try:
        shc.set_fault(endpoint, "throttle", seconds=30, operations=["DescribeHub", "BatchImportFindings"])
        with pytest.raises(ClientError) as caught:
            hub.client.describe_hub()
        assert status_code(caught.value) == 429
        assert error_code(caught.value) == "TooManyRequestsException"
        with pytest.raises(ClientError) as caught:
            hub.client.batch_import_findings(Findings=[hub.finding("t")])
        assert error_code(caught.value) == "TooManyRequestsException"
        assert shc.rejected_count(endpoint, "DescribeHub") >= 1
    finally:
        shc.clear_fault(endpoint)
    assert shc.status(endpoint)["fault"] is None
    assert _describe_ok(hub)
    assert hub.client.get_findings()["Findings"] == []  # the throttled import stored nothing


def test_throttling_can_answer_the_models_limit_exceeded(hub: Account, endpoint: str) -> None:
    try:
        shc.set_behaviour(endpoint, throttle_error="LimitExceededException")
        shc.set_fault(endpoint, "throttle", seconds=30, operations=["BatchImportFindings", "GetFindings"])
        for call in (
            lambda: hub.client.batch_import_findings(Findings=[hub.finding("t")]),
            hub.client.get_findings,
        ):
            with pytest.raises(ClientError) as caught:
                call()
            assert error_code(caught.value) == "LimitExceededException"
            assert status_code(caught.value) == 429
    finally:
        shc.clear_fault(endpoint)
        shc.reset_behaviour(endpoint)
    with pytest.raises(shc.ControlError, match="400"):
        shc.set_behaviour(endpoint, throttle_error="SlowDown")


def test_fault_requests_are_validated(endpoint: str) -> None:
    for mode, seconds in (("explode", 2), ("unavailable", 0)):
        with pytest.raises(shc.ControlError, match="400"):
            shc.set_fault(endpoint, mode, seconds=seconds)


def test_request_counters_count_each_call(hub: Account, endpoint: str) -> None:
    before = shc.status(endpoint)
    for index in range(3):
        hub.client.batch_import_findings(Findings=[hub.finding(f"c-{index}"), hub.finding(f"d-{index}")])
    after = shc.status(endpoint)
    assert after["requests"]["BatchImportFindings"] - before["requests"].get("BatchImportFindings", 0) == 3
    assert after["findings_received"] - before["findings_received"] == 6


def test_rate_limiter_throttles_bursts_and_refills(hub: Account, endpoint: str) -> None:
    assert shc.status(endpoint)["rate_limit"] == {
        "enabled": False,
        "rate": 10.0,
        "burst": 30,
        "operations": ["BatchImportFindings"],
        "limits": {},
    }
    try:
        # Slow bucket so the test does not depend on timing: burst 3, then one token every 5 s.
        shc.set_rate_limit(endpoint, enabled=True, rate=0.2, burst=3)
        outcomes = []
        for index in range(5):
            try:
                hub.client.batch_import_findings(Findings=[hub.finding(f"r-{index}")])
                outcomes.append("ok")
            except ClientError as error:
                assert status_code(error) == 429
                outcomes.append(error_code(error))
        assert outcomes[:3] == ["ok", "ok", "ok"]
        assert "TooManyRequestsException" in outcomes[3:]
        # Other operations are not limited.
        assert hub.client.get_findings(MaxResults=1)["Findings"]
    finally:
        shc.set_rate_limit(endpoint, enabled=False)


def test_rate_limiter_buckets_are_per_account(hub: Account, endpoint: str) -> None:
    other_id = random_account_id()
    other = make_client(endpoint, other_id)
    other.enable_security_hub()
    try:
        shc.set_rate_limit(endpoint, enabled=True, rate=0.2, burst=1)
        hub.client.batch_import_findings(Findings=[hub.finding("x")])
        with pytest.raises(ClientError):
            hub.client.batch_import_findings(Findings=[hub.finding("y")])
        other_finding = hub.finding(
            "z", AwsAccountId=other_id, ProductArn=hub.product_arn.replace(hub.id, other_id)
        )
        assert other.batch_import_findings(Findings=[other_finding])["SuccessCount"] == 1
    finally:
        shc.set_rate_limit(endpoint, enabled=False)


def test_operations_can_have_their_own_rate_and_burst(hub: Account, endpoint: str) -> None:
    try:
        shc.set_rate_limit(
            endpoint, enabled=True, limits={"GetFindings": (0.2, 2), "BatchImportFindings": (0.2, 4)}
        )
        assert shc.status(endpoint)["rate_limit"]["limits"] == {
            "BatchImportFindings": [0.2, 4],
            "GetFindings": [0.2, 2],
        }
        reads = []
        for _ in range(4):
            try:
                hub.client.get_findings(MaxResults=1)
                reads.append("ok")
            except ClientError as error:
                reads.append(error_code(error))
        assert reads[:2] == ["ok", "ok"]
        assert "TooManyRequestsException" in reads[2:]
        for index in range(4):  # its own bucket: 4 before the first refusal
            hub.client.batch_import_findings(Findings=[hub.finding(f"own-{index}")])
        hub.client.describe_hub()  # not listed: not limited
    finally:
        shc.set_rate_limit(endpoint, enabled=False)


def test_rate_limit_requests_are_validated(endpoint: str) -> None:
    with pytest.raises(shc.ControlError, match="400"):
        shc.set_rate_limit(endpoint, enabled=True, rate=0, burst=1)
    with pytest.raises(shc.ControlError, match="400"):
        shc.set_rate_limit(endpoint, enabled=True, limits={"GetFindings": (3, 0)})


def test_counters_can_be_zeroed(hub: Account, endpoint: str) -> None:
    hub.client.describe_hub()
    assert shc.request_count(endpoint, "DescribeHub") >= 1
    shc.reset_counters(endpoint)
    status = shc.status(endpoint)
    assert status["requests"] == {} or set(status["requests"]) <= {"DescribeHub"}
    hub.client.describe_hub()
    assert shc.request_count(endpoint, "DescribeHub") >= 1
