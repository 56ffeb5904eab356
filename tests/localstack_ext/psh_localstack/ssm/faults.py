"""Fault switch for the SSM reads the forwarder makes: throttling (400 ThrottlingException) or a 5xx
(500 InternalServerError) for a number of seconds, like a real SSM under load or in a bad minute."""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from localstack.aws.api import CommonServiceException

FAULT_MODES = ("throttle", "unavailable")
# The reads of the forwarder (lambda_src README, "AWS calls"); only these carry the switch.
FAULTABLE_OPERATIONS = frozenset(
    {
        "DescribeInstanceInformation",
        "DescribeInstancePatchStates",
        "DescribeInstancePatches",
        "ListComplianceItems",
    }
)

Clock = Callable[[], float]


@dataclass(frozen=True)
class SsmFault:
    mode: str
    until: float
    operations: frozenset[str]


class SsmFaults:
    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._fault: SsmFault | None = None
        self._rejected: Counter[str] = Counter()

    def set(self, mode: str, seconds: float, operations: Iterable[str] | None = None) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        ops = frozenset(operations) if operations else FAULTABLE_OPERATIONS
        unknown = sorted(ops - FAULTABLE_OPERATIONS)
        if unknown:
            raise ValueError(f"operations {unknown} have no fault switch; use {sorted(FAULTABLE_OPERATIONS)}")
        with self._lock:
            self._fault = SsmFault(mode, self._clock() + seconds, ops)

    def clear(self) -> None:
        with self._lock:
            self._fault = None

    def check(self, operation: str) -> None:
        """Raise the AWS error of an active fault that covers `operation`."""
        with self._lock:
            fault = self._fault
            if fault is None or self._clock() >= fault.until or operation not in fault.operations:
                return
            self._rejected[operation] += 1
        if fault.mode == "throttle":
            raise CommonServiceException("ThrottlingException", "Rate exceeded", status_code=400)
        raise CommonServiceException(
            "InternalServerError",
            "An internal error occurred (injected)",
            status_code=500,
            sender_fault=False,
        )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            fault = self._fault
            active = fault is not None and now < fault.until
            return {
                "fault": {
                    "mode": fault.mode,
                    "remaining_seconds": round(fault.until - now, 3),
                    "operations": sorted(fault.operations),
                }
                if active
                else None,
                "rejected": dict(self._rejected),
            }


SSM_FAULTS = SsmFaults()


def faultable(operation: str) -> Callable:
    """Wrap a provider handler so an active fault answers before it runs (apply below `@handler`)."""
    if operation not in FAULTABLE_OPERATIONS:
        raise ValueError(f"{operation} is not a faultable operation")

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def guarded(self: Any, context: Any, request: Any) -> Any:
            SSM_FAULTS.check(operation)
            return fn(self, context, request)

        return guarded

    return wrap
