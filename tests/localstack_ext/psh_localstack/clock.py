"""The emulator's clock for AWS's own timers: time that tests can move forward.

AWS runs timers of its own that no client call starts: Security Hub deletes findings that were not updated for
90 days (user guide, "Finding retention"), and EC2 forgets a terminated instance about an hour after it
terminated (EC2 user guide, "Terminate Amazon EC2 instances": a terminated instance "remains visible in the
console for a short while"). A test cannot wait 90 days, so those timers read this clock, which is the host's
clock plus an offset that only moves forward (`advance`). The timestamps the services write into their answers
(OperationEndTime, UpdatedAt, ...) stay on the host's clock: the clients of the emulation (Lambda functions,
tests) run on the host's clock too, and AWS's answers never lie in their callers' future.

Process-wide, thread-safe; the control route is `/_psh/clock` (emulator convenience, not an AWS API):
GET -> {"now", "offset_seconds"}; POST {"seconds": N} (N > 0) moves it forward; DELETE sets the
offset back to 0.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_LOCK = threading.Lock()
_OFFSET = timedelta(0)
MAX_ADVANCE = timedelta(days=3650)


def now() -> datetime:
    """The current time of AWS's own timers (aware UTC)."""
    with _LOCK:
        offset = _OFFSET
    return datetime.now(UTC) + offset


def offset_seconds() -> float:
    with _LOCK:
        return _OFFSET.total_seconds()


def advance(seconds: float) -> datetime:
    """Move the timers' clock forward by `seconds` (> 0, at most ten years in one step); the new now."""
    global _OFFSET  # noqa: PLW0603 - one clock per emulator process
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError("seconds must be a number greater than 0")
    step = timedelta(seconds=seconds)
    if step > MAX_ADVANCE:
        raise ValueError("seconds must be at most ten years")
    with _LOCK:
        _OFFSET += step
    return now()


def reset() -> None:
    global _OFFSET  # noqa: PLW0603 - one clock per emulator process
    with _LOCK:
        _OFFSET = timedelta(0)


def snapshot() -> dict[str, object]:
    return {
        "now": now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "offset_seconds": offset_seconds(),
    }


def register(router) -> None:  # pragma: no cover - needs LocalStack's router
    import json

    from localstack.http import Request, Response

    def get(request: Request, **_: object) -> Response:
        return Response.for_json(snapshot())

    def move(request: Request, **_: object) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            advance(body.get("seconds"))
        except ValueError as error:
            return Response.for_json({"error": str(error)}, status=400)
        return Response.for_json(snapshot())

    def back(request: Request, **_: object) -> Response:
        reset()
        return Response.for_json(snapshot())

    router.add("/_psh/clock", get, methods=["GET"])
    router.add("/_psh/clock", move, methods=["POST"])
    router.add("/_psh/clock", back, methods=["DELETE"])
