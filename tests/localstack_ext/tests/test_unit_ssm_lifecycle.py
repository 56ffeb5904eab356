"""Pure logic of the fleet's lifecycle, the read lag and the best-effort events (no LocalStack)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from psh_localstack.ssm import lifecycle, readlag
from psh_localstack.ssm.behaviour import BehaviourSwitch
from psh_localstack.ssm.events import EventGate

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_state_codes_follow_the_api_reference() -> None:
    assert lifecycle.STATE_CODES == {
        "pending": 0,
        "running": 16,
        "shutting-down": 32,
        "terminated": 48,
        "stopping": 64,
        "stopped": 80,
    }
    assert lifecycle.state("stopped") == {"Code": 80, "Name": "stopped"}


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        ("running", "stop", ("stopping", "stopped")),
        ("stopped", "stop", ("stopped", "stopped")),
        ("stopped", "start", ("pending", "running")),
        ("running", "start", ("running", "running")),
        ("running", "terminate", ("shutting-down", "terminated")),
        ("stopped", "terminate", ("shutting-down", "terminated")),
        ("terminated", "terminate", ("terminated", "terminated")),
    ],
)
def test_transitions_answer_the_transitional_state_and_complete(current, action, expected) -> None:
    assert lifecycle.transition(current, action) == expected


@pytest.mark.parametrize("action", ["stop", "start"])
def test_a_terminated_instance_cannot_be_stopped_or_started(action: str) -> None:
    with pytest.raises(lifecycle.IncorrectStateError):
        lifecycle.transition("terminated", action)


def test_a_terminated_instance_is_forgotten_after_an_hour() -> None:
    assert not lifecycle.forgotten(None, T0)
    assert not lifecycle.forgotten(T0, T0 + timedelta(minutes=59, seconds=59))
    assert lifecycle.forgotten(T0, T0 + timedelta(hours=1))


def test_ssm_reports_only_nodes_that_are_neither_stopped_nor_terminated() -> None:
    assert lifecycle.reported_by_ssm("running") and lifecycle.reachable("running")
    for name in ("stopped", "terminated"):
        assert not lifecycle.reported_by_ssm(name) and not lifecycle.reachable(name)


def test_read_lag_answers_the_version_written_at_least_lag_seconds_ago() -> None:
    history: list = []
    readlag.record(history, T0, "first")
    readlag.record(history, T0 + timedelta(seconds=10), "second")
    assert readlag.visible(history, T0 + timedelta(seconds=3), 5) is None
    assert readlag.visible(history, T0 + timedelta(seconds=12), 5) == "first"
    assert readlag.visible(history, T0 + timedelta(seconds=15), 5) == "second"
    assert readlag.visible(history, T0 + timedelta(seconds=12), 0) == "second"


def test_read_lag_keeps_only_what_the_longest_lag_can_see() -> None:
    history: list = []
    for second in (0, 100, 200, 1000):
        readlag.record(history, T0 + timedelta(seconds=second), second)
    # At 1000 s the longest lag (600 s) sees the version of 200 s: older ones are dropped.
    assert [value for _, value in history] == [200, 1000]


def test_event_gate_drops_a_seeded_share_deterministically() -> None:
    draw = random.Random(7)
    expected = sum(draw.random() < 0.5 for _ in range(20))
    for _ in range(2):
        gate = EventGate(0.5, 7)
        sent = [gate.admit() for _ in range(20)]
        assert sent.count(False) == expected
        assert gate.counters() == {"events_emitted": 20 - expected, "events_dropped": expected}
    gate = EventGate()
    assert all(gate.admit() for _ in range(5)) and gate.counters()["events_dropped"] == 0
    gate.configure(1.0, 0)
    assert not gate.admit() and gate.counters() == {"events_emitted": 0, "events_dropped": 1}


def test_numeric_switches_take_their_ranges() -> None:
    switch = BehaviourSwitch()
    assert switch.current.event_drop_share == 0.0 and switch.current.read_lag_seconds == 0
    assert switch.update({"event_drop_share": 0.25, "event_drop_seed": 3, "read_lag_seconds": 600})
    for changes in (
        {"event_drop_share": 1.5},
        {"event_drop_share": True},
        {"event_drop_seed": 1.5},
        {"event_drop_seed": -1},
        {"read_lag_seconds": 601},
        {"read_lag_seconds": "5"},
    ):
        with pytest.raises(ValueError):
            switch.update(changes)
    assert switch.reset().read_lag_seconds == 0
