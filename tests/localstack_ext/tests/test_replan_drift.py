"""What Terraform reads back right after apply, as AWS answers it: a function's KMSKeyArn, an alarm's tags.

LocalStack 4.14 drops both (Terraform then re-plans updates right after apply); the psh Lambda and CloudWatch
providers keep them the way AWS does.
"""

from __future__ import annotations

import contextlib
import io
import uuid
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT = "515151515151"  # LocalStack maps a 12-digit access key to that account: no other test's resources
ROLE = f"arn:aws:iam::{ACCOUNT}:role/psh-drift-test"
KEY_1 = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-1111-1111-1111-111111111111"
KEY_2 = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/22222222-2222-2222-2222-222222222222"


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def own_account(aws_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCOUNT)


# --- Lambda: KMSKeyArn ------------------------------------------------------------------------------------


@pytest.fixture
def functions(own_account):
    client = boto3.client("lambda")
    created: list[str] = []

    def create(**extra) -> dict:
        name = f"psh-drift-{uuid.uuid4().hex[:8]}"
        created.append(name)
        response = client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": _code()},
            **extra,
        )
        client.get_waiter("function_active_v2").wait(FunctionName=name)
        return response

    yield client, create
    for name in created:
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_function(FunctionName=name)


def _listed(client, name: str) -> dict:
    for page in client.get_paginator("list_functions").paginate():
        for config in page["Functions"]:
            if config["FunctionName"] == name:
                return config
    raise AssertionError(f"{name} not listed")


def test_function_created_with_a_key_returns_it_wherever_its_configuration_is_read(functions) -> None:
    client, create = functions
    created = create(KMSKeyArn=KEY_1)
    name = created["FunctionName"]

    assert created["KMSKeyArn"] == KEY_1
    assert client.get_function(FunctionName=name)["Configuration"]["KMSKeyArn"] == KEY_1
    assert client.get_function_configuration(FunctionName=name)["KMSKeyArn"] == KEY_1
    assert _listed(client, name)["KMSKeyArn"] == KEY_1


def test_function_without_a_key_has_no_kms_key_arn(functions) -> None:
    client, create = functions
    name = create()["FunctionName"]

    assert "KMSKeyArn" not in client.get_function(FunctionName=name)["Configuration"]
    assert "KMSKeyArn" not in _listed(client, name)


def test_update_changes_the_key_and_an_empty_key_returns_to_the_aws_managed_one(functions) -> None:
    client, create = functions
    name = create(KMSKeyArn=KEY_1)["FunctionName"]

    assert client.update_function_configuration(FunctionName=name, KMSKeyArn=KEY_2)["KMSKeyArn"] == KEY_2
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert client.get_function(FunctionName=name)["Configuration"]["KMSKeyArn"] == KEY_2

    # An update that does not mention the key keeps it.
    client.update_function_configuration(FunctionName=name, Timeout=7)
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert client.get_function_configuration(FunctionName=name)["KMSKeyArn"] == KEY_2

    cleared = client.update_function_configuration(FunctionName=name, KMSKeyArn="")
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert "KMSKeyArn" not in cleared
    assert "KMSKeyArn" not in client.get_function(FunctionName=name)["Configuration"]


def test_a_published_version_keeps_the_key_it_was_published_with(functions) -> None:
    client, create = functions
    name = create(KMSKeyArn=KEY_1)["FunctionName"]
    version = client.publish_version(FunctionName=name)["Version"]

    client.update_function_configuration(FunctionName=name, KMSKeyArn=KEY_2)
    client.get_waiter("function_updated_v2").wait(FunctionName=name)

    assert client.get_function(FunctionName=name, Qualifier=version)["Configuration"]["KMSKeyArn"] == KEY_1
    assert client.get_function(FunctionName=name)["Configuration"]["KMSKeyArn"] == KEY_2
    keys = {
        v["Version"]: v.get("KMSKeyArn")
        for v in client.list_versions_by_function(FunctionName=name)["Versions"]
    }
    assert keys == {"$LATEST": KEY_2, version: KEY_1}


def test_a_function_created_again_under_the_same_name_does_not_inherit_the_old_key(functions) -> None:
    client, create = functions
    name = create(KMSKeyArn=KEY_1)["FunctionName"]
    client.delete_function(FunctionName=name)

    client.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": _code()}
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name)

    assert "KMSKeyArn" not in client.get_function(FunctionName=name)["Configuration"]


# --- CloudWatch: alarm tags -------------------------------------------------------------------------------


@pytest.fixture
def cloudwatch(own_account):
    client = boto3.client("cloudwatch")
    created: list[str] = []

    def put_alarm(name: str | None = None, **extra) -> str:
        name = name or f"psh-drift-{uuid.uuid4().hex[:8]}"
        created.append(name)
        client.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Dimensions=[{"Name": "QueueName", "Value": "psh-drift"}],
            Statistic="Maximum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
            **extra,
        )
        return name

    yield client, put_alarm, created
    client.delete_alarms(AlarmNames=created)


def _alarm_arn(client, name: str) -> str:
    return client.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]


def _tags(client, arn: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in client.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def test_tags_given_when_an_alarm_is_created_are_listed(cloudwatch) -> None:
    client, put_alarm, _ = cloudwatch
    name = put_alarm(
        Tags=[{"Key": "CostCenter", "Value": "security"}, {"Key": "Example", "Value": "complete"}]
    )

    assert _tags(client, _alarm_arn(client, name)) == {"CostCenter": "security", "Example": "complete"}


def test_tags_of_a_put_on_an_existing_alarm_are_ignored_tag_and_untag_change_them(cloudwatch) -> None:
    client, put_alarm, _ = cloudwatch
    name = put_alarm(Tags=[{"Key": "Team", "Value": "a"}])
    arn = _alarm_arn(client, name)

    put_alarm(name, Tags=[{"Key": "Team", "Value": "b"}, {"Key": "Other", "Value": "x"}])
    assert _tags(client, arn) == {"Team": "a"}

    client.tag_resource(ResourceARN=arn, Tags=[{"Key": "Team", "Value": "b"}, {"Key": "New", "Value": "y"}])
    client.untag_resource(ResourceARN=arn, TagKeys=["New"])
    assert _tags(client, arn) == {"Team": "b"}


def test_deleting_an_alarm_deletes_its_tags(cloudwatch) -> None:
    client, put_alarm, _ = cloudwatch
    name = put_alarm(Tags=[{"Key": "Team", "Value": "a"}])
    arn = _alarm_arn(client, name)
    client.delete_alarms(AlarmNames=[name])

    with pytest.raises(ClientError) as missing:
        client.list_tags_for_resource(ResourceARN=arn)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as missing:
        client.tag_resource(ResourceARN=arn, Tags=[{"Key": "Team", "Value": "b"}])
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    put_alarm(name)
    assert _tags(client, arn) == {}


def test_composite_alarm_tags_are_listed(cloudwatch) -> None:
    client, put_alarm, created = cloudwatch
    child = put_alarm()
    name = f"psh-drift-composite-{uuid.uuid4().hex[:8]}"
    created.insert(0, name)
    client.put_composite_alarm(
        AlarmName=name, AlarmRule=f'ALARM("{child}")', Tags=[{"Key": "Team", "Value": "a"}]
    )
    arn = client.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0][
        "AlarmArn"
    ]

    assert _tags(client, arn) == {"Team": "a"}
