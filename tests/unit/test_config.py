"""Forwarder configuration from the environment (validated at cold start)."""

from __future__ import annotations

import pytest
from patch_securityhub.config import (
    ConfigError,
    account_from_context,
    load_forwarder_config,
    load_sweep_config,
)
from unit_helpers import ACCOUNT, REGION, LambdaContext

QUEUE = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/patch-securityhub-quarantine"


def test_defaults() -> None:
    config = load_forwarder_config({"AWS_REGION": REGION, "PSH_QUARANTINE_QUEUE_URL": QUEUE})
    assert config.onprem_resource_type == "AwsEc2Instance"
    assert config.resolve_native_findings is False
    assert config.log_level == "INFO"
    assert config.source_queue_url is None


def test_localstack_style_queue_url_is_accepted() -> None:
    url = f"http://sqs.{REGION}.localhost.localstack.cloud:4566/000000000000/q"
    assert (
        load_forwarder_config({"AWS_REGION": REGION, "PSH_QUARANTINE_QUEUE_URL": url}).quarantine_queue_url
        == url
    )


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"PSH_QUARANTINE_QUEUE_URL": ""}, "PSH_QUARANTINE_QUEUE_URL"),
        ({"PSH_QUARANTINE_QUEUE_URL": "not-a-url"}, "PSH_QUARANTINE_QUEUE_URL"),
        ({"PSH_SOURCE_QUEUE_URL": "arn:aws:sqs:us-east-1:111122223333:q"}, "PSH_SOURCE_QUEUE_URL"),
        ({"PSH_ONPREM_RESOURCE_TYPE": "Server"}, "PSH_ONPREM_RESOURCE_TYPE"),
        ({"PSH_RESOLVE_NATIVE_FINDINGS": "maybe"}, "PSH_RESOLVE_NATIVE_FINDINGS"),
        ({"PSH_LOG_LEVEL": "LOUD"}, "PSH_LOG_LEVEL"),
        ({"AWS_REGION": "mars"}, "AWS_REGION"),
        ({"PSH_READ_BEHIND_RETRIES": "11"}, "PSH_READ_BEHIND_RETRIES"),
        ({"PSH_READ_BEHIND_RETRIES": "-1"}, "PSH_READ_BEHIND_RETRIES"),
    ],
)
def test_invalid_settings_name_the_variable(overrides: dict[str, str], variable: str) -> None:
    env = {"AWS_REGION": REGION, "PSH_QUARANTINE_QUEUE_URL": QUEUE, **overrides}
    with pytest.raises(ConfigError, match=variable):
        load_forwarder_config(env)


def test_options() -> None:
    env = {
        "AWS_REGION": REGION,
        "PSH_QUARANTINE_QUEUE_URL": QUEUE,
        "PSH_ONPREM_RESOURCE_TYPE": "Other",
        "PSH_RESOLVE_NATIVE_FINDINGS": "true",
        "PSH_LOG_LEVEL": "DEBUG",
        "PSH_SOURCE_QUEUE_URL": QUEUE.replace("quarantine", "events"),
    }
    config = load_forwarder_config(env)
    assert config.source_queue_url == QUEUE.replace("quarantine", "events")
    assert (config.onprem_resource_type, config.resolve_native_findings, config.log_level) == (
        "Other",
        True,
        "DEBUG",
    )


def test_account_comes_from_the_function_arn() -> None:
    assert account_from_context(LambdaContext()) == ACCOUNT

    class Broken:
        invoked_function_arn = "not-an-arn"

    with pytest.raises(ConfigError, match="account id"):
        account_from_context(Broken())


def test_read_behind_retries_default_and_setting() -> None:
    base = {"AWS_REGION": REGION, "PSH_QUARANTINE_QUEUE_URL": QUEUE}
    assert load_forwarder_config(base).read_behind_retries == 2
    assert load_forwarder_config({**base, "PSH_READ_BEHIND_RETRIES": "0"}).read_behind_retries == 0


def test_sweep_config_needs_the_event_queue() -> None:
    env = {"AWS_REGION": REGION, "PSH_MAIN_QUEUE_URL": QUEUE.replace("quarantine", "events")}
    assert load_sweep_config(env).main_queue_url == env["PSH_MAIN_QUEUE_URL"]
    with pytest.raises(ConfigError, match="PSH_MAIN_QUEUE_URL"):
        load_sweep_config({"AWS_REGION": REGION})
