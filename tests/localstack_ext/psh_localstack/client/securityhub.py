"""Control routes of the Security Hub emulation (`/_psh/securityhub/...`): faults, rate limits, counters.

from psh_localstack.client import securityhub as shc
shc.set_fault(endpoint, "unavailable", seconds=2)
shc.request_count(endpoint, "BatchImportFindings")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psh_localstack.client import ControlError, call

__all__ = ["ControlError"]

PREFIX = "/_psh/securityhub"


def _call(endpoint: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return call(endpoint, method, PREFIX + path, body)


def status(endpoint: str) -> dict[str, Any]:
    """{"requests": {op: n}, "rejected": {op: n}, "findings_received": n, "findings_failed": n,
    "finding_failures": ..., "fault": ..., "rate_limit": ..., "behaviour": {switch: value}}"""
    return _call(endpoint, "GET", "/status")


def request_count(endpoint: str, operation: str) -> int:
    return int(status(endpoint)["requests"].get(operation, 0))


def rejected_count(endpoint: str, operation: str) -> int:
    return int(status(endpoint)["rejected"].get(operation, 0))


def set_fault(
    endpoint: str,
    mode: str,
    seconds: float,
    operations: Iterable[str] | None = None,
    delay_seconds: float | None = None,
) -> dict[str, Any]:
    """Mode "unavailable" (503 ServiceUnavailable), "throttle" (429 TooManyRequestsException) or "latency"
    (served, but `delay_seconds` late) for N s.

    `operations` limits the fault to those operation names (default: every operation)."""
    body: dict[str, Any] = {"mode": mode, "seconds": seconds}
    if operations is not None:
        body["operations"] = list(operations)
    if delay_seconds is not None:
        body["delay_seconds"] = delay_seconds
    return _call(endpoint, "POST", "/fault", body)


def set_behaviour(endpoint: str, **switches: str | float) -> dict[str, Any]:
    """Change behaviour switches; answers the status document (its "behaviour" holds all of them).

    hub_disabled_import: "failed_findings" (default: each finding InvalidAccess) | "whole_call"
    (InvalidAccessException for the call). throttle_error: "TooManyRequestsException" (default) |
    "LimitExceededException" (botocore's model). read_lag_seconds: 0 (default) to 600, GetFindings
    answers each finding as it was that many seconds ago (eventual consistency)."""
    return _call(endpoint, "PUT", "/behaviour", switches)


def set_read_lag(endpoint: str, seconds: float) -> dict[str, Any]:
    """GetFindings answers each finding as it was `seconds` ago (0..600; 0 reads every write at once): a
    finding created since is not returned, one updated since comes back in its previous version."""
    return set_behaviour(endpoint, read_lag_seconds=seconds)


def read_lag(endpoint: str) -> float:
    return float(status(endpoint)["behaviour"]["read_lag_seconds"])


def reset_behaviour(endpoint: str) -> dict[str, Any]:
    """The behaviour switches back to their defaults (reset() does it too, with everything else)."""
    return _call(endpoint, "DELETE", "/behaviour")


def fail_findings(
    endpoint: str,
    id_prefix: str,
    count: int,
    error_code: str = "InternalFailure",
    error_message: str = "",
    *,
    whole_request: bool = False,
) -> dict[str, Any]:
    """The next `count` findings imported with an Id starting with `id_prefix` come back in FailedFindings
    with `error_code` (the rest of their batch is imported); with `whole_request`, the next `count`
    BatchImportFindings requests holding such a finding are refused whole (InvalidInputException). count=0
    disarms."""
    body: dict[str, Any] = {
        "id_prefix": id_prefix,
        "count": count,
        "error_code": error_code,
        "whole_request": whole_request,
    }
    if error_message:
        body["error_message"] = error_message
    return _call(endpoint, "POST", "/failed-findings", body)


def clear_fault(endpoint: str) -> dict[str, Any]:
    return _call(endpoint, "DELETE", "/fault")


def set_rate_limit(
    endpoint: str,
    *,
    enabled: bool = True,
    rate: float = 10.0,
    burst: int = 30,
    operations: Iterable[str] | None = None,
    limits: dict[str, tuple[float, int]] | None = None,
) -> dict[str, Any]:
    """Token bucket per account/region/operation; defaults mirror BatchImportFindings' 10 TPS, burst 30.
    `limits` gives operations their own (rate, burst), e.g. DOCUMENTED_LIMITS."""
    body: dict[str, Any] = {"enabled": enabled, "rate": rate, "burst": burst}
    if operations is not None:
        body["operations"] = list(operations)
    if limits is not None:
        body["limits"] = {op: list(value) for op, value in limits.items()}
    return _call(endpoint, "PUT", "/rate-limit", body)


# Security Hub's documented (rate per second, burst) of GetFindings, BatchImportFindings and
# BatchUpdateFindings ("The following throttling limits apply to Security Hub API operations", API Reference,
# Welcome; also in botocore's securityhub model documentation).
DOCUMENTED_LIMITS: dict[str, tuple[float, int]] = {
    "GetFindings": (3.0, 6),
    "BatchImportFindings": (10.0, 30),
    "BatchUpdateFindings": (10.0, 30),
}


def reset_counters(endpoint: str) -> dict[str, Any]:
    return _call(endpoint, "DELETE", "/counters")


def reset(endpoint: str) -> dict[str, Any]:
    """Forget every hub, subscription and finding; zero counters; clear faults; rate limiter off."""
    return _call(endpoint, "POST", "/reset")


def seed_native_findings(
    endpoint: str, account_id: str, region: str, findings: list[dict[str, Any]]
) -> dict[str, Any]:
    """Import findings as an AWS integration would (product/aws/ssm-patch-manager).

    The hub must be enabled.
    Returns {"imported": n, "ignored": n, "failed": [{"Id", "ErrorMessage"}]}."""
    return _call(
        endpoint,
        "POST",
        "/native-findings",
        {"account_id": account_id, "region": region, "findings": findings},
    )
