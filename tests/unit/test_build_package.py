"""The Lambda packages: one set per architecture, byte-reproducible, self-contained (apart from boto3, which
Lambda provides), built from the files git tracks with hash-pinned dependencies; the release files; and the
one version that the manifests, the findings, the README and the changelog agree on."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import patch_securityhub
import pytest
from patch_securityhub.finding import FindingContext
from psh_stage.paths import BUILD, ROOT

LAMBDA_SRC = ROOT / "lambda_src"
BUILDER = LAMBDA_SRC / "build_package.py"
SHARED_CACHE = BUILD / "lambda-deps"  # the cache `make package` uses: downloads happen once
ARCHITECTURES = ("x86_64", "arm64")
ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # e_machine of the ELF header: EM_X86_64, EM_AARCH64
VERSION = patch_securityhub.__version__


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run_builder(*args: str, builder: Path = BUILDER) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(builder), *args, "--cache-dir", str(SHARED_CACHE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def package(out: Path, *arches: str, builder: Path = BUILDER) -> Path:
    """What `make package` runs."""
    options = [option for arch in arches for option in ("--arch", arch)]
    result = run_builder("package", "--out", str(out), *options, builder=builder)
    assert result.returncode == 0, result.stderr
    return out


def manifest_of(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "manifest.json").read_text())


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return package(tmp_path_factory.mktemp("dist1")), package(tmp_path_factory.mktemp("dist2"))


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "release"
    result = run_builder("release", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_make_package_builds_every_architecture(two_builds: tuple[Path, Path]) -> None:
    first, _ = two_builds
    assert sorted(p.name for p in first.iterdir()) == sorted(ARCHITECTURES)
    for arch in ARCHITECTURES:
        assert sorted(p.name for p in (first / arch).iterdir()) == [
            "forwarder.zip",
            "manifest.json",
            "redrive.zip",
        ]


def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    first, second = two_builds
    for arch in ARCHITECTURES:
        for name in ("forwarder.zip", "redrive.zip", "manifest.json"):
            assert (first / arch / name).read_bytes() == (second / arch / name).read_bytes(), (arch, name)


def test_no_byte_of_a_package_depends_on_the_checkout_path(two_builds: tuple[Path, Path]) -> None:
    """pip writes console scripts whose shebang is the installing interpreter's path, and lists their hashes
    in each dist-info RECORD: neither may reach the zip, or two checkouts build different packages."""
    first, _ = two_builds
    checkout = str(ROOT).encode()
    for arch in ARCHITECTURES:
        with zipfile.ZipFile(first / arch / "forwarder.zip") as archive:
            for name in archive.namelist():
                data = archive.read(name)
                assert checkout not in data and sys.executable.encode() not in data, (arch, name)
                if name.endswith(".dist-info/RECORD"):
                    assert b"../../bin/" not in data, (arch, name)


def test_manifest_describes_each_zip(two_builds: tuple[Path, Path]) -> None:
    pinned = re.findall(
        r"^([A-Za-z0-9._-]+)==(\S+)", (LAMBDA_SRC / "requirements-lambda.in").read_text(), re.M
    )
    pins = {canonical(name): version for name, version in pinned}
    for arch in ARCHITECTURES:
        directory = two_builds[0] / arch
        manifest = manifest_of(directory)
        assert manifest["name"] == "patch-securityhub"
        assert manifest["version"] == VERSION
        assert manifest["architecture"] == arch
        assert (
            manifest["platform"] == {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}[arch]
        )
        assert manifest["python"] == "3.12"
        assert manifest["source"]["selection"] == "git ls-files"
        assert set(manifest["artifacts"]) == {"forwarder", "redrive"}
        for artifact in manifest["artifacts"].values():
            data = (directory / artifact["file"]).read_bytes()
            assert artifact["size"] == len(data)
            assert artifact["sha256_hex"] == hashlib.sha256(data).hexdigest()
            # Lambda's CodeSha256 and Terraform's filebase64sha256(): base64 of the raw digest.
            assert artifact["sha256_base64"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
            with zipfile.ZipFile(directory / artifact["file"]) as archive:
                assert artifact["unzipped_size"] == sum(i.file_size for i in archive.infolist())
        dependencies = manifest["artifacts"]["forwarder"]["dependencies"]
        assert {canonical(name): version for name, version in dependencies.items()} == pins
        assert manifest["artifacts"]["redrive"]["dependencies"] == {}


def test_zip_entries_are_normalised(two_builds: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(two_builds[0] / "x86_64" / "forwarder.zip") as archive:
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


def test_each_architecture_carries_its_own_compiled_code(two_builds: tuple[Path, Path]) -> None:
    for arch in ARCHITECTURES:
        with zipfile.ZipFile(two_builds[0] / arch / "forwarder.zip") as archive:
            shared = [n for n in archive.namelist() if n.endswith(".so") or ".so." in n]
            assert shared, arch
            for name in shared:
                header = archive.read(name)[:20]
                assert header[:4] == b"\x7fELF", name
                assert int.from_bytes(header[18:20], "little") == ELF_MACHINE[arch], (arch, name)


def test_redrive_zip_is_the_same_on_every_architecture(two_builds: tuple[Path, Path]) -> None:
    x86, arm = (two_builds[0] / arch / "redrive.zip" for arch in ARCHITECTURES)
    assert x86.read_bytes() == arm.read_bytes()


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
    with zipfile.ZipFile(two_builds[0] / "x86_64" / "forwarder.zip") as archive:  # this host's architecture
        archive.extractall(tmp_path)
    out = run_isolated(
        tmp_path,
        "import json, sys\n"
        "import patch_securityhub.forwarder\n"
        "from patch_securityhub.events import parse_event\n"
        "from patch_securityhub.finding import FindingContext\n"
        "event = {'version': '0', 'id': 'x', 'detail-type': 'Configuration Compliance State Change',\n"
        " 'source': 'aws.ssm', 'account': '111122223333', 'time': '2026-11-23T10:00:00Z',\n"
        " 'region': 'us-east-2',\n"
        " 'detail': {'resource-id': 'i-0123456789abcdef0', 'resource-type': 'managed-instance',\n"
        "  'compliance-type': 'Patch', 'compliance-status': 'non_compliant'}}\n"
        "print(parse_event(json.dumps(event), account='111122223333', region='us-east-2').node_id)\n"
        "print('boto3' in sys.modules)\n"
        "print(FindingContext('111122223333', 'us-east-2').provider_version)\n",
    )
    assert out.split() == ["i-0123456789abcdef0", "False", VERSION]


def test_redrive_zip_imports_without_third_party_packages(
    two_builds: tuple[Path, Path], tmp_path: Path
) -> None:
    with zipfile.ZipFile(two_builds[0] / "x86_64" / "redrive.zip") as archive:
        archive.extractall(tmp_path)
        names = archive.namelist()
    assert not any(n.startswith("jsonschema/") for n in names)
    # Only what the redrive handler imports: not the finding validator, the schemas or the forwarder.
    assert "patch_securityhub/finding_check.py" not in names
    assert not any(n.startswith("patch_securityhub/schemas/") for n in names)
    assert "patch_securityhub/forwarder.py" not in names
    assert run_isolated(tmp_path, "import patch_securityhub.redrive; print('ok')").strip() == "ok"


def test_release_files(release_dir: Path, two_builds: tuple[Path, Path]) -> None:
    expected = {"LICENSE", "SHA256SUMS"}
    for arch in ARCHITECTURES:
        expected |= {
            f"patch-securityhub-forwarder-{VERSION}-{arch}.zip",
            f"patch-securityhub-redrive-{VERSION}-{arch}.zip",
            f"patch-securityhub-{VERSION}-{arch}.manifest.json",
        }
    assert {p.name for p in release_dir.iterdir()} == expected
    # `sha256sum -c SHA256SUMS`: every other file, once.
    lines = (release_dir / "SHA256SUMS").read_text().splitlines()
    sums = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert set(sums) == expected - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((release_dir / name).read_bytes()).hexdigest() == digest, name
    for arch in ARCHITECTURES:
        manifest = json.loads((release_dir / f"patch-securityhub-{VERSION}-{arch}.manifest.json").read_text())
        built = manifest_of(two_builds[0] / arch)
        assert manifest["architecture"] == arch
        assert manifest["version"] == VERSION
        for role, artifact in manifest["artifacts"].items():
            assert artifact["file"] == f"patch-securityhub-{role}-{VERSION}-{arch}.zip"
            # The same bytes as `make package` builds: a release is those zips, renamed.
            assert artifact["sha256_hex"] == built["artifacts"][role]["sha256_hex"]
            assert sums[artifact["file"]] == artifact["sha256_hex"]


def test_release_carries_the_license(release_dir: Path) -> None:
    assert (release_dir / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert "Version 2.0, January 2004" in (ROOT / "LICENSE").read_text()


def lock_entries(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """requirements-lambda.txt: pin -> (wheel names from the comments above it, its hashes)."""
    entries: dict[str, tuple[list[str], list[str]]] = {}
    wheels: list[str] = []
    for block in re.split(r"\n(?!    )", text.strip()):
        if block.startswith("# ") and block[2:].endswith(".whl"):
            wheels.append(block[2:])
        elif not block.startswith("#"):
            pin = block.split()[0]
            entries[pin] = (wheels, re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
            wheels = []
    return entries


def test_every_pin_carries_the_hash_of_each_platforms_wheel() -> None:
    pins = re.findall(r"^[A-Za-z0-9._-]+==\S+", (LAMBDA_SRC / "requirements-lambda.in").read_text(), re.M)
    entries = lock_entries((LAMBDA_SRC / "requirements-lambda.txt").read_text())
    assert sorted(entries) == sorted(pins)
    for pin, (wheels, hashes) in entries.items():
        assert len(hashes) == len(wheels) >= 1, pin
        if not (len(wheels) == 1 and wheels[0].endswith("-none-any.whl")):
            # A compiled distribution: one wheel per Lambda platform.
            assert any("x86_64" in w for w in wheels), pin
            assert any("aarch64" in w for w in wheels), pin


def test_a_wheel_that_does_not_match_its_hash_stops_the_build(tmp_path: Path) -> None:
    builder = copy_sources(tmp_path / "src")
    lock = builder.parent / "requirements-lambda.txt"
    text = lock.read_text()
    attrs_hash = re.search(r"attrs==\S+ \\\n    --hash=sha256:([0-9a-f]{64})", text)[1]
    lock.write_text(text.replace(attrs_hash, "0" * 64))
    result = run_builder("package", "--out", str(tmp_path / "dist"), "--arch", "x86_64", builder=builder)
    assert result.returncode != 0
    assert "DO NOT MATCH THE HASHES" in result.stderr


def copy_sources(target: Path) -> Path:
    """lambda_src's build inputs as a source archive holds them: the builder, the lock, the package."""
    target.mkdir()
    for name in ("build_package.py", "requirements-lambda.in", "requirements-lambda.txt"):
        shutil.copyfile(LAMBDA_SRC / name, target / name)
    shutil.copytree(
        LAMBDA_SRC / "patch_securityhub",
        target / "patch_securityhub",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return target / "build_package.py"


def package_names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return [n for n in archive.namelist() if n.startswith("patch_securityhub/")]


def test_an_untracked_runtime_file_stops_the_build(tmp_path: Path) -> None:
    builder = copy_sources(tmp_path / "src")
    subprocess.run(["git", "init", "-q", str(builder.parent)], check=True)
    subprocess.run(["git", "-C", str(builder.parent), "add", "."], check=True)
    (builder.parent / "patch_securityhub" / "scratch.py").write_text("print('not committed')\n")
    (builder.parent / "patch_securityhub" / "notes.txt").write_text("not a runtime file\n")
    result = run_builder("package", "--out", str(tmp_path / "dist"), "--arch", "x86_64", builder=builder)
    assert result.returncode != 0
    assert "scratch.py" in result.stderr and "git add" in result.stderr
    assert "notes.txt" not in result.stderr
    assert not (tmp_path / "dist").exists()


def test_only_tracked_files_are_packaged(tmp_path: Path, two_builds: tuple[Path, Path]) -> None:
    builder = copy_sources(tmp_path / "src")
    (builder.parent / "patch_securityhub" / "README.txt").write_text("tracked, not a runtime file\n")
    (builder.parent / ".gitignore").write_text("local_settings.py\n")
    (builder.parent / "patch_securityhub" / "local_settings.py").write_text("SECRET = 'ignored by git'\n")
    subprocess.run(["git", "init", "-q", str(builder.parent)], check=True)
    subprocess.run(["git", "-C", str(builder.parent), "add", "."], check=True)
    out = package(tmp_path / "dist", "x86_64", builder=builder)
    names = package_names(out / "x86_64" / "forwarder.zip")
    assert names == package_names(two_builds[0] / "x86_64" / "forwarder.zip")
    assert manifest_of(out / "x86_64")["source"]["commit"] is None  # nothing committed in the copy


def test_outside_a_git_checkout_the_runtime_suffixes_select_the_files(
    tmp_path: Path, two_builds: tuple[Path, Path]
) -> None:
    builder = copy_sources(tmp_path / "src")
    (builder.parent / "patch_securityhub" / "README.txt").write_text("not a runtime file\n")
    (builder.parent / "patch_securityhub" / ".cache").mkdir()
    (builder.parent / "patch_securityhub" / ".cache" / "state.json").write_text("{}\n")
    out = package(tmp_path / "dist", "x86_64", builder=builder)
    assert package_names(out / "x86_64" / "forwarder.zip") == package_names(
        two_builds[0] / "x86_64" / "forwarder.zip"
    )
    source = manifest_of(out / "x86_64")["source"]
    assert source == {"selection": "runtime suffixes (not a git checkout)", "commit": None, "modified": None}


def test_one_version_everywhere(two_builds: tuple[Path, Path]) -> None:
    project = tomllib.loads((LAMBDA_SRC / "pyproject.toml").read_text())
    # pyproject.toml holds no version of its own: setuptools reads patch_securityhub.__version__.
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "patch_securityhub.__version__"}
    assert importlib.metadata.version("patch-securityhub") == VERSION
    assert FindingContext("111122223333", "us-east-1").provider_version == VERSION  # ProviderVersion
    for arch in ARCHITECTURES:
        assert manifest_of(two_builds[0] / arch)["version"] == VERSION
    readme = (ROOT / "README.md").read_text()
    assert f"patch-securityhub-forwarder-{VERSION}-arm64.zip" in readme
    changelog = (ROOT / "CHANGELOG.md").read_text()
    unreleased = changelog.split("## [Unreleased]", 1)[1].split("\n## ", 1)[0]
    assert f"released as {VERSION}" in unreleased or f"## [{VERSION}]" in changelog
