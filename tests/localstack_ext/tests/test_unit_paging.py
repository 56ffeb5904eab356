"""psh_localstack.paging without LocalStack: opaque NextToken values bound to their query."""

from __future__ import annotations

import pytest
from psh_localstack import paging

ITEMS = list(range(7))
QUERY = {"op": "List", "filters": {"a": 1}}


def test_pages_follow_each_other_until_the_last_has_no_token() -> None:
    seen, token, pages = [], None, 0
    while True:
        chunk, token = paging.page(ITEMS, token, 3, QUERY)
        seen.extend(chunk)
        pages += 1
        if token is None:
            break
    assert seen == ITEMS and pages == 3


def test_an_exact_fit_ends_without_a_token() -> None:
    assert paging.page(ITEMS, None, 7, QUERY) == (ITEMS, None)


def test_a_token_belongs_to_its_query() -> None:
    _, token = paging.page(ITEMS, None, 3, QUERY)
    with pytest.raises(paging.InvalidTokenError, match="does not belong to this request"):
        paging.page(ITEMS, token, 3, {"op": "List", "filters": {"a": 2}})
    # The same query in another key order is the same query.
    assert paging.page(ITEMS, token, 3, {"filters": {"a": 1}, "op": "List"})[0] == [3, 4, 5]


@pytest.mark.parametrize("token", ["not base64!", "bm90IGpzb24=", paging.encode(-1, "x")])
def test_a_token_that_does_not_decode_is_invalid(token: str) -> None:
    with pytest.raises(paging.InvalidTokenError):
        paging.decode(token, "x")
