"""Fixtures for offline `terraform plan` tests.

Terraform runs against moto's ThreadedMotoServer (only STS is needed at plan time) on a scratch copy of
modules/, examples/ and the cases' var files, so that plans never touch the work tree's .terraform dirs or
state and the examples' default zip paths (../../build/dist/x86_64/*.zip) resolve to placeholder packages
made here, laid out as `make package` lays out its output: build/dist/<arch>/{forwarder,redrive}.zip and a
manifest.json naming <arch>, for both architectures. The same pieces, outside pytest, serve
draft_inventory.py.
"""

from __future__ import annotations

import json
import shutil
import socket
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import tftest
from moto.server import ThreadedMotoServer
from plan_cases import CASES, Case
from psh_stage import paths, terraform

REPO = paths.ROOT
# A moto account that is not LocalStack's, so that tests catch anything that assumes 000000000000.
MOTO_ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_moto() -> Iterator[str]:
    """A moto server on a free local port, for as long as the block runs; yields its endpoint."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with running_moto() as endpoint:
        yield endpoint


def moto_terraform_env(endpoint: str) -> dict[str, str]:
    """The stage's one Terraform environment, pointed at the moto at `endpoint` with test credentials."""
    return terraform.terraform_env(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": REGION,
            "AWS_MAX_ATTEMPTS": "2",
        }
    )


@pytest.fixture(scope="session")
def terraform_env(moto_endpoint: str) -> dict[str, str]:
    """The stage's one Terraform environment, pointed at the session's moto."""
    return moto_terraform_env(moto_endpoint)


def write_placeholder_zip(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("patch_securityhub/__init__.py", "# placeholder package for plan tests\n")


ARCHITECTURES = ("x86_64", "arm64")


def write_placeholder_packages(dist: Path, arch: str) -> None:
    """forwarder.zip, redrive.zip and the manifest.json beside them, whose `architecture` the module reads."""
    for name in ("forwarder", "redrive"):
        write_placeholder_zip(dist / arch / f"{name}.zip")
    (dist / arch / "manifest.json").write_text(json.dumps({"architecture": arch}) + "\n")


def make_scratch_tree(root: Path) -> Path:
    """modules/, examples/ and cases/ copied under `root`, with placeholder packages in build/dist/<arch>/."""
    for part in ("modules", "examples"):
        shutil.copytree(REPO / part, root / part, ignore=terraform.NOT_SOURCES)
    shutil.copytree(CASES, root / CASES.name)
    for arch in ARCHITECTURES:
        write_placeholder_packages(root / "build" / "dist", arch)
    return root


@pytest.fixture(scope="session")
def scratch_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_scratch_tree(tmp_path_factory.mktemp("terraform"))


class PlanRunner:
    """Plans Terraform dirs of the scratch tree; `terraform init` runs once per dir per session."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self._env = env
        self._dirs: dict[str, tftest.TerraformTest] = {}
        self._plans: dict[str, tftest.TerraformPlanOutput] = {}

    def terraform(self, tfdir: str) -> tftest.TerraformTest:
        if tfdir not in self._dirs:
            tf = tftest.TerraformTest(str(self.root / tfdir))
            tf.env = dict(self._env)  # replace, not merge: no stray AWS_PROFILE or TF_LOG from the caller
            tf.setup(cleanup_on_exit=False)
            self._dirs[tfdir] = tf
        return self._dirs[tfdir]

    def plan(self, case: Case) -> tftest.TerraformPlanOutput:
        """Plan once per distinct set of inputs per session (plans of unchanged inputs are identical)."""
        key = json.dumps([case.root, list(case.var_files), case.workspace])
        if key not in self._plans:
            tf = self.terraform(case.root)
            tf.workspace(name=case.workspace)
            files = [str(self.root / f) for f in case.var_files]
            self._plans[key] = tf.plan(output=True, tf_var_file=files or None)
        return self._plans[key]

    def plan_error(self, case: Case) -> str:
        """Run a plan that must fail; return its diagnostics as one whitespace-normalised line."""
        try:
            self.plan(case)
        except tftest.TerraformTestError as failure:
            return diagnostics(failure)
        pytest.fail(f"the plan of {case.source} succeeded, yet the case expects it refused")


def diagnostics(failure: tftest.TerraformTestError) -> str:
    """A failed plan's diagnostics as one line: box-drawing characters and line breaks become spaces."""
    text = " ".join(str(arg) for arg in failure.args)
    return " ".join(text.replace("│", " ").replace("╷", " ").replace("╵", " ").split())


@pytest.fixture(scope="session")
def plans(scratch_tree: Path, terraform_env: dict[str, str]) -> PlanRunner:
    return PlanRunner(scratch_tree, terraform_env)
