"""Time-boxed faults per operation, one mechanism for every emulated service.

An emulator convenience, switched through the control routes (`/_psh/<service>/fault`): for N seconds the
named operations answer as a service under load or in a bad minute does (`throttle`, `unavailable`), are
served late (`latency`), or page without end (`repeat_token`: every page of a paged read carries the same
NextToken, the server bug botocore's paginators refuse with "The same next token was received twice"). Each
service chooses the modes and operations its switch offers and maps a `RequestRejectedError` to its own
documented error shape; this module knows no AWS error and imports no LocalStack.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

THROTTLE = "throttle"
UNAVAILABLE = "unavailable"
LATENCY = "latency"
REPEAT_TOKEN = "repeat_token"
# The NextToken of every page a REPEAT_TOKEN fault serves; a request carrying it is served its first page.
STUCK_TOKEN = "psh-repeated-next-token"
MAX_DELAY_SECONDS = 300.0

Clock = Callable[[], float]


class RequestRejectedError(Exception):
    """A request the service refuses; `reason` is the fault mode (or the service's own reason, e.g. a rate
    limit). The provider turns it into the service's error."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True)
class Fault:
    mode: str
    until: float  # on the switch's clock
    operations: frozenset[str] | None  # None: every operation
    delay_seconds: float = 0.0  # LATENCY: how long each request waits before it is served

    def covers(self, operation: str, now: float) -> bool:
        return now < self.until and (self.operations is None or operation in self.operations)


class FaultSwitch:
    """One fault at a time, with counters of the requests it rejected (per operation).

    `modes`: the modes this switch offers, in the order its validation message lists them.
    `operations`: the operations that carry the switch (None: any operation); a fault set without its own
    list covers all of them.
    """

    def __init__(
        self,
        modes: Iterable[str],
        operations: Iterable[str] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.modes = tuple(modes)
        self.operations = frozenset(operations) if operations is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._rejected: Counter[str] = Counter()

    def set(
        self,
        mode: str,
        seconds: float,
        operations: Iterable[str] | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        """Raise ValueError (the control route's 400 message) for a fault this switch cannot hold."""
        if mode not in self.modes:
            raise ValueError(f"mode must be one of {', '.join(self.modes)}")
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        if mode == LATENCY and not 0 < delay_seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"a latency fault needs delay_seconds from 0 to {MAX_DELAY_SECONDS:.0f}")
        chosen = frozenset(operations) if operations else self.operations
        if self.operations is not None and chosen is not None:
            unknown = sorted(chosen - self.operations)
            if unknown:
                raise ValueError(f"operations {unknown} have no fault switch; use {sorted(self.operations)}")
        with self._lock:
            self._fault = Fault(mode, self._clock() + seconds, chosen, float(delay_seconds))

    def clear(self) -> None:
        with self._lock:
            self._fault = None

    def admit(self, operation: str) -> float:
        """Raise RequestRejectedError if an active fault refuses `operation` (and count it).

        Returns the seconds to wait before serving the request (an active LATENCY fault), else 0. An active
        REPEAT_TOKEN fault admits the request: the provider asks `repeats_token` how to answer it."""
        with self._lock:
            fault = self._fault
            if fault is None or not fault.covers(operation, self._clock()):
                return 0.0
            if fault.mode == LATENCY:
                return fault.delay_seconds
            if fault.mode == REPEAT_TOKEN:
                return 0.0
            self._rejected[operation] += 1
        raise RequestRejectedError(fault.mode, f"Injected fault '{fault.mode}' is active")

    def repeats_token(self, operation: str) -> bool:
        """True (and counted among the rejected requests) when an active REPEAT_TOKEN fault covers
        `operation`: the provider serves the first page with NextToken STUCK_TOKEN."""
        with self._lock:
            fault = self._fault
            if fault is None or fault.mode != REPEAT_TOKEN or not fault.covers(operation, self._clock()):
                return False
            self._rejected[operation] += 1
            return True

    def rejected(self) -> Counter[str]:
        with self._lock:
            return Counter(self._rejected)

    def reset_rejected(self) -> None:
        with self._lock:
            self._rejected.clear()

    def reset(self) -> None:
        with self._lock:
            self._fault = None
            self._rejected.clear()

    def snapshot(self) -> dict[str, Any] | None:
        """The active fault as the control routes report it, or None."""
        with self._lock:
            now = self._clock()
            fault = self._fault
            if fault is None or now >= fault.until:
                return None
            return {
                "mode": fault.mode,
                "remaining_seconds": round(fault.until - now, 3),
                "operations": sorted(fault.operations) if fault.operations else None,
                **({"delay_seconds": fault.delay_seconds} if fault.mode == LATENCY else {}),
            }


def parse_fault_request(body: dict[str, Any]) -> tuple[str, float, list[str] | None, float]:
    """(mode, seconds, operations, delay_seconds) from a control route's JSON body; ValueError/TypeError
    when a field has the wrong type (the switch validates the values)."""
    operations = body.get("operations")
    if operations is not None and not (
        isinstance(operations, list) and all(isinstance(each, str) for each in operations)
    ):
        raise ValueError("operations must be a list of operation names")
    return (
        str(body.get("mode")),
        float(body.get("seconds", 0)),
        operations,
        float(body.get("delay_seconds", 0)),
    )
