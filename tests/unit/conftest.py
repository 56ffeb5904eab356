"""Fixtures for the forwarder unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from unit_helpers import REGION


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[dict[str, Any]]:
    """SSM, Security Hub and EC2 clients with Stubbers (activated); asserts every queued response was used."""
    ssm = boto3.client("ssm", region_name=REGION)
    securityhub = boto3.client("securityhub", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    stubs = {"ssm": Stubber(ssm), "securityhub": Stubber(securityhub), "ec2": Stubber(ec2)}
    for stub in stubs.values():
        stub.activate()
    clients = {"ssm": ssm, "securityhub": securityhub, "ec2": ec2}
    yield {**clients, **{f"{k}_stub": v for k, v in stubs.items()}}
    for stub in stubs.values():
        stub.deactivate()
