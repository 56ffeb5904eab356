"""psh_localstack.securityhub.filters without LocalStack: GetFindings' filters and sorting."""

from __future__ import annotations

from typing import Any

import pytest
from psh_localstack.securityhub.filters import InvalidFilterError, compile_filters, exact_keys, sort_findings


def finding(finding_id: str, **fields: Any) -> dict[str, Any]:
    return {"Id": finding_id, "ProductArn": "arn:p", "UpdatedAt": "2026-01-01T00:00:00Z", **fields}


def condition(value: str, comparison: str) -> dict[str, str]:
    return {"Value": value, "Comparison": comparison}


FINDINGS = [
    finding("a", Title="Missing patches", Severity={"Label": "HIGH", "Normalized": 70}, Sample=True),
    finding("b", Title="Missing reboot", Severity={"Label": "LOW", "Normalized": 1}),
    finding(
        "c",
        Title="Other",
        Severity={"Label": "CRITICAL", "Normalized": 90},
        ProductFields={"k": "v"},
        UpdatedAt="2026-01-03T00:00:00Z",
    ),
]


def matching(filters: dict[str, Any]) -> set[str]:
    predicate = compile_filters(filters)
    return {f["Id"] for f in FINDINGS if predicate(f)}


def test_positive_string_comparisons_on_a_field_are_ored() -> None:
    assert matching({"Title": [condition("Other", "EQUALS"), condition("Missing p", "PREFIX")]}) == {"a", "c"}


def test_negative_string_comparisons_are_anded() -> None:
    filters = {"Title": [condition("Other", "NOT_EQUALS"), condition("Missing r", "PREFIX_NOT_EQUALS")]}
    assert matching(filters) == {"a"}


def test_prefix_with_a_negative_comparison_narrows_the_prefix() -> None:
    filters = {"Title": [condition("Missing", "PREFIX"), condition("Missing reboot", "NOT_EQUALS")]}
    assert matching(filters) == {"a"}


@pytest.mark.parametrize(
    "filters",
    [
        {"Title": [condition("x", "EQUALS"), condition("y", "NOT_EQUALS")]},
        {"Title": [condition("x", "CONTAINS")]},
        {"NoSuchField": [condition("x", "EQUALS")]},
        {f"Title{index}": [condition("x", "EQUALS")] for index in range(11)},
        {"Title": [condition(str(index), "EQUALS") for index in range(21)]},
    ],
)
def test_unsupported_or_invalid_filters_are_refused(filters: dict[str, Any]) -> None:
    with pytest.raises(InvalidFilterError):
        compile_filters(filters)


def test_number_date_map_and_boolean_filters() -> None:
    assert matching({"SeverityNormalized": [{"Gte": 70}]}) == {"a", "c"}
    assert matching({"UpdatedAt": [{"Start": "2026-01-02T00:00:00Z", "End": "2026-01-04T00:00:00Z"}]}) == {
        "c"
    }
    assert matching({"ProductFields": [{"Key": "k", "Value": "v", "Comparison": "EQUALS"}]}) == {"c"}
    assert matching({"Sample": [{"Value": False}]}) == {"b", "c"}  # a finding without Sample is not a sample


def test_default_order_is_most_recently_updated_first_then_id() -> None:
    assert [f["Id"] for f in sort_findings(FINDINGS, None)] == ["c", "a", "b"]


def test_sort_criteria_put_findings_without_the_field_last() -> None:
    unscored = finding("d")
    ordered = sort_findings([*FINDINGS, unscored], [{"Field": "SeverityNormalized", "SortOrder": "asc"}])
    assert [f["Id"] for f in ordered] == ["b", "a", "c", "d"]
    with pytest.raises(InvalidFilterError):
        sort_findings(FINDINGS, [{"Field": "Title", "SortOrder": "sideways"}])


def test_exact_keys_only_when_product_and_id_are_pinned_by_equals() -> None:
    pinned = {"ProductArn": [condition("arn:p", "EQUALS")], "Id": [condition("a", "EQUALS")]}
    assert exact_keys(pinned) == [("arn:p", "a")]
    assert exact_keys({"Id": [condition("a", "EQUALS")]}) is None
    assert exact_keys({**pinned, "Id": [condition("a", "PREFIX")]}) is None
