"""Shared pytest fixtures: the project's LocalStack (session) and AWS client settings pointing at it."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HARNESS_DIR = Path(__file__).resolve().parent / "harness"


def _load_harness() -> ModuleType:
    # Loaded by path: the module is named localstack.py, which must not shadow LocalStack's own package.
    spec = importlib.util.spec_from_file_location("psh_localstack_harness", HARNESS_DIR / "localstack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


localstack_harness = _load_harness()


@pytest.fixture(scope="session")
def localstack() -> Iterator[localstack_harness.Running]:
    """A running LocalStack with the psh extension: `.endpoint`, `.env` (AWS_* settings), `.pid`.

    Reuses one that is already up (e.g. `make localstack-up`); stops it at session end only if this session
    started it and PSH_KEEP_LOCALSTACK is not set.
    """
    try:
        running = localstack_harness.up(verbose=False)
    except localstack_harness.HarnessError as error:
        pytest.fail(f"LocalStack did not start: {error}", pytrace=False)
    yield running
    if running.started_here and not os.environ.get("PSH_KEEP_LOCALSTACK"):
        localstack_harness.down()


@pytest.fixture
def aws_env(localstack: localstack_harness.Running, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
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
        report.sections.append(("LocalStack log (tail)", localstack_harness.log_tail(80)))
    return report
