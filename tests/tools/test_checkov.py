"""checkov really scans: the module passes, and a deliberately weakened copy fails the expected checks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lint_terraform
import pytest
from psh_stage.paths import ROOT as REPO
from psh_stage.terraform import NOT_SOURCES, terraform_env

MODULE = REPO / "modules" / "patch-securityhub"


def weaken(module_copy: Path) -> None:
    """Drop the quarantine queue's KMS encryption and give every function's role a '*' action (checkov reads
    the statement blocks of the functions' policy document, not the statements it builds from locals)."""
    sqs = module_copy / "sqs.tf"
    text = sqs.read_text()
    quarantine = text.index('resource "aws_sqs_queue" "quarantine"')
    kms_line = re.compile(r"^\s*kms_master_key_id\s*=.*\n", re.MULTILINE)
    weakened, count = kms_line.subn("", text[quarantine:], count=1)
    assert count == 1
    sqs.write_text(text[:quarantine] + weakened)

    iam = module_copy / "iam.tf"
    text = iam.read_text()
    weakened = text.replace(
        'sid       = "UseModuleKey"\n    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]',
        'sid       = "UseModuleKey"\n    actions   = ["*"]',
    )
    assert weakened != text
    iam.write_text(weakened)


@pytest.fixture(scope="module")
def checkov_env() -> dict[str, str]:
    return terraform_env()


def test_module_passes_checkov(tmp_path: Path, checkov_env: dict[str, str]) -> None:
    copy = tmp_path / "patch-securityhub"
    shutil.copytree(MODULE, copy, ignore=NOT_SOURCES)
    code, failed = lint_terraform.run_checkov([copy], checkov_env)
    assert (code, failed) == (0, {})


def test_weakened_module_fails_checkov(tmp_path: Path, checkov_env: dict[str, str]) -> None:
    copy = tmp_path / "patch-securityhub"
    shutil.copytree(MODULE, copy, ignore=NOT_SOURCES)
    weaken(copy)
    code, failed = lint_terraform.run_checkov([copy], checkov_env)
    assert code != 0
    assert "CKV_AWS_27" in failed.get("/sqs.tf:aws_sqs_queue.quarantine[0]", []), failed
    assert "CKV_AWS_49" in failed.get("/iam.tf:aws_iam_policy_document.function", []), failed
