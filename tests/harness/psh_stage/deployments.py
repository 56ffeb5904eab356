"""examples/complete deployed on LocalStack for the end-to-end tests and the fault matrix.

Its retry timings are shortened through the example's own variables (a faster queue retry window and redrive
schedule), so the outage path completes in minutes; nothing else differs from what a user applies. Each suite
uses its own account (LocalStack maps a 12-digit access key to that account) and its own work directory.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psh_stage import terraform
from psh_stage.aws import Aws
from psh_stage.findings import own_findings
from psh_stage.paths import DIST, PACKAGES, ROOT, STAGE_ARCHITECTURE
from psh_stage.terraform import Stage

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
        return own_findings(self.aws.client("securityhub"), self.account, self.aws.region, **filters)


def build_package() -> Path:
    """The real Lambda zips of the stage's architecture, built the way `make package` builds them: once per
    test run, whichever of the run's pytest-xdist workers comes first (the others wait for it and reuse them:
    a zip rewritten while another worker's Terraform reads it would be torn)."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
    marker = PACKAGES / ".built-for-run"
    PACKAGES.mkdir(parents=True, exist_ok=True)
    with open(PACKAGES / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if run_id and marker.exists() and marker.read_text() == run_id:
            return DIST
        _build()
        marker.write_text(run_id)
    return DIST


def _build() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "lambda_src" / "build_package.py"),
            "package",
            "--out",
            str(PACKAGES),
            "--arch",
            STAGE_ARCHITECTURE,
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:  # e.g. an untracked runtime file: the builder says which
        raise RuntimeError(f"build_package.py failed ({result.returncode}): {result.stderr.strip()}")


def deploy(localstack_env: dict[str, str], account: str, name: str, **tf_vars: Any) -> Deployment:
    """Apply examples/complete with FAST_RETRY in `account` (after destroying what an interrupted run left
    behind); `tf_vars` override any variable."""
    env = {**localstack_env, "AWS_ACCESS_KEY_ID": account}
    stage = terraform.complete_stage(env, name, **{**FAST_RETRY, **tf_vars})
    stage.destroy()
    outputs = stage.apply()
    aws = Aws(env)
    return Deployment(stage=stage, aws=aws, outputs=outputs, account=aws.account)
