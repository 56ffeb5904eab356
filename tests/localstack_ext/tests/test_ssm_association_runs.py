"""When State Manager runs an association: on create, on update (a change of targets included) unless
ApplyOnlyAtCronInterval; and the flag refused with rate() schedules (API reference, CreateAssociation and
UpdateAssociation, ApplyOnlyAtCronInterval)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from localaws_helpers import SSM_ACCOUNT, error_code, eventually
from psh_localstack.client import ssm as ssm_control

DOCUMENT = "AWS-RunPatchBaselineWithHooks"
CRON = "cron(0 2 ? * SUN *)"


def _group_with_a_node(endpoint: str) -> tuple[str, str]:
    group = f"group-{uuid.uuid4().hex[:6]}"
    node = {
        "InstanceId": "i-" + uuid.uuid4().hex[:17],
        "PlatformType": "Linux",
        "PlatformName": "Amazon Linux",
        "PatchGroup": group,
        "Patches": [],
    }
    [instance_id] = ssm_control.register_nodes(endpoint, [node], account_id=SSM_ACCOUNT)
    return group, instance_id


def _targets(group: str) -> list[dict[str, Any]]:
    return [{"Key": "tag:Patch Group", "Values": [group]}]


def _executions(ssm: Any, association_id: str) -> list[dict[str, Any]]:
    return ssm.describe_association_executions(AssociationId=association_id)["AssociationExecutions"]


def _finished_runs(ssm: Any, association_id: str, count: int) -> bool:
    runs = _executions(ssm, association_id)
    return len(runs) == count and all(run["Status"] in {"Success", "Failed"} for run in runs)


def test_create_and_update_run_the_association(ssm_client: Any, endpoint: str) -> None:
    group, _ = _group_with_a_node(endpoint)
    association_id = ssm_client.create_association(
        Name=DOCUMENT,
        Targets=_targets(group),
        Parameters={"Operation": ["Scan"]},
        ScheduleExpression="rate(1 day)",
    )["AssociationDescription"]["AssociationId"]
    assert eventually(lambda: _finished_runs(ssm_client, association_id, 1))
    assert _executions(ssm_client, association_id)[0]["ResourceCountByStatus"] == "{Success=1}"

    ssm_client.update_association(AssociationId=association_id, MaxConcurrency="2")
    assert eventually(lambda: _finished_runs(ssm_client, association_id, 2))
    assert _executions(ssm_client, association_id)[0]["AssociationVersion"] == "2"
    ssm_client.delete_association(AssociationId=association_id)


def test_a_change_of_targets_runs_on_the_new_targets(ssm_client: Any, endpoint: str) -> None:
    first, _ = _group_with_a_node(endpoint)
    second, _ = _group_with_a_node(endpoint)
    ssm_control.register_nodes(
        endpoint,
        [
            {
                "InstanceId": "i-" + uuid.uuid4().hex[:17],
                "PlatformType": "Linux",
                "PlatformName": "Amazon Linux",
                "PatchGroup": second,
                "Patches": [],
            }
        ],
        account_id=SSM_ACCOUNT,
    )
    association_id = ssm_client.create_association(
        Name=DOCUMENT,
        Targets=_targets(first),
        Parameters={"Operation": ["Scan"]},
        ScheduleExpression="rate(1 day)",
    )["AssociationDescription"]["AssociationId"]
    assert eventually(lambda: _finished_runs(ssm_client, association_id, 1))

    ssm_client.update_association(AssociationId=association_id, Targets=_targets(second))
    assert eventually(lambda: _finished_runs(ssm_client, association_id, 2))
    assert _executions(ssm_client, association_id)[0]["ResourceCountByStatus"] == "{Success=2}"
    ssm_client.delete_association(AssociationId=association_id)


def test_apply_only_at_cron_interval_runs_neither_on_create_nor_on_update(
    ssm_client: Any, endpoint: str
) -> None:
    group, _ = _group_with_a_node(endpoint)
    association_id = ssm_client.create_association(
        Name=DOCUMENT,
        Targets=_targets(group),
        Parameters={"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]},
        ScheduleExpression=CRON,
        ApplyOnlyAtCronInterval=True,
    )["AssociationDescription"]["AssociationId"]
    other, _ = _group_with_a_node(endpoint)
    ssm_client.update_association(AssociationId=association_id, Targets=_targets(other), MaxConcurrency="1")
    assert not eventually(lambda: bool(_executions(ssm_client, association_id)), timeout_s=2)
    ssm_client.delete_association(AssociationId=association_id)


def test_apply_only_at_cron_interval_is_refused_with_a_rate_schedule(ssm_client: Any, endpoint: str) -> None:
    group, _ = _group_with_a_node(endpoint)
    with pytest.raises(ClientError) as caught:
        ssm_client.create_association(
            Name=DOCUMENT,
            Targets=_targets(group),
            Parameters={"Operation": ["Scan"]},
            ScheduleExpression="rate(1 day)",
            ApplyOnlyAtCronInterval=True,
        )
    assert error_code(caught.value) == "InvalidSchedule"

    association_id = ssm_client.create_association(
        Name=DOCUMENT,
        Targets=_targets(group),
        Parameters={"Operation": ["Scan"]},
        ScheduleExpression=CRON,
        ApplyOnlyAtCronInterval=True,
    )["AssociationDescription"]["AssociationId"]
    with pytest.raises(ClientError) as caught:
        ssm_client.update_association(AssociationId=association_id, ScheduleExpression="rate(1 day)")
    assert error_code(caught.value) == "InvalidSchedule"
    assert (
        ssm_client.describe_association(AssociationId=association_id)["AssociationDescription"][
            "ScheduleExpression"
        ]
        == CRON
    )
    ssm_client.delete_association(AssociationId=association_id)
