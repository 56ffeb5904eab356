"""Environment configuration, validated once per container (cold start) with a clear error."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

ONPREM_RESOURCE_TYPES = ("AwsEc2Instance", "Other")
DEFAULT_SSM_READ_CONCURRENCY = 8
MAX_SSM_READ_CONCURRENCY = 32
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_MAX_REDRIVES = 5
DEFAULT_READ_BEHIND_RETRIES = 2
MAX_MAX_REDRIVES = 100
_QUEUE_URL = re.compile(r"^https?://\S+/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_QUEUE_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


class ConfigError(ValueError):
    """Raised when the function's environment is unusable; the message names the variable and the fix."""


@dataclass(frozen=True)
class ForwarderConfig:
    region: str
    quarantine_queue_url: str
    source_queue_url: str | None = None  # the event queue: a quarantined message is deleted from it at once
    onprem_resource_type: str = "AwsEc2Instance"
    resolve_native_findings: bool = False
    ssm_read_concurrency: int = DEFAULT_SSM_READ_CONCURRENCY
    # Receives of an event whose effect SSM's or Security Hub's read does not show yet, before it is left to
    # the sweep: fewer than the queue's maxReceiveCount, so such an event never reaches the DLQ.
    read_behind_retries: int = DEFAULT_READ_BEHIND_RETRIES
    log_level: str = "INFO"


@dataclass(frozen=True)
class RedriveConfig:
    region: str
    dlq_url: str
    dlq_arn: str
    main_queue_url: str
    main_queue_arn: str
    quarantine_queue_url: str  # where a message redriven max_redrives times goes instead of the main queue
    max_move_per_run: int = 1000
    max_redrives: int = DEFAULT_MAX_REDRIVES
    log_level: str = "INFO"


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required but not set")
    return value


def _matching(env: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = _required(env, name)
    if not pattern.match(value):
        raise ConfigError(f"environment variable {name}={value!r} is not {what}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip() or default
    if value not in choices:
        raise ConfigError(f"environment variable {name}={value!r} must be one of {', '.join(choices)}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ConfigError(f"environment variable {name}={raw!r} must be true or false")


def _whole(env: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"environment variable {name}={raw!r} must be an integer {low}..{high}")
    return int(raw)


def _region(env: Mapping[str, str]) -> str:
    region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()
    if not _REGION.match(region):
        raise ConfigError(f"AWS_REGION={region!r} is not an AWS region (the Lambda runtime sets it)")
    return region


@dataclass(frozen=True)
class SweepConfig:
    region: str
    main_queue_url: str  # the event queue: sweep requests go where the compliance events go
    log_level: str = "INFO"


def load_sweep_config(env: Mapping[str, str] | None = None) -> SweepConfig:
    env = os.environ if env is None else env
    return SweepConfig(
        region=_region(env),
        main_queue_url=_matching(env, "PSH_MAIN_QUEUE_URL", _QUEUE_URL, "an SQS queue URL"),
        log_level=_choice(env, "PSH_LOG_LEVEL", LOG_LEVELS, "INFO"),
    )


def load_forwarder_config(env: Mapping[str, str] | None = None) -> ForwarderConfig:
    env = os.environ if env is None else env
    return ForwarderConfig(
        region=_region(env),
        quarantine_queue_url=_matching(env, "PSH_QUARANTINE_QUEUE_URL", _QUEUE_URL, "an SQS queue URL"),
        source_queue_url=(
            _matching(env, "PSH_SOURCE_QUEUE_URL", _QUEUE_URL, "an SQS queue URL")
            if env.get("PSH_SOURCE_QUEUE_URL", "").strip()
            else None
        ),
        onprem_resource_type=_choice(
            env, "PSH_ONPREM_RESOURCE_TYPE", ONPREM_RESOURCE_TYPES, "AwsEc2Instance"
        ),
        resolve_native_findings=_bool(env, "PSH_RESOLVE_NATIVE_FINDINGS", False),
        ssm_read_concurrency=_whole(
            env, "PSH_SSM_READ_CONCURRENCY", 1, MAX_SSM_READ_CONCURRENCY, DEFAULT_SSM_READ_CONCURRENCY
        ),
        read_behind_retries=_whole(env, "PSH_READ_BEHIND_RETRIES", 0, 10, DEFAULT_READ_BEHIND_RETRIES),
        log_level=_choice(env, "PSH_LOG_LEVEL", LOG_LEVELS, "INFO"),
    )


def load_redrive_config(env: Mapping[str, str] | None = None) -> RedriveConfig:
    env = os.environ if env is None else env
    max_move_per_run = _whole(env, "PSH_MAX_MOVE_PER_RUN", 1, 1_000_000, 1000)
    return RedriveConfig(
        region=_region(env),
        dlq_url=_matching(env, "PSH_DLQ_URL", _QUEUE_URL, "an SQS queue URL"),
        dlq_arn=_matching(env, "PSH_DLQ_ARN", _QUEUE_ARN, "an SQS queue ARN"),
        main_queue_url=_matching(env, "PSH_MAIN_QUEUE_URL", _QUEUE_URL, "an SQS queue URL"),
        main_queue_arn=_matching(env, "PSH_MAIN_QUEUE_ARN", _QUEUE_ARN, "an SQS queue ARN"),
        quarantine_queue_url=_matching(env, "PSH_QUARANTINE_QUEUE_URL", _QUEUE_URL, "an SQS queue URL"),
        max_move_per_run=max_move_per_run,
        max_redrives=_whole(env, "PSH_MAX_REDRIVES", 1, MAX_MAX_REDRIVES, DEFAULT_MAX_REDRIVES),
        log_level=_choice(env, "PSH_LOG_LEVEL", LOG_LEVELS, "INFO"),
    )


def account_from_context(context: object) -> str:
    """The account id is the 5th field of the invoked function ARN."""
    arn = getattr(context, "invoked_function_arn", "") or ""
    parts = arn.split(":")
    if len(parts) < 6 or not re.fullmatch(r"\d{12}", parts[4]):
        raise ConfigError(f"cannot read the account id from the invoked function ARN {arn!r}")
    return parts[4]
