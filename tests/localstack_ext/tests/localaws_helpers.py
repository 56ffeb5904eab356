"""Plain helpers of the local AWS's tests: boto3 clients of one account, findings, error fields, waiting.

Imported by name from the tests of this directory (pytest's prepend import mode puts it on the path); the
fixtures built on them are in conftest.py.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
SSM_ACCOUNT = "333333333333"  # the account of the `ssm_client` fixture: nodes registered there are its own


def make_client(
    endpoint: str, account_id: str, region: str = REGION, validate: bool = True, service: str = "securityhub"
) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account_id,
        aws_secret_access_key="test",
        # One attempt: tests must see the service's answers, not botocore's retries.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate),
    )


@dataclass
class Account:
    id: str
    endpoint: str
    client: Any
    raw_client: Any  # no client-side parameter validation: sends what the service must reject itself

    @property
    def product_arn(self) -> str:
        return f"arn:aws:securityhub:{REGION}:{self.id}:product/{self.id}/default"

    @property
    def hub_arn(self) -> str:
        return f"arn:aws:securityhub:{REGION}:{self.id}:hub/default"

    def finding(self, finding_id: str, **overrides: Any) -> dict[str, Any]:
        return make_finding(self.id, self.product_arn, finding_id, **overrides)

    def get_all(self, **kwargs: Any) -> list[dict[str, Any]]:
        findings: list[dict[str, Any]] = []
        token = None
        while True:
            page = self.client.get_findings(**kwargs, **({"NextToken": token} if token else {}))
            findings.extend(page["Findings"])
            token = page.get("NextToken")
            if not token:
                return findings

    def get_one(self, finding_id: str, product_arn: str | None = None) -> dict[str, Any]:
        filters = {
            "Id": [{"Value": finding_id, "Comparison": "EQUALS"}],
            "ProductArn": [{"Value": product_arn or self.product_arn, "Comparison": "EQUALS"}],
        }
        found = self.client.get_findings(Filters=filters)["Findings"]
        assert len(found) == 1, found
        return found[0]


def random_account_id() -> str:
    return str(random.randint(100_000_000_000, 999_999_999_999))


def make_finding(account_id: str, product_arn: str, finding_id: str, **overrides: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": product_arn,
        "GeneratorId": "example-integration/patch-compliance",
        "AwsAccountId": account_id,
        "Types": ["Software and Configuration Checks/Patch Management"],
        "CreatedAt": "2026-01-01T00:00:00Z",
        "UpdatedAt": "2026-01-01T00:00:00Z",
        "Severity": {"Label": "HIGH"},
        "Title": f"Missing patches on {finding_id}",
        "Description": "The node is missing security patches.",
        "Resources": [
            {"Type": "AwsEc2Instance", "Id": f"arn:aws:ec2:{REGION}:{account_id}:instance/i-{finding_id}"}
        ],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    }
    finding.update(overrides)
    return finding


def native_patch_finding(
    account_id: str, finding_id: str, instance_id: str, **overrides: Any
) -> dict[str, Any]:
    product_arn = f"arn:aws:securityhub:{REGION}::product/aws/ssm-patch-manager"
    base = make_finding(account_id, product_arn, finding_id, GeneratorId="AWS-RunPatchBaseline")
    base["Resources"] = [
        {"Type": "AwsEc2Instance", "Id": f"arn:aws:ec2:{REGION}:{account_id}:instance/{instance_id}"}
    ]
    base.update(overrides)
    return base


def error_code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def status_code(error: ClientError) -> int:
    return error.response["ResponseMetadata"]["HTTPStatusCode"]


def eventually(check: Callable[[], bool], timeout_s: float = 20.0, interval_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval_s)
    return check()
