"""Terraform lint for `make lint`: fmt, init + validate of the module and every example, the module's native
`terraform test` files (modules/patch-securityhub/tests: offline, a mocked provider), checkov, docs drift.

checkov runs from its own venv (build/checkov-venv, pinned by tests/requirements/checkov.txt) because it pins
an old boto3 that the dev environment cannot share. Every step runs; the exit code is 1 if any failed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from psh_stage import paths, terraform

REPO = paths.ROOT
BUILD = paths.BUILD
CHECKOV_VENV = BUILD / "checkov-venv"
CHECKOV_REQUIREMENTS = REPO / "tests" / "requirements" / "checkov.txt"
TERRAFORM_ROOTS = (
    "modules/patch-securityhub",
    "examples/basic",
    "examples/complete",
    "examples/multi-account",
)
CHECKOV_PATHS = ("modules", "examples")
MODULE_ROOT = TERRAFORM_ROOTS[0]
# The module's `terraform test` files and their fixtures (a caller's configuration, placeholder packages) are
# no deployable configuration: checkov scans what users deploy.
CHECKOV_SKIP_PATHS = (r"/tests/fixtures/",)


def run(cmd: Sequence[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> bool:
    result = subprocess.run(list(cmd), check=False, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAILED ({result.returncode}): {' '.join(cmd)} in {cwd.relative_to(REPO) or '.'}")
        print((result.stdout + result.stderr).rstrip())
    return result.returncode == 0


def terraform_fmt(env: dict[str, str]) -> bool:
    return all(
        run(["terraform", "fmt", "-check", "-recursive", "-diff", path], env=env) for path in CHECKOV_PATHS
    )


def root_env(env: dict[str, str], root: str) -> dict[str, str]:
    """`env` with TF_DATA_DIR under build/: lint leaves no working state (.terraform) in the source tree."""
    return dict(env, TF_DATA_DIR=str(BUILD / "tf-lint" / root.replace("/", "__")))


def terraform_init(root: str, env: dict[str, str]) -> bool:
    """`terraform init`; in an example, with its committed lock file read-only: the lock must admit the
    provider this machine installs, as it will a caller's (its zh: hashes cover every published platform)."""
    readonly = ["-lockfile=readonly"] if root.startswith("examples/") else []
    command = ["terraform", "init", "-backend=false", "-input=false", "-no-color", *readonly]
    return run(command, REPO / root, env)


def terraform_validate(env: dict[str, str]) -> bool:
    ok = True
    for root in TERRAFORM_ROOTS:
        tf_env = root_env(env, root)
        ok &= terraform_init(root, tf_env) and run(
            ["terraform", "validate", "-no-color"], REPO / root, tf_env
        )
    return ok


def terraform_test(env: dict[str, str]) -> bool:
    """The module's *.tftest.hcl: plans against a mocked AWS provider (no credentials, endpoint or state)."""
    tf_env = root_env(env, MODULE_ROOT)
    return terraform_init(MODULE_ROOT, tf_env) and run(
        ["terraform", "test", "-no-color"], REPO / MODULE_ROOT, tf_env
    )


def checkov_python() -> Path:
    """The checkov venv's interpreter, (re)built when checkov.txt changed."""
    stamp = CHECKOV_VENV / ".requirements-sha256"
    wanted = hashlib.sha256(CHECKOV_REQUIREMENTS.read_bytes()).hexdigest()
    python = CHECKOV_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    base = subprocess.run(
        [sys.executable, str(REPO / "tests/tools/pick_python.py")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shutil.rmtree(CHECKOV_VENV, ignore_errors=True)
    subprocess.run([base, "-m", "venv", str(CHECKOV_VENV)], check=True)
    pip = [
        str(python),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "-r",
        str(CHECKOV_REQUIREMENTS),
    ]
    installed = subprocess.run(pip, check=False, capture_output=True, text=True)
    if installed.returncode != 0:
        raise RuntimeError(f"installing checkov failed:\n{installed.stdout}\n{installed.stderr}")
    stamp.write_text(wanted)
    return python


def run_checkov(directories: Sequence[Path], env: dict[str, str]) -> tuple[int, dict[str, list[str]]]:
    """Run checkov over `directories`; return its exit code and failed check ids by resource."""
    cmd = [str(checkov_python()), "-m", "checkov.main", "--framework", "terraform", "--quiet", "--compact"]
    cmd += ["--skip-download", "--output", "json"]
    for directory in directories:
        cmd += ["--directory", str(directory)]
    for path in CHECKOV_SKIP_PATHS:
        cmd += ["--skip-path", path]
    result = subprocess.run(cmd, check=False, cwd=REPO, env=env, capture_output=True, text=True)
    if not result.stdout.strip().startswith(("{", "[")):
        raise RuntimeError(
            f"checkov produced no report ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    failed: dict[str, list[str]] = {}
    for report in json_documents(result.stdout):
        for check in report.get("results", {}).get("failed_checks", []):  # type: ignore[union-attr]
            failed.setdefault(f"{check['file_path']}:{check['resource']}", []).append(check["check_id"])
    return result.returncode, failed


def json_documents(text: str) -> list[dict[str, object]]:
    """checkov prints one JSON report per --directory, back to back (a list if a directory has several)."""
    decoder, documents, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        documents += document if isinstance(document, list) else [document]
    return documents


def checkov(env: dict[str, str]) -> bool:
    code, failed = run_checkov([REPO / path for path in CHECKOV_PATHS], env)
    for resource, checks in sorted(failed.items()):
        print(f"checkov FAILED {resource}: {', '.join(sorted(checks))}")
    return code == 0 and not failed


def docs() -> bool:
    return run([sys.executable, str(REPO / "tests/tools/tfdocs.py"), "--check"])


def main() -> int:
    env = terraform.terraform_env()
    steps = {
        "terraform fmt": lambda: terraform_fmt(env),
        "terraform init+validate": lambda: terraform_validate(env),
        "terraform test (module)": lambda: terraform_test(env),
        "checkov": lambda: checkov(env),
        "tfdocs --check": docs,
    }
    results: list[tuple[str, bool, float]] = []
    for name, step in steps.items():
        started = time.monotonic()
        ok = step()
        results.append((name, ok, time.monotonic() - started))
    for name, ok, seconds in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name:<26} {seconds:6.1f}s")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
