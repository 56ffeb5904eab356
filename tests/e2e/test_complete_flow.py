"""examples/complete on LocalStack, the real pipeline end to end:
association scan -> SSM compliance event -> EventBridge -> SQS -> packaged forwarder Lambda -> Security Hub.

The tests run in file order on one deployment and one growing fleet; each test registers its own nodes.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from psh_localstack.client import securityhub as securityhub_control
from psh_localstack.client import ssm as ssm_control
from psh_stage import fleet
from psh_stage.aws import queue_depths, tag_nodes, wait_until
from psh_stage.events import compliance_event
from psh_stage.findings import by_node
from psh_stage.terraform import planned_changes

SEVERITY_ORDER = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
FLOW_TIMEOUT = 180


# Every node the tests registered, by id: what the simulated fleet holds (its patches).
REGISTERED: dict[str, dict[str, Any]] = {}


def register(deployment: Any, count: int, seed: int, patch_group: str = "web") -> list[str]:
    nodes = fleet.mixed_fleet(count, seed=seed, patch_group=patch_group, patches_per_node=3)
    REGISTERED.update({node["InstanceId"]: node for node in nodes})
    node_ids = ssm_control.register_nodes(
        deployment.endpoint, nodes, account_id=deployment.account, region=deployment.aws.region
    )
    # examples/complete's association targets the tag PatchGroup = web | batch.
    tag_nodes(deployment.aws.client("ssm"), {node_id: {"PatchGroup": patch_group} for node_id in node_ids})
    return node_ids


def ssm_truth(deployment: Any, node_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per node, what SSM says after the scan: compliance status, patch state, expected severity."""
    ssm = deployment.aws.client("ssm")
    truth: dict[str, dict[str, Any]] = {}
    states = {}
    paginator = ssm.get_paginator("describe_instance_patch_states")
    for start in range(0, len(node_ids), 50):
        for page in paginator.paginate(InstanceIds=node_ids[start : start + 50]):
            states.update({state["InstanceId"]: state for state in page["InstancePatchStates"]})
    for node_id in node_ids:
        items = ssm.list_compliance_items(
            ResourceIds=[node_id],
            ResourceTypes=["ManagedInstance"],
            Filters=[{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}],
        )["ComplianceItems"]
        failing = [i for i in items if i["Status"] == "NON_COMPLIANT"]
        levels = [i["Severity"] if i["Severity"] in SEVERITY_ORDER else "INFORMATIONAL" for i in failing]
        truth[node_id] = {
            "non_compliant": bool(failing),
            "severity": max(levels, key=SEVERITY_ORDER.index) if levels else None,
            "state": states[node_id],
        }
    return truth


def wait_findings(deployment: Any, node_ids: set[str], done: Any, what: str) -> dict[str, list[dict]]:
    def probe() -> dict[str, list[dict]]:
        nodes = by_node(deployment.findings())
        return {node: found for node, found in nodes.items() if node in node_ids}

    return wait_until(probe, done, timeout=FLOW_TIMEOUT, interval=1.0, what=what)


def wait_queues_empty(deployment: Any, names: tuple[str, ...] = ("main", "dlq")) -> None:
    sqs = deployment.aws.client("sqs")
    wait_until(
        lambda: queue_depths(sqs, {n: deployment.queues[n] for n in names}),
        lambda depths: not any(depths.values()),
        timeout=FLOW_TIMEOUT,
        what=f"queues {names} to drain",
    )


def test_replan_after_apply_shows_no_changes(deployment: Any) -> None:
    assert planned_changes(deployment.stage.plan()) == {}


def test_scan_gives_one_accurate_finding_per_non_compliant_node(deployment: Any) -> None:
    node_ids = register(deployment, 16, seed=101)
    fleet.run_association_once(deployment.aws.client("ssm"), deployment.module["patch_association_id"])
    truth = ssm_truth(deployment, node_ids)
    non_compliant = {n for n, t in truth.items() if t["non_compliant"]}
    assert non_compliant and len(non_compliant) < len(node_ids), "fleet must mix compliant and non-compliant"

    found = wait_findings(
        deployment, set(node_ids), lambda f: set(f) >= non_compliant, "a finding for each non-compliant node"
    )
    assert set(found) == non_compliant, "compliant nodes never get a finding"
    for node_id, findings in found.items():
        assert len(findings) == 1, f"{node_id}: one stable finding, not {len(findings)}"
        finding = findings[0]
        expected = truth[node_id]
        state = expected["state"]
        assert finding["Id"].endswith(f"/{node_id}")
        assert finding["RecordState"] == "ACTIVE"
        assert finding["Compliance"]["Status"] == "FAILED"
        assert finding["Title"] == "Systems Manager Patch Summary - Managed Instance Non-Compliant"
        assert finding["Severity"]["Label"] == expected["severity"]
        assert finding["Severity"]["Normalized"] == NORMALIZED[expected["severity"]]
        assert finding["FindingProviderFields"]["Severity"]["Label"] == expected["severity"]
        resource = finding["Resources"][0]
        # examples/complete reports on-premises nodes as "Other"; EC2 always as AwsEc2Instance.
        assert resource["Type"] == ("Other" if node_id.startswith("mi-") else "AwsEc2Instance")
        summary = finding["PatchSummary"]
        assert summary["Id"] == state["BaselineId"]
        for asff_key, ssm_key in (
            ("MissingCount", "MissingCount"),
            ("FailedCount", "FailedCount"),
            ("InstalledCount", "InstalledCount"),
            ("InstalledOtherCount", "InstalledOtherCount"),
            ("InstalledPendingReboot", "InstalledPendingRebootCount"),
            ("InstalledRejectedCount", "InstalledRejectedCount"),
        ):
            assert summary[asff_key] == state.get(ssm_key, 0), asff_key
        assert summary["Operation"] == "SCAN"
    wait_queues_empty(deployment)


def test_second_scan_updates_findings_in_place(deployment: Any) -> None:
    before = {f["Resources"][0]["Id"]: f for f in deployment.findings(RecordState=[_eq("ACTIVE")])}
    assert before
    # A new patch is released and is missing on every non-compliant node: the next scan changes their state.
    released = []
    for index, node_id in enumerate(sorted(before)):
        node = REGISTERED[node_id]
        patch = fleet.make_patch(random.Random(index), node["PlatformType"], 99, state="MISSING")
        released.append({**node, "Patches": [*node["Patches"], patch]})
    ssm_control.register_nodes(
        deployment.endpoint, released, account_id=deployment.account, region=deployment.aws.region
    )
    fleet.run_association_once(deployment.aws.client("ssm"), deployment.module["patch_association_id"])
    after = wait_findings(
        deployment,
        set(before),
        lambda f: (
            all(
                len(v) == 1
                and v[0]["PatchSummary"]["OperationEndTime"] > before[k]["PatchSummary"]["OperationEndTime"]
                for k, v in f.items()
            )
            and set(f) == set(before)
        ),
        "every finding updated by the second scan",
    )
    for node_id, (finding,) in after.items():
        assert finding["Id"] == before[node_id]["Id"]
        assert finding["PatchSummary"]["MissingCount"] == before[node_id]["PatchSummary"]["MissingCount"] + 1
        assert finding["CreatedAt"] == before[node_id]["CreatedAt"]
        assert finding["UpdatedAt"] > before[node_id]["UpdatedAt"]
    assert len(deployment.findings()) == len({f["Id"] for f in deployment.findings()}), "no duplicates"
    wait_queues_empty(deployment)


def test_patched_nodes_have_their_findings_resolved(deployment: Any) -> None:
    active = sorted(f["Resources"][0]["Id"] for f in deployment.findings(RecordState=[_eq("ACTIVE")]))
    patched = active[:4]
    fleet.send_patch_command(deployment.aws.client("ssm"), patched, operation="Install")
    truth = ssm_truth(deployment, patched)
    fixed = {n for n in patched if not truth[n]["non_compliant"]}
    assert fixed, "Install must make at least one node compliant"
    resolved = wait_findings(
        deployment,
        fixed,
        lambda f: set(f) == fixed and all(v[0]["RecordState"] == "ARCHIVED" for v in f.values()),
        "findings of patched nodes to be archived",
    )
    for (finding,) in resolved.values():
        assert finding["Compliance"]["Status"] == "PASSED"
    wait_queues_empty(deployment)
    still_active = {f["Resources"][0]["Id"] for f in deployment.findings(RecordState=[_eq("ACTIVE")])}
    # A node whose install failed stays non-compliant: its finding stays ACTIVE, updated to the INSTALL run.
    assert still_active == set(active) - fixed
    for node_id in set(patched) - fixed:
        (finding,) = [f for f in deployment.findings() if f["Resources"][0]["Id"] == node_id]
        assert finding["PatchSummary"]["Operation"] == "INSTALL"
    wait_queues_empty(deployment)


def _eq(value: str) -> dict[str, str]:
    return {"Value": value, "Comparison": "EQUALS"}


def _event(deployment: Any, node_id: str, **overrides: Any) -> dict[str, Any]:
    account = overrides.pop("account", deployment.account)
    event = compliance_event(node_id, account=account, region=deployment.aws.region)
    event.update(overrides)
    return event


def test_poison_messages_are_quarantined_while_good_ones_land(deployment: Any) -> None:
    sqs = deployment.aws.client("sqs")
    good = register(deployment, 6, seed=202)
    fleet.send_patch_command(deployment.aws.client("ssm"), good)  # Patch Now: a Scan; its events flow too
    truth = ssm_truth(deployment, good)
    target = next(n for n, t in truth.items() if t["non_compliant"])
    poison = {
        "not_json": "{this is not json",
        "unknown_compliance_type": json.dumps(
            _event(
                deployment,
                target,
                detail={**_event(deployment, target)["detail"], "compliance-type": "Custom"},
            )
        ),
        "other_account": json.dumps(_event(deployment, target, account="111122223333")),
    }
    entries = [{"Id": reason, "MessageBody": body} for reason, body in poison.items()]
    # A well-formed event for a node neither SSM nor EC2 knows (terminated long ago): not poison, no finding.
    unknown = "i-0fffffffffffffff0"
    entries.append({"Id": "unknown", "MessageBody": json.dumps(_event(deployment, unknown))})
    entries.append({"Id": "good", "MessageBody": json.dumps(_event(deployment, target))})
    sqs.send_message_batch(QueueUrl=deployment.queues["main"], Entries=entries)

    def quarantined() -> dict[str, dict]:
        messages = sqs.receive_message(
            QueueUrl=deployment.queues["quarantine"],
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=0,
            WaitTimeSeconds=1,
        ).get("Messages", [])
        return {m["MessageAttributes"]["reason"]["StringValue"]: json.loads(m["Body"]) for m in messages}

    held = wait_until(
        quarantined, lambda q: len(q) >= len(poison), timeout=FLOW_TIMEOUT, what="poison in quarantine"
    )
    assert set(held) == set(poison)
    for reason, envelope in held.items():
        assert envelope["reason"] == reason
        assert envelope["originalBody"] == poison[reason]
    found = wait_findings(deployment, {target}, lambda f: target in f, "the good message's finding")
    assert len(found[target]) == 1
    assert unknown not in by_node(deployment.findings())
    wait_queues_empty(deployment)
    assert set(quarantined()) == set(poison)  # the unknown node's event was acknowledged, not kept
    sqs.purge_queue(QueueUrl=deployment.queues["quarantine"])


def test_security_hub_outage_goes_through_dlq_and_redrive_exactly_once(deployment: Any) -> None:
    sqs = deployment.aws.client("sqs")
    securityhub_control.set_fault(deployment.endpoint, "unavailable", seconds=3600)
    try:
        node_ids = register(deployment, 8, seed=303, patch_group="batch")
        fleet.send_patch_command(deployment.aws.client("ssm"), node_ids)
        truth = ssm_truth(deployment, node_ids)
        non_compliant = {n for n, t in truth.items() if t["non_compliant"]}
        assert non_compliant
        # Retries exhaust maxReceiveCount; every event ends in the DLQ, nothing imported, nothing lost.
        wait_until(
            lambda: queue_depths(sqs, deployment.queues),
            lambda d: d["main"] == 0 and d["dlq"] >= len(non_compliant),
            timeout=400,
            interval=3,
            what="events to reach the DLQ",
        )
    finally:
        securityhub_control.clear_fault(deployment.endpoint)
    assert not set(by_node(deployment.findings())) & non_compliant
    # Security Hub is back: the scheduled redrive moves the DLQ back, the forwarder imports everything once.
    found = wait_findings(
        deployment, non_compliant, lambda f: set(f) == non_compliant, "findings after the redrive"
    )
    assert all(len(v) == 1 for v in found.values())
    wait_queues_empty(deployment, ("main", "dlq", "quarantine"))


def test_destroy_leaves_nothing_behind(deployment: Any) -> None:
    module = deployment.module
    deployment.stage.destroy()
    assert deployment.stage.state_resources() == []
    sqs = deployment.aws.client("sqs")
    names = {module["main_queue_name"], module["dlq_name"], module["quarantine_queue_name"]}
    assert not names & {url.rsplit("/", 1)[-1] for url in sqs.list_queues().get("QueueUrls", [])}
    functions = {f["FunctionName"] for f in deployment.aws.client("lambda").list_functions()["Functions"]}
    assert not {module["forwarder_function_name"], module["redrive_function_name"]} & functions
    with pytest.raises(deployment.aws.client("ssm").exceptions.AssociationDoesNotExist):
        deployment.aws.client("ssm").describe_association(AssociationId=module["patch_association_id"])
