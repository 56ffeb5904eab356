"""Redrive: probe Security Hub, then move the DLQ back (move task, or a bounded loop where it is missing)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from moto import mock_aws
from patch_securityhub import redrive
from patch_securityhub.config import ConfigError, RedriveConfig, load_redrive_config
from patch_securityhub.logs import JsonLogger
from unit_helpers import ACCOUNT, REGION, LambdaContext

DLQ_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:psh-dlq"
MAIN_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:psh-main"


def config(dlq_url: str, main_url: str, limit: int = 1000) -> RedriveConfig:
    return RedriveConfig(REGION, dlq_url, DLQ_ARN, main_url, MAIN_ARN, max_move_per_run=limit)


@pytest.fixture
def stubbed_runtime(aws_env: None) -> Iterator[tuple[redrive.RedriveRuntime, Stubber, Stubber]]:
    sqs = boto3.client("sqs", region_name=REGION)
    securityhub = boto3.client("securityhub", region_name=REGION)
    dlq = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-dlq"
    main = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-main"
    runtime = redrive.RedriveRuntime(
        config(dlq, main), sqs, securityhub, JsonLogger("redrive", stream=io.StringIO())
    )
    with Stubber(sqs) as sqs_stub, Stubber(securityhub) as hub_stub:
        yield runtime, sqs_stub, hub_stub
        sqs_stub.assert_no_pending_responses()
        hub_stub.assert_no_pending_responses()


HUB = {
    "HubArn": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default",
    "SubscribedAt": "2026-01-01T00:00:00Z",
}


def depth(stub: Stubber, runtime: redrive.RedriveRuntime, count: int) -> None:
    stub.add_response(
        "get_queue_attributes",
        {"Attributes": {"ApproximateNumberOfMessages": str(count)}},
        {"QueueUrl": runtime.config.dlq_url, "AttributeNames": ["ApproximateNumberOfMessages"]},
    )


def test_unhealthy_security_hub_moves_nothing(stubbed_runtime) -> None:
    runtime, _sqs, hub = stubbed_runtime
    hub.add_client_error("describe_hub", "ServiceUnavailableException", http_status_code=503)
    summary = redrive.run(runtime)
    assert summary["action"] == "skipped_unhealthy"
    assert summary["healthy"] is False


def test_every_log_line_of_a_run_carries_the_request_id(stubbed_runtime, monkeypatch) -> None:
    runtime, sqs, hub = stubbed_runtime
    hub.add_response("describe_hub", HUB)
    depth(sqs, runtime, 0)
    monkeypatch.setattr(redrive, "_RUNTIME", runtime)
    assert redrive.handler({}, LambdaContext(aws_request_id="req-redrive-1"))["action"] == "nothing_to_move"
    runtime.logger.info("after_the_invocation")
    during, after = [json.loads(line) for line in runtime.logger.stream.getvalue().splitlines()]
    assert (during["msg"], during["request_id"]) == ("redrive_nothing_to_move", "req-redrive-1")
    assert "request_id" not in after


def test_empty_dlq_moves_nothing(stubbed_runtime) -> None:
    runtime, sqs, hub = stubbed_runtime
    hub.add_response("describe_hub", HUB)
    depth(sqs, runtime, 0)
    assert redrive.run(runtime)["action"] == "nothing_to_move"


def test_healthy_with_messages_starts_a_move_task(stubbed_runtime) -> None:
    runtime, sqs, hub = stubbed_runtime
    hub.add_response("describe_hub", HUB)
    depth(sqs, runtime, 42)
    sqs.add_response(
        "list_message_move_tasks",
        {"Results": [{"Status": "COMPLETED", "SourceArn": DLQ_ARN}]},
        {"SourceArn": DLQ_ARN, "MaxResults": 10},
    )
    sqs.add_response(
        "start_message_move_task",
        {"TaskHandle": "handle-1"},
        {"SourceArn": DLQ_ARN, "DestinationArn": MAIN_ARN, "MaxNumberOfMessagesPerSecond": 100},
    )
    summary = redrive.run(runtime)
    assert summary == {
        "healthy": True,
        "health": "ok",
        "dlq_depth": 42,
        "action": "move_task_started",
        "task_handle": "handle-1",
        "approximate": 42,
    }
    logs = [json.loads(line) for line in runtime.logger.stream.getvalue().splitlines()]
    assert logs[-1]["msg"] == "redrive_move_task_started"


def test_running_task_is_not_started_twice(stubbed_runtime) -> None:
    runtime, sqs, hub = stubbed_runtime
    hub.add_response("describe_hub", HUB)
    depth(sqs, runtime, 5)
    sqs.add_response(
        "list_message_move_tasks",
        {"Results": [{"Status": "RUNNING", "TaskHandle": "busy", "SourceArn": DLQ_ARN}]},
    )
    summary = redrive.run(runtime)
    assert (summary["action"], summary["task_handle"]) == ("task_already_running", "busy")


def _not_implemented(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    """What an endpoint without the message-move API answers (LocalStack-style 501)."""
    error = {"Code": "InternalFailure", "Message": "API action not yet implemented"}
    return AWSResponse(None, 501, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 501}}


@pytest.mark.parametrize("limit", [1000, 7])
def test_fallback_loop_moves_messages_when_move_api_is_missing(aws_env: None, limit: int) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="psh-dlq")["QueueUrl"]
        main = sqs.create_queue(QueueName="psh-main")["QueueUrl"]
        for n in range(15):
            sqs.send_message(
                QueueUrl=dlq,
                MessageBody=json.dumps({"n": n}),
                MessageAttributes={"k": {"DataType": "String", "StringValue": f"v{n}"}},
            )
        sqs.meta.events.register("before-call.sqs.ListMessageMoveTasks", _not_implemented)
        securityhub = boto3.client("securityhub", region_name=REGION)
        with Stubber(securityhub) as hub:
            hub.add_response("describe_hub", HUB)
            runtime = redrive.RedriveRuntime(
                config(dlq, main, limit), sqs, securityhub, JsonLogger("redrive", stream=io.StringIO())
            )
            summary = redrive.run(runtime)
        expected = min(15, limit)
        assert summary["action"] == "moved_by_loop"
        assert summary["moved"] == expected
        moved = []
        while True:
            batch = sqs.receive_message(QueueUrl=main, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
            if not batch.get("Messages"):
                break
            moved.extend(batch["Messages"])
        assert len(moved) == expected
        assert all(m["MessageAttributes"]["k"]["StringValue"].startswith("v") for m in moved)
        left = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        assert int(left["Attributes"]["ApproximateNumberOfMessages"]) == 15 - expected


def test_other_move_errors_are_raised_not_hidden(stubbed_runtime) -> None:
    runtime, sqs, hub = stubbed_runtime
    hub.add_response("describe_hub", HUB)
    depth(sqs, runtime, 1)
    sqs.add_client_error("list_message_move_tasks", "AccessDenied", http_status_code=403)
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        redrive.run(runtime)


def test_redrive_config_is_validated() -> None:
    env = {
        "AWS_REGION": REGION,
        "PSH_DLQ_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-dlq",
        "PSH_DLQ_ARN": DLQ_ARN,
        "PSH_MAIN_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-main",
        "PSH_MAIN_QUEUE_ARN": MAIN_ARN,
    }
    assert load_redrive_config(env).max_move_per_run == 1000
    with pytest.raises(ConfigError, match="PSH_MAX_MOVE_PER_RUN"):
        load_redrive_config({**env, "PSH_MAX_MOVE_PER_RUN": "lots"})
    with pytest.raises(ConfigError, match="PSH_DLQ_ARN"):
        load_redrive_config({**env, "PSH_DLQ_ARN": "psh-dlq"})
    with pytest.raises(ConfigError, match="PSH_MAIN_QUEUE_URL"):
        load_redrive_config({k: v for k, v in env.items() if k != "PSH_MAIN_QUEUE_URL"})
