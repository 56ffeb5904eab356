"""psh_localstack.faults without LocalStack: the one fault switch every emulated service uses."""

from __future__ import annotations

import pytest
from psh_localstack.faults import (
    LATENCY,
    REPEAT_TOKEN,
    THROTTLE,
    UNAVAILABLE,
    FaultSwitch,
    RequestRejectedError,
    parse_fault_request,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def any_operation_switch(clock: FakeClock) -> FaultSwitch:
    return FaultSwitch((UNAVAILABLE, THROTTLE, LATENCY), clock=clock)


def scoped_switch(clock: FakeClock) -> FaultSwitch:
    return FaultSwitch((THROTTLE, UNAVAILABLE), operations={"ReadA", "ReadB"}, clock=clock)


def test_a_fault_rejects_the_named_operations_until_it_expires(clock: FakeClock) -> None:
    switch = any_operation_switch(clock)
    switch.set(THROTTLE, 5, operations=["Op"])
    with pytest.raises(RequestRejectedError) as caught:
        switch.admit("Op")
    assert caught.value.reason == THROTTLE
    assert switch.admit("Other") == 0.0  # not named: served
    clock.now += 5
    assert switch.admit("Op") == 0.0  # expired
    assert switch.rejected() == {"Op": 1}
    assert switch.snapshot() is None


def test_a_fault_without_operations_covers_the_switch_scope(clock: FakeClock) -> None:
    anything = any_operation_switch(clock)
    anything.set(UNAVAILABLE, 2)
    with pytest.raises(RequestRejectedError):
        anything.admit("WhateverOperation")
    assert anything.snapshot() == {"mode": UNAVAILABLE, "remaining_seconds": 2.0, "operations": None}

    scoped = scoped_switch(clock)
    scoped.set(THROTTLE, 2)
    for operation in ("ReadA", "ReadB"):
        with pytest.raises(RequestRejectedError):
            scoped.admit(operation)
    assert scoped.admit("Write") == 0.0
    assert scoped.snapshot()["operations"] == ["ReadA", "ReadB"]


def test_latency_serves_late_and_counts_no_rejection(clock: FakeClock) -> None:
    switch = any_operation_switch(clock)
    switch.set(LATENCY, 10, delay_seconds=1.5)
    assert switch.admit("Op") == 1.5
    assert switch.rejected() == {}
    assert switch.snapshot()["delay_seconds"] == 1.5


@pytest.mark.parametrize(
    ("mode", "seconds", "delay", "message"),
    [
        ("explode", 2, 0, "mode must be one of unavailable, throttle, latency"),
        (THROTTLE, 0, 0, "seconds must be positive"),
        (LATENCY, 5, 0, "a latency fault needs delay_seconds from 0 to 300"),
        (LATENCY, 5, 301, "a latency fault needs delay_seconds from 0 to 300"),
    ],
)
def test_invalid_faults_are_refused_with_the_route_messages(
    clock: FakeClock, mode: str, seconds: float, delay: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        any_operation_switch(clock).set(mode, seconds, delay_seconds=delay)


def test_a_scoped_switch_refuses_other_operations_and_modes(clock: FakeClock) -> None:
    switch = scoped_switch(clock)
    with pytest.raises(ValueError, match=r"operations \['Write'\] have no fault switch"):
        switch.set(THROTTLE, 5, operations=["Write"])
    with pytest.raises(ValueError, match="mode must be one of throttle, unavailable"):
        switch.set(LATENCY, 5, delay_seconds=1)


def test_a_repeated_token_fault_admits_requests_and_counts_the_pages_it_serves(clock: FakeClock) -> None:
    switch = FaultSwitch((THROTTLE, REPEAT_TOKEN), operations={"ReadA", "ReadB"}, clock=clock)
    switch.set(REPEAT_TOKEN, 5, operations=["ReadA"])
    assert switch.admit("ReadA") == 0.0  # served, not refused
    assert switch.repeats_token("ReadA") and not switch.repeats_token("ReadB")
    assert switch.rejected() == {"ReadA": 1}
    clock.now += 5
    assert not switch.repeats_token("ReadA")
    switch.set(THROTTLE, 5)
    assert not switch.repeats_token("ReadA")  # another mode refuses; it never repeats tokens


def test_clear_keeps_the_counters_and_reset_forgets_them(clock: FakeClock) -> None:
    switch = any_operation_switch(clock)
    switch.set(THROTTLE, 5)
    with pytest.raises(RequestRejectedError):
        switch.admit("Op")
    switch.clear()
    assert switch.admit("Op") == 0.0
    assert switch.rejected() == {"Op": 1}
    switch.reset()
    assert switch.rejected() == {}


def test_parse_fault_request_reads_a_route_body() -> None:
    body = {"mode": "latency", "seconds": 3, "operations": ["A"], "delay_seconds": 2}
    assert parse_fault_request(body) == ("latency", 3.0, ["A"], 2.0)
    with pytest.raises(ValueError, match="operations must be a list of operation names"):
        parse_fault_request({"mode": "throttle", "seconds": 1, "operations": "A"})
