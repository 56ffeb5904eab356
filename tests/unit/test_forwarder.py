"""The forwarder handler end to end (SQS batch -> SSM -> Security Hub), with Stubber and moto SQS."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from patch_securityhub import forwarder
from patch_securityhub.config import ConfigError, ForwarderConfig
from patch_securityhub.finding import finding_id, product_arn
from patch_securityhub.logs import JsonLogger
from unit_helpers import (
    ACCOUNT,
    REGION,
    Flow,
    LambdaContext,
    assert_valid_finding,
    compliance_event,
    compliance_item,
    compliant_row,
    info_row,
    instance_patch,
    no_sleep,
    node_ids,
    patch_state_row,
    sqs_record,
)


@pytest.fixture
def quarantine_queue(aws_env: None) -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="patch-securityhub-quarantine")["QueueUrl"]
        yield sqs, url


@pytest.fixture
def runtime(stubbed: dict[str, Any], quarantine_queue: tuple[Any, str]) -> forwarder.Runtime:
    sqs, url = quarantine_queue
    # One read at a time: a Stubber answers in call order (concurrent reads: test_concurrent_reads.py).
    config = ForwarderConfig(region=REGION, quarantine_queue_url=url, ssm_read_concurrency=1)
    return forwarder.Runtime(
        config=config,
        ssm=stubbed["ssm"],
        securityhub=stubbed["securityhub"],
        sqs=sqs,
        ec2=stubbed["ec2"],
        logger=JsonLogger("forwarder", stream=io.StringIO()),
        sleep=no_sleep,
    )


@pytest.fixture
def imported(stubbed: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every BatchImportFindings request's Findings, as sent."""
    calls: list[list[dict[str, Any]]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        calls.append(params["Findings"])

    stubbed["securityhub"].meta.events.register(
        "provide-client-params.securityhub.BatchImportFindings", capture
    )
    return calls


def throttled(stub: Any, operation: str, code: str = "TooManyRequestsException", status: int = 429) -> None:
    stub.add_client_error(
        operation, service_error_code=code, service_message="Rate exceeded", http_status_code=status
    )


def quarantined(sqs: Any, url: str) -> list[dict[str, Any]]:
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return response.get("Messages", [])


def failures(result: dict[str, Any]) -> list[str]:
    return sorted(item["itemIdentifier"] for item in result["batchItemFailures"])


def test_non_compliant_node_becomes_one_valid_finding(runtime, stubbed, imported) -> None:
    node = "i-0123456789abcdef0"
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node, MissingCount=2)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, node)])
    flow.items(
        node,
        compliance=[compliance_item(node, "openssl", "CRITICAL"), compliance_item(node, "tzdata", "LOW")],
        patches=[
            instance_patch("openssl", "Important", cves=["CVE-2026-1111", "CVE-2026-2222"]),
            instance_patch("tzdata", "Low"),
        ],
    )
    flow.import_ok()
    result = forwarder.handle(
        {"Records": [sqs_record(compliance_event(node), "m1")]}, LambdaContext(), runtime
    )
    assert result == {"batchItemFailures": []}
    flow.assert_done()
    [[finding]] = imported
    assert_valid_finding(finding)
    assert finding["Severity"] == {"Label": "CRITICAL", "Normalized": 90}
    assert finding["ProductArn"] == product_arn(ACCOUNT, REGION)
    assert finding["ProductFields"]["patch-securityhub/CveIds/01"] == "CVE-2026-1111,CVE-2026-2222"
    logs = [json.loads(line) for line in runtime.logger.stream.getvalue().splitlines()]
    decisions = [entry for entry in logs if entry["msg"] == "node_decision"]
    assert decisions == [
        {**decisions[0], "node": node, "outcome": "imported", "severity": "CRITICAL", "reason": "imported"}
    ]


def test_250_nodes_take_three_import_calls(runtime, stubbed, imported) -> None:
    nodes = node_ids(250)
    flow = Flow(stubbed)
    flow.node_information([info_row(n) for n in nodes])
    flow.patch_states([patch_state_row(n) for n in nodes])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, n) for n in nodes])
    for node in sorted(nodes):
        flow.items(node, patches=[instance_patch("KB5000001", "Critical")])
    for count in (100, 100, 50):
        flow.import_ok(count=count)
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(nodes)]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert result == {"batchItemFailures": []}
    flow.assert_done()
    assert [len(call) for call in imported] == [100, 100, 50]
    for finding in (imported[0][0], imported[2][-1]):
        assert_valid_finding(finding)


def _three_nodes(stubbed: dict[str, Any]) -> tuple[list[str], Flow]:
    nodes = node_ids(3)
    flow = Flow(stubbed)
    flow.node_information([info_row(n) for n in nodes])
    flow.patch_states([patch_state_row(n) for n in nodes])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, n) for n in nodes])
    for node in sorted(nodes):
        flow.items(node, patches=[instance_patch("KB1", "Critical")])
    return nodes, flow


def test_throttling_is_retried_with_backoff_and_lands(runtime, stubbed, imported) -> None:
    nodes, flow = _three_nodes(stubbed)
    throttled(stubbed["securityhub_stub"], "batch_import_findings")
    throttled(stubbed["securityhub_stub"], "batch_import_findings", "ThrottlingException", 400)
    flow.import_ok(count=3)
    sleeps: list[float] = []
    runtime.sleep = sleeps.append
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(nodes)]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert result == {"batchItemFailures": []}
    assert len(sleeps) == 2
    assert all(0 <= s <= 5 for s in sleeps)
    assert len(imported) == 3  # the same chunk, sent three times
    flow.assert_done()


def test_exhausted_throttling_fails_exactly_the_messages_of_that_chunk(runtime, stubbed) -> None:
    nodes, flow = _three_nodes(stubbed)
    for _ in range(6):
        throttled(stubbed["securityhub_stub"], "batch_import_findings")
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(nodes)]
    records.append(sqs_record(compliance_event(nodes[0], time="2026-11-23T10:01:06Z"), "dup"))
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert failures(result) == ["dup", "m0", "m1", "m2"]
    flow.assert_done()


def test_failed_findings_fail_exactly_their_messages(runtime, stubbed) -> None:
    nodes, flow = _three_nodes(stubbed)
    bad = finding_id(ACCOUNT, REGION, nodes[1])
    flow.import_ok(failed=[{"Id": bad, "ErrorCode": "InternalFailure", "ErrorMessage": "try again"}], count=3)
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(nodes)]
    records.append(sqs_record(compliance_event(nodes[1], time="2026-11-23T10:01:00Z"), "m1-older"))
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert failures(result) == ["m1", "m1-older"]
    flow.assert_done()


def test_invalid_finding_rejection_is_quarantined_not_retried(runtime, stubbed, quarantine_queue) -> None:
    nodes, flow = _three_nodes(stubbed)
    bad = finding_id(ACCOUNT, REGION, nodes[2])
    flow.import_ok(failed=[{"Id": bad, "ErrorCode": "InvalidInput", "ErrorMessage": "bad field"}], count=3)
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(nodes)]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert failures(result) == []
    [kept] = quarantined(*quarantine_queue)
    assert json.loads(kept["Body"])["sourceMessageId"] == "m2"


def test_duplicate_events_for_one_node_make_one_finding(runtime, stubbed, imported) -> None:
    node = "i-0123456789abcdef0"
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, node)])
    flow.items(node, patches=[instance_patch("KB1", "Low")])
    flow.import_ok()
    event = compliance_event(node)
    records = [
        sqs_record(event, "a"),
        sqs_record(event, "b"),
        # an earlier event of the same scan: the latest (non_compliant, as SSM's read) wins
        sqs_record(compliance_event(node, "compliant", time="2026-11-23T10:01:02Z"), "c"),
    ]
    assert forwarder.handle({"Records": records}, LambdaContext(), runtime) == {"batchItemFailures": []}
    assert [len(call) for call in imported] == [1]
    flow.assert_done()


def test_malformed_events_are_quarantined_with_reason_and_acknowledged(runtime, quarantine_queue) -> None:
    sqs, url = quarantine_queue
    bad_account = compliance_event("i-0123456789abcdef0", account="999999999999")
    records = [
        sqs_record("{not json", "garbage"),
        sqs_record(bad_account, "foreign"),
        sqs_record(
            compliance_event("i-0123456789abcdef0", detail={"compliance-type": "Association"}), "assoc"
        ),
    ]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert result == {"batchItemFailures": []}
    kept = {m["MessageAttributes"]["source-message-id"]["StringValue"]: m for m in quarantined(sqs, url)}
    assert sorted(kept) == ["assoc", "foreign", "garbage"]
    assert kept["garbage"]["MessageAttributes"]["reason"]["StringValue"] == "not_json"
    assert kept["foreign"]["MessageAttributes"]["reason"]["StringValue"] == "other_account"
    envelope = json.loads(kept["foreign"]["Body"])
    assert json.loads(envelope["originalBody"]) == bad_account
    assert envelope["reason"] == "other_account"
    assert kept["assoc"]["MessageAttributes"]["reason"]["StringValue"] == "unknown_compliance_type"


def test_quarantined_message_is_deleted_from_the_event_queue_at_once(runtime, quarantine_queue) -> None:
    """A batch that fails after the poison was kept is redelivered whole: the poison must not come back."""
    sqs, _ = quarantine_queue
    events_url = sqs.create_queue(QueueName="patch-securityhub-events")["QueueUrl"]
    sqs.send_message(QueueUrl=events_url, MessageBody="{not json")
    (message,) = sqs.receive_message(QueueUrl=events_url, VisibilityTimeout=0)["Messages"]
    record = {**sqs_record("{not json", message["MessageId"]), "receiptHandle": message["ReceiptHandle"]}
    runtime.config = dataclasses.replace(runtime.config, source_queue_url=events_url)
    assert forwarder.handle({"Records": [record]}, LambdaContext(), runtime) == {"batchItemFailures": []}
    assert sqs.receive_message(QueueUrl=events_url, WaitTimeSeconds=0).get("Messages", []) == []


def test_quarantine_failure_returns_the_message_instead_of_losing_it(runtime, quarantine_queue) -> None:
    sqs, url = quarantine_queue
    sqs.delete_queue(QueueUrl=url)
    records = [sqs_record("{not json", "garbage")]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert failures(result) == ["garbage"]


def test_a_terminated_node_is_not_poison_and_an_unscanned_node_is_quarantined(
    runtime, stubbed, quarantine_queue
) -> None:
    gone, unscanned = "i-0000000000000dead", "i-0000000000000beef"
    flow = Flow(stubbed)
    flow.node_information([info_row(unscanned)], ids=[gone, unscanned])
    flow.instances({gone: None})  # EC2 no longer knows it: terminated
    flow.patch_states([], ids=[unscanned])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, gone)])  # nothing of ours to archive
    records = [
        sqs_record(compliance_event(gone, "compliant"), "g"),
        sqs_record(compliance_event(unscanned), "u"),
    ]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert result == {"batchItemFailures": []}
    reasons = {
        m["MessageAttributes"]["source-message-id"]["StringValue"]: m["MessageAttributes"]["reason"][
            "StringValue"
        ]
        for m in quarantined(*quarantine_queue)
    }
    assert reasons == {"u": "no_patch_state"}
    flow.assert_done()


def prior_finding(node: str, *, end: str, record: str = "ACTIVE", status: str = "FAILED") -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id(ACCOUNT, REGION, node),
        "ProductArn": product_arn(ACCOUNT, REGION),
        "GeneratorId": "patch-securityhub/ssm-patch-compliance",
        "AwsAccountId": ACCOUNT,
        "CreatedAt": "2026-11-01T00:00:00Z",
        "UpdatedAt": "2026-11-23T10:02:00Z",
        "Title": "t",
        "Description": "d",
        "Resources": [{"Type": "AwsEc2Instance", "Id": node}],
        "RecordState": record,
        "Compliance": {"Status": status},
        "PatchSummary": {"Id": "pb-0123456789abcdef0", "OperationEndTime": end},
    }


def test_compliant_node_archives_its_finding_and_resolves_native_ones(runtime, stubbed, imported) -> None:
    node = "i-0123456789abcdef0"
    runtime.config = ForwarderConfig(
        region=REGION, quarantine_queue_url=runtime.config.quarantine_queue_url, resolve_native_findings=True
    )
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([compliant_row(node, OperationEndTime="2026-11-23T11:01:00Z")])
    flow.prior_findings(
        [prior_finding(node, end="2026-11-23T10:01:00Z")], [finding_id(ACCOUNT, REGION, node)]
    )
    flow.import_ok()
    native_id = (
        f"arn:aws:patchmanager:{REGION}:{ACCOUNT}:instance/{node}/document/AWS-RunPatchBaseline/run-command/x"
    )
    native_product = f"arn:aws:securityhub:{REGION}::product/aws/ssm-patch-manager"
    native = {
        **prior_finding(node, end="2026-11-23T10:01:00Z"),
        "Id": native_id,
        "ProductArn": native_product,
    }
    stubbed["securityhub_stub"].add_response("get_findings", {"Findings": [native]})
    stubbed["securityhub_stub"].add_response(
        "batch_update_findings",
        {"ProcessedFindings": [{"Id": native_id, "ProductArn": native_product}], "UnprocessedFindings": []},
        {
            "FindingIdentifiers": [{"Id": native_id, "ProductArn": native_product}],
            "Workflow": {"Status": "RESOLVED"},
            "Note": {
                "Text": "Resolved by patch-securityhub: the node is now patch compliant.",
                "UpdatedBy": "patch-securityhub",
            },
        },
    )
    event = compliance_event(node, "compliant", time="2026-11-23T11:01:05Z")
    assert forwarder.handle({"Records": [sqs_record(event, "m")]}, LambdaContext(), runtime) == {
        "batchItemFailures": []
    }
    [[finding]] = imported
    assert_valid_finding(finding)
    assert (finding["RecordState"], finding["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert finding["CreatedAt"] == "2026-11-01T00:00:00Z"
    flow.assert_done()


def test_compliant_node_without_finding_imports_nothing(runtime, stubbed, imported) -> None:
    node = "i-0123456789abcdef0"
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([compliant_row(node)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, node)])
    event = compliance_event(node, "compliant")
    assert forwarder.handle({"Records": [sqs_record(event, "m")]}, LambdaContext(), runtime) == {
        "batchItemFailures": []
    }
    assert imported == []
    flow.assert_done()


def test_stale_event_is_ignored(runtime, stubbed, imported) -> None:
    node = "i-0123456789abcdef0"
    flow = Flow(stubbed)
    flow.node_information([info_row(node)])
    flow.patch_states([patch_state_row(node, OperationEndTime="2026-11-23T11:01:00Z")])
    flow.prior_findings(
        [prior_finding(node, end="2026-11-23T11:01:00Z")], [finding_id(ACCOUNT, REGION, node)]
    )
    old_event = compliance_event(node, "compliant", time="2026-11-23T09:00:00Z")
    result = forwarder.handle({"Records": [sqs_record(old_event, "old")]}, LambdaContext(), runtime)
    assert result == {"batchItemFailures": []}
    assert imported == []
    flow.assert_done()
    logs = [json.loads(line) for line in runtime.logger.stream.getvalue().splitlines()]
    assert any(e.get("reason") == "stale_event" and e.get("outcome") == "skipped" for e in logs)


def test_ssm_outage_fails_every_message_for_retry(runtime, stubbed) -> None:
    for _ in range(6):
        throttled(stubbed["ssm_stub"], "describe_instance_information", "InternalServerError", 500)
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(node_ids(2))]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert failures(result) == ["m0", "m1"]


def test_patch_item_read_failure_fails_only_that_node(runtime, stubbed, imported) -> None:
    nodes = node_ids(2)
    flow = Flow(stubbed)
    flow.node_information([info_row(n) for n in nodes])
    flow.patch_states([patch_state_row(n) for n in nodes])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, n) for n in nodes])
    stubbed["ssm_stub"].add_client_error(
        "list_compliance_items", "AccessDeniedException", http_status_code=400
    )
    flow.items(nodes[1], patches=[instance_patch("KB1", "Low")])
    flow.import_ok()
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(nodes)]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert failures(result) == ["m0"]
    assert [len(c) for c in imported] == [1]


def test_direct_invocation_reconciles_the_listed_nodes(runtime, stubbed, imported) -> None:
    node, onprem = "i-0123456789abcdef0", "mi-0123456789abcdef0"
    flow = Flow(stubbed)
    flow.node_information([info_row(node), info_row(onprem)])
    flow.patch_states([patch_state_row(node), patch_state_row(onprem)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, n) for n in (node, onprem)])
    flow.items(node, patches=[instance_patch("KB1", "Low")])
    flow.items(onprem, patches=[instance_patch("KB2", "Critical")])
    flow.import_ok(count=2)
    result = forwarder.handle({"instance_ids": [onprem, node]}, LambdaContext(), runtime)
    assert result["summary"] == {"imported": 2}
    [findings] = imported
    types = {f["Resources"][0]["Id"]: f["Resources"][0]["Type"] for f in findings}
    assert types == {node: "AwsEc2Instance", onprem: "AwsEc2Instance"}
    for finding in findings:
        assert_valid_finding(finding)


@pytest.mark.parametrize("ids", [["i-123"], "i-0123456789abcdef0", [None], ["i-0123456789abcdef0"] * 1001])
def test_direct_invocation_rejects_bad_ids(runtime, ids) -> None:
    with pytest.raises(ValueError, match=r"instance_ids|managed node ids"):
        forwarder.handle({"instance_ids": ids}, LambdaContext(), runtime)


def test_unknown_invocation_shape_is_an_error(runtime) -> None:
    with pytest.raises(ValueError, match="unsupported invocation"):
        forwarder.handle({"hello": "world"}, LambdaContext(), runtime)


def test_cold_start_rejects_a_missing_quarantine_queue(
    monkeypatch: pytest.MonkeyPatch, aws_env: None
) -> None:
    monkeypatch.delenv("PSH_QUARANTINE_QUEUE_URL", raising=False)
    monkeypatch.setattr(forwarder, "_RUNTIME", None)
    with pytest.raises(ConfigError, match="PSH_QUARANTINE_QUEUE_URL"):
        forwarder.handler({"Records": []}, LambdaContext())


def test_cold_start_creates_clients_once(monkeypatch: pytest.MonkeyPatch, aws_env: None) -> None:
    monkeypatch.setenv("PSH_QUARANTINE_QUEUE_URL", f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q")
    monkeypatch.setattr(forwarder, "_RUNTIME", None)
    assert forwarder.handler({"Records": []}, LambdaContext()) == {"batchItemFailures": []}
    first = forwarder._RUNTIME
    forwarder.handler({"Records": []}, LambdaContext())
    assert forwarder._RUNTIME is first
    assert first is not None and first.ssm.meta.region_name == REGION
    # One SDK attempt per call: Backoff is the only retry policy (no retries multiplying into the timeout).
    for client in (first.ssm, first.securityhub, first.sqs):
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}


def test_client_error_type_is_classified() -> None:
    from patch_securityhub.retry import is_transient

    def error(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")

    assert is_transient(error("TooManyRequestsException", 429))
    assert is_transient(error("LimitExceededException", 400))
    assert is_transient(error("ServiceUnavailable", 503))
    assert not is_transient(error("AccessDeniedException", 403))
    assert not is_transient(error("InvalidInputException", 400))


def test_one_unreadable_patch_state_does_not_poison_the_batch(
    runtime, stubbed, imported, quarantine_queue
) -> None:
    good, bad = "i-0000000000000000a", "i-0000000000000000b"
    flow = Flow(stubbed)
    flow.node_information([info_row(good), info_row(bad)])
    flow.patch_states([patch_state_row(good), patch_state_row(bad, Operation="Reboot")])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, good)])
    flow.items(good, patches=[instance_patch("KB1", "Low")])
    flow.import_ok()
    records = [sqs_record(compliance_event(good), "g"), sqs_record(compliance_event(bad), "b")]
    assert forwarder.handle({"Records": records}, LambdaContext(), runtime) == {"batchItemFailures": []}
    assert [f["Resources"][0]["Id"] for f in imported[0]] == [good]
    [kept] = quarantined(*quarantine_queue)
    assert kept["MessageAttributes"]["reason"]["StringValue"].startswith("invalid_patch_state")
    flow.assert_done()


def test_unexpected_crash_returns_every_message_for_retry(runtime, monkeypatch) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(forwarder, "process", boom)
    records = [sqs_record(compliance_event(n), f"m{i}") for i, n in enumerate(node_ids(3))]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert failures(result) == ["m0", "m1", "m2"]


def test_every_log_line_of_an_invocation_carries_its_request_id(runtime, stubbed, monkeypatch) -> None:
    gone = "i-0000000000000dead"
    flow = Flow(stubbed)
    flow.node_information([], ids=[gone])  # decided in the pipeline: terminated, nothing to archive
    flow.instances({gone: "terminated"})
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, gone)])
    monkeypatch.setattr(forwarder, "_RUNTIME", runtime)
    records = [sqs_record(compliance_event(gone), "g"), sqs_record("{not json", "garbage")]
    result = forwarder.handler({"Records": records}, LambdaContext(aws_request_id="req-forwarder-1"))
    assert result == {"batchItemFailures": []}
    flow.assert_done()
    runtime.logger.info("after_the_invocation")
    logs = [json.loads(line) for line in runtime.logger.stream.getvalue().splitlines()]
    during, after = logs[:-1], logs[-1]
    assert {e["msg"] for e in during} == {"node_decision", "message_quarantined", "batch_done"}
    assert all(e["request_id"] == "req-forwarder-1" for e in during)
    assert "request_id" not in after


def test_a_message_id_twice_in_one_batch_is_quarantined_once(runtime, quarantine_queue) -> None:
    """A standard queue delivers at least once: one batch can hold a message twice (a new receipt handle)."""
    sqs, url = quarantine_queue
    events_url = sqs.create_queue(QueueName="patch-securityhub-events")["QueueUrl"]
    sqs.send_message(QueueUrl=events_url, MessageBody="{not json")
    (first,) = sqs.receive_message(QueueUrl=events_url, VisibilityTimeout=0)["Messages"]
    (again,) = sqs.receive_message(QueueUrl=events_url, VisibilityTimeout=0)["Messages"]
    assert first["ReceiptHandle"] != again["ReceiptHandle"]
    message_id = first["MessageId"]
    records = [
        {**sqs_record("{not json", message_id), "receiptHandle": first["ReceiptHandle"]},
        {**sqs_record("{not json", message_id, receive_count=2), "receiptHandle": again["ReceiptHandle"]},
    ]
    runtime.config = dataclasses.replace(runtime.config, source_queue_url=events_url)
    assert forwarder.handle({"Records": records}, LambdaContext(), runtime) == {"batchItemFailures": []}
    [kept] = quarantined(sqs, url)
    assert json.loads(kept["Body"])["receiveCount"] == "2"  # the later copy, whose receipt handle is current
    assert sqs.receive_message(QueueUrl=events_url, WaitTimeSeconds=0).get("Messages", []) == []
    logs = [json.loads(line) for line in runtime.logger.stream.getvalue().splitlines()]
    assert [line["msg"] for line in logs].count("message_quarantined") == 1
    assert {"msg": "duplicate_message_id", "message_id": message_id}.items() <= logs[0].items()


def test_a_message_id_twice_in_one_batch_is_reported_once(runtime, stubbed) -> None:
    for _ in range(6):  # every attempt of the Backoff fails: the message goes back to the queue
        throttled(stubbed["ssm_stub"], "describe_instance_information", "InternalServerError", 500)
    node = "i-0123456789abcdef0"
    records = [sqs_record(compliance_event(node), "m1"), sqs_record(compliance_event(node), "m1")]
    result = forwarder.handle({"Records": records}, LambdaContext(), runtime)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_a_rejected_message_id_twice_in_one_batch_is_reported_once(runtime, quarantine_queue) -> None:
    sqs, url = quarantine_queue
    sqs.delete_queue(QueueUrl=url)  # the quarantine fails: the message goes back, once
    records = [sqs_record("{not json", "garbage"), sqs_record("{not json", "garbage")]
    assert failures(forwarder.handle({"Records": records}, LambdaContext(), runtime)) == ["garbage"]
