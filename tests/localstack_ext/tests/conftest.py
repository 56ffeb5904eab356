"""Fixtures of the local AWS's tests. `localstack` and `aws_env` come from the stage's pytest plugin
(psh_stage.pytest_plugin, loaded through its pytest11 entry point).

Every Security Hub test gets its own random AWS account (LocalStack takes a 12-digit access key id as the
account id), so tests never see each other's hubs or findings and need no global reset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from localaws_helpers import SSM_ACCOUNT, Account, make_client, random_account_id
from psh_localstack.client import ssm as ssm_control
from psh_stage.pytest_plugin import run_on_one_worker


@pytest.fixture
def endpoint(localstack: Any) -> str:
    return localstack.endpoint


@pytest.fixture
def account(endpoint: str) -> Account:
    """A fresh account without Security Hub."""
    account_id = random_account_id()
    return Account(
        account_id,
        endpoint,
        make_client(endpoint, account_id),
        make_client(endpoint, account_id, validate=False),
    )


@pytest.fixture
def hub(account: Account) -> Iterator[Account]:
    """A fresh account with Security Hub enabled."""
    account.client.enable_security_hub(EnableDefaultStandards=False)
    yield account


@pytest.fixture
def ssm_client(endpoint: str) -> Any:
    """An SSM client of SSM_ACCOUNT that makes one attempt: tests see the service's answers, not retries."""
    return boto3.client(
        "ssm",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=SSM_ACCOUNT,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def ssm_behaviour(endpoint: str) -> Iterator[str]:
    """The endpoint, with the SSM behaviour switches at their defaults before and after the test."""
    ssm_control.reset_behaviour(endpoint)
    yield endpoint
    ssm_control.reset_behaviour(endpoint)


@pytest.fixture
def fleet_account(endpoint: str) -> tuple[str, Any]:
    """(account id, an SSM client of it making one attempt): a fresh account sees only its own nodes."""
    account_id = random_account_id()
    return account_id, make_client(endpoint, account_id, service="ssm")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    run_on_one_worker(items, Path(__file__).parent, "aws")
