"""Fault switches: Security Hub per-finding failures and latency; SSM throttling / 5xx on the reads that
collect patch compliance. Each test switches its fault off again in `finally`."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError, PaginationError
from localaws_helpers import SSM_ACCOUNT, Account, error_code, status_code
from psh_localstack.client import securityhub as shc
from psh_localstack.client import ssm as ssm_control
from psh_stage import fleet


def test_failed_findings_switch_fails_only_matching_findings_then_disarms(
    hub: Account, endpoint: str
) -> None:
    prefix = f"fail-{uuid.uuid4().hex[:8]}-"
    try:
        state = shc.fail_findings(endpoint, prefix, count=2)
        assert state["finding_failures"] == {
            "id_prefix": prefix,
            "remaining": 2,
            "error_code": "InternalFailure",
            "whole_request": False,
        }
        batch = [hub.finding(prefix + "a"), hub.finding("other-1"), hub.finding(prefix + "b")]
        answer = hub.client.batch_import_findings(Findings=batch)
        assert answer["SuccessCount"] == 1 and answer["FailedCount"] == 2
        assert {(f["Id"], f["ErrorCode"]) for f in answer["FailedFindings"]} == {
            (prefix + "a", "InternalFailure"),
            (prefix + "b", "InternalFailure"),
        }
        assert [f["Id"] for f in hub.get_all()] == ["other-1"]  # failed findings are not stored
        assert shc.status(endpoint)["finding_failures"] is None  # both failures used up
        again = hub.client.batch_import_findings(Findings=[hub.finding(prefix + "a")])
        assert again["FailedCount"] == 0
    finally:
        shc.fail_findings(endpoint, prefix, count=0)


def test_failed_findings_switch_can_refuse_whole_requests(hub: Account, endpoint: str) -> None:
    prefix = f"refuse-{uuid.uuid4().hex[:8]}-"
    try:
        shc.fail_findings(endpoint, prefix, count=2, error_message="Invalid finding", whole_request=True)
        batch = [hub.finding("other-2"), hub.finding(prefix + "a")]
        for _ in range(2):
            with pytest.raises(ClientError) as refused:
                hub.client.batch_import_findings(Findings=batch)
            assert (error_code(refused.value), status_code(refused.value)) == ("InvalidInputException", 400)
            assert prefix + "a" in str(refused.value)
        assert hub.get_all() == []  # nothing of a refused request is stored
        assert hub.client.batch_import_findings(Findings=[hub.finding("other-2")])["FailedCount"] == 0
        assert hub.client.batch_import_findings(Findings=batch)["SuccessCount"] == 2  # both refusals used
    finally:
        shc.fail_findings(endpoint, prefix, count=0)
    with pytest.raises(shc.ControlError, match="400"):
        shc._call(
            endpoint, "POST", "/failed-findings", {"id_prefix": "x", "count": 1, "whole_request": "yes"}
        )


def test_failed_findings_switch_is_validated(endpoint: str) -> None:
    for body in ({"id_prefix": "", "count": 1}, {"id_prefix": "x", "count": -1}, {"id_prefix": "x"}):
        with pytest.raises(shc.ControlError, match="400"):
            shc._call(endpoint, "POST", "/failed-findings", body)


def test_latency_fault_serves_requests_late(hub: Account, endpoint: str) -> None:
    try:
        state = shc.set_fault(endpoint, "latency", seconds=30, operations=["DescribeHub"], delay_seconds=1.5)
        assert state["fault"]["delay_seconds"] == 1.5
        started = time.monotonic()
        assert hub.client.describe_hub()["HubArn"] == hub.hub_arn
        assert time.monotonic() - started >= 1.4
    finally:
        shc.clear_fault(endpoint)
    with pytest.raises(shc.ControlError, match="400"):
        shc.set_fault(endpoint, "latency", seconds=5)  # no delay given


@pytest.mark.parametrize(
    ("mode", "code", "status"),
    [("throttle", "ThrottlingException", 400), ("unavailable", "InternalServerError", 500)],
)
def test_ssm_fault_fails_the_compliance_reads_then_recovers(
    ssm_client, localstack, mode, code, status
) -> None:
    node = fleet.mixed_fleet(1, seed=77)[0]
    (node_id,) = ssm_control.register_nodes(localstack.endpoint, [node], account_id=SSM_ACCOUNT)
    try:
        state = ssm_control.set_fault(
            localstack.endpoint, mode, seconds=2, operations=["DescribeInstancePatchStates"]
        )
        assert state["fault"]["operations"] == ["DescribeInstancePatchStates"]
        with pytest.raises(ClientError) as caught:
            ssm_client.describe_instance_patch_states(InstanceIds=[node_id])
        assert error_code(caught.value) == code
        assert status_code(caught.value) == status
        # Only the named read fails.
        listed = ssm_client.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [node_id]}]
        )
        assert [i["InstanceId"] for i in listed["InstanceInformationList"]] == [node_id]
        assert ssm_control.fault_status(localstack.endpoint)["rejected"]["DescribeInstancePatchStates"] >= 1
        time.sleep(2.1)
        assert ssm_client.describe_instance_patch_states(InstanceIds=[node_id])["InstancePatchStates"] == []
    finally:
        ssm_control.clear_fault(localstack.endpoint)


def test_ssm_repeat_token_fault_pages_without_end_until_it_expires(ssm_client, localstack) -> None:
    """A paged read that answers every page with the same NextToken (an emulator fault: AWS documents no such
    answer; botocore's paginators stop it with "The same next token was received twice")."""
    node = fleet.mixed_fleet(1, seed=78)[0]
    (node_id,) = ssm_control.register_nodes(localstack.endpoint, [node], account_id=SSM_ACCOUNT)
    query = {"Filters": [{"Key": "InstanceIds", "Values": [node_id]}], "MaxResults": 50}
    try:
        ssm_control.set_fault(
            localstack.endpoint, "repeat_token", seconds=3, operations=["DescribeInstanceInformation"]
        )
        first = ssm_client.describe_instance_information(**query)
        again = ssm_client.describe_instance_information(**query, NextToken=first["NextToken"])
        assert first["NextToken"] == again["NextToken"]
        assert first["InstanceInformationList"] == again["InstanceInformationList"]
        with pytest.raises(PaginationError, match="same next token"):
            list(ssm_client.get_paginator("describe_instance_information").paginate(**query))
        assert ssm_control.fault_status(localstack.endpoint)["rejected"]["DescribeInstanceInformation"] >= 3
        time.sleep(3.1)
        assert "NextToken" not in ssm_client.describe_instance_information(**query)
    finally:
        ssm_control.clear_fault(localstack.endpoint)


def test_ssm_fault_defaults_to_all_reads_and_is_validated(ssm_client, localstack) -> None:
    try:
        state = ssm_control.set_fault(localstack.endpoint, "throttle", seconds=30)
        assert len(state["fault"]["operations"]) == 4
        with pytest.raises(ClientError) as caught:
            ssm_client.list_compliance_items(
                ResourceIds=["i-0123456789abcdef0"], ResourceTypes=["ManagedInstance"]
            )
        assert error_code(caught.value) == "ThrottlingException"
        ssm_client.describe_patch_baselines()  # not one of the four reads: unaffected
    finally:
        ssm_control.clear_fault(localstack.endpoint)
    assert ssm_control.fault_status(localstack.endpoint)["fault"] is None
    for body in ({"mode": "explode", "seconds": 2}, {"mode": "throttle", "seconds": 0}):
        with pytest.raises(ssm_control.ControlError, match="400"):
            ssm_control.call(localstack.endpoint, "POST", "/_psh/ssm/fault", body)
    with pytest.raises(ssm_control.ControlError, match="400"):
        ssm_control.set_fault(localstack.endpoint, "throttle", 5, operations=["SendCommand"])
