"""One deployment of examples/complete on LocalStack, shared by the end-to-end tests of this directory.

Its retry timings are shortened through the example's own variables (a faster queue retry window and redrive
schedule), so the outage path completes in minutes; nothing else differs from what a user applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psh_localstack.client import securityhub as securityhub_control
from psh_stage.deployments import Deployment, build_package, deploy
from psh_stage.pytest_plugin import run_on_one_worker

E2E_ACCOUNT = "111111111111"


@pytest.fixture(scope="session")
def package() -> Path:
    """The real Lambda zips, built the way `make package` builds them."""
    return build_package()


@pytest.fixture(scope="session")
def deployment(localstack: Any, package: Path) -> Iterator[Deployment]:
    # LocalStack maps a 12-digit access key to that account: the end-to-end tests get an account of their own.
    deployed = deploy(localstack.env, E2E_ACCOUNT, "e2e")
    yield deployed
    securityhub_control.clear_fault(localstack.endpoint)
    deployed.stage.destroy()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    run_on_one_worker(items, Path(__file__).parent, "aws")
