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
    parsed = datetime.fromisoformat(f"{base}.{micro}{'+00:00' if zone == 'Z' else zone}")
    return parsed.astimezone(UTC)


def as_datetime(value: Any) -> datetime:
    """boto3 gives datetimes, JSON documents give strings or epoch numbers."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return parse_rfc3339(value)


def format_rfc3339(value: datetime) -> str:
    """UTC, milliseconds truncated, no fraction when 0: 2026-11-23T14:25:10.526Z, 2026-11-23T14:25:10Z."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")  # always YYYY-MM-DDTHH:MM:SS.mmm+00:00
    return f"{text[:19]}Z" if text[20:23] == "000" else f"{text[:23]}Z"


def utcnow() -> datetime:
    return datetime.now(UTC)


ONE_MS = timedelta(milliseconds=1)
