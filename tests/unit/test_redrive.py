"""Redrive: probe the import the forwarder depends on, then move the DLQ back with a hop count and a bound."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from botocore.validate import ParamValidator
from moto import mock_aws
from patch_securityhub import redrive
from patch_securityhub.config import ConfigError, RedriveConfig, load_redrive_config
from patch_securityhub.finding import finding_id, product_arn
from patch_securityhub.logs import JsonLogger
from unit_helpers import ACCOUNT, REGION, LambdaContext

DLQ_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:psh-dlq"
MAIN_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:psh-main"
PROBE_ID = finding_id(ACCOUNT, REGION, redrive.PROBE_NODE)


def probe_failed(code: str) -> dict[str, Any]:
    """A BatchImportFindings response with the probe in FailedFindings (ImportFindingsError)."""
    return {
        "FailedCount": 1,
        "SuccessCount": 0,
        "FailedFindings": [{"Id": PROBE_ID, "ErrorCode": code, "ErrorMessage": "refused"}],
    }


PROBE_REFUSED = probe_failed("InvalidInput")
_SEVERITY_LABELS = (
    botocore.session.get_session().get_service_model("securityhub").shape_for("SeverityLabel").enum
)


@dataclass
class Queues:
    sqs: Any
    dlq: str
    main: str
    quarantine: str

    def depth(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def drain(self, url: str) -> list[dict[str, Any]]:
        """Every message of a queue, received and deleted."""
        drained: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            for message in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            drained.extend(batch)
        return drained

    def fail_back(self) -> None:
        """What SQS does after maxReceiveCount receives: the message, attributes included, goes to the DLQ."""
        for message in self.drain(self.main):
            self.sqs.send_message(
                QueueUrl=self.dlq,
                MessageBody=message["Body"],
                MessageAttributes=message.get("MessageAttributes") or {},
            )


@pytest.fixture
def queues(aws_env: None) -> Iterator[Queues]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        urls = [sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("psh-dlq", "psh-main", "psh-q")]
        yield Queues(sqs, *urls)


@pytest.fixture
def hub(aws_env: None) -> Iterator[tuple[Any, Stubber]]:
    securityhub = boto3.client("securityhub", region_name=REGION)
    with Stubber(securityhub) as stub:
        yield securityhub, stub
        stub.assert_no_pending_responses()


def make_runtime(queues: Queues, securityhub: Any, **overrides: Any) -> redrive.RedriveRuntime:
    config = RedriveConfig(REGION, queues.dlq, DLQ_ARN, queues.main, MAIN_ARN, queues.quarantine)
    return redrive.RedriveRuntime(
        replace(config, **overrides),
        queues.sqs,
        securityhub,
        JsonLogger("redrive", stream=io.StringIO()),
        ACCOUNT,
    )


def fill_dlq(queues: Queues, count: int, **attributes: str) -> None:
    for n in range(count):
        message_attributes = {"k": {"DataType": "String", "StringValue": f"v{n}"}}
        for name, value in attributes.items():
            message_attributes[name] = {"DataType": "Number", "StringValue": value}
        queues.sqs.send_message(
            QueueUrl=queues.dlq, MessageBody=json.dumps({"n": n}), MessageAttributes=message_attributes
        )


def logs(runtime: redrive.RedriveRuntime) -> list[dict[str, Any]]:
    return [json.loads(line) for line in runtime.logger.stream.getvalue().splitlines()]


def test_empty_dlq_moves_nothing_and_calls_no_security_hub(queues, hub) -> None:
    securityhub, _stub = hub  # no response queued: any Security Hub call would fail the test
    summary = redrive.run(make_runtime(queues, securityhub))
    assert (summary["action"], summary["dlq_depth"]) == ("nothing_to_move", 0)


def test_every_log_line_of_a_run_carries_the_request_id(queues, hub, monkeypatch) -> None:
    runtime = make_runtime(queues, hub[0])
    monkeypatch.setattr(redrive, "_RUNTIME", runtime)
    assert redrive.handler({}, LambdaContext(aws_request_id="req-redrive-1"))["action"] == "nothing_to_move"
    runtime.logger.info("after_the_invocation")
    during, after = logs(runtime)
    assert (during["msg"], during["request_id"]) == ("redrive_nothing_to_move", "req-redrive-1")
    assert "request_id" not in after


def test_probe_is_a_valid_request_that_security_hub_refuses() -> None:
    """botocore accepts it (the request reaches Security Hub and its authorization); the label is no
    SeverityLabel, so Security Hub reports the finding in FailedFindings instead of importing it."""
    finding = redrive.probe_finding(ACCOUNT, REGION, datetime(2026, 12, 3, tzinfo=UTC))
    model = botocore.session.get_session().get_service_model("securityhub")
    report = ParamValidator().validate(
        {"Findings": [finding]}, model.operation_model("BatchImportFindings").input_shape
    )
    assert not report.has_errors(), report.generate_report()
    assert finding["Severity"]["Label"] not in _SEVERITY_LABELS
    assert (finding["ProductArn"], finding["AwsAccountId"]) == (product_arn(ACCOUNT, REGION), ACCOUNT)
    assert finding["RecordState"] == "ARCHIVED"


@pytest.mark.parametrize(
    ("code", "status"), [("AccessDeniedException", 403), ("InvalidAccessException", 401)]
)
def test_denied_import_moves_nothing_in_two_runs_and_logs_an_error_each(queues, hub, code, status) -> None:
    securityhub, stub = hub
    fill_dlq(queues, 3)
    runtime = make_runtime(queues, securityhub)
    for _ in range(2):  # the DescribeHub-only probe moved the DLQ back on every run here
        stub.add_client_error("batch_import_findings", code, http_status_code=status)
        summary = redrive.run(runtime)
        assert (summary["action"], summary["healthy"], summary["health"]) == (
            "skipped_unhealthy",
            False,
            code,
        )
    assert (queues.depth(queues.main), queues.depth(queues.dlq)) == (0, 3)
    errors = [line for line in logs(runtime) if line["level"] == "ERROR"]
    assert [(e["msg"], e["health"], e["dlq_depth"]) for e in errors] == [
        ("redrive_skipped_unhealthy", code, 3)
    ] * 2


def test_a_blocked_run_publishes_the_messages_it_held_for_the_alarm(queues, hub) -> None:
    securityhub, stub = hub
    fill_dlq(queues, 3)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    runtime = replace(make_runtime(queues, securityhub), cloudwatch=cloudwatch)
    stub.add_client_error("batch_import_findings", "AccessDeniedException", http_status_code=403)
    redrive.run(runtime)
    query = {
        "Namespace": redrive.METRIC_NAMESPACE,
        "MetricName": redrive.BLOCKED_METRIC,
        "Dimensions": [{"Name": "DeadLetterQueue", "Value": "psh-dlq"}],
        "StartTime": datetime(2000, 1, 1, tzinfo=UTC),
        "EndTime": datetime(2100, 1, 1, tzinfo=UTC),
        "Period": 60,
        "Statistics": ["Maximum", "SampleCount"],
    }
    [point] = cloudwatch.get_metric_statistics(**query)["Datapoints"]
    assert (point["Maximum"], point["SampleCount"]) == (3.0, 1.0)
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    assert redrive.run(runtime)["moved"] == 3  # a healthy run publishes nothing
    assert cloudwatch.get_metric_statistics(**query)["Datapoints"][0]["SampleCount"] == 1.0


def test_probe_refused_as_a_whole_request_for_its_content_is_healthy(queues, hub) -> None:
    """Whether Security Hub refuses an invalid finding per finding or for the whole request is not documented:
    both come after authorization, so both mean the forwarder's imports can succeed."""
    securityhub, stub = hub
    fill_dlq(queues, 2)
    stub.add_client_error("batch_import_findings", "InvalidInputException", http_status_code=400)
    summary = redrive.run(make_runtime(queues, securityhub))
    assert (summary["action"], summary["moved"]) == ("moved", 2)


def test_probe_failing_for_another_reason_than_its_content_moves_nothing(queues, hub) -> None:
    """Security Hub not enabled for the account can come back per finding (ErrorCode InvalidAccess)."""
    securityhub, stub = hub
    fill_dlq(queues, 2)
    runtime = make_runtime(queues, securityhub)
    stub.add_response("batch_import_findings", probe_failed("InvalidAccess"))
    assert redrive.run(runtime)["action"] == "skipped_unhealthy"
    stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []})
    assert redrive.run(runtime)["moved"] == 2  # an endpoint that took the (ARCHIVED) probe: warned, moved
    assert [line["msg"] for line in logs(runtime) if line["level"] != "INFO"] == [
        "redrive_skipped_unhealthy",
        "redrive_probe_imported",
    ]
    assert queues.depth(queues.main) == 2


def test_healthy_run_moves_every_message_with_its_attributes_and_a_hop_count(queues, hub) -> None:
    securityhub, stub = hub
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    fill_dlq(queues, 12)
    runtime = make_runtime(queues, securityhub)
    summary = redrive.run(runtime)
    assert summary == {
        "healthy": True,
        "health": "ok",
        "dlq_depth": 12,
        "action": "moved",
        "moved": 12,
        "quarantined": 0,
        "duplicates": 0,
    }
    moved = queues.drain(queues.main)
    assert sorted(json.loads(m["Body"])["n"] for m in moved) == list(range(12))
    assert {m["MessageAttributes"]["psh-redrive-count"]["StringValue"] for m in moved} == {"1"}
    assert all(m["MessageAttributes"]["k"]["StringValue"].startswith("v") for m in moved)
    assert queues.depth(queues.dlq) == 0
    assert logs(runtime)[-1]["msg"] == "redrive_moved"


@pytest.mark.parametrize("limit", [1, 7, 10, 11])
def test_max_move_per_run_is_honoured_exactly(queues, hub, limit) -> None:
    securityhub, stub = hub
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    fill_dlq(queues, 15)
    summary = redrive.run(make_runtime(queues, securityhub, max_move_per_run=limit))
    assert summary["moved"] == limit
    assert (queues.depth(queues.main), queues.depth(queues.dlq)) == (limit, 15 - limit)


def test_a_message_that_keeps_failing_is_quarantined_once_at_the_hop_limit(queues, hub) -> None:
    securityhub, stub = hub
    fill_dlq(queues, 1)
    runtime = make_runtime(queues, securityhub, max_redrives=3)
    for hop in (1, 2, 3):  # moved back, failed again by the forwarder, dead-lettered again
        stub.add_response("batch_import_findings", PROBE_REFUSED)
        assert redrive.run(runtime)["moved"] == 1
        [message] = queues.sqs.receive_message(QueueUrl=queues.main, MessageAttributeNames=["All"])[
            "Messages"
        ]
        assert message["MessageAttributes"]["psh-redrive-count"]["StringValue"] == str(hop)
        queues.sqs.change_message_visibility(
            QueueUrl=queues.main, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
        queues.fail_back()
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    summary = redrive.run(runtime)
    assert (summary["moved"], summary["quarantined"]) == (0, 1)
    assert redrive.run(runtime)["action"] == "nothing_to_move"
    [kept] = queues.drain(queues.quarantine)
    assert queues.depth(queues.main) == queues.depth(queues.dlq) == 0
    assert kept["MessageAttributes"]["reason"]["StringValue"] == "redrive_limit"
    envelope = json.loads(kept["Body"])
    assert (envelope["reason"], envelope["sourceQueueArn"], json.loads(envelope["originalBody"])) == (
        "redrive_limit",
        DLQ_ARN,
        {"n": 0},
    )
    assert set(envelope) >= {"detail", "sourceMessageId", "receiveCount", "bodySha256"}
    assert [line["reason"] for line in logs(runtime) if line["msg"] == "message_quarantined"] == [
        "redrive_limit"
    ]


def test_a_message_with_no_room_for_the_hop_count_is_quarantined_not_retried(queues, hub) -> None:
    securityhub, stub = hub
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    full = {
        f"a{n}": {"DataType": "String", "StringValue": "x"} for n in range(redrive.MAX_MESSAGE_ATTRIBUTES)
    }
    queues.sqs.send_message(QueueUrl=queues.dlq, MessageBody='{"full": 1}', MessageAttributes=full)
    counted = {**full, "a0": {"DataType": "Number", "StringValue": "1"}}
    counted[redrive.REDRIVE_COUNT_ATTRIBUTE] = counted.pop("a0")  # ten, one of them the hop count
    queues.sqs.send_message(QueueUrl=queues.dlq, MessageBody='{"counted": 1}', MessageAttributes=counted)
    fill_dlq(queues, 1)
    runtime = make_runtime(queues, securityhub)
    summary = redrive.run(runtime)
    assert (summary["moved"], summary["quarantined"]) == (2, 1)
    moved = {m["Body"]: m["MessageAttributes"] for m in queues.drain(queues.main)}
    assert moved['{"counted": 1}'][redrive.REDRIVE_COUNT_ATTRIBUTE]["StringValue"] == "2"
    assert len(moved['{"counted": 1}']) == redrive.MAX_MESSAGE_ATTRIBUTES
    [kept] = queues.drain(queues.quarantine)
    envelope = json.loads(kept["Body"])
    assert (envelope["reason"], envelope["originalBody"]) == ("redrive_attribute_limit", '{"full": 1}')
    assert queues.depth(queues.dlq) == 0


def test_hop_limit_counts_toward_max_move_per_run(queues, hub) -> None:
    securityhub, stub = hub
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    fill_dlq(queues, 4, **{"psh-redrive-count": "5"})
    summary = redrive.run(make_runtime(queues, securityhub, max_move_per_run=3))
    assert (summary["moved"], summary["quarantined"]) == (0, 3)
    assert (queues.depth(queues.quarantine), queues.depth(queues.dlq)) == (3, 1)


class RedeliveringSqs:
    """The SQS client, except that a non-empty ReceiveMessage also returns `copy` again (a standard queue's
    at-least-once delivery: the same MessageId with another receipt handle)."""

    def __init__(self, sqs: Any, copy: dict[str, Any]) -> None:
        self.sqs, self.copy = sqs, copy

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        response = self.sqs.receive_message(**kwargs)
        if response.get("Messages"):
            response["Messages"].append(self.copy)
        return response


def test_a_message_received_twice_in_one_run_is_moved_once(queues, hub) -> None:
    securityhub, stub = hub
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    fill_dlq(queues, 1)
    runtime = make_runtime(queues, securityhub)
    [copy] = queues.sqs.receive_message(QueueUrl=queues.dlq, VisibilityTimeout=0)["Messages"]
    runtime.sqs = RedeliveringSqs(queues.sqs, copy)
    summary = redrive.run(runtime)
    assert (summary["moved"], summary["duplicates"]) == (1, 1)
    assert queues.depth(queues.main) == 1


def test_a_failed_send_keeps_the_message_in_the_dlq(queues, hub) -> None:
    securityhub, stub = hub
    stub.add_response("batch_import_findings", PROBE_REFUSED)
    fill_dlq(queues, 1)
    runtime = make_runtime(queues, securityhub)
    queues.sqs.delete_queue(QueueUrl=queues.main)
    with pytest.raises(ClientError):
        redrive.run(runtime)
    assert logs(runtime)[-1]["msg"] == "redrive_move_failed"
    assert (
        queues.sqs.get_queue_attributes(
            QueueUrl=queues.dlq, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
        == "1"
    )


def test_redrive_config_is_validated() -> None:
    env = {
        "AWS_REGION": REGION,
        "PSH_DLQ_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-dlq",
        "PSH_DLQ_ARN": DLQ_ARN,
        "PSH_MAIN_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-main",
        "PSH_MAIN_QUEUE_ARN": MAIN_ARN,
        "PSH_QUARANTINE_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-q",
    }
    config = load_redrive_config(env)
    assert (config.max_move_per_run, config.max_redrives) == (1000, 5)
    assert load_redrive_config({**env, "PSH_MAX_REDRIVES": "2"}).max_redrives == 2
    for name, value in [
        ("PSH_MAX_REDRIVES", "0"),
        ("PSH_MAX_REDRIVES", "101"),
        ("PSH_MAX_MOVE_PER_RUN", "lots"),
    ]:
        with pytest.raises(ConfigError, match=name):
            load_redrive_config({**env, name: value})
    with pytest.raises(ConfigError, match="PSH_DLQ_ARN"):
        load_redrive_config({**env, "PSH_DLQ_ARN": "psh-dlq"})
    for required in ("PSH_MAIN_QUEUE_URL", "PSH_QUARANTINE_QUEUE_URL"):
        with pytest.raises(ConfigError, match=required):
            load_redrive_config({k: v for k, v in env.items() if k != required})


def test_cold_start_reads_the_account_from_the_function_arn(aws_env, monkeypatch) -> None:
    for name, value in {
        "PSH_DLQ_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-dlq",
        "PSH_DLQ_ARN": DLQ_ARN,
        "PSH_MAIN_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-main",
        "PSH_MAIN_QUEUE_ARN": MAIN_ARN,
        "PSH_QUARANTINE_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/psh-q",
    }.items():
        monkeypatch.setenv(name, value)
    assert redrive.create_runtime(LambdaContext()).account == ACCOUNT
