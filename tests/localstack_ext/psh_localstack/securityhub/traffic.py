"""Process-wide traffic controls shared by the provider and the control routes.

- request counters per operation (what tests and benchmarks read),
- a fault switch that makes operations answer 503 or 429, or answer late, for a number of seconds,
- injected per-finding failures: the next K findings whose Id starts with a prefix fail in FailedFindings,
- a token-bucket rate limiter mirroring Security Hub's documented limits (10 TPS, burst 30 for
  BatchImportFindings by default; any operation at its own rate and burst), per account and region like the
  real service.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

FAULT_MODES = ("unavailable", "throttle", "latency")
DEFAULT_RATE_PER_SECOND = 10.0
DEFAULT_BURST = 30
DEFAULT_LIMITED_OPERATIONS = ("BatchImportFindings",)

Clock = Callable[[], float]


@dataclass(frozen=True)
class Fault:
    mode: str
    until: float
    operations: frozenset[str] | None  # None: every operation
    delay_seconds: float = 0.0  # "latency": how long each request waits before it is served

    def applies_to(self, operation: str, now: float) -> bool:
        return now < self.until and (self.operations is None or operation in self.operations)


@dataclass
class FindingFailures:
    """The next `remaining` imported findings whose Id starts with `id_prefix` fail with `error_code`."""

    id_prefix: str
    remaining: int
    error_code: str
    error_message: str


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class RateLimit:
    enabled: bool = False
    rate: float = DEFAULT_RATE_PER_SECOND
    burst: int = DEFAULT_BURST
    operations: frozenset[str] = frozenset(DEFAULT_LIMITED_OPERATIONS)
    limits: dict[str, tuple[float, int]] = field(default_factory=dict)  # per operation, beats rate/burst
    buckets: dict[tuple[str, str, str], TokenBucket] = field(default_factory=dict)

    def of(self, operation: str) -> tuple[float, int]:
        return self.limits.get(operation, (self.rate, self.burst))


class RequestRejectedError(Exception):
    """Raised by `Traffic.admit` when a request must be refused; the provider maps it to an AWS error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "unavailable" | "throttle" | "rate_limited"


class Traffic:
    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._rejected: Counter[str] = Counter()
        self._findings_received = 0
        self._fault: Fault | None = None
        self._rate_limit = RateLimit()
        self._finding_failures: FindingFailures | None = None
        self._findings_failed = 0

    # --- used by the provider -------------------------------------------------------------------------------
    def admit(self, operation: str, account_id: str, region: str) -> float:
        """Count the request, then raise `RequestRejectedError` if a fault or the rate limiter refuses it.

        Returns the seconds the caller must wait before serving it (an active "latency" fault), else 0."""
        with self._lock:
            now = self._clock()
            self._requests[operation] += 1
            fault = self._fault
            if fault is not None and fault.applies_to(operation, now) and fault.mode == "latency":
                return fault.delay_seconds
            if fault is not None and fault.applies_to(operation, now):
                self._rejected[operation] += 1
                raise RequestRejectedError(fault.mode, f"Injected fault '{fault.mode}' is active")
            limit = self._rate_limit
            if limit.enabled and operation in limit.operations:
                key = (account_id, region, operation)
                bucket = limit.buckets.get(key)
                if bucket is None:
                    rate, burst = limit.of(operation)
                    bucket = TokenBucket(rate, float(burst), float(burst), now)
                    limit.buckets[key] = bucket
                if not bucket.take(now):
                    self._rejected[operation] += 1
                    raise RequestRejectedError("rate_limited", "Rate exceeded")
        return 0.0

    def injected_failure(self, finding_id: str) -> tuple[str, str] | None:
        """(ErrorCode, ErrorMessage) when this finding must fail by injection; consumes one failure."""
        with self._lock:
            failures = self._finding_failures
            if failures is None or failures.remaining <= 0 or not finding_id.startswith(failures.id_prefix):
                return None
            failures.remaining -= 1
            self._findings_failed += 1
            return failures.error_code, failures.error_message

    def record_findings_received(self, count: int) -> None:
        with self._lock:
            self._findings_received += count

    # --- used by the control routes -------------------------------------------------------------------------
    def set_fault(
        self,
        mode: str,
        seconds: float,
        operations: Iterable[str] | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        if mode == "latency" and not 0 < delay_seconds <= 300:
            raise ValueError("a latency fault needs delay_seconds from 0 to 300")
        ops = frozenset(operations) if operations else None
        with self._lock:
            self._fault = Fault(mode, self._clock() + seconds, ops, float(delay_seconds))

    def fail_findings(
        self, id_prefix: str, count: int, error_code: str = "InternalFailure", error_message: str = ""
    ) -> None:
        if not id_prefix or count < 0:
            raise ValueError("id_prefix must be non-empty and count not negative")
        if not error_code:
            raise ValueError("error_code must be non-empty")
        message = error_message or "Injected failure"
        with self._lock:
            self._finding_failures = FindingFailures(id_prefix, int(count), error_code, message)

    def clear_fault(self) -> None:
        with self._lock:
            self._fault = None

    def configure_rate_limit(
        self,
        enabled: bool,
        rate: float = DEFAULT_RATE_PER_SECOND,
        burst: int = DEFAULT_BURST,
        operations: Iterable[str] | None = None,
        limits: dict[str, tuple[float, int]] | None = None,
    ) -> None:
        """`limits` (operation -> (rate, burst)) limits those operations, each at its own rate; `operations`
        share `rate` and `burst`."""
        per_operation = {op: (float(r), int(b)) for op, (r, b) in (limits or {}).items()}
        if any(r <= 0 or b < 1 for r, b in [(rate, burst), *per_operation.values()]):
            raise ValueError("rate must be positive and burst at least 1")
        if operations:
            ops = frozenset(operations)
        else:  # without either, BatchImportFindings at `rate` and `burst`
            ops = frozenset() if per_operation else frozenset(DEFAULT_LIMITED_OPERATIONS)
        with self._lock:
            self._rate_limit = RateLimit(
                enabled=enabled,
                rate=float(rate),
                burst=int(burst),
                operations=ops | frozenset(per_operation),
                limits=per_operation,
            )

    def reset_counters(self) -> None:
        with self._lock:
            self._requests.clear()
            self._rejected.clear()
            self._findings_received = 0
            self._findings_failed = 0

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._rejected.clear()
            self._findings_received = 0
            self._fault = None
            self._rate_limit = RateLimit()
            self._finding_failures = None
            self._findings_failed = 0

    def snapshot(self) -> dict:
        with self._lock:
            now = self._clock()
            fault = self._fault
            active = fault is not None and now < fault.until
            limit = self._rate_limit
            return {
                "requests": dict(self._requests),
                "rejected": dict(self._rejected),
                "findings_received": self._findings_received,
                "findings_failed": self._findings_failed,
                "finding_failures": {
                    "id_prefix": self._finding_failures.id_prefix,
                    "remaining": self._finding_failures.remaining,
                    "error_code": self._finding_failures.error_code,
                }
                if self._finding_failures is not None and self._finding_failures.remaining > 0
                else None,
                "fault": {
                    "mode": fault.mode,
                    "remaining_seconds": round(fault.until - now, 3),
                    "operations": sorted(fault.operations) if fault.operations else None,
                    **({"delay_seconds": fault.delay_seconds} if fault.mode == "latency" else {}),
                }
                if active
                else None,
                "rate_limit": {
                    "enabled": limit.enabled,
                    "rate": limit.rate,
                    "burst": limit.burst,
                    "operations": sorted(limit.operations),
                    "limits": {op: list(value) for op, value in sorted(limit.limits.items())},
                },
            }


TRAFFIC = Traffic()
