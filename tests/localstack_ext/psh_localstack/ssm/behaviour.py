"""Switches between AWS-documented answers of the Systems Manager emulation and the alternatives AWS shows
in the wild or that a less faithful service would give (an emulator convenience, set through
/_psh/ssm/behaviour). Pure: imports nothing from LocalStack.

Each switch names its AWS source where it is read (nodes.py); the defaults are AWS's documented behaviour or,
where AWS is undocumented, the harsher of the observed behaviours, unless noted otherwise below.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any

# DescribeInstanceInformation with an invalid or unknown node id in its InstanceIds filter.
UNKNOWN_IDS_ERROR = "error"  # InvalidInstanceId for the whole call (API reference)
UNKNOWN_IDS_EMPTY = "empty"  # the id is left out of the answer, as a lenient emulator does
# DescribeInstancePatches State filter values.
STATE_FILTER_BOTH = "documented_and_model"  # the documented spelling and the model's enum
STATE_FILTER_DOCUMENTED = "documented"  # only the spelling the API reference and CLI examples show

CHOICES: dict[str, tuple[Any, ...]] = {
    "unknown_instance_ids": (UNKNOWN_IDS_ERROR, UNKNOWN_IDS_EMPTY),
    "filter_after_paging": (True, False),
    "patch_state_filter": (STATE_FILTER_BOTH, STATE_FILTER_DOCUMENTED),
}
# Numeric switches: (lowest, highest, whether a whole number is required).
RANGES: dict[str, tuple[float, float, bool]] = {
    "event_drop_share": (0.0, 1.0, False),
    "event_drop_seed": (0, 2**32 - 1, True),
    "read_lag_seconds": (0, 600, False),
}


@dataclass(frozen=True)
class Behaviour:
    unknown_instance_ids: str = UNKNOWN_IDS_ERROR
    # DescribeInstanceInformation applies its filters to each page after paging, so a filtered page can be
    # empty and still carry a NextToken (aws/aws-cli#2626); False: filter first, then page.
    filter_after_paging: bool = True
    # Whether AWS accepts the model's UPPER_SNAKE State values in a filter is undocumented (the API
    # reference's samples and the CLI examples use Installed, Missing, ...): refusing them is the harsher
    # case, so it is the default; STATE_FILTER_BOTH accepts either spelling.
    patch_state_filter: str = STATE_FILTER_DOCUMENTED
    # Systems Manager's events reach EventBridge on a best-effort basis (events.py): this share of the
    # compliance events is dropped, drawn from an RNG seeded with event_drop_seed. Default: none dropped.
    event_drop_share: float = 0.0
    event_drop_seed: int = 0
    # The patch-state reads answer as the data was this many seconds ago (readlag.py). Default 0: AWS
    # documents no lag, and none is the documented-behaviour default of a switch it does not document.
    read_lag_seconds: float = 0


class BehaviourSwitch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = Behaviour()

    @property
    def current(self) -> Behaviour:
        with self._lock:
            return self._current

    def update(self, changes: dict[str, Any]) -> Behaviour:
        """Apply `changes` (ValueError, the control route's 400 message, for an unknown switch or value)."""
        for key, value in changes.items():
            if key in RANGES:
                low, high, whole = RANGES[key]
                number = int | float if not whole else int
                if isinstance(value, bool) or not isinstance(value, number) or not low <= value <= high:
                    kind = "a whole number" if whole else "a number"
                    raise ValueError(f"{key} must be {kind} from {low} to {high}")
                continue
            if key not in CHOICES:
                raise ValueError(f"unknown switch {key!r}; use {sorted([*CHOICES, *RANGES])}")
            if value not in CHOICES[key] or isinstance(value, bool) != isinstance(CHOICES[key][0], bool):
                raise ValueError(f"{key} must be one of {list(CHOICES[key])}")
        with self._lock:
            self._current = dataclasses.replace(self._current, **changes)
            return self._current

    def reset(self) -> Behaviour:
        with self._lock:
            self._current = Behaviour()
            return self._current

    def snapshot(self) -> dict[str, Any]:
        return dataclasses.asdict(self.current)


SSM_BEHAVIOUR = BehaviourSwitch()
