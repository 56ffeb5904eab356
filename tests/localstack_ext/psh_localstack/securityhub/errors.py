"""Security Hub's error shapes.

Codes and statuses of botocore's model (securityhub/2018-10-26/service-2.json: InvalidInputException 400,
InvalidAccessException 401, AccessDeniedException 403, ResourceNotFoundException 404,
ResourceConflictException 409) and of the API Reference's Common Errors
(https://docs.aws.amazon.com/securityhub/1.0/APIReference/CommonErrors.html: ServiceUnavailable 503).
"""

from __future__ import annotations

from localstack.aws.api import CommonServiceException

from psh_localstack.faults import UNAVAILABLE, RequestRejectedError


def error(code: str, message: str, status: int) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=status, sender_fault=status < 500)


def invalid_input(message: str) -> CommonServiceException:
    return error("InvalidInputException", message, 400)


def not_subscribed(account_id: str) -> CommonServiceException:
    # The message Terraform's aws_securityhub_account reads as "not found" (the service's own wording).
    return error("InvalidAccessException", f"Account {account_id} is not subscribed to AWS Security Hub", 401)


def not_found(message: str) -> CommonServiceException:
    return error("ResourceNotFoundException", message, 404)


def conflict(message: str) -> CommonServiceException:
    return error("ResourceConflictException", message, 409)


def access_denied(message: str) -> CommonServiceException:
    return error("AccessDeniedException", message, 403)


def rejection(
    rejected: RequestRejectedError, throttle_code: str = "TooManyRequestsException"
) -> CommonServiceException:
    """The answer of a request refused by a fault or the rate limiter (securityhub.traffic).

    unavailable: ServiceUnavailable, 503 ("The request has failed due to a temporary failure of the server",
    Common Errors). throttle and rate limit: 429 with `throttle_code` (traffic.Behaviour.throttle_error):
    TooManyRequestsException "Too Many Requests", what the service answers a throttled caller (e.g. "An error
    occurred (TooManyRequestsException) when calling the GetFindings operation: Too Many Requests",
    prowler-cloud/prowler#5004), or LimitExceededException, the throttling error botocore's model lists for
    the operations (429)."""
    if rejected.reason == UNAVAILABLE:
        return error("ServiceUnavailable", "Service is unavailable, please try again later", 503)
    if throttle_code == "LimitExceededException":
        return error(throttle_code, "Rate exceeded", 429)
    return error("TooManyRequestsException", "Too Many Requests", 429)
