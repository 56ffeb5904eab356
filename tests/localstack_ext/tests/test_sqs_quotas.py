"""SQS message quotas LocalStack does not enforce and the product depends on (psh_localstack/sqs): at most 10
message attributes a message ("Amazon SQS message quotas")."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localaws_helpers import error_code, random_account_id


@pytest.fixture
def queue(endpoint: str) -> tuple[Any, str]:
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=random_account_id(),
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    return sqs, sqs.create_queue(QueueName=f"quota-{uuid.uuid4().hex[:8]}")["QueueUrl"]


def _attributes(count: int) -> dict[str, dict[str, str]]:
    return {f"a{n}": {"DataType": "String", "StringValue": "v"} for n in range(count)}


def test_a_message_carries_at_most_ten_message_attributes(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="ten", MessageAttributes=_attributes(10))
    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=url, MessageBody="eleven", MessageAttributes=_attributes(11))
    assert error_code(refused.value) in ("InvalidParameterValue", "InvalidParameterValueException")
    assert "Number of message attributes [11] exceeds the allowed maximum [10]" in str(refused.value)
    answer = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "ten", "MessageAttributes": _attributes(10)},
            {"Id": "over", "MessageBody": "eleven", "MessageAttributes": _attributes(11)},
        ],
    )
    assert [entry["Id"] for entry in answer["Successful"]] == ["ok"]
    assert [entry["Id"] for entry in answer["Failed"]] == ["over"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    assert sorted(m["Body"] for m in received["Messages"]) == ["ten", "ten"]
