"""The examples' dependency lock files are committed and admit the AWS provider on every platform a caller
may run Terraform on: `terraform init` verifies a downloaded provider against the lock's hashes, `zh:` (the
SHA-256 of each platform's release zip, from HashiCorp's signed SHA256SUMS) or `h1:` (of the unpacked
directory). `make lint` inits each example with `-lockfile=readonly` against this machine's provider."""

from __future__ import annotations

import re
import subprocess

from psh_stage.paths import EXAMPLES, ROOT

EXAMPLE_NAMES = ("basic", "complete", "multi-account")
# hashicorp/terraform-provider-aws 5.100.0 publishes 15 platform zips (darwin, freebsd, linux, windows).
PLATFORM_ZIPS = 15


def test_every_example_commits_one_lock_with_every_platforms_hashes() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "examples"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    locks = {name: (EXAMPLES / name / ".terraform.lock.hcl").read_text() for name in EXAMPLE_NAMES}
    for name in EXAMPLE_NAMES:
        assert f"examples/{name}/.terraform.lock.hcl" in tracked, name
    assert len(set(locks.values())) == 1  # one provider selection for all of them
    lock = locks["basic"]
    assert re.search(r'provider "registry.terraform.io/hashicorp/aws" \{\s+version\s+= "5\.100\.0"', lock)
    assert len(set(re.findall(r'"zh:([0-9a-f]{64})"', lock))) == PLATFORM_ZIPS
    assert re.findall(r'"h1:[A-Za-z0-9+/]{43}="', lock)
