"""Stdlib client for the local AWS's control routes (`/_psh/<service>/...` on the LocalStack gateway).

One HTTP call shape for every service; `securityhub` and `ssm` hold the routes of each. Importable without
LocalStack (nothing here imports it), so test suites and tools outside LocalStack's venv use it as is.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_S = 120.0  # scans of large fleets answer synchronously


class ControlError(RuntimeError):
    """A control route answered with an HTTP error (its status and body are in the message)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def call(
    endpoint: str, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = TIMEOUT_S
) -> dict[str, Any]:
    """`method` `path` (below the gateway root, e.g. /_psh/ssm/nodes) with a JSON body; the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        endpoint.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data is not None else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise ControlError(f"{method} {path} -> {error.code}: {detail}", error.code) from error
