"""Request rate limits as AWS documents them: a token bucket (rate per second, burst) per account, Region
and operation.

AWS services state their API limits as a sustained rate and a burst, per account and Region, e.g. Security
Hub's "BatchImportFindings - RateLimit of 10 requests per second. BurstLimit of 30 requests per second."
(Security Hub API Reference, Welcome: https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html;
partner guide, "Guidelines for using the BatchImportFindings API": "10 TPS per account per Region, with a
burst of 30 TPS"). A bucket holds at most `burst` tokens, refills at `rate` tokens per second, and each
request takes one. Off by default; switched on and shaped through a service's control route.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]


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


@dataclass(frozen=True)
class RateLimitSettings:
    enabled: bool
    rate: float
    burst: int
    operations: frozenset[str]  # the limited operations
    limits: dict[str, tuple[float, int]] = field(default_factory=dict)  # per operation, beats rate/burst

    def of(self, operation: str) -> tuple[float, int]:
        return self.limits.get(operation, (self.rate, self.burst))


class RateLimiter:
    """Token buckets per (account, Region, operation), created full on first use."""

    def __init__(
        self,
        default_rate: float,
        default_burst: int,
        default_operations: Iterable[str],
        clock: Clock = time.monotonic,
    ) -> None:
        self.default_rate = float(default_rate)
        self.default_burst = int(default_burst)
        self.default_operations = frozenset(default_operations)
        self._clock = clock
        self._lock = threading.Lock()
        self._rejected: Counter[str] = Counter()
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._settings = self._disabled()

    def _disabled(self) -> RateLimitSettings:
        return RateLimitSettings(False, self.default_rate, self.default_burst, self.default_operations)

    def configure(
        self,
        enabled: bool,
        rate: float | None = None,
        burst: int | None = None,
        operations: Iterable[str] | None = None,
        limits: dict[str, tuple[float, int]] | None = None,
    ) -> None:
        """`operations` share `rate` and `burst`; `limits` (operation -> (rate, burst)) limits those
        operations, each at its own rate. Without either, the default operations are limited at `rate` and
        `burst`. Forgets every bucket. ValueError for a rate that is not positive or a burst below 1."""
        rate = self.default_rate if rate is None else float(rate)
        burst = self.default_burst if burst is None else int(burst)
        per_operation = {op: (float(r), int(b)) for op, (r, b) in (limits or {}).items()}
        if any(r <= 0 or b < 1 for r, b in [(rate, burst), *per_operation.values()]):
            raise ValueError("rate must be positive and burst at least 1")
        if operations:
            shared = frozenset(operations)
        else:
            shared = frozenset() if per_operation else self.default_operations
        with self._lock:
            self._settings = RateLimitSettings(
                enabled, rate, burst, shared | frozenset(per_operation), per_operation
            )
            self._buckets.clear()

    def take(self, operation: str, account_id: str, region: str) -> bool:
        """False (and counted as rejected) when the request exceeds its bucket."""
        with self._lock:
            settings = self._settings
            if not settings.enabled or operation not in settings.operations:
                return True
            now = self._clock()
            key = (account_id, region, operation)
            bucket = self._buckets.get(key)
            if bucket is None:
                rate, burst = settings.of(operation)
                bucket = self._buckets[key] = TokenBucket(rate, float(burst), float(burst), now)
            if bucket.take(now):
                return True
            self._rejected[operation] += 1
            return False

    def rejected(self) -> Counter[str]:
        with self._lock:
            return Counter(self._rejected)

    def reset_rejected(self) -> None:
        with self._lock:
            self._rejected.clear()

    def reset(self) -> None:
        with self._lock:
            self._settings = self._disabled()
            self._buckets.clear()
            self._rejected.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            settings = self._settings
            return {
                "enabled": settings.enabled,
                "rate": settings.rate,
                "burst": settings.burst,
                "operations": sorted(settings.operations),
                "limits": {op: list(value) for op, value in sorted(settings.limits.items())},
            }
