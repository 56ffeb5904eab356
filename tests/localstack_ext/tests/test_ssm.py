"""SSM additions of the extension via boto3: documents, associations, baselines, compliance, fleet, scans."""

from __future__ import annotations

import json
import random
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from psh_localstack.client import ssm as ssm_control
from psh_stage import fleet

PATCH_DOCUMENTS = {
    "AWS-RunPatchBaseline": {
        "Operation",
        "SnapshotId",
        "InstallOverrideList",
        "BaselineOverride",
        "RebootOption",
    },
    "AWS-RunPatchBaselineAssociation": {
        "Operation",
        "BaselineTags",
        "AssociationId",
        "SnapshotId",
        "RebootOption",
    },
    "AWS-RunPatchBaselineWithHooks": {
        "Operation",
        "SnapshotId",
        "RebootOption",
        "PreInstallHookDocName",
        "PostInstallHookDocName",
        "OnExitHookDocName",
    },
}


@pytest.fixture
def ssm(aws_env):
    return boto3.client("ssm")


def _node(patches: list[dict], *, on_prem: bool = False, platform: str = "Linux", group: str = "") -> dict:
    prefix = "mi-" if on_prem else "i-"
    return {
        "InstanceId": prefix + uuid.uuid4().hex[:17],
        "PlatformType": platform,
        "PatchGroup": group,
        "PlatformName": "Amazon Linux" if platform == "Linux" else "Microsoft Windows Server 2022",
        "Patches": patches,
    }


def _patch(kb: str, state: str, level: str = "HIGH", classification: str = "Security", cves=()) -> dict:
    return {
        "KBId": kb,
        "Title": f"update {kb}",
        "Classification": classification,
        "Severity": "Important",
        "CVEIds": list(cves),
        "State": state,
        "ComplianceLevel": level,
    }


def _register(localstack, *nodes: dict) -> list[str]:
    return ssm_control.register_nodes(localstack.endpoint, list(nodes))


def _error_code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


# --- documents ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PATCH_DOCUMENTS))
def test_patch_documents_describe_their_parameters(ssm, name):
    document = ssm.describe_document(Name=name)["Document"]
    assert document["Owner"] == "Amazon" and document["DocumentType"] == "Command"
    assert {parameter["Name"] for parameter in document["Parameters"]} == PATCH_DOCUMENTS[name]
    content = json.loads(ssm.get_document(Name=name)["Content"])
    assert set(content["parameters"]) == PATCH_DOCUMENTS[name]
    assert content["parameters"]["Operation"]["allowedValues"] == ["Scan", "Install"]


def test_other_ssm_operations_still_work(ssm):
    name = f"/psh/test/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as error:
        ssm.describe_document(Name="No-Such-Document")
    assert _error_code(error.value) == "InvalidDocument"


# --- associations -------------------------------------------------------------------------------------------


def test_association_lifecycle_with_tags(ssm):
    created = ssm.create_association(
        Name="AWS-RunPatchBaselineWithHooks",
        AssociationName=f"scan-{uuid.uuid4().hex[:6]}",
        Targets=[{"Key": "tag:Patch Group", "Values": ["nobody"]}],
        ScheduleExpression="rate(1 day)",
        Parameters={"Operation": ["Scan"], "RebootOption": ["NoReboot"]},
        ComplianceSeverity="HIGH",
        Tags=[{"Key": "team", "Value": "sec"}],
    )["AssociationDescription"]
    association_id = created["AssociationId"]
    described = ssm.describe_association(AssociationId=association_id)["AssociationDescription"]
    assert described["Parameters"] == {"Operation": ["Scan"], "RebootOption": ["NoReboot"]}
    assert described["ScheduleExpression"] == "rate(1 day)" and described["ComplianceSeverity"] == "HIGH"
    assert described["AssociationVersion"] == "1"
    tags = ssm.list_tags_for_resource(ResourceType="Association", ResourceId=association_id)["TagList"]
    assert tags == [{"Key": "team", "Value": "sec"}]
    ssm.add_tags_to_resource(
        ResourceType="Association", ResourceId=association_id, Tags=[{"Key": "env", "Value": "test"}]
    )
    ssm.remove_tags_from_resource(ResourceType="Association", ResourceId=association_id, TagKeys=["team"])
    tags = ssm.list_tags_for_resource(ResourceType="Association", ResourceId=association_id)["TagList"]
    assert tags == [{"Key": "env", "Value": "test"}]

    updated = ssm.update_association(
        AssociationId=association_id, Parameters={"Operation": ["Install"]}, ScheduleExpression="rate(2 days)"
    )["AssociationDescription"]
    assert updated["AssociationVersion"] == "2" and updated["Parameters"] == {"Operation": ["Install"]}
    listed = ssm.list_associations(AssociationFilterList=[{"key": "AssociationId", "value": association_id}])
    assert [each["AssociationId"] for each in listed["Associations"]] == [association_id]

    ssm.delete_association(AssociationId=association_id)
    with pytest.raises(ClientError) as error:
        ssm.describe_association(AssociationId=association_id)
    assert _error_code(error.value) == "AssociationDoesNotExist"


@pytest.mark.parametrize(
    "parameters, fragment",
    [
        ({"Operation": ["Destroy"]}, "Destroy"),
        ({"Operation": ["Scan"], "InstallOverrideList": ["https://x"]}, "InstallOverrideList"),
        ({"Operation": ["Scan"], "RebootOption": ["Sometimes"]}, "Sometimes"),
        ({"Operation": ["Scan"], "PreInstallHookDocName": ["bad name!"]}, "PreInstallHookDocName"),
    ],
)
def test_association_parameters_are_validated_against_the_document(ssm, parameters, fragment):
    with pytest.raises(ClientError) as error:
        ssm.create_association(
            Name="AWS-RunPatchBaselineWithHooks",
            Parameters=parameters,
            Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
        )
    assert _error_code(error.value) == "InvalidParameters"
    assert fragment in error.value.response["Error"]["Message"]


def test_run_patch_baseline_requires_operation(ssm):
    with pytest.raises(ClientError) as error:
        ssm.send_command(DocumentName="AWS-RunPatchBaseline", InstanceIds=[], Parameters={})
    assert _error_code(error.value) == "InvalidParameters"


# --- patch baselines ----------------------------------------------------------------------------------------


def test_patch_baseline_round_trip_and_patch_groups(ssm):
    name = f"psh-baseline-{uuid.uuid4().hex[:6]}"
    rules = {
        "PatchRules": [
            {
                "PatchFilterGroup": {
                    "PatchFilters": [
                        {"Key": "CLASSIFICATION", "Values": ["Security"]},
                        {"Key": "SEVERITY", "Values": ["Critical"]},
                    ]
                },
                "ApproveAfterDays": 7,
                "ComplianceLevel": "CRITICAL",
            }
        ]
    }
    baseline_id = ssm.create_patch_baseline(
        Name=name,
        OperatingSystem="AMAZON_LINUX_2",
        ApprovalRules=rules,
        Description="d",
        Tags=[{"Key": "owner", "Value": "psh"}],
    )["BaselineId"]
    baseline = ssm.get_patch_baseline(BaselineId=baseline_id)
    assert baseline["Name"] == name and baseline["OperatingSystem"] == "AMAZON_LINUX_2"
    assert baseline["ApprovalRules"]["PatchRules"][0]["ComplianceLevel"] == "CRITICAL"
    assert baseline["ApprovedPatchesComplianceLevel"] == "UNSPECIFIED"
    assert ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=baseline_id)["TagList"] == [
        {"Key": "owner", "Value": "psh"}
    ]

    updated = ssm.update_patch_baseline(
        BaselineId=baseline_id, Description="new", RejectedPatches=["kernel*"]
    )
    assert updated["Description"] == "new" and updated["RejectedPatches"] == ["kernel*"]
    group = f"group-{uuid.uuid4().hex[:6]}"
    ssm.register_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup=group)
    assert ssm.get_patch_baseline(BaselineId=baseline_id)["PatchGroups"] == [group]
    assert ssm.get_patch_baseline_for_patch_group(PatchGroup=group)["BaselineId"] == baseline_id
    with pytest.raises(ClientError) as error:
        ssm.delete_patch_baseline(BaselineId=baseline_id)
    assert _error_code(error.value) == "ResourceInUseException"
    ssm.deregister_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup=group)
    ssm.delete_patch_baseline(BaselineId=baseline_id)
    with pytest.raises(ClientError) as error:
        ssm.get_patch_baseline(BaselineId=baseline_id)
    assert _error_code(error.value) == "DoesNotExistException"


# --- fleet views --------------------------------------------------------------------------------------------


def test_instance_information_for_ec2_and_on_prem_nodes(ssm, localstack):
    ec2, on_prem = _node([], platform="Windows"), _node([], on_prem=True)
    _register(localstack, ec2, on_prem)
    # Filtered pages may be empty and carry a NextToken (aws/aws-cli#2626): read them all.
    pages = ssm.get_paginator("describe_instance_information").paginate(
        Filters=[{"Key": "InstanceIds", "Values": [ec2["InstanceId"], on_prem["InstanceId"]]}]
    )
    by_id = {each["InstanceId"]: each for page in pages for each in page["InstanceInformationList"]}
    assert by_id[ec2["InstanceId"]]["ResourceType"] == "EC2Instance"
    assert by_id[ec2["InstanceId"]]["PlatformType"] == "Windows"
    assert by_id[on_prem["InstanceId"]]["ResourceType"] == "ManagedInstance"
    assert by_id[on_prem["InstanceId"]]["PingStatus"] == "Online"


def test_patch_states_limits_and_paging(ssm, localstack):
    nodes = fleet.mixed_fleet(23, seed=random.randrange(10**6))
    ids = _register(localstack, *nodes)
    ssm_control.scan_via_control(localstack.endpoint, ids)
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_patch_states(InstanceIds=[f"i-{n:017x}" for n in range(51)])
    assert _error_code(error.value) == "ValidationException"
    seen, token = [], None
    while True:
        page = ssm.describe_instance_patch_states(
            InstanceIds=ids, MaxResults=10, **({"NextToken": token} if token else {})
        )
        seen += [state["InstanceId"] for state in page["InstancePatchStates"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(ids)


def test_scan_reports_patches_states_and_compliance(ssm, localstack):
    node = _node(
        [
            _patch("pkg-a", "MISSING", "CRITICAL", cves=["CVE-2026-0001", "CVE-2026-0002"]),
            _patch("pkg-b", "INSTALLED", "HIGH"),
            _patch("pkg-c", "FAILED", "MEDIUM", classification="Bugfix", cves=["CVE-2026-0003"]),
            _patch("pkg-d", "NOT_APPLICABLE", "LOW"),
        ],
        on_prem=True,
    )
    [instance_id] = _register(localstack, node)
    assert ssm.describe_instance_patches(InstanceId=instance_id)["Patches"] == []  # nothing before a scan
    command_id, statuses = fleet.send_patch_command(ssm, [instance_id], "Scan")
    assert statuses == {instance_id: "Success"}
    assert ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)["Status"] == "Success"

    [state] = ssm.describe_instance_patch_states(InstanceIds=[instance_id])["InstancePatchStates"]
    assert (
        state["MissingCount"],
        state["InstalledCount"],
        state["FailedCount"],
        state["NotApplicableCount"],
    ) == (1, 1, 1, 1)
    assert (
        state["CriticalNonCompliantCount"],
        state["SecurityNonCompliantCount"],
        state["OtherNonCompliantCount"],
    ) == (1, 0, 1)
    assert state["Operation"] == "Scan" and state["BaselineId"].startswith("pb-")

    missing = ssm.describe_instance_patches(
        InstanceId=instance_id,
        Filters=[{"Key": "State", "Values": ["Missing"]}],  # the CLI examples' spelling
    )["Patches"]
    assert [(patch["KBId"], patch["CVEIds"]) for patch in missing] == [
        ("pkg-a", "CVE-2026-0001,CVE-2026-0002")
    ]
    installed = ssm.describe_instance_patches(
        InstanceId=instance_id, Filters=[{"Key": "State", "Values": ["Installed"]}]
    )["Patches"]
    assert "CVEIds" not in installed[0]

    items = ssm.list_compliance_items(
        ResourceIds=[instance_id],
        ResourceTypes=["ManagedInstance"],
        Filters=[{"Key": "ComplianceType", "Values": ["Patch"]}],
    )["ComplianceItems"]
    by_id = {item["Id"]: item for item in items}
    assert set(by_id) == {"pkg-a", "pkg-b", "pkg-c"}  # NOT_APPLICABLE is not a compliance item
    assert by_id["pkg-a"]["Status"] == "NON_COMPLIANT" and by_id["pkg-a"]["Severity"] == "CRITICAL"
    assert by_id["pkg-b"]["Status"] == "COMPLIANT"
    assert by_id["pkg-a"]["Details"]["PatchState"] == "Missing"
    assert by_id["pkg-a"]["ExecutionSummary"]["ExecutionId"] == command_id
    [summary] = ssm.list_resource_compliance_summaries(
        Filters=[
            {"Key": "ComplianceType", "Values": ["Patch"]},
            {"Key": "ResourceId", "Values": [instance_id]},
        ]
    )["ResourceComplianceSummaryItems"]
    assert summary["Status"] == "NON_COMPLIANT" and summary["OverallSeverity"] == "CRITICAL"
    assert summary["NonCompliantSummary"]["NonCompliantCount"] == 2


def test_install_without_reboot_leaves_patches_pending_reboot(ssm, localstack):
    [instance_id] = _register(localstack, _node([_patch("pkg-x", "MISSING"), _patch("pkg-y", "INSTALLED")]))
    fleet.send_patch_command(ssm, [instance_id], "Install", reboot_option="NoReboot")
    [state] = ssm.describe_instance_patch_states(InstanceIds=[instance_id])["InstancePatchStates"]
    assert (state["MissingCount"], state["InstalledPendingRebootCount"], state["InstalledCount"]) == (0, 1, 1)
    assert state["Operation"] == "Install" and state["RebootOption"] == "NoReboot"
    fleet.send_patch_command(ssm, [instance_id], "Install")
    assert (
        ssm.list_resource_compliance_summaries(Filters=[{"Key": "ResourceId", "Values": [instance_id]}])[
            "ResourceComplianceSummaryItems"
        ][0]["NonCompliantSummary"]["NonCompliantCount"]
        == 1
    )  # pending reboot stays non-compliant


def test_put_compliance_items_complete_and_partial(ssm, localstack):
    [instance_id] = _register(localstack, _node([]))
    execution = {"ExecutionTime": time.time(), "ExecutionId": "run-1", "ExecutionType": "Command"}
    ssm.put_compliance_items(
        ResourceId=instance_id,
        ResourceType="ManagedInstance",
        ComplianceType="Custom:Psh",
        ExecutionSummary=execution,
        Items=[
            {"Id": "a", "Title": "A", "Severity": "HIGH", "Status": "NON_COMPLIANT"},
            {"Id": "b", "Title": "B", "Severity": "LOW", "Status": "COMPLIANT"},
        ],
    )
    ssm.put_compliance_items(
        ResourceId=instance_id,
        ResourceType="ManagedInstance",
        ComplianceType="Custom:Psh",
        ExecutionSummary=execution,
        UploadType="PARTIAL",
        Items=[{"Id": "a", "Title": "A", "Severity": "HIGH", "Status": "COMPLIANT"}],
    )
    items = ssm.list_compliance_items(ResourceIds=[instance_id], ResourceTypes=["ManagedInstance"])[
        "ComplianceItems"
    ]
    assert {(item["Id"], item["Status"]) for item in items} == {("a", "COMPLIANT"), ("b", "COMPLIANT")}
    types = {each["ComplianceType"] for each in ssm.list_compliance_summaries()["ComplianceSummaryItems"]}
    assert "Custom:Psh" in types
    with pytest.raises(ClientError):
        ssm.put_compliance_items(
            ResourceId=instance_id,
            ResourceType="ManagedInstance",
            ComplianceType="Custom:X",
            ExecutionSummary=execution,
            Items=[{"Id": "a", "Severity": "SEVERE", "Status": "COMPLIANT"}],
        )


def test_association_once_scans_its_targets(ssm, localstack):
    group = f"group-{uuid.uuid4().hex[:6]}"
    ids = _register(
        localstack,
        _node([_patch("pkg-1", "MISSING")], group=group),
        _node([_patch("pkg-2", "INSTALLED")], group=group, on_prem=True),
    )
    association_id = ssm.create_association(
        Name="AWS-RunPatchBaselineWithHooks",
        Targets=[{"Key": "tag:Patch Group", "Values": [group]}],
        Parameters={"Operation": ["Scan"]},
        ApplyOnlyAtCronInterval=True,
        ScheduleExpression="cron(0 2 ? * SUN *)",
    )["AssociationDescription"]["AssociationId"]
    run = fleet.run_association_once(ssm, association_id)
    assert run["Status"] == "Success" and run["ResourceCountByStatus"] == "{Success=2}"
    states = ssm.describe_instance_patch_states(InstanceIds=ids)["InstancePatchStates"]
    assert sorted(state["InstanceId"] for state in states) == sorted(ids)
    assert all(state["PatchGroup"] == group for state in states)
    ssm.delete_association(AssociationId=association_id)


# --- the EventBridge event ----------------------------------------------------------------------------------


def test_compliance_change_emits_the_ssm_event(ssm, localstack, aws_env):
    events, sqs = boto3.client("events"), boto3.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    queue_url = sqs.create_queue(QueueName=f"ssm-events-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    [instance_id] = _register(localstack, _node([_patch("pkg-e", "MISSING", "CRITICAL")], on_prem=True))
    rule = f"ssm-compliance-{suffix}"
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.ssm"],
                "detail-type": ["Configuration Compliance State Change"],
                "detail": {"compliance-type": ["Patch"], "resource-id": [instance_id]},
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        fleet.send_patch_command(ssm, [instance_id], "Scan")
        fleet.send_patch_command(ssm, [instance_id], "Scan")  # unchanged state: no second event
        fleet.send_patch_command(ssm, [instance_id], "Install")  # becomes compliant
        received: dict[str, dict] = {}
        deadline = time.monotonic() + 30
        # Events arrive in order: once "compliant" is in, an event from the second scan would be too.
        while not any(event["detail"]["compliance-status"] == "compliant" for event in received.values()):
            assert time.monotonic() < deadline, f"events so far: {list(received.values())}"
            for message in sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", []):
                event = json.loads(message["Body"])
                received[event["id"]] = event
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        received_in_order = sorted(received.values(), key=lambda event: event["detail"]["last-runtime"])
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)
    assert [event["detail"]["compliance-status"] for event in received_in_order] == [
        "non_compliant",
        "compliant",
    ]
    first = received_in_order[0]
    assert first["source"] == "aws.ssm" and first["detail-type"] == "Configuration Compliance State Change"
    assert first["resources"] == [f"arn:aws:ssm:us-east-1:000000000000:managed-instance/{instance_id}"]
    assert first["detail"]["resource-type"] == "managed-instance"
    assert first["detail"]["severity"] == "critical"
    assert first["detail"]["patch-baseline-id"].startswith("pb-")
    assert first["detail"]["last-runtime"].endswith("Z")
