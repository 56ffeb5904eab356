"""Systems Manager reads as AWS documents them: node ids (DescribeInstanceInformation,
DescribeInstancePatches, DescribeInstancePatchStates), DescribeInstanceInformation's paging,
ListComplianceItems' one resource id, DescribeInstancePatches' State spelling; and the ssm_behaviour switches
(/_psh/ssm/ssm_behaviour)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from localaws_helpers import error_code, random_account_id
from psh_localstack.client import ssm as ssm_control

REGION = "us-east-1"


def _node_id(prefix: str = "i-") -> str:
    return prefix + uuid.uuid4().hex[:17]


def _register(endpoint: str, account_id: str, count: int, patches: list[dict[str, Any]] = ()) -> list[str]:
    nodes = [
        {"InstanceId": _node_id(), "PlatformType": "Linux", "Patches": list(patches)} for _ in range(count)
    ]
    return ssm_control.register_nodes(endpoint, nodes, account_id=account_id)


def _all_pages(call: Any, key: str, **kwargs: Any) -> tuple[list[Any], list[int]]:
    """(every item over all pages, the size of each page)."""
    items: list[Any] = []
    sizes: list[int] = []
    token = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items += page[key]
        sizes.append(len(page[key]))
        token = page.get("NextToken")
        if not token:
            return items, sizes


# --- DescribeInstanceInformation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id", ["i-123", "i-0123456789abcdef", "mi-01234567", "x-0123456789abcdef0", "i-0123456789abcdef0"]
)
@pytest.mark.parametrize("legacy", [False, True])
def test_an_invalid_or_unknown_node_id_fails_the_whole_call(
    ssm_behaviour: str, fleet_account: tuple[str, Any], bad_id: str, legacy: bool
) -> None:
    account_id, ssm = fleet_account
    [known] = _register(ssm_behaviour, account_id, 1)
    ids = [known, bad_id]
    request = (
        {"InstanceInformationFilterList": [{"key": "InstanceIds", "valueSet": ids}]}
        if legacy
        else {"Filters": [{"Key": "InstanceIds", "Values": ids}]}
    )
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_information(**request)
    assert error_code(error.value) == "InvalidInstanceId"


def test_a_node_of_another_account_is_not_owned(ssm_behaviour: str, fleet_account: tuple[str, Any]) -> None:
    account_id, ssm = fleet_account
    [mine] = _register(ssm_behaviour, account_id, 1)
    [theirs] = _register(ssm_behaviour, random_account_id(), 1)
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [mine, theirs]}])
    assert error_code(error.value) == "InvalidInstanceId"


def test_the_empty_answer_switch_leaves_unknown_ids_out(
    ssm_behaviour: str, fleet_account: tuple[str, Any]
) -> None:
    account_id, ssm = fleet_account
    [known] = _register(ssm_behaviour, account_id, 1)
    assert (
        ssm_control.set_behaviour(ssm_behaviour, unknown_instance_ids="empty")["unknown_instance_ids"]
        == "empty"
    )
    found, _ = _all_pages(
        ssm.describe_instance_information,
        "InstanceInformationList",
        Filters=[{"Key": "InstanceIds", "Values": [known, _node_id(), "i-bad"]}],
    )
    assert [each["InstanceId"] for each in found] == [known]


def test_max_results_defaults_to_ten_and_allows_five_to_fifty(
    ssm_behaviour: str, fleet_account: tuple[str, Any]
) -> None:
    account_id, ssm = fleet_account
    ids = _register(ssm_behaviour, account_id, 23)
    found, sizes = _all_pages(ssm.describe_instance_information, "InstanceInformationList")
    assert sizes == [10, 10, 3]
    assert sorted(each["InstanceId"] for each in found) == sorted(ids)
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_information(MaxResults=51)
    assert error_code(error.value) == "ValidationException"


def test_filtered_pages_can_be_empty_and_carry_a_next_token(
    ssm_behaviour: str, fleet_account: tuple[str, Any]
) -> None:
    account_id, ssm = fleet_account
    ids = sorted(_register(ssm_behaviour, account_id, 25))
    wanted = [ids[-1]]  # on the last page of the unfiltered listing
    found, sizes = _all_pages(
        ssm.describe_instance_information,
        "InstanceInformationList",
        Filters=[{"Key": "InstanceIds", "Values": wanted}],
    )
    assert sizes == [0, 0, 1]
    assert [each["InstanceId"] for each in found] == wanted

    ssm_control.set_behaviour(ssm_behaviour, filter_after_paging=False)
    found, sizes = _all_pages(
        ssm.describe_instance_information,
        "InstanceInformationList",
        Filters=[{"Key": "InstanceIds", "Values": wanted}],
    )
    assert sizes == [1]


def test_legacy_and_current_filters_together_are_refused(
    ssm_behaviour: str, fleet_account: tuple[str, Any]
) -> None:
    account_id, ssm = fleet_account
    [known] = _register(ssm_behaviour, account_id, 1)
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_information(
            InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [known]}],
            Filters=[{"Key": "InstanceIds", "Values": [known]}],
        )
    assert error_code(error.value) == "InvalidFilterKey"


# --- ids of the other reads, and registration ---------------------------------------------------------------


def test_patch_reads_check_the_node_id_pattern(ssm_behaviour: str, fleet_account: tuple[str, Any]) -> None:
    _, ssm = fleet_account
    for call in (
        lambda: ssm.describe_instance_patches(InstanceId="i-123"),
        lambda: ssm.describe_instance_patch_states(InstanceIds=["i-0123456789abcdef0", "mi-123"]),
    ):
        with pytest.raises(ClientError) as error:
            call()
        assert error_code(error.value) == "ValidationException"
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_patches(InstanceId=_node_id())
    assert error_code(error.value) == "InvalidInstanceId"


def test_registration_checks_the_node_id_pattern(endpoint: str) -> None:
    with pytest.raises(ssm_control.ControlError):
        ssm_control.register_nodes(
            endpoint, [{"InstanceId": "i-notahexid", "PlatformType": "Linux"}], account_id=random_account_id()
        )


# --- ListComplianceItems ------------------------------------------------------------------------------------


def test_list_compliance_items_takes_one_resource_id(
    ssm_behaviour: str, fleet_account: tuple[str, Any]
) -> None:
    account_id, ssm = fleet_account
    ids = _register(ssm_behaviour, account_id, 2)
    ssm_control.scan_via_control(ssm_behaviour, ids, account_id=account_id, region=REGION)
    with pytest.raises(ClientError) as error:
        ssm.list_compliance_items(ResourceIds=ids, ResourceTypes=["ManagedInstance"])
    assert error_code(error.value) == "InvalidResourceId"
    ssm.list_compliance_items(ResourceIds=ids[:1], ResourceTypes=["ManagedInstance"])


# --- DescribeInstancePatches State --------------------------------------------------------------------------

PATCHES = [
    {"KBId": f"pkg-{state.lower()}", "State": state, "Classification": "Security", "ComplianceLevel": "HIGH"}
    for state in (
        "INSTALLED",
        "INSTALLED_OTHER",
        "INSTALLED_PENDING_REBOOT",
        "INSTALLED_REJECTED",
        "MISSING",
        "NOT_APPLICABLE",
        "FAILED",
    )
]
DOCUMENTED = {
    "pkg-installed": "Installed",
    "pkg-installed_other": "InstalledOther",
    "pkg-installed_pending_reboot": "InstalledPendingReboot",
    "pkg-installed_rejected": "InstalledRejected",
    "pkg-missing": "Missing",
    "pkg-not_applicable": "NotApplicable",
    "pkg-failed": "Failed",
}


@pytest.fixture
def scanned_node(ssm_behaviour: str, fleet_account: tuple[str, Any]) -> tuple[str, Any]:
    account_id, ssm = fleet_account
    [node] = _register(ssm_behaviour, account_id, 1, PATCHES)
    ssm_control.scan_via_control(ssm_behaviour, [node], account_id=account_id, region=REGION)
    return node, ssm


def test_patch_states_are_answered_in_the_documented_spelling(scanned_node: tuple[str, Any]) -> None:
    node, ssm = scanned_node
    patches = ssm.describe_instance_patches(InstanceId=node, MaxResults=100)["Patches"]
    assert {patch["KBId"]: patch["State"] for patch in patches} == DOCUMENTED


def test_state_filters_take_the_documented_spelling_and_the_model_spelling_behind_a_switch(
    scanned_node: tuple[str, Any], ssm_behaviour: str
) -> None:
    node, ssm = scanned_node

    def states(values: list[str]) -> list[str]:
        patches = ssm.describe_instance_patches(InstanceId=node, Filters=[{"Key": "State", "Values": values}])
        return sorted(patch["State"] for patch in patches["Patches"])

    assert states(["Missing", "InstalledPendingReboot"]) == ["InstalledPendingReboot", "Missing"]
    with pytest.raises(ClientError) as error:
        states(["MISSING", "INSTALLED_PENDING_REBOOT"])
    assert error_code(error.value) == "InvalidFilter"
    ssm_control.set_behaviour(ssm_behaviour, patch_state_filter="documented_and_model")
    assert states(["MISSING", "INSTALLED_PENDING_REBOOT"]) == ["InstalledPendingReboot", "Missing"]


def test_unknown_state_filter_values_are_refused(scanned_node: tuple[str, Any], ssm_behaviour: str) -> None:
    node, ssm = scanned_node
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_patches(InstanceId=node, Filters=[{"Key": "State", "Values": ["Absent"]}])
    assert error_code(error.value) == "InvalidFilter"
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_patches(
            InstanceId=node, Filters=[{"Key": "State", "Values": ["Missing", "MISSING"]}]
        )
    assert error_code(error.value) == "InvalidFilter"
    patches = ssm.describe_instance_patches(
        InstanceId=node, Filters=[{"Key": "State", "Values": ["Missing"]}]
    )
    assert [patch["KBId"] for patch in patches["Patches"]] == ["pkg-missing"]


def test_the_behaviour_route_refuses_unknown_switches_and_values(ssm_behaviour: str) -> None:
    for switches in (
        {"no_such_switch": 1},
        {"unknown_instance_ids": "maybe"},
        {"filter_after_paging": "yes"},
    ):
        with pytest.raises(ssm_control.ControlError):
            ssm_control.set_behaviour(ssm_behaviour, **switches)
    switches = ssm_control.behaviour(ssm_behaviour)
    assert {key: switches[key] for key in ("unknown_instance_ids", "filter_after_paging")} == {
        "unknown_instance_ids": "error",
        "filter_after_paging": True,
    }
    assert switches["patch_state_filter"] == "documented"
