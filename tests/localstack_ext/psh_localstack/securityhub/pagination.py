"""NextToken / MaxResults of the Security Hub reads, over the shared paging tokens (psh_localstack.paging)."""

from __future__ import annotations

from typing import Any

from psh_localstack import paging

from . import errors

# MaxResults: 1..100 (botocore model, MaxResults); without it the emulator answers pages of the maximum.
MAX_PAGE = 100


def max_results(request: dict[str, Any], default: int = MAX_PAGE) -> int:
    value = request.get("MaxResults")
    if value is None:
        return default
    if not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
        raise errors.invalid_input(f"MaxResults must be between 1 and {MAX_PAGE}")
    return value


def page(items: list[Any], request: dict[str, Any], query: Any) -> tuple[list[Any], dict[str, str]]:
    """(the requested page of `items`, {"NextToken": ...} while more remain, else {}); a token of another
    query is InvalidInputException (the error Security Hub's model lists for every paged read)."""
    size = max_results(request)
    try:
        items, token = paging.page(items, request.get("NextToken"), size, query)
    except paging.InvalidTokenError as error:
        raise errors.invalid_input(str(error)) from None
    return items, ({"NextToken": token} if token else {})
