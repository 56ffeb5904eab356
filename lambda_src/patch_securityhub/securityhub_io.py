"""Security Hub I/O: read prior findings, import in bounded chunks, resolve native findings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .finding import GENERATOR_ID, PROVIDER_NAME
from .model import PriorFinding
from .paging import out_of_time, pages
from .retry import Backoff, error_code, is_transient
from .timeutil import as_datetime, is_future

MAX_FINDINGS_PER_IMPORT = 100
MAX_IMPORT_BYTES = 6 * 1024 * 1024 - 64 * 1024  # leave room for the request envelope
GET_FINDINGS_VALUES_PER_FILTER = 20
NATIVE_PRODUCT = "aws/ssm-patch-manager"
# BatchImportFindings FailedFindings[].ErrorCode. The API reference lists no closed set of codes, so:
# - access codes (InvalidAccess: Security Hub or the integration disabled, a missing permission) are states an
#   operator fixes: transient, the message comes back through the dead-letter queue and the redrive;
# - throttling and service-side codes are transient;
# - a rejected finding (Invalid*, Validation*, Malformed*) is permanent;
# - any other code is permanent at once (`import_failed_unknown_code`): a code nobody has classified cannot be
#   expected to clear by retrying, and retrying it would cycle the message through the DLQ for ever.
_TRANSIENT_IMPORT_CODE_PREFIXES = (
    "InvalidAccess",
    "AccessDenied",
    "Throttl",
    "TooManyRequests",
    "LimitExceeded",
    "Internal",
    "ServiceUnavailable",
)
_PERMANENT_IMPORT_CODE_PREFIXES = ("Invalid", "Validation", "Malformed")


def classify_failed_code(code: str) -> tuple[bool, str]:
    """FailedFindings ErrorCode -> (transient, stable reason code)."""
    if code.startswith(_TRANSIENT_IMPORT_CODE_PREFIXES):
        return True, "import_failed_transient"
    if code.startswith(_PERMANENT_IMPORT_CODE_PREFIXES):
        return False, "import_rejected"
    return False, "import_failed_unknown_code"


@dataclass
class ImportResult:
    imported: set[str] = field(default_factory=set)
    transient: dict[str, str] = field(default_factory=dict)  # finding id -> reason
    permanent: dict[str, str] = field(default_factory=dict)
    calls: int = 0


def chunk_findings(findings: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Chunks of <= 100 findings and <= ~6 MB serialized."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for finding in findings:
        finding_bytes = len(json.dumps(finding, separators=(",", ":")).encode("utf-8")) + 1
        if chunk and (len(chunk) >= MAX_FINDINGS_PER_IMPORT or size + finding_bytes > MAX_IMPORT_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(finding)
        size += finding_bytes
    if chunk:
        yield chunk


def is_own_finding(finding: dict[str, Any], product_arn: str | None) -> bool:
    """Written by this product: its GeneratorId, under the account's own product, and no ProviderName other
    than ours. Any principal allowed BatchImportFindings on the default product can import a finding with our
    Id (and could copy these fields too: what stops a planted finding from freezing a node is that its times
    are bounded by now, see parse_prior); this keeps a finding of another tool from deciding what is stale."""
    fields = finding.get("ProductFields")
    provider = fields.get("ProviderName", PROVIDER_NAME) if isinstance(fields, dict) else PROVIDER_NAME
    product_ok = product_arn is None or finding.get("ProductArn") == product_arn
    return product_ok and finding.get("GeneratorId") == GENERATOR_ID and provider == PROVIDER_NAME


def parse_prior(
    finding: dict[str, Any], *, product_arn: str | None = None, now: datetime | None = None
) -> PriorFinding | None:
    """A stored finding -> PriorFinding, or None when unreadable. Its PatchSummary.OperationEndTime (what
    makes a later scan `stale_state`) is kept only from a finding this product wrote and only when it is not
    later than `now` plus MAX_CLOCK_SKEW; otherwise it is dropped, so the prior cannot freeze the node. An
    UpdatedAt in the future is kept and flagged: Security Hub ignores any update not later than it."""
    try:
        summary = finding.get("PatchSummary") or {}
        end = summary.get("OperationEndTime")
        operation_end = as_datetime(end) if end else None
        updated_at = as_datetime(finding["UpdatedAt"])
        trusted = is_own_finding(finding, product_arn)
        if operation_end is not None and (not trusted or (now is not None and is_future(operation_end, now))):
            operation_end = None
        return PriorFinding(
            finding_id=finding["Id"],
            created_at=as_datetime(finding["CreatedAt"]),
            updated_at=updated_at,
            record_state=str(finding.get("RecordState", "ACTIVE")),
            compliance_status=(finding.get("Compliance") or {}).get("Status") if trusted else None,
            operation_end=operation_end,
            updated_in_future=now is not None and is_future(updated_at, now),
            own=trusted,
            raw=finding,
        )
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError):
        return None  # an unreadable prior is treated as absent: the new import still carries fresh data


def carried_finding(finding: dict[str, Any]) -> dict[str, Any]:
    """What the sweep carries of a finding it walked, for the forwarder's PriorFinding (parse_prior): the
    times, the record and compliance states and the scan's end; the forwarder adds the Id and its own product
    fields back (carried_prior). A few hundred bytes, so 50 fit in one SQS message with room to spare."""
    row: dict[str, Any] = {k: finding[k] for k in ("CreatedAt", "UpdatedAt", "RecordState") if k in finding}
    status = (finding.get("Compliance") or {}).get("Status")
    if status is not None:
        row["Compliance"] = {"Status": status}
    end = (finding.get("PatchSummary") or {}).get("OperationEndTime")
    if end is not None:
        row["PatchSummary"] = {"OperationEndTime": end}
    return row


class RecentImports:
    """The findings this Lambda container imported last, by Id (at most `capacity`, oldest dropped first).

    Security Hub is eventually consistent: GetFindings can return an older version of a finding, or none, for
    a while after an import (BatchUpdateFindings "can take several minutes"; prowler-cloud/prowler#684). A
    container that imported a finding itself knows better: the newer of its own copy and the read is the
    prior, so its CreatedAt and what it last published survive a lagging read."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._priors: dict[str, PriorFinding] = {}

    def remember(self, finding: dict[str, Any], product_arn: str) -> None:
        prior = parse_prior(finding, product_arn=product_arn)
        if prior is None:
            return
        self._priors.pop(prior.finding_id, None)
        self._priors[prior.finding_id] = prior
        while len(self._priors) > self.capacity:
            self._priors.pop(next(iter(self._priors)))

    def newer_than(self, finding_id: str, read: PriorFinding | None) -> PriorFinding | None:
        mine = self._priors.get(finding_id)
        if mine is not None and (read is None or mine.updated_at > read.updated_at):
            return mine
        return read


class SecurityHubFindings:
    """The findings this runtime reads and writes in Security Hub: its own (GetFindings, BatchImportFindings)
    and, to resolve them, AWS's native Patch Manager ones (GetFindings, BatchUpdateFindings)."""

    def __init__(
        self,
        client: Any,
        backoff: Backoff,
        product_arn: str,
        now: datetime | None = None,
        recent: RecentImports | None = None,
    ) -> None:
        self.client = client
        self.backoff = backoff
        self.product_arn = product_arn
        self.now = now
        self.recent = recent

    def carried_prior(self, finding_id: str, row: dict[str, Any]) -> PriorFinding | None:
        """A finding the sweep walked (carried_finding's row) as a PriorFinding, None when unreadable. It has
        no stored copy (raw): archiving a node that is gone reads the finding whole."""
        finding = {**row, "Id": finding_id, "ProductArn": self.product_arn, "GeneratorId": GENERATOR_ID}
        prior = parse_prior(finding, product_arn=self.product_arn, now=self.now)
        return None if prior is None else replace(prior, raw=None)

    def prior_findings(
        self, finding_ids: list[str], carried: dict[str, dict[str, Any] | None] | None = None
    ) -> dict[str, PriorFinding]:
        """The stored finding of each id, newest of Security Hub's read and this container's own imports.
        `carried`: what the sweep read moments before for some ids (carried_finding's row, or None for "no
        ACTIVE finding"): those are not read again, unless the row is unreadable."""
        priors: dict[str, PriorFinding] = {}
        ids = sorted(set(finding_ids))
        to_read: list[str] = []
        for finding_id in ids:
            if carried is not None and finding_id in carried:
                row = carried[finding_id]
                if row is None:  # the sweep walked every ACTIVE finding: this node had none
                    continue
                prior = self.carried_prior(finding_id, row)
                if prior is not None:
                    priors[finding_id] = prior
                    continue
            to_read.append(finding_id)
        for start in range(0, len(to_read), GET_FINDINGS_VALUES_PER_FILTER):
            chunk = to_read[start : start + GET_FINDINGS_VALUES_PER_FILTER]
            filters = {
                "ProductArn": [{"Value": self.product_arn, "Comparison": "EQUALS"}],
                "Id": [{"Value": value, "Comparison": "EQUALS"} for value in chunk],
            }
            for page in pages(
                self.backoff, self.client.get_findings, "GetFindings", Filters=filters, MaxResults=100
            ):
                for raw in page.get("Findings", []):
                    prior = parse_prior(raw, product_arn=self.product_arn, now=self.now)
                    if prior is not None:
                        priors[prior.finding_id] = prior
        if self.recent is not None:
            for finding_id in ids:
                newest = self.recent.newer_than(finding_id, priors.get(finding_id))
                if newest is not None:
                    priors[finding_id] = newest
        return priors

    def import_findings(self, findings: list[dict[str, Any]]) -> ImportResult:
        result = ImportResult()
        for chunk in chunk_findings(findings):
            self._import_chunk(chunk, result)
        if self.recent is not None:
            for finding in findings:
                if finding["Id"] in result.imported:
                    self.recent.remember(finding, self.product_arn)
        return result

    def _import_chunk(self, chunk: list[dict[str, Any]], result: ImportResult) -> None:
        """One BatchImportFindings call. A request refused as a whole (InvalidInputException) is split in
        two until the refused findings stand alone: at most 2n - 1 calls for n findings, and no new call
        once the invocation's deadline is near (the rest are then transient)."""
        ids = [f["Id"] for f in chunk]
        if result.calls and out_of_time(self.backoff):
            for finding_id in ids:
                result.transient[finding_id] = "import_deadline: the invocation's deadline is near"
            return
        result.calls += 1
        try:
            response = self.backoff.call(self.client.batch_import_findings, Findings=chunk)
        except Exception as exc:
            code = error_code(exc) or type(exc).__name__
            # Only a rejected request body is permanent; throttling, outages and access or hub-not-enabled
            # errors can be fixed by time or an operator, so those are retried (DLQ + redrive).
            if not is_transient(exc) and code == "InvalidInputException":
                if len(chunk) > 1:
                    middle = len(chunk) // 2
                    self._import_chunk(chunk[:middle], result)
                    self._import_chunk(chunk[middle:], result)
                    return
                result.permanent[ids[0]] = f"import_rejected: BatchImportFindings {code}: {str(exc)[:200]}"
                return
            for finding_id in ids:
                result.transient[finding_id] = f"import_failed_transient: BatchImportFindings failed: {code}"
            return
        entries = response.get("FailedFindings") or []
        failed = {f.get("Id"): f for f in entries if isinstance(f, dict)}
        failed_count = response.get("FailedCount")
        # FailedCount larger than the entries that name our findings: some failures are not attributed, so
        # no finding of the chunk that is not listed can be counted as imported.
        listed = sum(1 for finding_id in ids if finding_id in failed)
        unattributed = isinstance(failed_count, int) and failed_count > listed
        for finding_id in ids:
            failure = failed.get(finding_id)
            if failure is None:
                if unattributed:
                    result.transient[finding_id] = (
                        f"import_unconfirmed: FailedCount {failed_count} with {listed} FailedFindings entries"
                    )
                else:
                    result.imported.add(finding_id)
                continue
            code = str(failure.get("ErrorCode", ""))
            transient, reason_code = classify_failed_code(code)
            reason = f"{reason_code}: FailedFindings {code}: {str(failure.get('ErrorMessage', ''))[:200]}"
            target = result.transient if transient else result.permanent
            target[finding_id] = reason

    def resolve_native_findings(self, region: str, node_ids: list[str], note: str) -> int:
        """Set Workflow RESOLVED on AWS's own Patch Manager findings for nodes that are now compliant."""
        native_arn = f"arn:{self.product_arn.split(':')[1]}:securityhub:{region}::product/{NATIVE_PRODUCT}"
        identifiers: list[dict[str, str]] = []
        ids = sorted(set(node_ids))
        for start in range(0, len(ids), GET_FINDINGS_VALUES_PER_FILTER):
            filters = {
                "ProductArn": [{"Value": native_arn, "Comparison": "EQUALS"}],
                "ResourceId": [{"Value": v, "Comparison": "EQUALS"} for v in ids[start : start + 20]],
                "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
                "WorkflowStatus": [
                    {"Value": "NEW", "Comparison": "EQUALS"},
                    {"Value": "NOTIFIED", "Comparison": "EQUALS"},
                ],
            }
            for page in pages(
                self.backoff, self.client.get_findings, "GetFindings", Filters=filters, MaxResults=100
            ):
                identifiers.extend(
                    {"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in page.get("Findings", [])
                )
        for start in range(0, len(identifiers), 100):
            self.backoff.call(
                self.client.batch_update_findings,
                FindingIdentifiers=identifiers[start : start + 100],
                Workflow={"Status": "RESOLVED"},
                Note={"Text": note[:512], "UpdatedBy": "patch-securityhub"},
            )
        return len(identifiers)
