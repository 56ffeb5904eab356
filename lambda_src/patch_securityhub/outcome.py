"""What becomes of a node's request: one closed vocabulary for `decide()`, the pipeline and the handlers.

A status is one of `Status`; a reason is `<code>` or `<code>: <detail>`, where the code of a permanent or
transient outcome is one of the closed sets below (documented in lambda_src/README.md, "Quarantine reason
codes"). `decide()` answers with IMPORTED (send a FAILED finding), RESOLVED (send the PASSED, archived one) or
SKIPPED; the pipeline adds PERMANENT (quarantine the message) and TRANSIENT (hand it back to the queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    IMPORTED = "imported"
    RESOLVED = "resolved"
    SKIPPED = "skipped"
    PERMANENT = "permanent"  # quarantine the message, with a reason code of PERMANENT_REASONS
    TRANSIENT = "transient"  # hand the message back (the queue's retries, then DLQ and redrive)


IMPORTED, RESOLVED, SKIPPED, PERMANENT, TRANSIENT = (
    Status.IMPORTED,
    Status.RESOLVED,
    Status.SKIPPED,
    Status.PERMANENT,
    Status.TRANSIENT,
)

# The reason codes of a permanent (quarantined) outcome.
PERMANENT_REASONS = frozenset(
    {
        "build_failed",
        "import_failed_unknown_code",
        "import_rejected",
        "invalid_finding",
        "invalid_patch_state",
        "no_patch_state",
        "prior_updated_in_future",
        "rejected_node_id",
    }
)
# The reason codes of a transient outcome (the message goes back to the queue).
TRANSIENT_REASONS = frozenset(
    {
        "import_deadline",
        "import_failed_transient",
        "import_unconfirmed",
        "paging_deadline",
        "paging_repeated_token",
        "paging_too_many_pages",
        "prior_not_visible",
        "read_behind_event",
        "read_failed",
        "ssm_unreadable",
        "state_changed",
    }
)


@dataclass(frozen=True)
class Decision:
    """`decide()`'s answer for a node: IMPORTED, RESOLVED or SKIPPED, and why."""

    status: Status
    reason: str


@dataclass(frozen=True)
class NodeOutcome:
    node_id: str
    status: Status
    reason: str  # "<code>" or "<code>: <detail>"
    finding_id: str | None = None
    severity: str | None = None

    @property
    def code(self) -> str:
        """The stable reason code (for quarantine attributes and metrics), without the detail."""
        return self.reason.split(":", 1)[0]
