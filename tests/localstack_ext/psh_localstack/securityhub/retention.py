"""Finding retention: Security Hub deletes the findings that were not updated recently.

"To reduce finding noise and streamline tracking and analysis of individual findings, Security Hub CSPM
automatically deletes findings that haven't been updated recently. The timing with which Security Hub CSPM
does this depends on whether a finding is active or archived: An active finding is a finding whose record
state (RecordState) is ACTIVE ..." (user guide, "Creating and updating findings in Security Hub CSPM",
https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings.html). The periods are those
of "Effect of account actions on Security Hub CSPM data": "Existing archived findings are deleted after 30
days. Existing active findings are deleted after 90 days."
(https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-data-retention.html). The older
guide's single rule ("Security Hub automatically deletes findings that weren't updated in the past 90 days")
is the ACTIVE case.

The retention clock is the emulator's clock (psh_localstack.clock), so tests can move it 90 days on. It
counts from the last update Security Hub accepted (a BatchImportFindings create or newer update, a
BatchUpdateFindings change: StoredFinding.last_update), not from the provider's UpdatedAt value, which a
provider may set to any time. Deleting at the first request that touches the account's findings, rather
than on a schedule, is the emulator's choice: AWS documents no deletion time within the day.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta

from psh_localstack import clock

from .asff import StoredFinding

ACTIVE_RETENTION = timedelta(days=90)
ARCHIVED_RETENTION = timedelta(days=30)


def retention_for(stored: StoredFinding) -> timedelta:
    archived = stored.finding.get("RecordState") == "ARCHIVED"
    return ARCHIVED_RETENTION if archived else ACTIVE_RETENTION


def expired(stored: StoredFinding, now: datetime) -> bool:
    return now - stored.last_update >= retention_for(stored)


def purge_expired(
    findings: MutableMapping[tuple[str, str], StoredFinding], now: datetime | None = None
) -> int:
    """Delete the findings past their retention (at the emulator clock's now); how many were deleted."""
    now = clock.now() if now is None else now
    gone = [key for key, stored in findings.items() if expired(stored, now)]
    for key in gone:
        del findings[key]
    return len(gone)
