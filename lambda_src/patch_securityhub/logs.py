"""Structured JSON logs: one line per decision, machine-readable, no secrets."""

from __future__ import annotations

import json
import sys
import time
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

    def set_level(self, level: str) -> None:
        self.threshold = _LEVELS.get(level, 20)

    def log(self, level: str, message: str, **fields: Any) -> None:
        if _LEVELS.get(level, 20) < self.threshold:
            return
        record = {
            "ts": _timestamp(),
            "level": level,
            "component": self.component,
            "msg": message,
            **fields,
        }
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
