"""Security Hub timestamps: RFC 3339 date-times with up to nanosecond fractions, `Z` or a numeric offset.

ASFF timestamps are "formatted according to RFC 3339 section 5.6, Internet Date/Time Format"; fractional
seconds of up to 9 digits and offsets such as +05:00 are accepted (user guide, "ASFF syntax", timestamps).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_TIMESTAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_ns(value: object) -> int | None:
    """Nanoseconds since the epoch, or None if `value` is not a Security Hub timestamp."""
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.match(value)
    if match is None:
        return None
    zone = match["zone"]
    offset = "+00:00" if zone == "Z" else zone
    try:
        whole = datetime.fromisoformat(f"{match['date']}T{match['time']}{offset}")
    except ValueError:
        return None
    fraction_ns = int((match["fraction"] or "0").ljust(9, "0"))
    delta = whole - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + fraction_ns


def now_iso() -> str:
    """The current time in the millisecond `Z` form Security Hub itself writes."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_ns() -> int:
    delta = datetime.now(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def days_ns(days: int) -> int:
    return int(timedelta(days=days).total_seconds()) * 1_000_000_000
