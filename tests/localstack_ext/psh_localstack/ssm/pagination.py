"""NextToken / MaxResults of the Systems Manager reads, over the shared tokens of psh_localstack.paging."""

from __future__ import annotations

from typing import Any

from psh_localstack import paging
from psh_localstack.ssm import errors

_NOT_QUERY = ("NextToken", "MaxResults")


def page(
    items: list[Any], request: dict[str, Any], operation: str, default_size: int
) -> tuple[list[Any], dict[str, str]]:
    """(the requested page of `items`, {"NextToken": ...} while more remain, else {}).

    The token is bound to the operation and the request's other parameters; a token from elsewhere answers
    InvalidNextToken, as each paged read of the model declares."""
    query = {"op": operation, **{key: value for key, value in request.items() if key not in _NOT_QUERY}}
    size = int(request.get("MaxResults") or default_size)
    try:
        chunk, token = paging.page(items, request.get("NextToken"), size, query)
    except paging.InvalidTokenError:
        raise errors.invalid_next_token() from None
    return chunk, ({"NextToken": token} if token else {})


def check_max_results(request: dict[str, Any], low: int, high: int) -> None:
    """MaxResults within the model's range, else AWS's request validation (ValidationException). botocore
    checks only the minimum on the client; the service enforces both."""
    size = request.get("MaxResults")
    if size is None:
        return
    if size > high:
        raise errors.validation_error(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high}"
        )
    if size < low:
        raise errors.validation_error(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low}"
        )
