"""SDK clients of the Lambda runtimes, created once per container on first use (never at import)."""

from __future__ import annotations

from typing import Any

USER_AGENT_EXTRA = "patch-securityhub"


def sdk_config(attempts: int) -> Any:
    """The SDK settings of every client: short connect timeout, standard retry mode with `attempts` total
    attempts per call. The forwarder passes 1: its own deadline-aware Backoff is then the only retry policy,
    so an outage ends in partial batch failures before the function's timeout instead of two retry layers
    multiplying into it."""
    from botocore.config import Config  # noqa: PLC0415 - loaded on first use, not at import

    return Config(
        connect_timeout=5,
        read_timeout=30,
        retries={"mode": "standard", "total_max_attempts": attempts},
        user_agent_extra=USER_AGENT_EXTRA,
    )


def clients(region: str, *services: str, attempts: int) -> list[Any]:
    """One client per service, with standard endpoint resolution (AWS_ENDPOINT_URL etc. apply)."""
    import boto3  # noqa: PLC0415 - loaded on first use, not at import

    config = sdk_config(attempts)
    session = boto3.session.Session(region_name=region)
    return [session.client(service, config=config) for service in services]
