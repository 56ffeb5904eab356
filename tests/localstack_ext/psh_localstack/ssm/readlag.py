"""Read lag of the patch-state reads (switch `read_lag_seconds`): answers as the data was L seconds ago.

Systems Manager does not promise that DescribeInstancePatchStates, DescribeInstancePatches or
ListComplianceItems see a patch operation as soon as it ends; no AWS document found states read-after-write
(or its absence) for these reads, so a lag is the harsher, undocumented case and is opt-in (default 0).
Each write keeps its time (host clock) and value; a read with lag L takes the newest version written at
least L s before. Pure: no LocalStack.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

MAX_LAG_SECONDS = 600


def record(history: list[tuple[datetime, Any]], when: datetime, value: Any) -> None:
    """Append a version; drop those no read within MAX_LAG_SECONDS can see any more (the newest older one
    than the horizon stays: it is what a read with the longest lag answers)."""
    history.append((when, value))
    horizon = when - timedelta(seconds=MAX_LAG_SECONDS)
    while len(history) > 1 and history[1][0] <= horizon:
        del history[0]


def visible(history: list[tuple[datetime, Any]], now: datetime, lag_seconds: float) -> Any | None:
    """The newest version written at or before now - lag (None: nothing written yet then)."""
    cutoff = now - timedelta(seconds=lag_seconds)
    found = None
    for when, value in history:
        if when > cutoff:
            break
        found = value
    return found
