"""Paging of AWS list calls as botocore's paginators do it, bounded for a Lambda invocation.

botocore's PageIterator (botocore/paginate.py) follows NextToken until the response has none, whatever the
page holds: SSM can answer an empty page that still carries a NextToken (seen with DescribeInstanceInformation
filters, aws/aws-cli#2626), so an empty page does not end paging. It refuses a token it has already been given
("The same next token was received twice"). On top of that, every page after the first checks the
invocation's deadline and the number of pages is bounded, so a server that never stops paging cannot hold
the function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .retry import Backoff

MAX_PAGES = 1000  # 50 000 nodes at 50 per page: far beyond one invocation's batch


class PagingError(Exception):
    """Paging stopped before the last page. Transient: the records are not at fault, and the page chain
    of a later call starts afresh. `code` is a stable reason code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


def out_of_time(backoff: Backoff) -> bool:
    """True when less than the backoff's reserve is left of the invocation (never without a deadline)."""
    if backoff.remaining_seconds is None:
        return False
    return backoff.remaining_seconds() < (backoff.reserve_seconds or 0.0)


def pages(
    backoff: Backoff,
    method: Callable[..., Any],
    operation: str,
    /,
    *,
    start_token: str | None = None,
    **kwargs: Any,
) -> Iterator[dict[str, Any]]:
    """Every page of `method(**kwargs)`, following NextToken; raises PagingError (see the module doc).
    `start_token` resumes a chain an earlier call stopped in (that token counts as received)."""
    seen: set[str] = {start_token} if start_token else set()
    token = start_token
    for number in range(MAX_PAGES):
        # The first page is guarded by the Backoff alone, as any single call; every following page first
        # checks that the invocation still has more than its reserve left.
        if number and out_of_time(backoff):
            raise PagingError("paging_deadline", f"{operation}: the invocation's deadline is near")
        params = dict(kwargs)
        if token:
            params["NextToken"] = token
        page = backoff.call(method, **params)
        yield page
        token = page.get("NextToken")
        if not token:
            return
        if token in seen:
            raise PagingError("paging_repeated_token", f"{operation}: the same NextToken was received twice")
        seen.add(token)
    raise PagingError("paging_too_many_pages", f"{operation}: more than {MAX_PAGES} pages")
