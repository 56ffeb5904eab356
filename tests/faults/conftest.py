"""The fault matrix's one deployment of examples/complete (account 222222222222, stage "faults") and its
results table, printed at the end of the session and written to build/faults.json.

The forwarder timeout is 5 s (queue visibility 30 s, two receives before the DLQ, redrive every minute): the
shortest retry window the module allows for a batch of 25 nodes with room to spare, so that every fault
recovers within the suite's time budget. Everything else is examples/complete as users apply it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matrix
import pytest
from psh_localstack.client import securityhub as securityhub_control
from psh_localstack.client import ssm as ssm_control
from psh_stage.deployments import Deployment, build_package, deploy
from psh_stage.pytest_plugin import run_on_one_worker
from psh_stage.report import write_page

FAULTS_ACCOUNT = "222222222222"
FAULTS_TF_VARS = {"forwarder_timeout": 5}

ROWS: list[matrix.Row] = []


@pytest.fixture(scope="session")
def package() -> Path:
    return build_package()


@pytest.fixture(scope="session")
def deployment(localstack: Any, package: Path) -> Iterator[Deployment]:
    deployed = deploy(localstack.env, FAULTS_ACCOUNT, "faults", **FAULTS_TF_VARS)
    yield deployed
    clear_faults(localstack.endpoint)
    deployed.stage.destroy()


def clear_faults(endpoint: str) -> None:
    securityhub_control.clear_fault(endpoint)
    securityhub_control.fail_findings(endpoint, "-", 0)
    ssm_control.clear_fault(endpoint)


@pytest.fixture
def record() -> Any:
    """record(row): adds a measured row to the session's table."""
    return ROWS.append


@pytest.fixture(autouse=True)
def no_fault_left_behind(localstack: Any) -> Iterator[None]:
    yield
    clear_faults(localstack.endpoint)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The rows of this process (a pytest-xdist worker's, or the only process's) go to build/faults.json."""
    if ROWS:
        matrix.write_results(ROWS)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or the only process): no stale rows
        matrix.RESULTS_FILE.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rows = ROWS or matrix.read_results()  # under pytest-xdist the rows were written by a worker
    if not rows:
        return
    ROWS[:] = rows
    terminalreporter.section("fault matrix")
    terminalreporter.write_line(matrix.table(ROWS))
    terminalreporter.write_line(f"written to {matrix.RESULTS_FILE}")
    page = os.environ.get("PSH_FAULTS_PAGE")  # `make faults` regenerates the committed results page
    if page:
        write_page(Path(page), "Fault matrix", "make faults", matrix.page_body(ROWS))
        terminalreporter.write_line(f"and to {page}")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    run_on_one_worker(items, Path(__file__).parent, "faults")
