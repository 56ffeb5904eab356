"""The host Lambda executor: functions from their real zip, env vars, errors, timeouts, event sources."""

from __future__ import annotations

import base64
import importlib.machinery
import importlib.util
import io
import json
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest

ROLE = "arn:aws:iam::000000000000:role/lambda-test"

HANDLER_SOURCE = '''
import json, logging, os, time
import boto3

def handler(event, context):
    print("printed line")
    logging.getLogger().warning("logged warning")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {
        "echo": event,
        "my_var": os.environ.get("MY_VAR"),
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "region": os.environ.get("AWS_REGION"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "memory": os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "queues": boto3.client("sqs").list_queues().get("QueueUrls", []),
    }


def batch(event, context):
    """Fails every record whose body is "fail" (ReportBatchItemFailures)."""
    failures = []
    for record in event["Records"]:
        queue_url = os.environ["SEEN_QUEUE_URL"]
        boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(
            {"body": record["body"], "receive_count": record["attributes"]["ApproximateReceiveCount"]}))
        if record["body"] == "fail":
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def overlap(event, context):
    """Holds each batch for a while and reports when it ran, to see how many ran at once."""
    started = time.time()
    time.sleep(1.5)
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN_QUEUE_URL"], MessageBody=json.dumps(
        {"start": started, "end": time.time(), "records": len(event["Records"])}))


def scheduled(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN_QUEUE_URL"], MessageBody=json.dumps(event))
'''


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@pytest.fixture
def clients(aws_env):
    clients = {name: boto3.client(name) for name in ("lambda", "sqs", "events")}
    created: list[str] = []
    clients["created"] = created
    yield clients
    # Deleting the functions stops their runtime processes (otherwise kept warm for LAMBDA_KEEPALIVE_MS).
    for name in created:
        clients["lambda"].delete_function(FunctionName=name)


def _create_function(
    clients,
    handler: str = "app.handler",
    timeout: int = 10,
    env=None,
    *,
    code: bytes | None = None,
    arch="x86_64",
) -> str:
    lambda_client = clients["lambda"]
    name = f"psh-test-{uuid.uuid4().hex[:8]}"
    clients["created"].append(name)
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": code or _zip(HANDLER_SOURCE)},
        Architectures=[arch],
        Timeout=timeout,
        MemorySize=256,
        Environment={"Variables": env or {}},
    )
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def _invoke(lambda_client, name: str, event: dict) -> tuple[dict, str | None, str]:
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    logs = base64.b64decode(response.get("LogResult", "")).decode()
    return json.loads(response["Payload"].read()), response.get("FunctionError"), logs


def test_invoke_returns_handler_result_with_environment(clients, localstack):
    name = _create_function(clients, env={"MY_VAR": "value-1"})
    assert clients["lambda"].get_function(FunctionName=name)["Configuration"]["State"] == "Active"
    result, error, logs = _invoke(clients["lambda"], name, {"hello": "world"})
    assert error is None
    assert result["echo"] == {"hello": "world"}
    assert result["my_var"] == "value-1"
    assert result["function_name"] == name
    assert result["arn"].endswith(f":function:{name}")
    assert result["region"] == "us-east-1"
    assert result["endpoint"] == localstack.endpoint
    assert result["memory"] == "256"
    assert 0 < result["remaining_ms"] <= 10_000
    assert isinstance(result["queues"], list)  # boto3 from the runtime reached LocalStack
    assert "printed line" in logs and "logged warning" in logs and "REPORT RequestId" in logs


def _package_with_extension(name: str, shared_object: bytes) -> bytes:
    """A deployment package whose handler imports the compiled extension module `name`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", f"import {name}\n\ndef handler(event, context):\n    return 'loaded'\n")
        archive.writestr(f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}", shared_object)
    return buffer.getvalue()


def test_compiled_extensions_load_only_on_the_architecture_they_were_built_for(clients):
    """An x86_64 shared object (rpds-py's, as the forwarder bundles it) in an arm64 function fails to import,
    as it does on Graviton; in an x86_64 function it loads. An aarch64 one in an x86_64 function fails too."""
    x86_64 = Path(importlib.util.find_spec("rpds.rpds").origin).read_bytes()
    assert x86_64[18:20] == (62).to_bytes(2, "little")  # EM_X86_64
    package = _package_with_extension("rpds", x86_64)
    result, error, _ = _invoke(clients["lambda"], _create_function(clients, code=package), {})
    assert (result, error) == ("loaded", None)
    result, error, _ = _invoke(clients["lambda"], _create_function(clients, code=package, arch="arm64"), {})
    assert error == "Unhandled" and result["errorType"] == "Runtime.ImportModuleError"
    assert "built for x86_64 cannot load in a function of architecture arm64" in result["errorMessage"]
    aarch64 = x86_64[:18] + (183).to_bytes(2, "little") + x86_64[20:]  # EM_AARCH64: its header is enough
    arm_package = _package_with_extension("rpds", aarch64)
    result, error, _ = _invoke(clients["lambda"], _create_function(clients, code=arm_package), {})
    assert error == "Unhandled" and "built for arm64 cannot load" in result["errorMessage"]


def test_handler_exception_is_a_function_error(clients):
    name = _create_function(clients)
    result, error, logs = _invoke(clients["lambda"], name, {"fail": True})
    assert "asked to fail" in logs
    assert error == "Unhandled"
    assert result["errorType"] == "ValueError" and result["errorMessage"] == "asked to fail"
    # The same runtime keeps serving.
    assert _invoke(clients["lambda"], name, {"n": 1})[1] is None


def test_timeout_is_enforced_and_runtime_recovers(clients):
    name = _create_function(clients, timeout=1)
    result, error, _ = _invoke(clients["lambda"], name, {"sleep": 5})
    assert error == "Unhandled"
    assert "Task timed out after 1.00 seconds" in result["errorMessage"]
    result, error, _ = _invoke(clients["lambda"], name, {"n": 2})
    assert error is None and result["echo"] == {"n": 2}


def test_unsupported_runtime_fails_the_function(clients):
    name = f"psh-unsupported-{uuid.uuid4().hex[:8]}"
    clients["lambda"].create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": _zip("exports.handler = async () => 1;")},
    )
    for _ in range(50):
        config = clients["lambda"].get_function(FunctionName=name)["Configuration"]
        if config["State"] != "Pending":
            break
        time.sleep(0.2)
    assert config["State"] == "Failed"
    assert "only Python runtimes" in config["StateReason"]


def _drain(sqs, queue_url: str, want: int, timeout_s: float = 60) -> list[dict]:
    messages: list[dict] = []
    deadline = time.monotonic() + timeout_s
    while len(messages) < want and time.monotonic() < deadline:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_sqs_mapping_reports_batch_item_failures(clients):
    sqs = clients["sqs"]
    suffix = uuid.uuid4().hex[:8]
    seen_url = sqs.create_queue(QueueName=f"seen-{suffix}")["QueueUrl"]
    source_url = sqs.create_queue(QueueName=f"source-{suffix}", Attributes={"VisibilityTimeout": "2"})[
        "QueueUrl"
    ]
    source_arn = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = _create_function(clients, handler="app.batch", env={"SEEN_QUEUE_URL": seen_url})
    mapping = clients["lambda"].create_event_source_mapping(
        FunctionName=name,
        EventSourceArn=source_arn,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    sqs.send_message_batch(
        QueueUrl=source_url,
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(["ok-1", "fail", "ok-2"])],
    )

    # Each good message is processed once; the failed one comes back after its visibility timeout.
    try:
        seen = _drain(sqs, seen_url, want=4)
    finally:  # the "fail" message would otherwise come back forever
        clients["lambda"].delete_event_source_mapping(UUID=mapping["UUID"])
        sqs.delete_queue(QueueUrl=source_url)
    bodies = [entry["body"] for entry in seen]
    assert bodies.count("ok-1") == 1 and bodies.count("ok-2") == 1
    fail_counts = sorted(int(entry["receive_count"]) for entry in seen if entry["body"] == "fail")
    assert fail_counts[:2] == [1, 2]


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_sqs_mapping_runs_batches_concurrently_up_to_its_maximum_concurrency(clients):
    """Like AWS: several pollers per mapping, never more invocations at once than MaximumConcurrency."""
    sqs = clients["sqs"]
    suffix = uuid.uuid4().hex[:8]
    seen_url = sqs.create_queue(QueueName=f"seen-{suffix}")["QueueUrl"]
    source_url = sqs.create_queue(QueueName=f"source-{suffix}")["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.send_message_batch(
        QueueUrl=source_url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(8)]
    )
    name = _create_function(clients, handler="app.overlap", env={"SEEN_QUEUE_URL": seen_url})
    mapping = clients["lambda"].create_event_source_mapping(
        FunctionName=name, EventSourceArn=source_arn, BatchSize=1, ScalingConfig={"MaximumConcurrency": 3}
    )
    try:
        seen = _drain(sqs, seen_url, want=8, timeout_s=90)
    finally:
        clients["lambda"].delete_event_source_mapping(UUID=mapping["UUID"])
        sqs.delete_queue(QueueUrl=source_url)
    assert sum(entry["records"] for entry in seen) == 8
    assert _max_overlap([(entry["start"], entry["end"]) for entry in seen]) == 3


def test_scheduled_rule_invokes_function(clients):
    sqs = clients["sqs"]
    seen_url = sqs.create_queue(QueueName=f"sched-seen-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    name = _create_function(clients, handler="app.scheduled", env={"SEEN_QUEUE_URL": seen_url})
    arn = clients["lambda"].get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    rule = f"every-minute-{name}"
    clients["events"].put_rule(Name=rule, ScheduleExpression="rate(1 minute)")
    clients["events"].put_targets(
        Rule=rule, Targets=[{"Id": "fn", "Arn": arn, "Input": json.dumps({"from": "rule"})}]
    )
    try:
        seen = _drain(sqs, seen_url, want=1, timeout_s=90)
    finally:
        clients["events"].remove_targets(Rule=rule, Ids=["fn"])
        clients["events"].delete_rule(Name=rule)
    assert seen and seen[0] == {"from": "rule"}
