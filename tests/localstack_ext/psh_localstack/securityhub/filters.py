"""GetFindings filters and sorting with the documented semantics (Security Hub API Reference,
AwsSecurityFindingFilters, StringFilter, NumberFilter, DateFilter, MapFilter, BooleanFilter, SortCriterion).

String filters on one field: EQUALS and PREFIX values are OR'd; NOT_EQUALS and PREFIX_NOT_EQUALS values are
AND'd and applied after the positive ones; EQUALS cannot be combined with a negative comparison on the same
field; CONTAINS / NOT_CONTAINS belong to automation rules and are refused here (StringFilter.Comparison).
Different fields are AND'd.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .timestamps import days_ns, now_ns, parse_ns

# "You can filter by up to 10 finding attributes. For each attribute, you can provide up to 20 filter values."
# (API Reference, GetFindings, Filters)
MAX_FILTER_FIELDS = 10
MAX_FILTER_VALUES = 20

Finding = dict[str, Any]
Extractor = Callable[[Finding], list[Any]]


class InvalidFilterError(Exception):
    pass


def _path(*keys: str) -> Extractor:
    def extract(finding: Finding) -> list[Any]:
        value: Any = finding
        for key in keys:
            if not isinstance(value, dict):
                return []
            value = value.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    return extract


def _each(list_key: str, *keys: str) -> Extractor:
    inner = _path(*keys)

    def extract(finding: Finding) -> list[Any]:
        values: list[Any] = []
        for item in finding.get(list_key) or []:
            if isinstance(item, dict):
                values.extend(inner(item))
        return values

    return extract


# The filter fields of AwsSecurityFindingFilters this emulation answers, by filter type, and where each one
# reads the finding.
STRING_FIELDS: dict[str, Extractor] = {
    **{
        name: _path(name)
        for name in (
            "ProductArn",
            "AwsAccountId",
            "Id",
            "GeneratorId",
            "Region",
            "Title",
            "Description",
            "SourceUrl",
            "ProductName",
            "CompanyName",
            "VerificationState",
            "WorkflowState",
            "RecordState",
            "AwsAccountName",
        )
    },
    "Type": _path("Types"),
    "SeverityLabel": _path("Severity", "Label"),
    "RecommendationText": _path("Remediation", "Recommendation", "Text"),
    "WorkflowStatus": _path("Workflow", "Status"),
    "ComplianceStatus": _path("Compliance", "Status"),
    "ComplianceSecurityControlId": _path("Compliance", "SecurityControlId"),
    "ResourceType": _each("Resources", "Type"),
    "ResourceId": _each("Resources", "Id"),
    "ResourcePartition": _each("Resources", "Partition"),
    "ResourceRegion": _each("Resources", "Region"),
    "ResourceApplicationName": _each("Resources", "ApplicationName"),
    "ResourceApplicationArn": _each("Resources", "ApplicationArn"),
    "ResourceAwsEc2InstanceType": _each("Resources", "Details", "AwsEc2Instance", "Type"),
    "ResourceAwsEc2InstanceImageId": _each("Resources", "Details", "AwsEc2Instance", "ImageId"),
    "ResourceAwsEc2InstanceVpcId": _each("Resources", "Details", "AwsEc2Instance", "VpcId"),
    "ResourceAwsEc2InstanceSubnetId": _each("Resources", "Details", "AwsEc2Instance", "SubnetId"),
    "RelatedFindingsProductArn": _each("RelatedFindings", "ProductArn"),
    "RelatedFindingsId": _each("RelatedFindings", "Id"),
    "NoteText": _path("Note", "Text"),
    "NoteUpdatedBy": _path("Note", "UpdatedBy"),
    "FindingProviderFieldsSeverityLabel": _path("FindingProviderFields", "Severity", "Label"),
    "FindingProviderFieldsSeverityOriginal": _path("FindingProviderFields", "Severity", "Original"),
    "FindingProviderFieldsTypes": _path("FindingProviderFields", "Types"),
    "FindingProviderFieldsRelatedFindingsId": _each("FindingProviderFields", "RelatedFindings", "Id"),
    "FindingProviderFieldsRelatedFindingsProductArn": _each(
        "FindingProviderFields", "RelatedFindings", "ProductArn"
    ),
    "MalwareName": _each("Malware", "Name"),
    "MalwareType": _each("Malware", "Type"),
    "MalwarePath": _each("Malware", "Path"),
    "MalwareState": _each("Malware", "State"),
}

NUMBER_FIELDS: dict[str, Extractor] = {
    "SeverityNormalized": _path("Severity", "Normalized"),
    "SeverityProduct": _path("Severity", "Product"),
    "Confidence": _path("Confidence"),
    "Criticality": _path("Criticality"),
    "FindingProviderFieldsConfidence": _path("FindingProviderFields", "Confidence"),
    "FindingProviderFieldsCriticality": _path("FindingProviderFields", "Criticality"),
}

DATE_FIELDS: dict[str, Extractor] = {
    "CreatedAt": _path("CreatedAt"),
    "UpdatedAt": _path("UpdatedAt"),
    "FirstObservedAt": _path("FirstObservedAt"),
    "LastObservedAt": _path("LastObservedAt"),
    "NoteUpdatedAt": _path("Note", "UpdatedAt"),
}

MAP_FIELDS: dict[str, Callable[[Finding], list[dict[str, str]]]] = {
    "ProductFields": lambda f: [f.get("ProductFields") or {}],
    "UserDefinedFields": lambda f: [f.get("UserDefinedFields") or {}],
    "ResourceTags": lambda f: [r.get("Tags") or {} for r in f.get("Resources") or [] if isinstance(r, dict)],
    "ResourceDetailsOther": lambda f: [
        ((r.get("Details") or {}).get("Other") or {}) for r in f.get("Resources") or [] if isinstance(r, dict)
    ],
}

BOOLEAN_FIELDS: dict[str, Extractor] = {"Sample": _path("Sample")}

POSITIVE_STRING = ("EQUALS", "PREFIX")
NEGATIVE_STRING = ("NOT_EQUALS", "PREFIX_NOT_EQUALS")


def _string_matcher(
    field: str, conditions: list[dict[str, Any]], extract: Extractor
) -> Callable[[Finding], bool]:
    positives: list[tuple[str, str]] = []
    negatives: list[tuple[str, str]] = []
    for condition in conditions:
        comparison, value = condition.get("Comparison"), condition.get("Value")
        if not isinstance(value, str) or not comparison:
            raise InvalidFilterError(f"Filter {field} needs a Value and a Comparison")
        if comparison in POSITIVE_STRING:
            positives.append((comparison, value))
        elif comparison in NEGATIVE_STRING:
            negatives.append((comparison, value))
        elif comparison in ("CONTAINS", "NOT_CONTAINS", "CONTAINS_WORD"):
            raise InvalidFilterError(f"Comparison {comparison} is not supported by GetFindings ({field})")
        else:
            raise InvalidFilterError(f"Invalid comparison {comparison} for field {field}")
    if any(c == "EQUALS" for c, _ in positives) and negatives:
        raise InvalidFilterError(f"Cannot combine EQUALS with NOT_EQUALS or PREFIX_NOT_EQUALS on {field}")

    def hit(comparison: str, wanted: str, actual: Any) -> bool:
        if comparison.startswith("PREFIX"):
            return str(actual).startswith(wanted)
        return str(actual) == wanted

    def match(finding: Finding) -> bool:
        values = extract(finding)
        if positives and not any(hit(c, v, actual) for c, v in positives for actual in values):
            return False
        return not any(hit(c, v, actual) for c, v in negatives for actual in values)

    return match


def _number_matcher(
    field: str, conditions: list[dict[str, Any]], extract: Extractor
) -> Callable[[Finding], bool]:
    checks: list[Callable[[float], bool]] = []
    for condition in conditions:
        parts: list[Callable[[float], bool]] = []
        for key, test in (
            ("Gte", lambda a, b: a >= b),
            ("Lte", lambda a, b: a <= b),
            ("Eq", lambda a, b: a == b),
            ("Gt", lambda a, b: a > b),
            ("Lt", lambda a, b: a < b),
        ):
            if condition.get(key) is not None:
                bound = float(condition[key])
                parts.append(lambda actual, t=test, b=bound: t(actual, b))
        if not parts:
            raise InvalidFilterError(f"Number filter on {field} needs Gte, Lte, Eq, Gt or Lt")
        checks.append(lambda actual, ps=tuple(parts): all(p(actual) for p in ps))

    def match(finding: Finding) -> bool:
        values = [
            float(v) for v in extract(finding) if isinstance(v, int | float) and not isinstance(v, bool)
        ]
        return any(check(v) for check in checks for v in values)

    return match


def _date_matcher(
    field: str, conditions: list[dict[str, Any]], extract: Extractor
) -> Callable[[Finding], bool]:
    ranges: list[tuple[int | None, int | None]] = []
    for condition in conditions:
        date_range = condition.get("DateRange")
        if date_range:
            if date_range.get("Unit") != "DAYS" or not isinstance(date_range.get("Value"), int):
                raise InvalidFilterError(f"DateRange on {field} needs an integer Value and Unit DAYS")
            now = now_ns()
            ranges.append((now - days_ns(date_range["Value"]), now))
            continue
        start, end = condition.get("Start"), condition.get("End")
        if start is None and end is None:
            raise InvalidFilterError(f"Date filter on {field} needs Start and End, or DateRange")
        start_ns = parse_ns(start) if start is not None else None
        end_ns = parse_ns(end) if end is not None else None
        if (start is not None and start_ns is None) or (end is not None and end_ns is None):
            raise InvalidFilterError(f"Date filter on {field} has an invalid timestamp")
        ranges.append((start_ns, end_ns))

    def match(finding: Finding) -> bool:
        for value in extract(finding):
            moment = parse_ns(value)
            if moment is None:
                continue
            for low, high in ranges:
                if (low is None or moment >= low) and (high is None or moment <= high):
                    return True
        return False

    return match


def _map_matcher(field: str, conditions: list[dict[str, Any]], extract) -> Callable[[Finding], bool]:
    positives: list[tuple[str, str]] = []
    negatives: list[tuple[str, str]] = []
    for condition in conditions:
        key, value, comparison = condition.get("Key"), condition.get("Value"), condition.get("Comparison")
        if not key or value is None:
            raise InvalidFilterError(f"Map filter on {field} needs Key, Value and Comparison")
        if comparison == "EQUALS":
            positives.append((key, value))
        elif comparison == "NOT_EQUALS":
            negatives.append((key, value))
        else:
            raise InvalidFilterError(f"Comparison {comparison} is not supported by GetFindings ({field})")
    if positives and negatives:
        raise InvalidFilterError(f"Cannot combine EQUALS with NOT_EQUALS on field {field}")

    def match(finding: Finding) -> bool:
        maps = extract(finding)
        if positives and not any(m.get(k) == v for k, v in positives for m in maps):
            return False
        return not any(m.get(k) == v for k, v in negatives for m in maps)

    return match


def _boolean_matcher(
    field: str, conditions: list[dict[str, Any]], extract: Extractor
) -> Callable[[Finding], bool]:
    wanted = [bool(c.get("Value")) for c in conditions]

    def match(finding: Finding) -> bool:
        values = extract(finding) or [False]
        return any(v == w for v in values for w in wanted)

    return match


def compile_filters(filters: dict[str, Any] | None) -> Callable[[Finding], bool]:
    """A predicate for GetFindings' Filters; raises InvalidFilterError for unsupported or invalid filters."""
    filters = {k: v for k, v in (filters or {}).items() if v}
    if len(filters) > MAX_FILTER_FIELDS:
        raise InvalidFilterError(f"You can filter by up to {MAX_FILTER_FIELDS} finding attributes")
    matchers: list[Callable[[Finding], bool]] = []
    for field, conditions in filters.items():
        if not isinstance(conditions, list):
            raise InvalidFilterError(f"Filter {field} must be a list")
        if len(conditions) > MAX_FILTER_VALUES:
            raise InvalidFilterError(f"Filter {field} has more than {MAX_FILTER_VALUES} values")
        if field in STRING_FIELDS:
            matchers.append(_string_matcher(field, conditions, STRING_FIELDS[field]))
        elif field in NUMBER_FIELDS:
            matchers.append(_number_matcher(field, conditions, NUMBER_FIELDS[field]))
        elif field in DATE_FIELDS:
            matchers.append(_date_matcher(field, conditions, DATE_FIELDS[field]))
        elif field in MAP_FIELDS:
            matchers.append(_map_matcher(field, conditions, MAP_FIELDS[field]))
        elif field in BOOLEAN_FIELDS:
            matchers.append(_boolean_matcher(field, conditions, BOOLEAN_FIELDS[field]))
        else:
            raise InvalidFilterError(f"Filter field {field} is not supported by this Security Hub emulation")
    return lambda finding: all(m(finding) for m in matchers)


def _sort_value(field: str) -> Callable[[Finding], tuple[int, Any]]:
    """Key giving (has-value flag, value); findings lacking the field sort last in either order."""
    if field in DATE_FIELDS:
        extract = DATE_FIELDS[field]

        def key(finding: Finding) -> tuple[int, Any]:
            moments = [m for m in (parse_ns(v) for v in extract(finding)) if m is not None]
            return (1, moments[0]) if moments else (0, 0)

        return key
    if field in NUMBER_FIELDS:
        extract = NUMBER_FIELDS[field]
        return lambda f: (1, float(extract(f)[0])) if extract(f) else (0, 0.0)
    if field in STRING_FIELDS:
        extract = STRING_FIELDS[field]
        return lambda f: (1, str(extract(f)[0])) if extract(f) else (0, "")
    raise InvalidFilterError(f"Sort field {field} is not supported")


def sort_findings(findings: Iterable[Finding], criteria: list[dict[str, Any]] | None) -> list[Finding]:
    """Stable multi-key sort (SortCriterion: Field, SortOrder asc | desc). Without criteria: most recently
    updated first, then by Id (AWS documents no default order; the emulator's choice)."""
    ordered = sorted(findings, key=lambda f: str(f.get("Id")))
    criteria = criteria or [{"Field": "UpdatedAt", "SortOrder": "desc"}]
    for criterion in reversed(criteria):
        field = criterion.get("Field")
        order = criterion.get("SortOrder") or "asc"
        if not field:
            raise InvalidFilterError("SortCriteria entries need a Field")
        if order not in ("asc", "desc"):
            raise InvalidFilterError(f"Invalid SortOrder {order}")
        key = _sort_value(field)
        keyed = [(key(f), f) for f in ordered]
        present = [(k[1], f) for k, f in keyed if k[0]]
        missing = [f for k, f in keyed if not k[0]]
        present.sort(key=lambda pair: pair[0], reverse=order == "desc")
        ordered = [f for _, f in present] + missing
    return ordered


def exact_keys(filters: dict[str, Any] | None) -> list[tuple[str, str]] | None:
    """(ProductArn, Id) pairs when the filters pin both with EQUALS only, so callers can look findings up
    directly instead of scanning (a query for given findings by their identifiers)."""
    filters = filters or {}

    def equals_values(field: str) -> list[str] | None:
        conditions = filters.get(field) or []
        if not conditions or any(c.get("Comparison") != "EQUALS" for c in conditions):
            return None
        return [c.get("Value") for c in conditions if isinstance(c.get("Value"), str)]

    products, ids = equals_values("ProductArn"), equals_values("Id")
    if products is None or ids is None:
        return None
    return [(product, finding_id) for product in products for finding_id in ids]
