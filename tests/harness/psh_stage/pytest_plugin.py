"""The stage's pytest plugin (entry point `pytest11`): the project's LocalStack for any suite asking.

Fixtures: `localstack` (session: started or reused), `aws_env` (the standard AWS_* settings pointing at it).
Failing tests that used LocalStack get the tail of its log in their report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from psh_stage import lifecycle


def run_on_one_worker(items: list[pytest.Item], directory: Path, group: str) -> None:
    """Mark the tests under `directory` to run on one pytest-xdist worker, in order (`--dist loadgroup`):
    the suites that share a deployment stay together, and each worker has a LocalStack of its own
    (psh_stage.lifecycle), so suites of other groups run beside them without sharing its switches."""
    for item in items:
        if item.path.is_relative_to(directory):
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def localstack() -> Iterator[lifecycle.Running]:
    """A running LocalStack with the psh extension: `.endpoint`, `.env` (AWS_* settings), `.pid`.

    Reuses one that is already up (e.g. `make localstack-up`); stops it at session end only if this session
    started it and PSH_KEEP_LOCALSTACK is not set.
    """
    try:
        running = lifecycle.up(verbose=False)
    except lifecycle.HarnessError as error:
        pytest.fail(f"LocalStack did not start: {error}", pytrace=False)
    yield running
    if running.started_here and not os.environ.get("PSH_KEEP_LOCALSTACK"):
        lifecycle.down()


@pytest.fixture
def aws_env(localstack: lifecycle.Running, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point boto3 (and subprocesses such as terraform) at LocalStack through the standard AWS_* variables."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    for key, value in localstack.env.items():
        monkeypatch.setenv(key, value)
    return dict(localstack.env)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Attach the tail of LocalStack's log to failing tests that used it."""
    report = yield
    if report.failed and "localstack" in getattr(item, "fixturenames", ()):
        report.sections.append(("LocalStack log (tail)", lifecycle.log_tail(80)))
    return report
