"""AWS Security Finding Format (ASFF): BatchImportFindings' checks; how stored findings are built and updated.

Sources: the Security Hub user guide's ASFF pages ("ASFF syntax", "Required top-level attributes in the ASFF",
"Optional top-level attributes in the ASFF", "Types taxonomy for ASFF"), "Using BatchImportFindings to create
and update findings" (https://docs.aws.amazon.com/securityhub/latest/userguide/
finding-update-batchimportfindings.html), the API Reference of BatchImportFindings, Severity and Workflow,
and botocore's model (securityhub/2018-10-26) for the enums. Validation messages mimic the service's
JSON-schema wording in FailedFindings ("Finding does not adhere to Amazon Finding Format. data.Title should
NOT be longer than 256 characters.").
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psh_localstack import clock

from .products import ProductArn, names_for
from .timestamps import now_iso, parse_ns

SCHEMA_VERSION = "2018-10-08"  # SchemaVersion: "the latest ... 2018-10-08" (required attributes)
MAX_FINDING_BYTES = 240 * 1024  # "The maximum allowed size for a finding is 240 Kb" (BatchImportFindings)
MAX_RESOURCES = 32  # Resources: "Maximum of 32 items" (required attributes)
MAX_TYPES = 50  # Types: "Maximum of 50 items" (required attributes)
MAX_MAP_ENTRIES = (
    50  # ProductFields, UserDefinedFields: "Maximum of 50 key-value pairs" (optional attributes)
)

# Enums of botocore's model: SeverityLabel, RecordState, ComplianceStatus, WorkflowStatus, WorkflowState,
# VerificationState, Partition; PatchSummary.Operation SCAN | INSTALL and RebootOption NoReboot |
# RebootIfNeeded (API Reference, PatchSummary).
SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
RECORD_STATES = ("ACTIVE", "ARCHIVED")
COMPLIANCE_STATUSES = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
WORKFLOW_STATES = ("NEW", "ASSIGNED", "IN_PROGRESS", "DEFERRED", "RESOLVED")
VERIFICATION_STATES = ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
PATCH_OPERATIONS = ("SCAN", "INSTALL")
REBOOT_OPTIONS = ("NoReboot", "RebootIfNeeded")
# The namespaces of the finding type taxonomy (user guide, "Types taxonomy for ASFF").
TYPE_NAMESPACES = (
    "Software and Configuration Checks",
    # Patch Manager's own findings use this spelling (AWS's documented sample finding); the service takes it.
    "Software & Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
)
PATCH_COUNTS = (
    "InstalledCount",
    "MissingCount",
    "FailedCount",
    "InstalledOtherCount",
    "InstalledRejectedCount",
    "InstalledPendingReboot",
)
# The required top-level attributes (user guide, "Required top-level attributes in the ASFF"); Severity and
# Types are required at the top level or under FindingProviderFields (see validate).
REQUIRED = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "CreatedAt",
    "UpdatedAt",
    "Title",
    "Description",
    "Resources",
)
# Fields customers own: "After a finding is created, BatchImportFindings cannot be used to update the
# following finding fields and objects ... Note, UserDefinedFields, VerificationState, Workflow"
# (API Reference, BatchImportFindings).
CUSTOMER_OWNED = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
# "Finding providers also should not use BatchImportFindings to update ... Confidence, Criticality,
# RelatedFindings, Severity, Types. Instead, finding providers use FindingProviderFields" (same page): a
# provider's value reaches the top level only while BatchUpdateFindings has not changed it (user guide,
# "FindingProviderFields").
PROVIDER_UNLESS_CUSTOMER = ("Confidence", "Criticality", "RelatedFindings", "Severity", "Types")

FORMAT_PREFIX = "Finding does not adhere to Amazon Finding Format. "
_ANY_OF_PROVIDER_FIELDS = (
    "data should have required property 'FindingProviderFields', data should match some schema in anyOf"
)


class InvalidFindingError(Exception):
    pass


def _fail(message: str) -> InvalidFindingError:
    return InvalidFindingError(FORMAT_PREFIX + message)


def label_for_normalized(normalized: int) -> str:
    """Severity.Normalized ranges: 0 INFORMATIONAL, 1-39 LOW, 40-69 MEDIUM, 70-89 HIGH, 90-100 CRITICAL (API
    Reference, Severity)."""
    if normalized <= 0:
        return "INFORMATIONAL"
    if normalized < 40:
        return "LOW"
    if normalized < 70:
        return "MEDIUM"
    if normalized < 90:
        return "HIGH"
    return "CRITICAL"


# "If you provide Label and don't provide Normalized, then Normalized is set automatically": INFORMATIONAL 0,
# LOW 1, MEDIUM 40, HIGH 70, CRITICAL 90 (API Reference, Severity).
NORMALIZED_FOR_LABEL = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


# --- validation ---------------------------------------------------------------------------------------------


def _string(value: Any, path: str, max_len: int | None = None, required: bool = False) -> None:
    if value is None:
        if required:
            raise _fail(f"data should have required property '{path.rsplit('.', 1)[-1]}'")
        return
    if not isinstance(value, str):
        raise _fail(f"data.{path} should be string")
    if not value:
        raise _fail(f"data.{path} should NOT be shorter than 1 characters")
    if max_len is not None and len(value) > max_len:
        raise _fail(f"data.{path} should NOT be longer than {max_len} characters")


def _enum(value: Any, path: str, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise _fail(f"data.{path} should be equal to one of the allowed values: {', '.join(allowed)}")


def _timestamp(value: Any, path: str) -> None:
    if value is not None and parse_ns(value) is None:
        raise _fail(f'data.{path} should match format "date-time"')


def _integer(value: Any, path: str, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"data.{path} should be integer")
    if value < low:
        raise _fail(f"data.{path} should be >= {low}")
    if value > high:
        raise _fail(f"data.{path} should be <= {high}")


def _string_map(value: Any, path: str, key_len: int = 128, value_len: int = 2048) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _fail(f"data.{path} should be object")
    if len(value) > MAX_MAP_ENTRIES:
        raise _fail(f"data.{path} should NOT have more than {MAX_MAP_ENTRIES} properties")
    for key, item in value.items():
        if not key or len(key) > key_len:
            raise _fail(f"data.{path} property name '{key}' is invalid")
        _string(item, f"{path}['{key}']", value_len)


def _severity(value: Any, path: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _fail(f"data.{path} should be object")
    _enum(value.get("Label"), f"{path}.Label", SEVERITY_LABELS)
    _integer(value.get("Normalized"), f"{path}.Normalized", 0, 100)
    _string(value.get("Original"), f"{path}.Original", 256)
    if path == "Severity" and value.get("Label") is None and value.get("Normalized") is None:
        raise _fail("data.Severity should have required property 'Label'")


def _types(value: Any, path: str) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        raise _fail(f"data.{path} should NOT have fewer than 1 items")
    if len(value) > MAX_TYPES:
        raise _fail(f"data.{path} should NOT have more than {MAX_TYPES} items")
    for index, item in enumerate(value):
        _string(item, f"{path}[{index}]", 128)
        if item.split("/", 1)[0] not in TYPE_NAMESPACES:
            raise _fail(f"data.{path}[{index}] should match pattern of a valid finding type namespace")


def validate(finding: Any) -> None:
    """Raise InvalidFindingError with the service's message if `finding` breaks the format."""
    if not isinstance(finding, dict):
        raise _fail("data should be object")
    for name in REQUIRED:
        if finding.get(name) is None:
            raise _fail(f"data should have required property '{name}'")
    fpf = finding.get("FindingProviderFields")
    if fpf is not None and not isinstance(fpf, dict):
        raise _fail("data.FindingProviderFields should be object")
    fpf = fpf or {}
    if finding.get("Severity") is None and fpf.get("Severity") is None:
        raise _fail(_ANY_OF_PROVIDER_FIELDS)
    if finding.get("Types") is None and fpf.get("Types") is None:
        raise _fail(_ANY_OF_PROVIDER_FIELDS)

    if finding["SchemaVersion"] != SCHEMA_VERSION:
        raise _fail(f"data.SchemaVersion should be equal to one of the allowed values: {SCHEMA_VERSION}")
    _string(finding["Id"], "Id", 512)
    _string(finding["ProductArn"], "ProductArn", 2048)
    _string(finding["GeneratorId"], "GeneratorId", 512)
    account = finding["AwsAccountId"]
    if not isinstance(account, str) or len(account) != 12 or not account.isdigit():
        raise _fail('data.AwsAccountId should match pattern "^[0-9]{12}$"')
    _string(finding["Title"], "Title", 256)
    _string(finding["Description"], "Description", 1024)
    _string(finding.get("SourceUrl"), "SourceUrl", 2048)
    for name in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        _timestamp(finding.get(name), name)
    _severity(finding.get("Severity"), "Severity")
    _severity(fpf.get("Severity"), "FindingProviderFields.Severity")
    _types(finding.get("Types"), "Types")
    _types(fpf.get("Types"), "FindingProviderFields.Types")
    for name in ("Confidence", "Criticality"):
        _integer(finding.get(name), name, 0, 100)
        _integer(fpf.get(name), f"FindingProviderFields.{name}", 0, 100)
    _enum(finding.get("RecordState"), "RecordState", RECORD_STATES)
    _enum(finding.get("VerificationState"), "VerificationState", VERIFICATION_STATES)
    _enum(finding.get("WorkflowState"), "WorkflowState", WORKFLOW_STATES)
    workflow = finding.get("Workflow")
    if workflow is not None:
        if not isinstance(workflow, dict):
            raise _fail("data.Workflow should be object")
        _enum(workflow.get("Status"), "Workflow.Status", WORKFLOW_STATUSES)
    compliance = finding.get("Compliance")
    if compliance is not None:
        if not isinstance(compliance, dict):
            raise _fail("data.Compliance should be object")
        _enum(compliance.get("Status"), "Compliance.Status", COMPLIANCE_STATUSES)
    _string_map(finding.get("ProductFields"), "ProductFields")
    _string_map(finding.get("UserDefinedFields"), "UserDefinedFields")
    _validate_resources(finding["Resources"])
    _validate_note(finding.get("Note"))
    _validate_patch_summary(finding.get("PatchSummary"))
    remediation = finding.get("Remediation")
    if isinstance(remediation, dict) and isinstance(remediation.get("Recommendation"), dict):
        _string(remediation["Recommendation"].get("Text"), "Remediation.Recommendation.Text", 512)
        _string(remediation["Recommendation"].get("Url"), "Remediation.Recommendation.Url", 2048)
    if len(json.dumps(finding, separators=(",", ":")).encode()) > MAX_FINDING_BYTES:
        raise _fail("Finding size exceeds the maximum allowed size of 240 KB")


def _validate_resources(resources: Any) -> None:
    if not isinstance(resources, list) or not resources:
        raise _fail("data.Resources should NOT have fewer than 1 items")
    if len(resources) > MAX_RESOURCES:
        raise _fail(f"data.Resources should NOT have more than {MAX_RESOURCES} items")
    for index, resource in enumerate(resources):
        path = f"Resources[{index}]"
        if not isinstance(resource, dict):
            raise _fail(f"data.{path} should be object")
        _string(resource.get("Type"), f"{path}.Type", 256, required=True)
        _string(resource.get("Id"), f"{path}.Id", 512, required=True)
        _enum(resource.get("Partition"), f"{path}.Partition", PARTITIONS)
        _string(resource.get("Region"), f"{path}.Region", 16)
        _string_map(resource.get("Tags"), f"{path}.Tags", 128, 256)


def _validate_note(note: Any) -> None:
    if note is None:
        return
    if not isinstance(note, dict):
        raise _fail("data.Note should be object")
    _string(note.get("Text"), "Note.Text", 512, required=True)
    _string(note.get("UpdatedBy"), "Note.UpdatedBy", 512, required=True)
    if note.get("UpdatedAt") is None:
        raise _fail("data.Note should have required property 'UpdatedAt'")
    _timestamp(note.get("UpdatedAt"), "Note.UpdatedAt")


def _validate_patch_summary(summary: Any) -> None:
    if summary is None:
        return
    if not isinstance(summary, dict):
        raise _fail("data.PatchSummary should be object")
    _string(summary.get("Id"), "PatchSummary.Id", 256, required=True)
    for name in PATCH_COUNTS:
        _integer(summary.get(name), f"PatchSummary.{name}", 0, 100_000)
    _timestamp(summary.get("OperationStartTime"), "PatchSummary.OperationStartTime")
    _timestamp(summary.get("OperationEndTime"), "PatchSummary.OperationEndTime")
    _enum(summary.get("Operation"), "PatchSummary.Operation", PATCH_OPERATIONS)
    _enum(summary.get("RebootOption"), "PatchSummary.RebootOption", REBOOT_OPTIONS)


# --- stored findings ----------------------------------------------------------------------------------------


@dataclass
class StoredFinding:
    finding: dict[str, Any]
    # Fields BatchUpdateFindings changed; BatchImportFindings then leaves their top-level values alone.
    customer_changed: set[str] = field(default_factory=set)
    sequence: int = 0
    # The emulator clock's time of the last accepted update, from which retention.py counts.
    last_update: datetime = field(default_factory=clock.now)
    # When the current version was written (host monotonic clock), and the earlier versions a lagging
    # GetFindings may still answer, oldest first (version_as_of).
    written_at: float = field(default_factory=time.monotonic)
    history: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    @property
    def updated_at_ns(self) -> int:
        return parse_ns(self.finding["UpdatedAt"]) or 0

    def write(self, finding: dict[str, Any]) -> None:
        """Make `finding` the current version (an accepted update). The previous version is kept, not
        copied: writers build a new dict and never change a stored version in place."""
        written_at = time.monotonic()
        self.history.append((self.written_at, self.finding))
        self.finding = finding
        self.written_at = written_at
        self.last_update = clock.now()
        drop_unreachable_versions(self, written_at)


# The longest read lag a switch may set (traffic.MAX_READ_LAG_SECONDS): no GetFindings looks further back.
MAX_READ_LAG_SECONDS = 600.0


def drop_unreachable_versions(stored: StoredFinding, now: float) -> None:
    """Forget the versions no read within MAX_READ_LAG_SECONDS can see: a version whose successor was
    written at or before now - MAX_READ_LAG_SECONDS."""
    horizon = now - MAX_READ_LAG_SECONDS
    history = stored.history
    while history:
        successor_written_at = history[1][0] if len(history) > 1 else stored.written_at
        if successor_written_at > horizon:
            break
        history.pop(0)


def version_as_of(stored: StoredFinding, cutoff: float) -> dict[str, Any] | None:
    """The version that was current at host time `cutoff` (monotonic), None if the finding did not exist
    yet (or its versions of then are no longer kept)."""
    if stored.written_at <= cutoff:
        return stored.finding
    for written_at, version in reversed(stored.history):
        if written_at <= cutoff:
            return version
    return None


def _complete_severity(severity: dict[str, Any]) -> dict[str, Any]:
    severity = dict(severity)
    label, normalized = severity.get("Label"), severity.get("Normalized")
    if label is None and normalized is not None:
        severity["Label"] = label_for_normalized(int(normalized))
    elif label is not None and normalized is None:
        severity["Normalized"] = NORMALIZED_FOR_LABEL[label]
    return severity


def _sync_provider_fields(finding: dict[str, Any], fpf: dict[str, Any]) -> None:
    """Providers may send a value at the top level or under FindingProviderFields; Security Hub fills both
    (user guide, "FindingProviderFields": on a new finding, a value given in only one place is copied to the
    other). FindingProviderFields.Severity keeps Label and Original (API Reference,
    FindingProviderSeverity)."""
    for name in PROVIDER_UNLESS_CUSTOMER:
        top, nested = finding.get(name), fpf.get(name)
        if top is None and nested is not None:
            finding[name] = copy.deepcopy(nested)
        elif nested is None and top is not None:
            fpf[name] = copy.deepcopy(top)
    if "Severity" in fpf:
        fpf["Severity"] = {k: v for k, v in fpf["Severity"].items() if k in ("Label", "Original")}
        if "Label" not in fpf["Severity"] and "Severity" in finding:
            fpf["Severity"]["Label"] = _complete_severity(finding["Severity"])["Label"]
    finding["FindingProviderFields"] = fpf


def _service_fields(finding: dict[str, Any], product: ProductArn, region: str) -> None:
    """The attributes Security Hub populates itself: ProductName and CompanyName ("Security Hub populates this
    attribute automatically for each finding ... The exception to this is when you use a custom
    integration"), Region, ProductFields under the reserved aws/ prefix, ProcessedAt (user guide, optional
    top-level attributes)."""
    product_name, company_name = names_for(product)
    if not (product.is_custom and finding.get("ProductName")):
        finding["ProductName"] = product_name
    if not (product.is_custom and finding.get("CompanyName")):
        finding["CompanyName"] = company_name
    finding["Region"] = region
    fields = dict(finding.get("ProductFields") or {})
    # The aws/ namespace is reserved: whatever a provider put there is replaced.
    fields = {k: v for k, v in fields.items() if not k.startswith("aws/")}
    fields["aws/securityhub/FindingId"] = f"{finding['ProductArn']}/{finding['Id']}"
    fields["aws/securityhub/ProductName"] = product_name
    fields["aws/securityhub/CompanyName"] = company_name
    finding["ProductFields"] = fields
    finding["ProcessedAt"] = now_iso()
    if "Severity" in finding:
        finding["Severity"] = _complete_severity(finding["Severity"])


def create(incoming: dict[str, Any], product: ProductArn, region: str, sequence: int) -> StoredFinding:
    """A new finding: Workflow.Status NEW and RecordState ACTIVE unless the provider set them (API Reference,
    Workflow; ASFF RecordState)."""
    finding = copy.deepcopy(incoming)
    _sync_provider_fields(finding, dict(finding.get("FindingProviderFields") or {}))
    workflow_status = (finding.get("Workflow") or {}).get("Status", "NEW")
    finding["Workflow"] = {"Status": workflow_status}
    finding.setdefault("WorkflowState", "NEW")
    finding.setdefault("RecordState", "ACTIVE")
    _service_fields(finding, product, region)
    return StoredFinding(finding, set(), sequence)


def _workflow_reopens(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether an update reopens the workflow: "Security Hub also resets the workflow status from NOTIFIED or
    RESOLVED to NEW in the following cases: RecordState changes from ARCHIVED to ACTIVE. ComplianceStatus
    changes from PASSED to either WARNING, FAILED, or NOT_AVAILABLE." (API Reference, Workflow)"""
    unarchived = old.get("RecordState") == "ARCHIVED" and new.get("RecordState") == "ACTIVE"
    old_compliance = (old.get("Compliance") or {}).get("Status")
    new_compliance = (new.get("Compliance") or {}).get("Status")
    compliance_regressed = old_compliance == "PASSED" and new_compliance in (
        "WARNING",
        "FAILED",
        "NOT_AVAILABLE",
    )
    return unarchived or compliance_regressed


def apply_update(stored: StoredFinding, incoming: dict[str, Any], product: ProductArn, region: str) -> bool:
    """Apply a provider's re-import. Returns False when it is ignored: an update whose UpdatedAt is the same
    as or earlier than the stored one (user guide, "Using BatchImportFindings to create and update findings").

    Every other field is stored as the provider sends it, CreatedAt included: the same page names only Note,
    UserDefinedFields, VerificationState and Workflow as restricted on update ("For an existing finding,
    finding providers cannot use BatchImportFindings to update the following fields and objects ... Any
    content in those fields and objects is ignored."), and Confidence, Criticality, RelatedFindings,
    Severity, Types once BatchUpdateFindings changed them."""
    if (parse_ns(incoming["UpdatedAt"]) or 0) <= stored.updated_at_ns:
        return False
    old = stored.finding
    finding = copy.deepcopy(incoming)
    fpf = dict(finding.get("FindingProviderFields") or {})
    for name in PROVIDER_UNLESS_CUSTOMER:
        if name in stored.customer_changed:
            finding[name] = copy.deepcopy(old.get(name))
        elif finding.get(name) is None and fpf.get(name) is not None:
            finding[name] = copy.deepcopy(fpf[name])
        elif finding.get(name) is None and old.get(name) is not None:
            finding[name] = copy.deepcopy(old[name])
        if finding.get(name) is None:
            finding.pop(name, None)
    merged_fpf = dict(old.get("FindingProviderFields") or {})
    merged_fpf.update(fpf)
    _sync_provider_fields(finding, merged_fpf)
    for name in CUSTOMER_OWNED:
        if name in old:
            finding[name] = copy.deepcopy(old[name])
        else:
            finding.pop(name, None)
    finding.setdefault("RecordState", old.get("RecordState", "ACTIVE"))
    finding["WorkflowState"] = old.get("WorkflowState", "NEW")
    if finding["Workflow"].get("Status") in ("NOTIFIED", "RESOLVED") and _workflow_reopens(old, finding):
        finding["Workflow"] = {"Status": "NEW"}
    _service_fields(finding, product, region)
    stored.write(finding)
    return True
