"""Examples deployed by Terraform (through tftest) against the local AWS, and the one Terraform environment.

- `terraform_env`: the project's CLI config (the on-disk provider mirror) plus the AWS_* settings; every
  caller that runs terraform (the stage, the plan tests, the lint tool) takes its environment from here.
- `Stage`: one example staged under build/work/<name>/ with the module beside it, so several deployments
  (demo, tests) never share state.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tftest

from psh_stage.paths import BUILD, DIST, EXAMPLES, MODULES, TERRAFORMRC, TOOLS, WORK

# What a copy of Terraform sources leaves out (and keeps in the copy): working dirs, lock files, state, plans.
NOT_SOURCE_PATTERNS = (
    ".terraform",
    ".terraform.lock.hcl",
    "terraform.tfstate*",
    "terraform.tfstate.d",
    "*.tfplan",
)
NOT_SOURCES = shutil.ignore_patterns(*NOT_SOURCE_PATTERNS)


def copy_sources(source: Path, target: Path) -> None:
    """Mirror the Terraform sources of `source` into `target`: files already there are overwritten, and
    source files that no longer exist are removed from the copy (a deleted `.tf` file would otherwise stay
    part of the configuration). The copy's working dirs, lock files, state and plans are kept."""
    shutil.copytree(source, target, ignore=NOT_SOURCES, dirs_exist_ok=True)
    for copied in sorted(target.rglob("*"), reverse=True):  # children before their directory
        relative = copied.relative_to(target)
        if any(fnmatch.fnmatch(part, p) for part in relative.parts for p in NOT_SOURCE_PATTERNS):
            continue
        if (source / relative).exists():
            continue
        if copied.is_dir():
            shutil.rmtree(copied)
        else:
            copied.unlink()


def cli_config() -> Path:
    """The project's Terraform CLI config (provider mirror, plugin cache), written if missing."""
    if not TERRAFORMRC.exists():
        subprocess.run(
            [sys.executable, str(TOOLS / "terraform_cli_config.py"), str(BUILD)],
            check=True,
            capture_output=True,
        )
    return TERRAFORMRC


def terraform_env(aws_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The one environment terraform runs in: the caller's less any AWS_* / TF_* it carries (no stray
    profile, TF_LOG or workspace), plus the project's CLI config and `aws_env` (endpoint, credentials)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "TF_"))}
    env.update(
        {
            "TF_CLI_CONFIG_FILE": str(cli_config()),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # The AWS provider 5.x reads no AWS_MAX_ATTEMPTS; the examples expose max_retries as a variable.
            "TF_VAR_aws_max_retries": "2",
        }
    )
    env.update(aws_env or {})
    return env


def planned_changes(plan: tftest.TerraformPlanOutput) -> dict[str, list[str]]:
    """Resource address -> planned actions, for every resource the plan would change (a clean re-plan: {})."""
    return {
        address: change["change"]["actions"]
        for address, change in plan.resource_changes.items()
        if change["change"]["actions"] not in (["no-op"], ["read"])
    }


@dataclass
class Stage:
    """One example, staged under build/work/<name>/ with the module beside it, driven by tftest."""

    example: str
    name: str
    aws_env: dict[str, str]
    tf_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def workdir(self) -> Path:
        return WORK / self.name

    @property
    def tfdir(self) -> Path:
        return self.workdir / "examples" / self.example

    def prepare(self) -> tftest.TerraformTest:
        # Same relative layout as the repo, so `source = "../../modules/patch-securityhub"` resolves.
        copy_sources(EXAMPLES / self.example, self.tfdir)
        copy_sources(MODULES, self.workdir / "modules")
        tf = tftest.TerraformTest(str(self.tfdir))
        tf.env = terraform_env(self.aws_env)  # replace, not merge: nothing of the caller's AWS_* leaks in
        if not (self.tfdir / ".terraform").is_dir():
            tf.setup(upgrade=False, cleanup_on_exit=False)
        return tf

    def vars(self, **overrides: Any) -> dict[str, Any]:
        return {**self.tf_vars, **overrides}

    def apply(self, **overrides: Any) -> dict[str, Any]:
        tf = self.prepare()
        tf.apply(tf_vars=self.vars(**overrides))
        return tf.output()

    def plan(self, **overrides: Any) -> tftest.TerraformPlanOutput:
        return self.prepare().plan(output=True, tf_vars=self.vars(**overrides))

    def destroy(self, **overrides: Any) -> None:
        if not (self.tfdir / "terraform.tfstate").exists():
            return
        self.prepare().destroy(tf_vars=self.vars(**overrides))

    def state_resources(self) -> list[str]:
        tf = self.prepare()
        out = tf.execute_command("state", "list").out
        return [line for line in out.splitlines() if line.strip()]


def complete_stage(env: dict[str, str], name: str, **tf_vars: Any) -> Stage:
    """examples/complete with the packaged zips, scanning (not installing); `tf_vars` add or override."""
    return Stage(
        "complete",
        name,
        env,
        tf_vars={
            "name_prefix": f"psh-{name}",
            "forwarder_zip_path": str(DIST / "forwarder.zip"),
            "redrive_zip_path": str(DIST / "redrive.zip"),
            "patch_operation": "Scan",
            **tf_vars,
        },
    )
