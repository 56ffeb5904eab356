"""Exponential backoff with full jitter around AWS calls, and transient/permanent error classification."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

THROTTLING_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
    }
)
SERVER_CODES = frozenset(
    {
        "InternalException",
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _status(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return 0


def is_transient(exc: BaseException) -> bool:
    """True when retrying later can succeed: throttling, 5xx, connection problems, timeouts."""
    from botocore.exceptions import (  # noqa: PLC0415 - keeps botocore out of module import
        ClientError,
        ConnectionError,
        EndpointConnectionError,
        HTTPClientError,
        ReadTimeoutError,
    )

    if isinstance(exc, (EndpointConnectionError, ConnectionError, HTTPClientError, ReadTimeoutError)):
        return True
    if isinstance(exc, ClientError):
        code = error_code(exc)
        return code in THROTTLING_CODES or code in SERVER_CODES or _status(exc) >= 500 or _status(exc) == 429
    return isinstance(exc, (TimeoutError, OSError))


def time_left(context: Any) -> Callable[[], float] | None:
    """Seconds left in the invocation, read from a Lambda context (None without one: no deadline)."""
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return None if getter is None else (lambda: getter() / 1000.0)


# Of the time an invocation has, this share (at most MAX_RESERVE_SECONDS) is kept for reporting results and
# quarantining: a fixed reserve would leave a short-timeout function no time to retry at all.
RESERVE_FRACTION = 0.25
MAX_RESERVE_SECONDS = 10.0


@dataclass
class Backoff:
    """Retries transient errors with full-jitter exponential backoff, bounded by attempts and a deadline.

    The SDK clients make one attempt per call (see aws.py): this is the only retry policy, so retries are
    counted, classified and stop in time to report partial batch failures instead of running into the timeout.
    """

    attempts: int = 6
    base_seconds: float = 0.1
    cap_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    remaining_seconds: Callable[[], float] | None = None  # e.g. from the Lambda context
    reserve_seconds: float | None = None  # None: RESERVE_FRACTION of the time left when created
    rng: random.Random = field(default_factory=random.Random)
    retries_done: int = 0
    _count_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.reserve_seconds is None:
            budget = self.remaining_seconds() if self.remaining_seconds is not None else 0.0
            self.reserve_seconds = min(MAX_RESERVE_SECONDS, RESERVE_FRACTION * budget)

    def call(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            try:
                return fn(**kwargs)
            except Exception as exc:
                attempt += 1
                if not is_transient(exc) or attempt >= self.attempts:
                    raise
                delay = self.rng.uniform(0, min(self.cap_seconds, self.base_seconds * (2**attempt)))
                if (
                    self.remaining_seconds is not None
                    and self.remaining_seconds() - delay < self.reserve_seconds
                ):
                    raise
                with self._count_lock:  # shared by the concurrent per-node reads
                    self.retries_done += 1
                self.sleep(delay)
