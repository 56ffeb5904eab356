"""The clock of the Systems Manager emulation: aware UTC datetimes.

LocalStack's serializer writes them in the timestamp format of the service's protocol (epoch seconds for
Systems Manager's JSON protocol, botocore's ssm model: "protocol": "json", timestamps without a format).
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
