"""Security Hub I/O: read prior findings, import in bounded chunks, resolve native findings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import PriorFinding
from .retry import Backoff, error_code, is_transient
from .timeutil import as_datetime

MAX_FINDINGS_PER_IMPORT = 100
MAX_IMPORT_BYTES = 6 * 1024 * 1024 - 64 * 1024  # leave room for the request envelope
GET_FINDINGS_VALUES_PER_FILTER = 20
NATIVE_PRODUCT = "aws/ssm-patch-manager"
_PERMANENT_IMPORT_CODES = ("Invalid", "Validation", "Malformed")


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


def parse_prior(finding: dict[str, Any]) -> PriorFinding | None:
    try:
        summary = finding.get("PatchSummary") or {}
        end = summary.get("OperationEndTime")
        return PriorFinding(
            finding_id=finding["Id"],
            created_at=as_datetime(finding["CreatedAt"]),
            updated_at=as_datetime(finding["UpdatedAt"]),
            record_state=str(finding.get("RecordState", "ACTIVE")),
            compliance_status=(finding.get("Compliance") or {}).get("Status"),
            operation_end=as_datetime(end) if end else None,
        )
    except (KeyError, ValueError, TypeError):
        return None  # an unreadable prior is treated as absent: the new import still carries fresh data


class SecurityHubFindings:
    """The findings this runtime reads and writes in Security Hub: its own (GetFindings, BatchImportFindings)
    and, to resolve them, AWS's native Patch Manager ones (GetFindings, BatchUpdateFindings)."""

    def __init__(self, client: Any, backoff: Backoff, product_arn: str) -> None:
        self.client = client
        self.backoff = backoff
        self.product_arn = product_arn

    def prior_findings(self, finding_ids: list[str]) -> dict[str, PriorFinding]:
        priors: dict[str, PriorFinding] = {}
        ids = sorted(set(finding_ids))
        for start in range(0, len(ids), GET_FINDINGS_VALUES_PER_FILTER):
            chunk = ids[start : start + GET_FINDINGS_VALUES_PER_FILTER]
            filters = {
                "ProductArn": [{"Value": self.product_arn, "Comparison": "EQUALS"}],
                "Id": [{"Value": value, "Comparison": "EQUALS"} for value in chunk],
            }
            token: str | None = None
            while True:
                params: dict[str, Any] = {"Filters": filters, "MaxResults": 100}
                if token:
                    params["NextToken"] = token
                page = self.backoff.call(self.client.get_findings, **params)
                for raw in page.get("Findings", []):
                    prior = parse_prior(raw)
                    if prior is not None:
                        priors[prior.finding_id] = prior
                token = page.get("NextToken")
                if not token or not page.get("Findings"):
                    break
        return priors

    def import_findings(self, findings: list[dict[str, Any]]) -> ImportResult:
        result = ImportResult()
        for chunk in chunk_findings(findings):
            ids = [f["Id"] for f in chunk]
            result.calls += 1
            try:
                response = self.backoff.call(self.client.batch_import_findings, Findings=chunk)
            except Exception as exc:
                reason = f"BatchImportFindings failed: {error_code(exc) or type(exc).__name__}"
                # Only a rejected request body is permanent; throttling, outages and access or hub-not-enabled
                # errors can be fixed by time or an operator, so those are retried (DLQ + redrive).
                permanent = not is_transient(exc) and error_code(exc) == "InvalidInputException"
                target = result.permanent if permanent else result.transient
                for finding_id in ids:
                    target[finding_id] = reason
                continue
            failed = {f.get("Id"): f for f in response.get("FailedFindings", [])}
            for finding_id in ids:
                failure = failed.get(finding_id)
                if failure is None:
                    result.imported.add(finding_id)
                    continue
                code = str(failure.get("ErrorCode", ""))
                reason = f"FailedFindings {code}: {str(failure.get('ErrorMessage', ''))[:200]}"
                if any(code.startswith(prefix) for prefix in _PERMANENT_IMPORT_CODES):
                    result.permanent[finding_id] = reason
                else:
                    result.transient[finding_id] = reason
        return result

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
            token: str | None = None
            while True:
                params: dict[str, Any] = {"Filters": filters, "MaxResults": 100}
                if token:
                    params["NextToken"] = token
                page = self.backoff.call(self.client.get_findings, **params)
                identifiers.extend(
                    {"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in page.get("Findings", [])
                )
                token = page.get("NextToken")
                if not token or not page.get("Findings"):
                    break
        for start in range(0, len(identifiers), 100):
            self.backoff.call(
                self.client.batch_update_findings,
                FindingIdentifiers=identifiers[start : start + 100],
                Workflow={"Status": "RESOLVED"},
                Note={"Text": note[:512], "UpdatedBy": "patch-securityhub"},
            )
        return len(identifiers)
