"""Opaque NextToken values bound to the query they page through."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any


class InvalidTokenError(Exception):
    pass


def query_digest(query: Any) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode(offset: int, digest: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "q": digest}).encode()).decode()


def decode(token: str | None, digest: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, bound = int(data["o"]), data["q"]
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidTokenError("The NextToken is invalid") from error
    if bound != digest or offset < 0:
        raise InvalidTokenError("The NextToken does not belong to this request")
    return offset


def page[T](items: list[T], token: str | None, max_results: int, query: Any) -> tuple[list[T], str | None]:
    digest = query_digest(query)
    start = decode(token, digest)
    end = start + max_results
    next_token = encode(end, digest) if end < len(items) else None
    return items[start:end], next_token
