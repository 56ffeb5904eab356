"""psh_localstack.securityhub retention and finding versions without LocalStack: which findings the 90 / 30
day retention deletes, and which version a lagging GetFindings reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psh_localstack import clock
from psh_localstack.securityhub import asff
from psh_localstack.securityhub.retention import expired, purge_expired

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def stored(record_state: str = "ACTIVE", last_update: datetime = T0) -> asff.StoredFinding:
    return asff.StoredFinding({"Id": "f", "RecordState": record_state}, last_update=last_update)


@pytest.fixture(autouse=True)
def _clock_back() -> object:
    yield
    clock.reset()


@pytest.mark.parametrize(
    ("record_state", "days_kept"),
    [("ACTIVE", 90), ("ARCHIVED", 30)],
)
def test_a_finding_expires_after_its_record_states_retention(record_state: str, days_kept: int) -> None:
    finding = stored(record_state)
    assert not expired(finding, T0 + timedelta(days=days_kept) - timedelta(seconds=1))
    assert expired(finding, T0 + timedelta(days=days_kept))


def test_purge_deletes_only_the_expired_findings() -> None:
    findings = {
        ("p", "old"): stored(last_update=T0),
        ("p", "renewed"): stored(last_update=T0 + timedelta(days=60)),
        ("p", "archived"): stored("ARCHIVED", last_update=T0 + timedelta(days=60)),
    }
    assert purge_expired(findings, T0 + timedelta(days=91)) == 2
    assert list(findings) == [("p", "renewed")]


def test_purge_reads_the_emulator_clock_and_write_renews_retention() -> None:
    finding = asff.StoredFinding({"Id": "f", "RecordState": "ACTIVE", "Title": "v1"})
    findings = {("p", "f"): finding}
    clock.advance(60 * 86400)
    finding.write({"Id": "f", "RecordState": "ACTIVE", "Title": "v2"})
    clock.advance(31 * 86400)
    assert purge_expired(findings) == 0
    clock.advance(60 * 86400)
    assert purge_expired(findings) == 1 and findings == {}


def test_a_lagging_read_sees_the_version_of_then() -> None:
    finding = asff.StoredFinding({"Title": "v1"}, written_at=100.0)
    assert asff.version_as_of(finding, 99.9) is None  # not created yet
    finding.history.append((100.0, finding.finding))
    finding.finding, finding.written_at = {"Title": "v2"}, 105.0
    assert asff.version_as_of(finding, 104.9) == {"Title": "v1"}
    assert asff.version_as_of(finding, 105.0) == {"Title": "v2"}


def test_versions_beyond_the_longest_lag_are_dropped() -> None:
    finding = asff.StoredFinding({"Title": "v1"}, written_at=0.0)
    finding.history = [(0.0, {"Title": "v0"})]
    finding.written_at = 10.0
    asff.drop_unreachable_versions(finding, 10.0 + asff.MAX_READ_LAG_SECONDS - 1)
    assert len(finding.history) == 1  # v0 is still what a read 600 s back sees
    asff.drop_unreachable_versions(finding, 10.0 + asff.MAX_READ_LAG_SECONDS)
    assert finding.history == []
    assert asff.version_as_of(finding, 10.0) == {"Title": "v1"}


def test_write_keeps_the_previous_version() -> None:
    finding = asff.StoredFinding({"Title": "v1"})
    first_written = finding.written_at
    finding.write({"Title": "v2"})
    assert finding.history == [(first_written, {"Title": "v1"})]
    assert asff.version_as_of(finding, first_written) == {"Title": "v1"}
    assert asff.version_as_of(finding, finding.written_at) == {"Title": "v2"}
