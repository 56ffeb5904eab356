"""Read the nodes' current patch state from SSM: pure parsers of its responses, and `SsmReader`, the batched,
paginated, backed-off calls that fetch them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from .model import SEVERITY_ORDER, NodeInfo, PatchItem, PatchState, is_node_id
from .paging import PagingError, out_of_time, pages
from .retry import Backoff, error_code, is_transient
from .timeutil import as_datetime, is_future

BASELINE_ID = re.compile(r"^[a-zA-Z0-9_\-:/]{1,128}$")
PATCH_STATES_PER_CALL = 50
INSTANCE_INFO_PER_CALL = 50
MAX_COUNT = 100_000
NON_COMPLIANT_PATCH_STATES = ("Missing", "Failed", "InstalledPendingReboot", "InstalledRejected")
# The API model spells states MISSING, INSTALLED_PENDING_REBOOT, ...; the API reference's filter samples and
# the AWS CLI examples show Installed, InstalledPendingReboot, Missing, ... Answers are read in either
# spelling; the filter sends only the documented one (whether the service accepts the model's spelling in a
# filter is not documented).
_STATE_BY_KEY = {state.lower(): state for state in NON_COMPLIANT_PATCH_STATES}
STATE_FILTER_VALUES = NON_COMPLIANT_PATCH_STATES
_VENDOR_SEVERITY = {
    "critical": "CRITICAL",
    "important": "HIGH",
    "high": "HIGH",
    "moderate": "MEDIUM",
    "medium": "MEDIUM",
    "low": "LOW",
}
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# CVE ids: CVE-YYYY-NNNN with 4 or more digits (CVE numbering rules); no upper bound, so an absurd id is
# reported (cut to the ProductFields value limit by the builder), not silently dropped.
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.ASCII)
# Errors SSM answers for a whole batched call when one of its node ids is not valid or not the caller's
# (DescribeInstanceInformation / DescribeInstancePatchStates API references; codes from botocore's SSM model).
NODE_REJECTION_CODES = frozenset(
    {"InvalidInstanceId", "ValidationException", "InvalidInstanceInformationFilterValue"}
)


class InvalidSsmDataError(ValueError):
    """An SSM response document that cannot describe a node (used by the CLI to exit non-zero)."""


def _count(row: Mapping[str, Any], key: str, *, required: bool = True) -> int | None:
    value = row.get(key)
    if value is None:
        if required:
            return 0
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidSsmDataError(f"{key} must be a non-negative integer, got {value!r}")
    return min(value, MAX_COUNT)


def _text(value: Any, limit: int = 512) -> str:
    """`value` as text of at most `limit` characters, each non-printable character replaced by a space."""
    if value is None:
        return ""
    text = str(value)[:limit]  # the replacement keeps lengths, so cutting first gives the same text
    if text.isprintable():  # the usual case: nothing to replace (str.isprintable is True for "")
        return text
    return "".join(ch if ch.isprintable() else " " for ch in text)


def compliance_level_label(level: Any) -> str:
    """ListComplianceItems Severity (CRITICAL..INFORMATIONAL, UNSPECIFIED) -> Security Hub label."""
    label = str(level or "").upper()
    return label if label in SEVERITY_ORDER else "INFORMATIONAL"


def vendor_severity_label(severity: Any) -> str:
    """DescribeInstancePatches vendor Severity (Critical, Important, Moderate, ...) -> Security Hub label."""
    return _VENDOR_SEVERITY.get(str(severity or "").strip().lower(), "INFORMATIONAL")


def parse_patch_state(row: Mapping[str, Any], now: datetime | None = None) -> PatchState:
    """One row -> PatchState. With `now`, operation times later than now plus MAX_CLOCK_SKEW are refused:
    a scan cannot end in the future, and such a time would make every later real scan look stale."""
    if not isinstance(row, Mapping):
        raise InvalidSsmDataError("an InstancePatchStates entry is not an object")
    node_id = row.get("InstanceId")
    if not is_node_id(node_id):
        raise InvalidSsmDataError(f"InstanceId {str(node_id)[:40]!r} is not a managed node id")
    baseline = row.get("BaselineId")
    if not isinstance(baseline, str) or not BASELINE_ID.match(baseline):
        raise InvalidSsmDataError(
            f"BaselineId {str(baseline)[:40]!r} of {node_id} is not a patch baseline id"
        )
    operation = str(row.get("Operation", "")).capitalize()
    if operation not in ("Scan", "Install"):
        raise InvalidSsmDataError(f"Operation {row.get('Operation')!r} of {node_id} is not Scan or Install")
    try:
        start = as_datetime(row["OperationStartTime"])
        end = as_datetime(row["OperationEndTime"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError) as exc:
        raise InvalidSsmDataError(
            f"OperationStartTime/OperationEndTime of {node_id} missing or invalid: {exc}"
        ) from None
    if start < _EARLIEST or end < _EARLIEST:
        raise InvalidSsmDataError(f"operation times of {node_id} are before 1970: {start} .. {end}")
    if now is not None and (is_future(start, now) or is_future(end, now)):
        raise InvalidSsmDataError(f"operation times of {node_id} are in the future: {start} .. {end}")
    reboot = row.get("RebootOption")
    if reboot is not None and reboot not in ("RebootIfNeeded", "NoReboot"):
        raise InvalidSsmDataError(f"RebootOption {reboot!r} of {node_id} is not RebootIfNeeded or NoReboot")
    patch_group = row.get("PatchGroup")
    return PatchState(
        node_id=node_id,
        baseline_id=baseline,
        patch_group=_text(patch_group, 256) if patch_group else None,
        installed=_count(row, "InstalledCount") or 0,
        installed_other=_count(row, "InstalledOtherCount") or 0,
        installed_pending_reboot=_count(row, "InstalledPendingRebootCount") or 0,
        installed_rejected=_count(row, "InstalledRejectedCount") or 0,
        missing=_count(row, "MissingCount") or 0,
        failed=_count(row, "FailedCount") or 0,
        operation=operation,
        operation_start=start,
        operation_end=end,
        reboot_option=reboot,
        critical_non_compliant=_count(row, "CriticalNonCompliantCount", required=False),
        security_non_compliant=_count(row, "SecurityNonCompliantCount", required=False),
        other_non_compliant=_count(row, "OtherNonCompliantCount", required=False),
    )


def parse_patch_states(document: Mapping[str, Any]) -> list[PatchState]:
    """A DescribeInstancePatchStates response (or an object with one 'InstancePatchStates' list)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("InstancePatchStates"), list):
        raise InvalidSsmDataError("not a DescribeInstancePatchStates response: no InstancePatchStates list")
    return [parse_patch_state(row) for row in document["InstancePatchStates"]]


def _cves(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        candidates: Iterable[Any] = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        candidates = value
    else:
        return ()
    normalized = (c.strip().upper() for c in candidates if isinstance(c, str))
    return tuple(sorted({cve for cve in normalized if _CVE.fullmatch(cve)}))


def parse_compliance_items(document: Mapping[str, Any]) -> list[PatchItem]:
    """NON_COMPLIANT Patch items of a ListComplianceItems response."""
    if not isinstance(document, Mapping) or not isinstance(document.get("ComplianceItems"), list):
        raise InvalidSsmDataError("not a ListComplianceItems response: no ComplianceItems list")
    items: list[PatchItem] = []
    for row in document["ComplianceItems"]:
        if not isinstance(row, Mapping):
            raise InvalidSsmDataError("a ComplianceItems entry is not an object")
        if row.get("ComplianceType", "Patch") != "Patch" or row.get("Status") != "NON_COMPLIANT":
            continue
        details = row.get("Details")
        if not isinstance(details, Mapping):
            details = {}
        patch_id = _text(row.get("Id") or row.get("Title"), 256)
        if not patch_id:
            raise InvalidSsmDataError("a non-compliant ComplianceItems entry has no Id")
        items.append(
            PatchItem(
                patch_id=patch_id,
                title=_text(row.get("Title"), 256),
                state=_text(details.get("PatchState"), 64) or "NonCompliant",
                severity=compliance_level_label(row.get("Severity")),
                classification=_text(details.get("Classification"), 64),
                cve_ids=_cves(details.get("CVEIds")),
            )
        )
    return items


def parse_instance_patches(document: Mapping[str, Any]) -> list[PatchItem]:
    """Non-compliant patches of a DescribeInstancePatches response (NotApplicable etc. are not findings)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("Patches"), list):
        raise InvalidSsmDataError("not a DescribeInstancePatches response: no Patches list")
    items: list[PatchItem] = []
    for row in document["Patches"]:
        if not isinstance(row, Mapping):
            raise InvalidSsmDataError("a Patches entry is not an object")
        state = _STATE_BY_KEY.get(str(row.get("State", "")).replace("_", "").lower())
        if state is None:
            continue
        patch_id = _text(row.get("KBId") or row.get("Title"), 256)
        if not patch_id:
            raise InvalidSsmDataError("a non-compliant Patches entry has neither KBId nor Title")
        items.append(
            PatchItem(
                patch_id=patch_id,
                title=_text(row.get("Title"), 256),
                state=state,
                severity=vendor_severity_label(row.get("Severity")),
                classification=_text(row.get("Classification"), 64),
                cve_ids=_cves(row.get("CVEIds")),
            )
        )
    return items


def merge_items(compliance: list[PatchItem], patches: list[PatchItem]) -> list[PatchItem]:
    """Compliance items carry the baseline's severity; instance patches carry state and CVE ids."""
    merged: dict[str, PatchItem] = {}
    for item in patches:
        merged[item.patch_id] = item
    for item in compliance:
        known = merged.get(item.patch_id)
        if known is None:
            merged[item.patch_id] = item
            continue
        merged[item.patch_id] = PatchItem(
            patch_id=item.patch_id,
            title=known.title or item.title,
            state=known.state,
            severity=item.severity,
            classification=known.classification or item.classification,
            cve_ids=tuple(sorted(set(known.cve_ids) | set(item.cve_ids))),
        )
    return list(merged.values())


def parse_instance_information(document: Mapping[str, Any]) -> list[NodeInfo]:
    if not isinstance(document, Mapping) or not isinstance(document.get("InstanceInformationList"), list):
        raise InvalidSsmDataError("not a DescribeInstanceInformation response: no InstanceInformationList")
    nodes: list[NodeInfo] = []
    for row in document["InstanceInformationList"]:
        if not isinstance(row, Mapping):
            raise InvalidSsmDataError("an InstanceInformationList entry is not an object")
        node_id = row.get("InstanceId")
        if not is_node_id(node_id):
            raise InvalidSsmDataError(f"InstanceId {str(node_id)[:40]!r} is not a managed node id")
        default_type = "ManagedInstance" if node_id.startswith("mi-") else "EC2Instance"
        nodes.append(
            NodeInfo(
                node_id=node_id,
                resource_type=str(row.get("ResourceType") or default_type),
                platform_type=_text(row.get("PlatformType"), 64) or None,
                platform_name=_text(row.get("PlatformName"), 128) or None,
                platform_version=_text(row.get("PlatformVersion"), 64) or None,
                computer_name=_text(row.get("ComputerName"), 256) or None,
            )
        )
    return nodes


def instance_information_row(info: NodeInfo) -> dict[str, str]:
    """A NodeInfo as the DescribeInstanceInformation row it was parsed from (the fields kept): what the sweep
    carries to the forwarder, which parses it back with parse_instance_information."""
    row = {
        "InstanceId": info.node_id,
        "ResourceType": info.resource_type,
        "PlatformType": info.platform_type,
        "PlatformName": info.platform_name,
        "PlatformVersion": info.platform_version,
        "ComputerName": info.computer_name,
    }
    return {key: value for key, value in row.items() if value is not None}


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class SsmReader:
    """Batched, paginated, backed-off reads. Raises the AWS error when retries are exhausted, and
    paging.PagingError when paging cannot finish."""

    def __init__(self, client: Any, backoff: Backoff, now: datetime | None = None) -> None:
        self.client = client
        self.backoff = backoff
        self.now = now

    def _pages(self, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return pages(self.backoff, getattr(self.client, operation), operation, **kwargs)

    def _isolating(
        self, chunk: list[str], read: Callable[[list[str]], None], rejected: dict[str, str]
    ) -> None:
        """Run `read(chunk)`; when SSM refuses the whole call because of a node id, split the chunk in two
        until the refused nodes stand alone (at most 2n - 1 calls for n nodes), so the others are read."""
        try:
            read(chunk)
        except Exception as exc:
            code = error_code(exc)
            if is_transient(exc) or code not in NODE_REJECTION_CODES:
                raise
            if len(chunk) == 1:
                rejected[chunk[0]] = code
                return
            if out_of_time(self.backoff):
                raise PagingError(
                    "paging_deadline", "splitting a refused call: the deadline is near"
                ) from exc
            middle = len(chunk) // 2
            self._isolating(chunk[:middle], read, rejected)
            self._isolating(chunk[middle:], read, rejected)

    def patch_states(
        self, node_ids: list[str], rejected: dict[str, str] | None = None
    ) -> tuple[dict[str, PatchState], dict[str, str]]:
        """(states by node, unreadable rows by node -> reason): one bad row does not poison the batch. Nodes
        SSM refuses (NODE_REJECTION_CODES) go into `rejected` (node -> error code)."""
        states: dict[str, PatchState] = {}
        unreadable: dict[str, str] = {}
        refused = rejected if rejected is not None else {}

        def read(chunk: list[str]) -> None:
            found: dict[str, PatchState] = {}
            bad: dict[str, str] = {}
            for page in self._pages("describe_instance_patch_states", InstanceIds=chunk, MaxResults=50):
                for row in page.get("InstancePatchStates", []):
                    try:
                        state = parse_patch_state(row, self.now)
                    except InvalidSsmDataError as exc:
                        bad[str(row.get("InstanceId"))] = str(exc)
                        continue
                    found[state.node_id] = state
            states.update(found)
            unreadable.update(bad)

        for chunk in _chunks(sorted(set(node_ids)), PATCH_STATES_PER_CALL):
            self._isolating(chunk, read, refused)
        return states, unreadable

    def node_information(
        self, node_ids: list[str], rejected: dict[str, str] | None = None
    ) -> dict[str, NodeInfo]:
        """Nodes SSM knows. Nodes SSM refuses (NODE_REJECTION_CODES) go into `rejected` (node -> code)."""
        nodes: dict[str, NodeInfo] = {}
        refused = rejected if rejected is not None else {}

        def read(chunk: list[str]) -> None:
            found: dict[str, NodeInfo] = {}
            for page in self._pages(
                "describe_instance_information",
                Filters=[{"Key": "InstanceIds", "Values": chunk}],
                MaxResults=50,
            ):
                for node in parse_instance_information(page):
                    found[node.node_id] = node
            nodes.update(found)

        for chunk in _chunks(sorted(set(node_ids)), INSTANCE_INFO_PER_CALL):
            self._isolating(chunk, read, refused)
        return nodes

    def non_compliant_items(self, node_id: str) -> list[PatchItem]:
        compliance: list[PatchItem] = []
        for page in self._pages(
            "list_compliance_items",
            ResourceIds=[node_id],
            ResourceTypes=["ManagedInstance"],
            Filters=[
                {"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"},
                {"Key": "Status", "Values": ["NON_COMPLIANT"], "Type": "EQUAL"},
            ],
            MaxResults=50,  # the API's maximum (botocore checks only minimums)
        ):
            compliance.extend(parse_compliance_items(page))
        patches: list[PatchItem] = []
        for page in self._pages(
            "describe_instance_patches",
            InstanceId=node_id,
            Filters=[{"Key": "State", "Values": list(STATE_FILTER_VALUES)}],
            MaxResults=100,
        ):
            patches.extend(parse_instance_patches(page))
        return merge_items(compliance, patches)

    def non_compliant_items_of(
        self, node_ids: list[str], concurrency: int = 1
    ) -> dict[str, list[PatchItem] | Exception]:
        """Per node: its non-compliant patches, or the error that stopped the read (one node's failure
        never stops the others). The two per-node APIs take one node per call, so the reads run on up to
        `concurrency` threads: the wait is SSM's latency, not CPU."""

        def read(node_id: str) -> list[PatchItem] | Exception:
            try:
                return self.non_compliant_items(node_id)
            except Exception as exc:
                return exc

        if concurrency <= 1 or len(node_ids) <= 1:
            return {node_id: read(node_id) for node_id in node_ids}
        with ThreadPoolExecutor(max_workers=min(concurrency, len(node_ids))) as pool:
            return dict(zip(node_ids, pool.map(read, node_ids), strict=True))

    def all_node_ids(self) -> Iterator[str]:
        for page in self._pages("describe_instance_information", MaxResults=50):
            for node in parse_instance_information(page):
                yield node.node_id
