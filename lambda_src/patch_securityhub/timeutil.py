"""RFC 3339 timestamps as Security Hub wants them (UTC, millisecond precision, 'Z')."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_rfc3339(value: str) -> datetime:
    """Strict RFC 3339 -> aware datetime (UTC). Raises ValueError."""
    if not isinstance(value, str):
        raise ValueError("timestamp is not a string")
    match = _RFC3339.match(value)
    if not match:
        raise ValueError(f"not an RFC 3339 timestamp: {value[:60]!r}")
    fraction = match.group(7) or ""
    micro = fraction[1:7].ljust(6, "0") if fraction else "000000"
    zone = match.group(8).upper()
    year, month, day, hour, minute, second = match.group(1, 2, 3, 4, 5, 6)
    base = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    try:
        parsed = datetime.fromisoformat(f"{base}.{micro}{'+00:00' if zone == 'Z' else zone}")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # 9999-12-31T23:59:59-23:59 is past datetime.max in UTC
        raise ValueError(f"timestamp out of range: {value[:60]!r} ({type(exc).__name__})") from None


def as_datetime(value: Any) -> datetime:
    """boto3 gives datetimes, JSON documents give strings or epoch numbers."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValueError(f"epoch timestamp out of range: {value!r} ({type(exc).__name__})") from None
    return parse_rfc3339(value)


def format_rfc3339(value: datetime) -> str:
    """UTC, milliseconds truncated, no fraction when 0: 2026-11-23T14:25:10.526Z, 2026-11-23T14:25:10Z."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")  # always YYYY-MM-DDTHH:MM:SS.mmm+00:00
    return f"{text[:19]}Z" if text[20:23] == "000" else f"{text[:23]}Z"


# How far ahead of this function's clock a time from elsewhere (SSM, an existing finding) may be: clocks of
# AWS services agree within seconds; a time further ahead is not a real observation and must not be trusted.
MAX_CLOCK_SKEW = timedelta(minutes=5)


def is_future(value: datetime, now: datetime) -> bool:
    """True when `value` is later than `now` plus MAX_CLOCK_SKEW."""
    return value > now + MAX_CLOCK_SKEW


def utcnow() -> datetime:
    return datetime.now(UTC)


ONE_MS = timedelta(milliseconds=1)
