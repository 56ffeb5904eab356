"""Fleet nodes' lifecycle: the EC2 APIs on fleet instances (StopInstances, StartInstances, TerminateInstances,
DescribeInstances), what Systems Manager then reports (DescribeInstanceInformation, patch states, commands),
EC2 forgetting a terminated instance after about an hour (emulator clock), DeregisterManagedInstance."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localaws_helpers import error_code, random_account_id
from psh_localstack.client import clock as clock_control
from psh_localstack.client import ssm as ssm_control
from psh_stage import fleet

REGION = "us-east-1"


def _client(endpoint: str, service: str, account_id: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=account_id,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


class Fleet:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.account_id = random_account_id()
        self.ssm = _client(endpoint, "ssm", self.account_id)
        self.ec2 = _client(endpoint, "ec2", self.account_id)

    def register(self, count: int = 1, prefix: str = "i-", patches: list[dict[str, Any]] = ()) -> list[str]:
        nodes = [
            {"InstanceId": prefix + uuid.uuid4().hex[:17], "PlatformType": "Linux", "Patches": list(patches)}
            for _ in range(count)
        ]
        return ssm_control.register_nodes(self.endpoint, nodes, account_id=self.account_id)

    def scan(self, ids: list[str], operation: str = "Scan") -> dict[str, Any]:
        return ssm_control.scan_via_control(self.endpoint, ids, operation, account_id=self.account_id)

    def state(self, instance_id: str) -> dict[str, Any]:
        reservations = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]

    def information_ids(self, **kwargs: Any) -> list[str]:
        answer = self.ssm.describe_instance_information(**kwargs)
        return [each["InstanceId"] for each in answer["InstanceInformationList"]]


MISSING = {"KBId": "pkg-1", "State": "MISSING", "ComplianceLevel": "HIGH", "Classification": "Security"}


@pytest.fixture
def nodes(endpoint: str) -> Iterator[Fleet]:
    yield Fleet(endpoint)
    clock_control.reset(endpoint)


def test_state_changes_answer_current_and_previous_state(nodes: Fleet) -> None:
    (node,) = nodes.register()
    assert nodes.state(node) == {"Code": 16, "Name": "running"}
    stopping = nodes.ec2.stop_instances(InstanceIds=[node])["StoppingInstances"]
    assert stopping == [
        {
            "InstanceId": node,
            "CurrentState": {"Code": 64, "Name": "stopping"},
            "PreviousState": {"Code": 16, "Name": "running"},
        }
    ]
    assert nodes.state(node) == {"Code": 80, "Name": "stopped"}  # the transition completes at once
    starting = nodes.ec2.start_instances(InstanceIds=[node])["StartingInstances"][0]
    assert (starting["CurrentState"]["Name"], starting["PreviousState"]["Name"]) == ("pending", "stopped")
    assert nodes.state(node)["Name"] == "running"
    terminating = nodes.ec2.terminate_instances(InstanceIds=[node])["TerminatingInstances"][0]
    assert terminating["CurrentState"] == {"Code": 32, "Name": "shutting-down"}
    assert nodes.state(node) == {"Code": 48, "Name": "terminated"}
    again = nodes.ec2.terminate_instances(InstanceIds=[node])["TerminatingInstances"][0]
    assert again["CurrentState"]["Name"] == again["PreviousState"]["Name"] == "terminated"
    with pytest.raises(ClientError) as error:
        nodes.ec2.start_instances(InstanceIds=[node])
    assert error_code(error.value) == "IncorrectInstanceState"


def test_describe_instances_by_ids_and_by_instance_id_filter(nodes: Fleet) -> None:
    ids = nodes.register(7)
    unknown = "i-" + uuid.uuid4().hex[:17]
    described = nodes.ec2.describe_instances(InstanceIds=ids[:2])["Reservations"]
    instance = described[0]["Instances"][0]
    assert {each["Instances"][0]["InstanceId"] for each in described} == set(ids[:2])
    assert instance["InstanceType"] and instance["LaunchTime"] and instance["State"]["Name"] == "running"
    with pytest.raises(ClientError) as error:
        nodes.ec2.describe_instances(InstanceIds=[ids[0], unknown])
    assert error_code(error.value) == "InvalidInstanceID.NotFound"
    filtered = nodes.ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": [ids[0], unknown]}])
    assert [each["Instances"][0]["InstanceId"] for each in filtered["Reservations"]] == [ids[0]]
    with pytest.raises(ClientError) as error:
        nodes.ec2.describe_instances(InstanceIds=ids[:2], MaxResults=5)
    assert error_code(error.value) == "InvalidParameterCombination"
    by_filter = [{"Name": "instance-id", "Values": ids}]
    with pytest.raises(ClientError) as error:
        nodes.ec2.describe_instances(Filters=by_filter, MaxResults=4)
    assert error_code(error.value) == "InvalidParameterValue"
    first = nodes.ec2.describe_instances(Filters=by_filter, MaxResults=5)
    second = nodes.ec2.describe_instances(Filters=by_filter, MaxResults=5, NextToken=first["NextToken"])
    assert len(first["Reservations"]) == 5 and len(second["Reservations"]) == 2 and "NextToken" not in second
    paged = [r["Instances"][0]["InstanceId"] for r in first["Reservations"] + second["Reservations"]]
    assert sorted(paged) == sorted(ids)
    nodes.ec2.stop_instances(InstanceIds=[ids[0]])
    stopped = nodes.ec2.describe_instances(
        Filters=[*by_filter, {"Name": "instance-state-name", "Values": ["stopped"]}]
    )["Reservations"]
    assert [each["Instances"][0]["InstanceId"] for each in stopped] == [ids[0]]


def test_other_instances_stay_localstacks_and_mix_with_the_fleet(nodes: Fleet) -> None:
    image = nodes.ec2.describe_images(MaxResults=5)["Images"][0]["ImageId"]
    moto_id = nodes.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    (node,) = nodes.register()
    assert nodes.state(moto_id)["Name"] in ("pending", "running")
    both = nodes.ec2.describe_instances(InstanceIds=[moto_id, node])["Reservations"]
    assert {each["Instances"][0]["InstanceId"] for each in both} == {moto_id, node}
    stopping = nodes.ec2.stop_instances(InstanceIds=[node, moto_id])["StoppingInstances"]
    assert [each["InstanceId"] for each in stopping] == [node, moto_id]
    assert nodes.state(node)["Name"] == "stopped" and nodes.state(moto_id)["Name"] == "stopped"
    with pytest.raises(ClientError) as error:
        nodes.ec2.start_instances(InstanceIds=[node, "i-" + uuid.uuid4().hex[:17]])
    assert error_code(error.value) == "InvalidInstanceID.NotFound"
    assert nodes.state(node)["Name"] == "stopped"  # the failed call changed nothing


def test_instance_information_leaves_out_stopped_and_terminated_nodes(nodes: Fleet) -> None:
    running, stopped, terminated = nodes.register(3)
    nodes.ec2.stop_instances(InstanceIds=[stopped])
    nodes.ec2.terminate_instances(InstanceIds=[terminated])
    assert nodes.information_ids() == [running]
    # Named in the InstanceIds filter, they are still left out, not an error.
    asked = [{"Key": "InstanceIds", "Values": [stopped, terminated]}]
    assert nodes.information_ids(Filters=asked) == []
    # About an hour later EC2 has forgotten the terminated instance: its id is unknown everywhere.
    clock_control.advance(nodes.endpoint, 3601)
    with pytest.raises(ClientError) as error:
        nodes.information_ids(Filters=[{"Key": "InstanceIds", "Values": [terminated]}])
    assert error_code(error.value) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        nodes.ec2.describe_instances(InstanceIds=[terminated])
    assert error_code(error.value) == "InvalidInstanceID.NotFound"
    filtered = nodes.ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": [terminated]}])
    assert filtered["Reservations"] == []
    assert nodes.state(stopped)["Name"] == "stopped"  # a stopped instance is not forgotten


def test_a_stopped_node_keeps_its_patch_state_and_is_not_patched(nodes: Fleet) -> None:
    node, other = nodes.register(2, patches=[MISSING])
    nodes.scan([node, other])
    nodes.ec2.stop_instances(InstanceIds=[node])
    states = nodes.ssm.describe_instance_patch_states(InstanceIds=[node])["InstancePatchStates"]
    assert [(each["InstanceId"], each["MissingCount"]) for each in states] == [(node, 1)]
    assert nodes.scan([node, other], "Install")["skipped"] == [node]
    command_id, statuses = fleet.send_patch_command(nodes.ssm, [node, other], "Install")
    assert statuses == {node: "TimedOut", other: "Success"}
    invocation = nodes.ssm.get_command_invocation(CommandId=command_id, InstanceId=node)
    assert invocation["StatusDetails"] == "DeliveryTimedOut"
    command = nodes.ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["StatusDetails"], command["DeliveryTimedOutCount"]) == ("Incomplete", 1)
    states = nodes.ssm.describe_instance_patch_states(InstanceIds=[node])["InstancePatchStates"]
    assert states[0]["MissingCount"] == 1  # not patched while stopped
    nodes.ec2.start_instances(InstanceIds=[node])
    _, statuses = fleet.send_patch_command(nodes.ssm, [node], "Install")
    assert statuses == {node: "Success"}
    nodes.ec2.terminate_instances(InstanceIds=[node])
    with pytest.raises(ClientError) as error:
        nodes.ssm.send_command(
            InstanceIds=[node], DocumentName="AWS-RunPatchBaseline", Parameters={"Operation": ["Scan"]}
        )
    assert error_code(error.value) == "InvalidInstanceId"


def test_an_association_run_counts_a_stopped_node_as_timed_out(nodes: Fleet) -> None:
    node, other = nodes.register(2, patches=[MISSING])
    nodes.ec2.stop_instances(InstanceIds=[node])
    association_id = nodes.ssm.create_association(
        Name="AWS-RunPatchBaseline",
        Targets=[{"Key": "InstanceIds", "Values": [node, other]}],
        Parameters={"Operation": ["Scan"]},
        ApplyOnlyAtCronInterval=True,
        ScheduleExpression="cron(0 2 ? * SUN *)",
    )["AssociationDescription"]["AssociationId"]
    run = fleet.run_association_once(nodes.ssm, association_id)
    assert (run["Status"], run["ResourceCountByStatus"]) == ("Failed", "{Success=1, TimedOut=1}")
    assert nodes.ssm.describe_instance_patch_states(InstanceIds=[node])["InstancePatchStates"] == []


def test_deregister_managed_instance_removes_a_hybrid_node(nodes: Fleet) -> None:
    (node,) = nodes.register(prefix="mi-", patches=[MISSING])
    nodes.scan([node])
    assert nodes.ssm.deregister_managed_instance(InstanceId=node)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as error:
        nodes.information_ids(Filters=[{"Key": "InstanceIds", "Values": [node]}])
    assert error_code(error.value) == "InvalidInstanceId"
    assert nodes.ssm.describe_instance_patch_states(InstanceIds=[node])["InstancePatchStates"] == []
    assert nodes.ssm.list_compliance_items(ResourceIds=[node])["ComplianceItems"] == []
    with pytest.raises(ClientError) as error:
        nodes.ssm.deregister_managed_instance(InstanceId=node)
    assert error_code(error.value) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        nodes.ssm.deregister_managed_instance(InstanceId="i-" + uuid.uuid4().hex[:19])
    assert error_code(error.value) == "ValidationException"
