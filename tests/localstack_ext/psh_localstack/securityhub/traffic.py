"""Process-wide switches and counters of the Security Hub emulation, shared by the provider and the control
routes (emulator conveniences, set through /_psh/securityhub/...):

- request counters per operation, and how many findings BatchImportFindings received;
- the fault switch (psh_localstack.faults): any operation answers 503 or 429, or answers late, for N seconds;
- injected per-finding failures: the next K findings whose Id starts with a prefix come back in
  FailedFindings (the per-finding outcome BatchImportFindings documents: "FailedFindings: The list of findings
  that failed to import", API reference);
- the rate limiter (psh_localstack.ratelimit) at Security Hub's documented limits: by default
  BatchImportFindings at 10 TPS, burst 30; any operation at its own rate and burst;
- behaviour switches (Behaviour) between answers AWS gives or may give where its documents leave it open,
  and the read lag of GetFindings (eventual consistency).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psh_localstack.faults import LATENCY, THROTTLE, UNAVAILABLE, Clock, FaultSwitch, RequestRejectedError
from psh_localstack.ratelimit import RateLimiter

from .asff import MAX_READ_LAG_SECONDS

FAULT_MODES = (UNAVAILABLE, THROTTLE, LATENCY)
# "BatchImportFindings - RateLimit of 10 requests per second. BurstLimit of 30 requests per second." (API
# Reference, Welcome: https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html)
DEFAULT_RATE_PER_SECOND = 10.0
DEFAULT_BURST = 30
DEFAULT_LIMITED_OPERATIONS = ("BatchImportFindings",)
RATE_LIMITED = "rate_limited"

# How BatchImportFindings answers an account without Security Hub. The API reference documents both outcomes
# without saying which applies: FailedFindings (ImportFindingsError: Id, ErrorCode, ErrorMessage, "The list
# of findings that failed to import") and InvalidAccessException for the call (the operation's Errors: "The
# account doesn't have permission to perform this action", 401, what every other operation answers before
# EnableSecurityHub). The default is the per-finding answer, the harsher one for a caller: the call succeeds
# (200) and only FailedFindings says that nothing was imported.
HUB_DISABLED_FAILED_FINDINGS = "failed_findings"
HUB_DISABLED_WHOLE_CALL = "whole_call"
# The error code of a throttled request. botocore's model names LimitExceededException (429, "... beyond the
# current Amazon Web Services account or throttling limits") in the Errors of every operation emulated here
# that lists a throttling error; the service has also been seen answering TooManyRequestsException (429, "Too
# Many Requests", prowler-cloud/prowler#5004), the default, which the fault tests and clients expect.
THROTTLE_TOO_MANY_REQUESTS = "TooManyRequestsException"
THROTTLE_LIMIT_EXCEEDED = "LimitExceededException"
BEHAVIOUR_CHOICES: dict[str, tuple[str, ...]] = {
    "hub_disabled_import": (HUB_DISABLED_FAILED_FINDINGS, HUB_DISABLED_WHOLE_CALL),
    "throttle_error": (THROTTLE_TOO_MANY_REQUESTS, THROTTLE_LIMIT_EXCEEDED),
}
# How far behind the writes GetFindings reads, in seconds (findings._visible_versions). Security Hub's reads
# are eventually consistent and AWS gives no bound ("This process can take several minutes", user guide,
# "BatchUpdateFindings for customers"; prowler-cloud/prowler#684: "Security Hub is eventual consistent.
# GetFindings filtered by UpdatedAt can return old finding versions"). Default 0: reads see every write.
BEHAVIOUR_NUMBERS: dict[str, tuple[float, float]] = {"read_lag_seconds": (0.0, MAX_READ_LAG_SECONDS)}


@dataclass(frozen=True)
class Behaviour:
    hub_disabled_import: str = HUB_DISABLED_FAILED_FINDINGS
    throttle_error: str = THROTTLE_TOO_MANY_REQUESTS
    read_lag_seconds: float = 0.0


def _check_switch(key: str, value: Any) -> Any:
    """The switch's value, or ValueError (the control route's 400 message)."""
    if key in BEHAVIOUR_NUMBERS:
        low, high = BEHAVIOUR_NUMBERS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ValueError(f"{key} must be a number from {low:g} to {high:g}")
        return float(value)
    if key not in BEHAVIOUR_CHOICES:
        known = sorted([*BEHAVIOUR_CHOICES, *BEHAVIOUR_NUMBERS])
        raise ValueError(f"unknown switch {key!r}; use {known}")
    if value not in BEHAVIOUR_CHOICES[key]:
        raise ValueError(f"{key} must be one of {list(BEHAVIOUR_CHOICES[key])}")
    return value


@dataclass
class FindingFailures:
    """The next `remaining` imported findings whose Id starts with `id_prefix` fail with `error_code`; with
    `whole_request`, the next `remaining` requests holding such a finding are refused whole instead."""

    id_prefix: str
    remaining: int
    error_code: str
    error_message: str
    whole_request: bool = False


class Traffic:
    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._findings_received = 0
        self._finding_failures: FindingFailures | None = None
        self._findings_failed = 0
        self._behaviour = Behaviour()
        self.faults = FaultSwitch(FAULT_MODES, clock=clock)
        self.rate_limiter = RateLimiter(
            DEFAULT_RATE_PER_SECOND, DEFAULT_BURST, DEFAULT_LIMITED_OPERATIONS, clock=clock
        )

    # --- used by the provider -------------------------------------------------------------------------------
    def admit(self, operation: str, account_id: str, region: str) -> float:
        """Count the request, then raise RequestRejectedError if a fault or the rate limiter refuses it.

        Returns the seconds the caller must wait before serving it (an active latency fault), else 0."""
        with self._lock:
            self._requests[operation] += 1
        delay = self.faults.admit(operation)
        if delay:
            return delay
        if not self.rate_limiter.take(operation, account_id, region):
            raise RequestRejectedError(RATE_LIMITED, "Rate exceeded")
        return 0.0

    def injected_failure(self, finding_id: str) -> tuple[str, str] | None:
        """(ErrorCode, ErrorMessage) when this finding must fail by injection; consumes one failure."""
        with self._lock:
            failures = self._finding_failures
            if failures is None or failures.whole_request or failures.remaining <= 0:
                return None
            if not finding_id.startswith(failures.id_prefix):
                return None
            failures.remaining -= 1
            self._findings_failed += 1
            return failures.error_code, failures.error_message

    def refused_request(self, finding_ids: list[str]) -> str | None:
        """The message of an InvalidInputException when this request holds a finding to refuse it for (a
        `whole_request` injection); consumes one refusal."""
        with self._lock:
            failures = self._finding_failures
            if failures is None or not failures.whole_request or failures.remaining <= 0:
                return None
            matching = [each for each in finding_ids if each.startswith(failures.id_prefix)]
            if not matching:
                return None
            failures.remaining -= 1
            return f"{failures.error_message}: {matching[0]}"

    def record_findings_received(self, count: int) -> None:
        with self._lock:
            self._findings_received += count

    @property
    def behaviour(self) -> Behaviour:
        with self._lock:
            return self._behaviour

    # --- used by the control routes -------------------------------------------------------------------------
    def set_behaviour(self, changes: dict[str, Any]) -> None:
        """Apply `changes` (ValueError, the control route's 400 message, for an unknown switch or value)."""
        checked = {key: _check_switch(key, value) for key, value in changes.items()}
        with self._lock:
            self._behaviour = dataclasses.replace(self._behaviour, **checked)

    def reset_behaviour(self) -> None:
        with self._lock:
            self._behaviour = Behaviour()

    def set_fault(
        self,
        mode: str,
        seconds: float,
        operations: Iterable[str] | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        self.faults.set(mode, seconds, operations, delay_seconds)

    def clear_fault(self) -> None:
        self.faults.clear()

    def fail_findings(
        self,
        id_prefix: str,
        count: int,
        error_code: str = "InternalFailure",
        error_message: str = "",
        whole_request: bool = False,
    ) -> None:
        if not id_prefix or count < 0:
            raise ValueError("id_prefix must be non-empty and count not negative")
        if not error_code:
            raise ValueError("error_code must be non-empty")
        message = error_message or "Injected failure"
        with self._lock:
            self._finding_failures = FindingFailures(
                id_prefix, int(count), error_code, message, whole_request
            )

    def configure_rate_limit(
        self,
        enabled: bool,
        rate: float = DEFAULT_RATE_PER_SECOND,
        burst: int = DEFAULT_BURST,
        operations: Iterable[str] | None = None,
        limits: dict[str, tuple[float, int]] | None = None,
    ) -> None:
        self.rate_limiter.configure(enabled, rate, burst, operations, limits)

    def reset_counters(self) -> None:
        with self._lock:
            self._requests.clear()
            self._findings_received = 0
            self._findings_failed = 0
        self.faults.reset_rejected()
        self.rate_limiter.reset_rejected()

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._findings_received = 0
            self._finding_failures = None
            self._findings_failed = 0
            self._behaviour = Behaviour()
        self.faults.reset()
        self.rate_limiter.reset()

    def snapshot(self) -> dict[str, Any]:
        rejected = self.faults.rejected() + self.rate_limiter.rejected()
        with self._lock:
            failures = self._finding_failures
            return {
                "requests": dict(self._requests),
                "rejected": dict(rejected),
                "findings_received": self._findings_received,
                "findings_failed": self._findings_failed,
                "finding_failures": {
                    "id_prefix": failures.id_prefix,
                    "remaining": failures.remaining,
                    "error_code": failures.error_code,
                    "whole_request": failures.whole_request,
                }
                if failures is not None and failures.remaining > 0
                else None,
                "fault": self.faults.snapshot(),
                "rate_limit": self.rate_limiter.snapshot(),
                "behaviour": dataclasses.asdict(self._behaviour),
            }


TRAFFIC = Traffic()
