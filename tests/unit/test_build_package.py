"""The Lambda zips are byte-reproducible and self-contained (apart from boto3, which Lambda provides)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from psh_stage.paths import ROOT


def build(out: Path) -> None:
    """What `make package` runs; the dependency cache is shared with it, so downloads happen once."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "lambda_src" / "build_package.py"),
            "--out",
            str(out),
            "--arch",
            "x86_64",
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("dist1"), tmp_path_factory.mktemp("dist2")
    build(first)
    build(second)
    return first, second


def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    first, second = two_builds
    for name in ("forwarder.zip", "redrive.zip", "manifest.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    manifest = json.loads((first / "manifest.json").read_text())
    assert set(manifest["artifacts"]) == {"forwarder.zip", "redrive.zip"}
    assert manifest["artifacts"]["forwarder.zip"]["size"] == (first / "forwarder.zip").stat().st_size


def test_zip_entries_are_normalised(two_builds: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(two_builds[0] / "forwarder.zip") as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert all((i.external_attr >> 16) & 0o777 in (0o644, 0o755) for i in infos)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "patch_securityhub/forwarder.py" in names
    assert "patch_securityhub/schemas/asff-finding.schema.json" in names
    assert any(n.startswith("jsonschema/") for n in names)
    assert any(n.startswith("rpds/") and ".so" in n for n in names)
    assert not any(n.startswith(("boto3/", "botocore/")) for n in names)


def run_isolated(directory: Path, code: str) -> str:
    """No site-packages at all (-S): only the unpacked zip (on PYTHONPATH) and the stdlib are importable."""
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(directory)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_forwarder_zip_is_self_contained(two_builds: tuple[Path, Path], tmp_path: Path) -> None:
    with zipfile.ZipFile(two_builds[0] / "forwarder.zip") as archive:
        archive.extractall(tmp_path)
    out = run_isolated(
        tmp_path,
        "import json, sys\n"
        "import patch_securityhub.forwarder\n"
        "from patch_securityhub.events import parse_event\n"
        "event = {'version': '0', 'id': 'x', 'detail-type': 'Configuration Compliance State Change',\n"
        " 'source': 'aws.ssm', 'account': '111122223333', 'time': '2026-11-23T10:00:00Z',\n"
        " 'region': 'us-east-2',\n"
        " 'detail': {'resource-id': 'i-0123456789abcdef0', 'resource-type': 'managed-instance',\n"
        "  'compliance-type': 'Patch', 'compliance-status': 'non_compliant'}}\n"
        "print(parse_event(json.dumps(event), account='111122223333', region='us-east-2').node_id)\n"
        "print('boto3' in sys.modules)\n",
    )
    assert out.split() == ["i-0123456789abcdef0", "False"]


def test_redrive_zip_imports_without_third_party_packages(
    two_builds: tuple[Path, Path], tmp_path: Path
) -> None:
    with zipfile.ZipFile(two_builds[0] / "redrive.zip") as archive:
        archive.extractall(tmp_path)
        names = archive.namelist()
    assert not any(n.startswith("jsonschema/") for n in names)
    # Only what the redrive handler imports: not the finding validator, the schemas or the forwarder.
    assert "patch_securityhub/finding_check.py" not in names
    assert not any(n.startswith("patch_securityhub/schemas/") for n in names)
    assert "patch_securityhub/forwarder.py" not in names
    assert run_isolated(tmp_path, "import patch_securityhub.redrive; print('ok')").strip() == "ok"
