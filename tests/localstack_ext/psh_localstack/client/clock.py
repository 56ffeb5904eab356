"""The emulator clock's control route (`/_psh/clock`, see psh_localstack.clock)."""

from __future__ import annotations

from typing import Any

from . import call


def status(endpoint: str) -> dict[str, Any]:
    return call(endpoint, "GET", "/_psh/clock")


def advance(endpoint: str, seconds: float) -> dict[str, Any]:
    """Move the timers of the emulated AWS (retention, EC2's forgetting) forward by `seconds`."""
    return call(endpoint, "POST", "/_psh/clock", {"seconds": seconds})


def reset(endpoint: str) -> dict[str, Any]:
    return call(endpoint, "DELETE", "/_psh/clock")
