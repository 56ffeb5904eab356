"""One deployment of examples/complete on LocalStack, shared by the end-to-end tests of this directory.

Its retry timings are shortened through the example's own variables (a faster queue retry window and redrive
schedule), so the outage path completes in minutes; nothing else differs from what a user applies.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "harness"))

import scenario
import securityhub_control
from scenario import Aws, Stage

E2E_ACCOUNT = "111111111111"
FAST_RETRY = {
    "forwarder_timeout": 10,  # queue visibility = 6 x timeout = 60 s
    "max_receive_count": 2,
    "redrive_schedule_expression": "rate(1 minute)",
}


@dataclass
class Deployment:
    stage: Stage
    aws: Aws
    outputs: dict[str, Any]
    account: str

    @property
    def module(self) -> dict[str, Any]:
        return self.outputs["module"]

    @property
    def endpoint(self) -> str:
        return self.aws.endpoint

    @property
    def queues(self) -> dict[str, str]:
        return {
            "main": self.module["main_queue_url"],
            "dlq": self.module["dlq_url"],
            "quarantine": self.module["quarantine_queue_url"],
        }

    def findings(self, **filters: Any) -> list[dict[str, Any]]:
        return scenario.own_findings(self.aws.client("securityhub"), self.account, self.aws.region, **filters)


def complete_stage(env: dict[str, str], name: str) -> Stage:
    return Stage(
        "complete",
        name,
        env,
        tf_vars={
            "name_prefix": f"psh-{name}",
            "forwarder_zip_path": str(scenario.DIST / "forwarder.zip"),
            "redrive_zip_path": str(scenario.DIST / "redrive.zip"),
            "patch_operation": "Scan",
            **FAST_RETRY,
        },
    )


@pytest.fixture(scope="session")
def package() -> Path:
    """The real Lambda zips, built the way `make package` builds them."""
    import subprocess

    subprocess.run(
        [sys.executable, str(scenario.ROOT / "lambda_src" / "build_package.py"), "--out", str(scenario.DIST)],
        check=True,
        capture_output=True,
    )
    return scenario.DIST


@pytest.fixture(scope="session")
def deployment(localstack: Any, package: Path) -> Iterator[Deployment]:
    # LocalStack maps a 12-digit access key to that account: the end-to-end tests get an account of their own.
    env = {**localstack.env, "AWS_ACCESS_KEY_ID": E2E_ACCOUNT}
    stage = complete_stage(env, "e2e")
    stage.destroy()  # a previous interrupted run
    outputs = stage.apply()
    aws = Aws(env)
    yield Deployment(stage=stage, aws=aws, outputs=outputs, account=aws.account)
    securityhub_control.clear_fault(localstack.endpoint)
    stage.destroy()
