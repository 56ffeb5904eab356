"""Security Hub emulation: finding retention on the emulator clock (psh_localstack.clock).

Security Hub deletes active findings not updated for 90 days and archived ones not updated for 30 days (user
guide, "Creating and updating findings in Security Hub CSPM"; "Effect of account actions on Security Hub CSPM
data"). The clock is process-wide: every test here moves it back (`clock_back`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from localaws_helpers import Account
from psh_localstack.client import clock

DAY = 86_400


@pytest.fixture(autouse=True)
def clock_back(endpoint: str) -> Iterator[None]:
    clock.reset(endpoint)
    yield
    clock.reset(endpoint)


def _import(account: Account, *findings: dict) -> dict:
    response = account.client.batch_import_findings(Findings=list(findings))
    assert response["FailedCount"] == 0, response
    return response


def _ids(account: Account) -> set[str]:
    return {f["Id"] for f in account.get_all()}


def test_an_untouched_finding_is_gone_after_90_days_a_reimported_one_stays(
    hub: Account, endpoint: str
) -> None:
    _import(hub, hub.finding("untouched"), hub.finding("reimported"))
    clock.advance(endpoint, 60 * DAY)
    assert _ids(hub) == {"untouched", "reimported"}
    _import(hub, hub.finding("reimported", UpdatedAt="2026-03-02T00:00:00Z"))
    clock.advance(endpoint, 31 * DAY)  # day 91
    assert _ids(hub) == {"reimported"}
    clock.advance(endpoint, 60 * DAY)  # day 151: 91 days after the re-import
    assert _ids(hub) == set()


def test_a_finding_is_kept_until_the_90th_day(hub: Account, endpoint: str) -> None:
    _import(hub, hub.finding("f"))
    clock.advance(endpoint, 90 * DAY - 60)
    assert _ids(hub) == {"f"}
    clock.advance(endpoint, 60)
    assert _ids(hub) == set()


def test_archived_findings_are_kept_30_days(hub: Account, endpoint: str) -> None:
    _import(hub, hub.finding("archived", RecordState="ARCHIVED"), hub.finding("active"))
    clock.advance(endpoint, 29 * DAY)
    assert _ids(hub) == {"archived", "active"}
    clock.advance(endpoint, 2 * DAY)
    assert _ids(hub) == {"active"}


def test_an_ignored_update_does_not_renew_retention(hub: Account, endpoint: str) -> None:
    _import(hub, hub.finding("f", UpdatedAt="2026-01-02T00:00:00Z"))
    clock.advance(endpoint, 60 * DAY)
    _import(hub, hub.finding("f", UpdatedAt="2026-01-02T00:00:00Z", Title="same UpdatedAt"))
    clock.advance(endpoint, 31 * DAY)
    assert _ids(hub) == set()


def test_batch_update_findings_renews_retention(hub: Account, endpoint: str) -> None:
    _import(hub, hub.finding("f"))
    clock.advance(endpoint, 60 * DAY)
    response = hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "f", "ProductArn": hub.product_arn}], Workflow={"Status": "NOTIFIED"}
    )
    assert response["UnprocessedFindings"] == []
    clock.advance(endpoint, 31 * DAY)
    assert _ids(hub) == {"f"}


def test_an_expired_finding_is_not_found_by_writes_and_is_created_anew(hub: Account, endpoint: str) -> None:
    _import(hub, hub.finding("f", Workflow={"Status": "NOTIFIED"}))
    clock.advance(endpoint, 91 * DAY)
    response = hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "f", "ProductArn": hub.product_arn}], Workflow={"Status": "RESOLVED"}
    )
    assert [u["ErrorCode"] for u in response["UnprocessedFindings"]] == ["FindingNotFound"]
    # The same UpdatedAt as the deleted finding's: a create, not an ignored update.
    _import(hub, hub.finding("f", Title="again"))
    again = hub.get_one("f")
    assert again["Title"] == "again" and again["Workflow"]["Status"] == "NEW"
