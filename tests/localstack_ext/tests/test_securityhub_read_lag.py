"""Security Hub emulation: the read lag switch (`read_lag_seconds` on /_psh/securityhub/behaviour).

Security Hub's reads are eventually consistent: a BatchUpdateFindings update "can take several minutes" (user
guide, "BatchUpdateFindings for customers") and GetFindings "can return old finding versions"
(prowler-cloud/prowler#684). With lag L, GetFindings answers each finding as it was L seconds ago; writes
apply at once. The switch is process-wide: every test here resets it (`lag_off`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from localaws_helpers import Account, eventually
from psh_localstack.client import ControlError
from psh_localstack.client import securityhub as shc

LAG_S = 2


@pytest.fixture(autouse=True)
def lag_off(endpoint: str) -> Iterator[None]:
    yield
    shc.reset_behaviour(endpoint)


def _import(account: Account, *findings: dict) -> None:
    response = account.client.batch_import_findings(Findings=list(findings))
    assert response["FailedCount"] == 0, response


def _found(account: Account, finding_id: str) -> list[dict]:
    filters = {"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}
    return account.client.get_findings(Filters=filters)["Findings"]


def _title(account: Account, finding_id: str) -> str | None:
    found = _found(account, finding_id)
    return found[0]["Title"] if found else None


def test_the_switch_is_in_the_status_and_validated(endpoint: str) -> None:
    assert shc.status(endpoint)["behaviour"]["read_lag_seconds"] == 0
    assert shc.set_read_lag(endpoint, 1.5)["behaviour"]["read_lag_seconds"] == 1.5
    assert shc.read_lag(endpoint) == 1.5
    for wrong in (-1, 601, "2"):
        with pytest.raises(ControlError) as caught:
            shc.set_read_lag(endpoint, wrong)  # type: ignore[arg-type]
        assert caught.value.status == 400
    assert shc.reset_behaviour(endpoint)["behaviour"]["read_lag_seconds"] == 0


def test_a_new_finding_is_invisible_until_the_lag_has_passed(hub: Account, endpoint: str) -> None:
    shc.set_read_lag(endpoint, LAG_S)
    _import(hub, hub.finding("new"))
    assert _found(hub, "new") == []
    assert hub.get_all() == []
    assert eventually(lambda: len(_found(hub, "new")) == 1, timeout_s=LAG_S + 5, interval_s=0.1)


def test_an_import_update_answers_the_previous_version_until_the_lag_has_passed(
    hub: Account, endpoint: str
) -> None:
    shc.set_read_lag(endpoint, LAG_S)
    _import(hub, hub.finding("u", Title="first"))
    assert eventually(lambda: _title(hub, "u") == "first", timeout_s=LAG_S + 5, interval_s=0.1)
    _import(hub, hub.finding("u", Title="second", UpdatedAt="2026-01-02T00:00:00Z"))
    assert _title(hub, "u") == "first"
    # Filters see the version of then: the new title is not found yet.
    by_title = {"Title": [{"Value": "second", "Comparison": "EQUALS"}]}
    assert hub.client.get_findings(Filters=by_title)["Findings"] == []
    assert eventually(lambda: _title(hub, "u") == "second", timeout_s=LAG_S + 5, interval_s=0.1)


def test_a_batch_update_answers_the_previous_version_until_the_lag_has_passed(
    hub: Account, endpoint: str
) -> None:
    shc.set_read_lag(endpoint, LAG_S)
    _import(hub, hub.finding("w"))
    assert eventually(lambda: len(_found(hub, "w")) == 1, timeout_s=LAG_S + 5, interval_s=0.1)
    response = hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "w", "ProductArn": hub.product_arn}], Workflow={"Status": "NOTIFIED"}
    )
    assert response["UnprocessedFindings"] == []
    assert _found(hub, "w")[0]["Workflow"]["Status"] == "NEW"
    assert eventually(
        lambda: _found(hub, "w")[0]["Workflow"]["Status"] == "NOTIFIED", timeout_s=LAG_S + 5, interval_s=0.1
    )


def test_writes_apply_to_the_stored_finding_at_once(hub: Account, endpoint: str) -> None:
    shc.set_read_lag(endpoint, LAG_S)
    _import(hub, hub.finding("s", Title="first", UpdatedAt="2026-01-02T00:00:00Z"))
    # Not yet visible, but stored: BatchUpdateFindings finds it ...
    response = hub.client.batch_update_findings(
        FindingIdentifiers=[{"Id": "s", "ProductArn": hub.product_arn}], Note={"Text": "n", "UpdatedBy": "me"}
    )
    assert response["UnprocessedFindings"] == []
    # ... and the UpdatedAt rule compares with the stored finding, not the one a read answers.
    _import(hub, hub.finding("s", Title="stale", UpdatedAt="2026-01-01T12:00:00Z"))
    assert _found(hub, "s") == []

    def noted() -> bool:
        found = _found(hub, "s")
        return bool(found) and "Note" in found[0]

    assert eventually(noted, timeout_s=LAG_S + 5, interval_s=0.1)
    seen = _found(hub, "s")[0]
    assert seen["Title"] == "first" and seen["Note"]["Text"] == "n"


def test_lag_0_reads_every_write_at_once(hub: Account, endpoint: str) -> None:
    _import(hub, hub.finding("z", Title="first"))
    assert _title(hub, "z") == "first"
    _import(hub, hub.finding("z", Title="second", UpdatedAt="2026-01-02T00:00:00Z"))
    assert _title(hub, "z") == "second"
