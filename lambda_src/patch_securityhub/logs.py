"""Structured JSON logs: one line per decision, machine-readable, no secrets.

Every line has `ts`, `level`, `component` and `msg`; a line written while a handler serves an invocation also
has `request_id`, the Lambda request id (`context.aws_request_id`), so one invocation's lines can be found
together in CloudWatch Logs.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
# What json.dumps(record, default=str, ensure_ascii=True, separators=(",", ":")) builds on every call.
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=True, separators=(",", ":"))
_stamp: tuple[int, str] = (-1, "")  # (epoch second, its "ts" text): formatted once per second


def _timestamp() -> str:
    global _stamp  # noqa: PLW0603 - a one-entry cache, replaced whole (no lock needed)
    second = int(time.time())
    if _stamp[0] != second:
        _stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _stamp[1]


class JsonLogger:
    def __init__(self, component: str, level: str = "INFO", stream: TextIO | None = None) -> None:
        self.component = component
        self.threshold = _LEVELS.get(level, 20)
        self.stream = stream
        # An attribute, not a context variable: the pipeline's read threads log for the same invocation, and
        # a Lambda execution environment serves one invocation at a time.
        self.request_id: str | None = None

    @contextmanager
    def invocation(self, context: Any) -> Iterator[None]:
        """Within the block, every line carries the invocation's `request_id` (None: the context has none)."""
        request_id = getattr(context, "aws_request_id", None)
        self.request_id = request_id if isinstance(request_id, str) else None
        try:
            yield
        finally:
            self.request_id = None

    def log(self, level: str, message: str, **fields: Any) -> None:
        if _LEVELS.get(level, 20) < self.threshold:
            return
        record: dict[str, Any] = {"ts": _timestamp(), "level": level, "component": self.component}
        if self.request_id is not None:
            record["request_id"] = self.request_id
        record["msg"] = message
        record.update(fields)
        stream = self.stream or sys.stdout
        stream.write(_ENCODER.encode(record) + "\n")

    def debug(self, message: str, **fields: Any) -> None:
        self.log("DEBUG", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.log("INFO", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.log("WARNING", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log("ERROR", message, **fields)
