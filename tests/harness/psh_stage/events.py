"""The one builder of SSM's "Configuration Compliance State Change" event, as EventBridge delivers it.

The shape follows the EventBridge events reference for Systems Manager (source aws.ssm, detail-type
"Configuration Compliance State Change", a managed-instance resource, lowercase compliance-status and
severity). Unit tests, the bench, the end-to-end tests and the fault matrix all build events here; the
SSM emulation emits its own from inside LocalStack.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from patch_securityhub.finding import partition_for

DETAIL_TYPE = "Configuration Compliance State Change"
EXAMPLE_BASELINE = "pb-0123456789abcdef0"


def rfc3339(moment: datetime, *, millis: bool = False) -> str:
    """UTC, second precision like EventBridge's `time`; `millis` like SSM's `last-runtime`."""
    moment = moment.astimezone(UTC)
    if not millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def compliance_event(
    node_id: str,
    *,
    account: str,
    region: str,
    status: str = "non_compliant",
    time: datetime | str | None = None,
    last_runtime: datetime | str | None = None,
    baseline_id: str = EXAMPLE_BASELINE,
    severity: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One event for `node_id`. `time` defaults to now; `last-runtime` (the scan's end) to `time`;
    `severity` to what SSM reports for the status (critical when non-compliant, unspecified otherwise)."""
    moment = time if time is not None else datetime.now(UTC)
    stamp = moment if isinstance(moment, str) else rfc3339(moment)
    ran = last_runtime if last_runtime is not None else moment
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.ssm",
        "account": account,
        "time": stamp,
        "region": region,
        "resources": [f"arn:{partition_for(region)}:ssm:{region}:{account}:managed-instance/{node_id}"],
        "detail": {
            "last-runtime": ran if isinstance(ran, str) else rfc3339(ran, millis=True),
            "compliance-status": status,
            "resource-type": "managed-instance",
            "resource-id": node_id,
            "compliance-type": "Patch",
            "patch-baseline-id": baseline_id,
            "severity": severity or ("critical" if status == "non_compliant" else "unspecified"),
        },
    }
