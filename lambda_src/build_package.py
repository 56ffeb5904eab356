"""Build byte-reproducible Lambda zips: forwarder.zip (package + pinned deps) and redrive.zip (the modules
the redrive handler imports, no dependencies).

Reproducible: entries sorted, timestamps fixed at 1980-01-01, modes fixed (0644, 0755 for shared objects),
no __pycache__/bytecode, a fixed compression level. Dependencies are installed once per
(requirements, platform) into a cache under build/ and reused, so repeated builds are fast and identical.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = HERE / "patch_securityhub"
REQUIREMENTS = HERE / "requirements-lambda.txt"
DEFAULT_CACHE = HERE.parent / "build" / "lambda-deps"
PYTHON_VERSION = "3.12"
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not (set(p.relative_to(root).parts) & _SKIP_DIRS)
        and p.suffix not in _SKIP_SUFFIXES
    )


def _package_entries() -> dict[str, Path]:
    return {
        f"patch_securityhub/{p.relative_to(PACKAGE_DIR).as_posix()}": p
        for p in _files(PACKAGE_DIR)
        if p.suffix in (".py", ".json", ".typed")
    }


def _module_source(name: str) -> Path | None:
    """The file that defines package module `name` (a sub-package: its __init__.py); None if there is none."""
    for source in (PACKAGE_DIR / f"{name}.py", PACKAGE_DIR / name / "__init__.py"):
        if source.is_file():
            return source
    return None


def imported_modules(module: str) -> set[str]:
    """`module` and every package module it imports, directly or through another one. Imports inside
    functions count too: a handler may import lazily what it needs on some path only."""
    found: set[str] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        source = _module_source(name)
        if name in found or source is None:  # None: a name such as `from . import __version__`
            continue
        found.add(name)
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import y / from . import x
                names = [node.module] if node.module else [alias.name for alias in node.names]
                pending.extend(n.split(".")[0] for n in names)
    return found


def _entries_of(modules: set[str]) -> dict[str, Path]:
    """The package's __init__.py and the files of `modules` (of a sub-package, every file)."""
    wanted = modules | {"__init__"}
    return {
        entry: path
        for entry, path in _package_entries().items()
        if Path(path.relative_to(PACKAGE_DIR).parts[0]).stem in wanted  # aws.py -> aws, schemas/x -> schemas
    }


def install_dependencies(arch: str, cache_root: Path) -> Path:
    """pip-install the pinned deps for the Lambda platform into a cache dir keyed by inputs; return it."""
    requirements = REQUIREMENTS.read_bytes()
    key = hashlib.sha256(requirements + arch.encode() + PYTHON_VERSION.encode()).hexdigest()[:16]
    target = cache_root / f"{arch}-py{PYTHON_VERSION}-{key}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    cache_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_root) as tmp:
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--no-compile", "--only-binary=:all:",
            "--platform", PLATFORMS[arch], "--python-version", PYTHON_VERSION, "--implementation", "cp",
            "--cache-dir", str(cache_root / "pip-cache"),
            "--target", tmp, "-r", str(REQUIREMENTS),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        shutil.rmtree(Path(tmp) / "bin", ignore_errors=True)
        (Path(tmp) / ".complete").write_text("ok\n")
        Path(tmp).rename(target)
        # TemporaryDirectory cleanup of the renamed path is a no-op; recreate it so cleanup does not fail
        Path(tmp).mkdir()
    return target


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


def describe(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    return {
        "sha256_base64": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "sha256_hex": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }


def build(out: Path, arch: str = "x86_64", cache_root: Path = DEFAULT_CACHE) -> dict[str, dict[str, object]]:
    deps = install_dependencies(arch, cache_root)
    package = _package_entries()
    dependency_entries = {p.relative_to(deps).as_posix(): p for p in _files(deps) if p.name != ".complete"}
    clash = set(package) & set(dependency_entries)
    if clash:
        raise SystemExit(f"dependency files collide with the package: {sorted(clash)[:3]}")
    write_zip(out / "forwarder.zip", {**dependency_entries, **package})
    write_zip(out / "redrive.zip", _entries_of(imported_modules("redrive")))
    manifest = {name: describe(out / name) for name in ("forwarder.zip", "redrive.zip")}
    manifest_doc = {"arch": arch, "python": PYTHON_VERSION, "artifacts": manifest}
    (out / "manifest.json").write_text(json.dumps(manifest_doc, indent=2, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="output directory (e.g. build/dist)")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="dependency cache")
    args = parser.parse_args(argv)
    manifest = build(args.out.resolve(), args.arch, args.cache_dir.resolve())
    for name, facts in manifest.items():
        print(f"{args.out / name}: {facts['size']} bytes sha256={facts['sha256_base64']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
