"""NextToken paging shared by every emulated service: opaque tokens bound to the query they page through.

AWS list operations return at most MaxResults items and a NextToken while more remain; the caller passes the
token back unchanged with the same request to get the next page, and the token's content is not documented
(e.g. Security Hub API Reference, GetFindings: "For subsequent calls to the operation, to continue listing
data, set the value of this parameter to the value returned from the previous response"; Systems Manager API
Reference, DescribeInstancePatchStates: "The token for the next set of items to return. (You received this
token from a previous call.)"). Here a token carries the offset of the next item and a digest of the query;
a token that does not decode, or belongs to another query, raises InvalidTokenError, which each service
answers with its own error (Security Hub InvalidInputException, Systems Manager InvalidNextToken).
"""

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
    """The offset a token points at (0 without a token)."""
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
    """(the page of `items` that `token` points at, the next page's token or None)."""
    digest = query_digest(query)
    start = decode(token, digest)
    end = start + max_results
    next_token = encode(end, digest) if end < len(items) else None
    return items[start:end], next_token
