"""The project's ASFF schema rejects what Security Hub would reject (so the check is meaningful)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from patch_securityhub.cli import render
from patch_securityhub.finding_check import finding_errors
from unit_helpers import ACCOUNT, DATA, REGION, assert_valid_finding


@pytest.fixture
def finding() -> dict[str, Any]:
    document = json.loads((DATA / "ssm" / "native_example_patch_state.json").read_text())
    [built] = render(document, account=ACCOUNT, region=REGION)
    return built


def mutate(finding: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(finding)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("Title",), "x" * 257),
        (("Description",), "x" * 1025),
        (("Description",), "   "),
        (("Severity", "Normalized"), 40),
        (("Severity", "Label"), "SEVERE"),
        (("PatchSummary", "MissingCount"), 100_001),
        (("PatchSummary", "InstalledCount"), -1),
        (("PatchSummary", "Operation"), "Scan"),
        (("PatchSummary", "RebootOption"), "Always"),
        (("PatchSummary", "Id"), KeyError),
        (("Compliance", "Status"), "PASSED"),  # ACTIVE with PASSED is a contradiction
        (("RecordState",), "DELETED"),
        (("Resources",), []),
        (("Resources", 0, "Type"), "AwsEc2Volume"),
        (("ProductArn",), "arn:aws:securityhub:us-east-2::product/aws/ssm-patch-manager"),
        (("ProductArn",), "arn:aws:securityhub:us-east-2:111122223333:product/999999999999/default"),
        (("UpdatedAt",), "2021-11-11 22:05:25"),
        (("Types",), ["Effects/Data Exposure"]),
        (("ProductFields", "aws/securityhub/FindingId"), "reserved"),
        (("ProductFields", "patch-securityhub/Big"), "x" * 2049),
        (("SchemaVersion",), KeyError),
    ],
)
def test_schema_rejects_invalid_findings(finding: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    assert_valid_finding(finding)
    assert finding_errors(mutate(finding, path, value))


def test_too_many_product_fields_and_oversize_are_rejected(finding: dict[str, Any]) -> None:
    many = mutate(finding, ("ProductFields",), {f"k{n}": "v" for n in range(51)} | {"ProviderName": "p"})
    assert finding_errors(many)
    huge = copy.deepcopy(finding)
    other = {f"k{n}": "x" * 1000 for n in range(50)}  # each field within its own limit, the whole far over
    huge["Resources"] = [{**huge["Resources"][0], "Details": {"Other": other}} for _ in range(6)]
    assert any("240" in error or "bytes" in error for error in finding_errors(huge))


def test_botocore_model_check_catches_type_errors(finding: dict[str, Any]) -> None:
    broken = mutate(finding, ("PatchSummary", "MissingCount"), "2")
    with pytest.raises(AssertionError):
        assert_valid_finding(broken)
