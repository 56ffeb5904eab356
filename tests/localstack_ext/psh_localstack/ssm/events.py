"""Best-effort delivery of the compliance events (switches `event_drop_share`, `event_drop_seed`).

"Best effort delivery means that the service attempts to send all events to EventBridge, but in some rare
cases an event might not be delivered." (EventBridge events reference, "Delivery level for AWS service
events"). The EventBridge user guide ("Events from AWS services") lists each service's attempt type and adds
"For services not listed that send events to EventBridge, assume a best effort delivery"; only best effort
is assumed for Systems Manager here (a durable listing would make the default of 0 dropped exact anyway).
The share of events dropped is a switch (default 0: every event is sent); the draw is a seeded RNG so a test
sees the same drops on every run. Pure: no LocalStack.
"""

from __future__ import annotations

import random
import threading


class EventGate:
    def __init__(self, share: float = 0.0, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.configure(share, seed)

    def configure(self, share: float, seed: int) -> None:
        """Set the drop share and re-seed the draw; the counters start again at 0."""
        with self._lock:
            self._share = float(share)
            self._rng = random.Random(seed)
            self._emitted = 0
            self._dropped = 0

    def admit(self) -> bool:
        """Whether the next event is sent (counted as emitted) or dropped (counted as dropped)."""
        with self._lock:
            dropped = self._share > 0 and self._rng.random() < self._share
            if dropped:
                self._dropped += 1
            else:
                self._emitted += 1
            return not dropped

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {"events_emitted": self._emitted, "events_dropped": self._dropped}


COMPLIANCE_EVENTS = EventGate()
