"""Build the Lambda packages of patch-securityhub, one set per instruction set Lambda offers.

    build_package.py package --out build/dist [--arch x86_64] [--arch arm64]
        <out>/<arch>/forwarder.zip, redrive.zip and manifest.json for every --arch (default: both)
    build_package.py release --out build/release
        what a release publishes: patch-securityhub-<role>-<version>-<arch>.zip and
        patch-securityhub-<version>-<arch>.manifest.json for both architectures, LICENSE, SHA256SUMS
    build_package.py lock
        requirements-lambda.txt from requirements-lambda.in: the pins with the sha256 of each PyPI wheel,
        for both platforms

forwarder.zip holds the package and its pinned dependencies installed for one platform: rpds-py (under
jsonschema) is compiled, so a zip runs on its own architecture only. redrive.zip holds only the package
modules the redrive handler imports and no dependencies.

Byte-reproducible: entries sorted, timestamps fixed at 1980-01-01, modes fixed (0644, 0755 for shared
objects), no bytecode, a fixed compression level. Dependencies are installed with --require-hashes once per
(requirements, platform) into a cache under build/ and reused.

The package's files are the ones git tracks under lambda_src/patch_securityhub (runtime suffixes only).
An untracked runtime file stops the build instead of being packaged or left out silently: either way the zip
would differ from the tree the tests import. Outside a git checkout (a source archive, which holds exactly
the tracked files) the runtime suffixes alone select them.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

HERE = Path(__file__).resolve().parent
DISTRIBUTION = "patch-securityhub"
PACKAGE_DIR = HERE / "patch_securityhub"
REQUIREMENTS_IN = HERE / "requirements-lambda.in"
REQUIREMENTS = HERE / "requirements-lambda.txt"
DEFAULT_CACHE = HERE.parent / "build" / "lambda-deps"
LICENSE = HERE.parent / "LICENSE"
PYPI_INDEX = "https://pypi.org/simple"
PYTHON_VERSION = "3.12"
# Lambda's instruction sets and the wheel platform of each. Lambda's python3.12 runtime is Amazon Linux 2023
# (glibc 2.34), which runs manylinux2014 (glibc 2.17) wheels.
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
ROLES = ("forwarder", "redrive")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
RUNTIME_SUFFIXES = (".py", ".json", ".typed")
# pip settings that only say how to reach an index, kept when the lock asks PyPI itself.
PIP_TRANSPORT_SETTINGS = {"PIP_CERT", "PIP_CLIENT_CERT", "PIP_PROXY", "PIP_DEFAULT_TIMEOUT", "PIP_RETRIES"}


# --- the package's own files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """The package's files as zip entries (patch_securityhub/...) and how they were chosen."""

    files: dict[str, Path]
    selection: str
    commit: str | None
    modified: bool | None  # whether the packaged inputs differ from `commit`


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False)


def _inside_git_checkout(directory: Path) -> bool:
    try:
        result = _git(["rev-parse", "--is-inside-work-tree"], directory)
    except FileNotFoundError:
        if any((parent / ".git").exists() for parent in (directory, *directory.parents)):
            raise SystemExit(
                f"{directory} is inside a git checkout, but git is not installed: git chooses the files "
                "to package"
            ) from None
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def _git_paths(directory: Path, *options: str) -> list[str]:
    result = _git(["ls-files", "-z", *options, "--", "."], directory)
    if result.returncode != 0:
        raise SystemExit(f"git ls-files failed in {directory}: {result.stderr.strip()}")
    return [path for path in result.stdout.split("\0") if path]


def _is_runtime_file(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    hidden_or_cache = any(part.startswith(".") or part == "__pycache__" for part in parts)
    return relative.endswith(RUNTIME_SUFFIXES) and not hidden_or_cache


def select_sources(package_dir: Path = PACKAGE_DIR, requirements: Path = REQUIREMENTS) -> Sources:
    if _inside_git_checkout(package_dir):
        untracked = sorted(
            p for p in _git_paths(package_dir, "--others", "--exclude-standard") if _is_runtime_file(p)
        )
        if untracked:
            raise SystemExit(
                f"untracked files in {package_dir}: {', '.join(untracked)}. Only files git tracks are "
                "packaged: `git add` them (or remove them) and build again."
            )
        relative = [
            p
            for p in _git_paths(package_dir, "--cached")
            if _is_runtime_file(p) and (package_dir / p).is_file()
        ]
        head = _git(["rev-parse", "HEAD"], package_dir)
        commit = head.stdout.strip() if head.returncode == 0 else None
        status = _git(
            ["status", "--porcelain", "--untracked-files=no", "--", ".", str(requirements)], package_dir
        )
        selection, modified = "git ls-files", bool(status.stdout.strip())
    else:
        relative = [
            p.relative_to(package_dir).as_posix()
            for p in package_dir.rglob("*")
            if p.is_file() and _is_runtime_file(p.relative_to(package_dir).as_posix())
        ]
        selection, commit, modified = "runtime suffixes (not a git checkout)", None, None
    files = {f"{package_dir.name}/{path}": package_dir / path for path in sorted(relative)}
    return Sources(files=files, selection=selection, commit=commit, modified=modified)


def read_version(package_dir: Path = PACKAGE_DIR) -> str:
    """`__version__` of the package's __init__.py: the one version (pyproject.toml reads it there too)."""
    tree = ast.parse((package_dir / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise SystemExit(f"{package_dir / '__init__.py'} defines no __version__")


def _module_file(files: dict[str, Path], package: str, name: str) -> Path | None:
    """The file that defines package module `name` (a sub-package: its __init__.py); None if there is none."""
    return files.get(f"{package}/{name}.py") or files.get(f"{package}/{name}/__init__.py")


def imported_modules(files: dict[str, Path], module: str) -> set[str]:
    """`module` and every package module it imports, directly or through another one. Imports inside
    functions count too: a handler may import lazily what it needs on some path only."""
    package = PurePosixPath(next(iter(files))).parts[0]
    found: set[str] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        source = _module_file(files, package, name)
        if name in found or source is None:  # None: a name such as `from . import __version__`
            continue
        found.add(name)
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import y / from . import x
                names = [node.module] if node.module else [alias.name for alias in node.names]
                pending.extend(n.split(".")[0] for n in names)
    return found


def entries_of(files: dict[str, Path], modules: set[str]) -> dict[str, Path]:
    """The package's __init__.py and the files of `modules` (of a sub-package, every file)."""
    wanted = modules | {"__init__"}
    return {
        entry: path
        for entry, path in files.items()
        if PurePosixPath(PurePosixPath(entry).parts[1]).stem in wanted  # aws.py -> aws, schemas/x -> schemas
    }


# --- dependencies --------------------------------------------------------------------------------------


# What an installed dependency directory holds beyond pip's output (drop_console_scripts): part of its cache
# key, so a cache written by an earlier builder is not reused.
INSTALL_LAYOUT = "no-console-scripts"


def drop_console_scripts(site: Path) -> None:
    """Remove the console scripts pip wrote under `site`/bin (a Lambda never runs them) and their lines in
    each dist-info RECORD: a script's shebang is the installing interpreter's path, so its hash in RECORD
    would make the package differ from one checkout path to another."""
    shutil.rmtree(site / "bin", ignore_errors=True)
    for record in site.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith("../../bin/")]
        if kept != lines:
            record.write_text("".join(kept))


def install_dependencies(arch: str, cache_root: Path, requirements: Path = REQUIREMENTS) -> Path:
    """pip-install the hash-pinned deps for `arch`'s Lambda platform into a cache dir keyed by the inputs."""
    inputs = requirements.read_bytes() + arch.encode() + PYTHON_VERSION.encode() + INSTALL_LAYOUT.encode()
    key = hashlib.sha256(inputs).hexdigest()[:16]
    target = cache_root / f"{arch}-py{PYTHON_VERSION}-{key}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    cache_root.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=cache_root, prefix=f".{target.name}-"))
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--require-hashes", "--no-deps", "--no-compile", "--only-binary=:all:",
        "--platform", PLATFORMS[arch], "--python-version", PYTHON_VERSION, "--implementation", "cp",
        "--cache-dir", str(cache_root / "pip-cache"),
        "--target", str(partial), "-r", str(requirements),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True)
        drop_console_scripts(partial)
        (partial / ".complete").write_text("ok\n")
        partial.rename(target)
    except OSError:
        if not (target / ".complete").exists():  # not another build that finished the same install first
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def dependency_versions(site: Path) -> dict[str, str]:
    return dict(
        sorted(
            (dist.metadata["Name"], dist.version)
            for dist in importlib.metadata.distributions(path=[str(site)])
        )
    )


def _files_under(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.relative_to(root).parts and p.suffix not in (".pyc", ".pyo")
    )


# --- zips and manifests --------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return 0o755 if path.suffix == ".so" or ".so." in path.name else 0o644


def write_zip(destination: Path, entries: dict[str, Path]) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name in sorted(entries):
            source = entries[name]
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | _mode(source)) << 16
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    partial.replace(destination)


def describe(path: Path) -> dict[str, Any]:
    """A zip's facts: sha256 in hex (SHA256SUMS) and base64 (Lambda's CodeSha256, Terraform's
    source_code_hash), its size and its unzipped size (Lambda's 250 MB limit counts the latter)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).digest()
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return {
        "file": path.name,
        "sha256_hex": digest.hex(),
        "sha256_base64": base64.b64encode(digest).decode(),
        "size": len(data),
        "unzipped_size": unzipped,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def build(out: Path, arch: str, sources: Sources, cache_root: Path = DEFAULT_CACHE) -> dict[str, Any]:
    """forwarder.zip, redrive.zip and manifest.json for `arch` into `out`; returns the manifest."""
    deps = install_dependencies(arch, cache_root)
    dependency_entries = {
        p.relative_to(deps).as_posix(): p for p in _files_under(deps) if p.name != ".complete"
    }
    clash = set(sources.files) & set(dependency_entries)
    if clash:
        raise SystemExit(f"dependency files collide with the package: {sorted(clash)[:3]}")
    write_zip(out / "forwarder.zip", {**dependency_entries, **sources.files})
    write_zip(out / "redrive.zip", entries_of(sources.files, imported_modules(sources.files, "redrive")))
    manifest = {
        "name": DISTRIBUTION,
        "version": read_version(),
        "architecture": arch,
        "platform": PLATFORMS[arch],
        "python": PYTHON_VERSION,
        "source": {"selection": sources.selection, "commit": sources.commit, "modified": sources.modified},
        "artifacts": {
            "forwarder": {**describe(out / "forwarder.zip"), "dependencies": dependency_versions(deps)},
            "redrive": {**describe(out / "redrive.zip"), "dependencies": {}},
        },
    }
    write_json(out / "manifest.json", manifest)
    return manifest


def package(out: Path, arches: Iterable[str], cache_root: Path = DEFAULT_CACHE) -> list[dict[str, Any]]:
    """`make package`: one directory per architecture under `out`."""
    sources = select_sources()
    return [build(out / arch, arch, sources, cache_root) for arch in arches]


def release_name(role: str, version: str, arch: str) -> str:
    return f"{DISTRIBUTION}-{role}-{version}-{arch}.zip"


def manifest_name(version: str, arch: str) -> str:
    return f"{DISTRIBUTION}-{version}-{arch}.manifest.json"


def release(out: Path, arches: Iterable[str], cache_root: Path = DEFAULT_CACHE) -> list[Path]:
    """`make release`: versioned zips, their manifests, LICENSE and SHA256SUMS, replacing what `out` held."""
    sources = select_sources()
    version = read_version()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f"{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    with tempfile.TemporaryDirectory(dir=out.parent) as scratch:
        for arch in arches:
            built = Path(scratch) / arch
            manifest = build(built, arch, sources, cache_root)
            for role, artifact in manifest["artifacts"].items():
                name = release_name(role, version, arch)
                shutil.copyfile(built / artifact["file"], staging / name)
                artifact["file"] = name
            write_json(staging / manifest_name(version, arch), manifest)
    shutil.copyfile(LICENSE, staging / LICENSE.name)  # Apache-2.0 4(a): recipients get a copy of the license
    files = sorted(staging.iterdir())
    # sha256sum's format, so that `sha256sum -c SHA256SUMS` verifies a download.
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files)
    (staging / "SHA256SUMS").write_text(sums, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return sorted(out.iterdir())


# --- the hash lock -------------------------------------------------------------------------------------


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, tuple[str, str]]:
    """canonical name -> (name as written, version) of every `name==version` line."""
    pins: dict[str, tuple[str, str]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", line)
        if match is None:
            raise SystemExit(f"{path.name}:{number}: expected name==version, got {line!r}")
        pins[canonical_name(match[1])] = (match[1], match[2])
    return pins


def _pypi_only_environment() -> dict[str, str]:
    """pip without this machine's configuration (find-links, extra indexes, constraints), only PyPI:
    PIP_CONFIG_FILE=os.devnull makes pip load no configuration file at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in PIP_TRANSPORT_SETTINGS}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def download_wheels(requirements_in: Path, destination: Path) -> dict[str, dict[str, str]]:
    """canonical name -> {wheel file: sha256} of the PyPI wheels of the pins, for every platform; fails when a
    pin needs a distribution that is not pinned (the zip is installed with --no-deps)."""
    pins = read_pins(requirements_in)
    wheels: dict[str, dict[str, str]] = {}
    for arch, platform in PLATFORMS.items():
        target = destination / arch
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--index-url", PYPI_INDEX, "--only-binary=:all:",
            "--platform", platform, "--python-version", PYTHON_VERSION, "--implementation", "cp",
            "--dest", str(target), "-r", str(requirements_in),
        ]  # fmt: skip
        subprocess.run(command, check=True, env=_pypi_only_environment())
        for wheel in sorted(target.glob("*.whl")):
            name = canonical_name(wheel.name.split("-")[0])
            if name not in pins:
                raise SystemExit(
                    f"{wheel.name} is needed on {arch}, but {requirements_in.name} does not pin it"
                )
            wheels.setdefault(name, {})[wheel.name] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    missing = sorted(set(pins) - set(wheels))
    if missing:
        raise SystemExit(f"no wheel downloaded for {', '.join(missing)}")
    return wheels


def render_lock(pins: dict[str, tuple[str, str]], wheels: dict[str, dict[str, str]], source: str) -> str:
    lines = [
        f"# Generated from {source} by `build_package.py lock`; do not edit. Each pin carries the sha256 of",
        "# its PyPI wheel for every Lambda platform (the wheels are named above it, in the hashes' order);",
        "# build_package.py installs them with --require-hashes --no-deps.",
    ]
    for name in sorted(pins):
        written, version = pins[name]
        files = wheels[name]
        lines.extend(f"# {wheel}" for wheel in sorted(files))
        digests = dict.fromkeys(files[wheel] for wheel in sorted(files))  # in the order the wheels are named
        options = [f"--hash=sha256:{digest}" for digest in digests]
        lines.append(" \\\n    ".join([f"{written}=={version}", *options]))
    return "\n".join(lines) + "\n"


def lock(requirements_in: Path = REQUIREMENTS_IN, requirements: Path = REQUIREMENTS) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        wheels = download_wheels(requirements_in, Path(scratch))
    requirements.write_text(
        render_lock(read_pins(requirements_in), wheels, requirements_in.name), encoding="utf-8"
    )


# --- command line --------------------------------------------------------------------------------------


def _print_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    for artifact in manifest["artifacts"].values():
        print(
            f"{directory / artifact['file']}: {manifest['architecture']}, {artifact['size']} bytes "
            f"({artifact['unzipped_size']} unzipped), source_code_hash {artifact['sha256_base64']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, default_out in (("package", "build/dist"), ("release", "build/release")):
        command = commands.add_parser(name, help=f"write the {name} files (e.g. into {default_out})")
        command.add_argument("--out", required=True, type=Path, help=f"output directory (e.g. {default_out})")
        command.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="dependency cache")
        command.add_argument(
            "--arch",
            action="append",
            choices=sorted(PLATFORMS),
            help="repeatable; default: every architecture",
        )
    commands.add_parser("lock", help=f"rewrite {REQUIREMENTS.name} from {REQUIREMENTS_IN.name} (asks PyPI)")
    args = parser.parse_args(argv)
    if args.command == "lock":
        lock()
        print(f"{REQUIREMENTS}: written from {REQUIREMENTS_IN.name}")
        return 0
    arches = args.arch or list(PLATFORMS)
    out, cache = args.out.resolve(), args.cache_dir.resolve()
    if args.command == "package":
        for manifest in package(out, arches, cache):
            _print_manifest(out / manifest["architecture"], manifest)
    else:
        for path in release(out, arches, cache):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
