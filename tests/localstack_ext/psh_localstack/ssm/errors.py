"""Systems Manager's error shapes, as botocore's model declares them (ssm/2014-11-06/service-2.json).

Every code raised here is an exception of that model (its `errors` lists per operation say which operation
may raise which). Client errors answer 400, as the Systems Manager API Reference lists them
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html, and each operation's
"Errors" section); InternalServerError is the model's one server fault (500).
"""

from __future__ import annotations

from localstack.aws.api import CommonServiceException

from psh_localstack.faults import THROTTLE, RequestRejectedError


def client_error(code: str, message: str) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=400)


def validation_error(message: str) -> CommonServiceException:
    # The wording of AWS's request validation ("1 validation error detected: Value at 'x' failed to satisfy
    # constraint: ..."), as SSM answers a request outside its model's constraints.
    return client_error("ValidationException", message)


def invalid_next_token() -> CommonServiceException:
    # InvalidNextToken: "The specified token isn't valid." (botocore model; listed by every paged read).
    return client_error("InvalidNextToken", "The specified token isn't valid.")


def rejection(rejected: RequestRejectedError) -> CommonServiceException:
    """The answer of a request refused by the fault switch (psh_localstack.faults).

    throttle: ThrottlingException, 400 ("The request was denied due to request throttling", Systems Manager
    API Reference, Common Errors; the model's ThrottlingException shape). unavailable: InternalServerError,
    500 ("An error occurred on the server side", the model's server fault)."""
    if rejected.reason == THROTTLE:
        return CommonServiceException("ThrottlingException", "Rate exceeded", status_code=400)
    return CommonServiceException(
        "InternalServerError", "An internal error occurred (injected)", status_code=500, sender_fault=False
    )
