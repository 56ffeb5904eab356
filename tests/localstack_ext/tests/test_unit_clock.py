"""The clock of AWS's own timers (psh_localstack.clock): only forward, bounded, reset to the host's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psh_localstack import clock


@pytest.fixture(autouse=True)
def host_clock():
    clock.reset()
    yield
    clock.reset()


def test_advance_moves_the_timers_forward_and_reset_brings_them_back() -> None:
    moved = clock.advance(91 * 86400)
    assert moved - datetime.now(UTC) > timedelta(days=90, hours=23)
    assert clock.offset_seconds() == 91 * 86400
    assert clock.snapshot()["offset_seconds"] == 91 * 86400
    clock.reset()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


@pytest.mark.parametrize("seconds", [0, -1, True, "60", None, 3651 * 86400])
def test_the_clock_never_goes_back_nor_leaps_beyond_ten_years(seconds: object) -> None:
    with pytest.raises(ValueError):
        clock.advance(seconds)  # type: ignore[arg-type]
    assert clock.offset_seconds() == 0
