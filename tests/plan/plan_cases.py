"""Plan cases as data: each `cases/<dir>/<case>.yaml` is one case, planned in the Terraform root that
`cases/<dir>/tftest.yaml` names, with that manifest's shared var files and then `<case>.tfvars` or
`<case>.tfvars.json` if one sits beside the yaml. The yaml holds the case's workspace (optional) and its
inventory (the format is inventory.py's). Pure: reads files, runs nothing.

Manifest (`cases/<dir>/tftest.yaml`):
    root: <Terraform root, relative to the repo: modules/patch-securityhub, examples/basic, ...>
    var_files: [<tfvars in this dir planned before each case's own tfvars; later files win>]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from inventory import INVENTORY_KEYS, inventory_format_errors

CASES = Path(__file__).resolve().parent / "cases"
MANIFEST = "tftest.yaml"
MANIFEST_KEYS = frozenset({"root", "var_files"})
CASE_KEYS = INVENTORY_KEYS | {"workspace"}
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")


class CaseError(ValueError):
    """A case's files do not follow the layout or the format."""


@dataclass(frozen=True)
class Case:
    """One set of plan inputs and the inventory its plan must match."""

    id: str  # "<dir>/<case>"
    root: str  # Terraform root dir, relative to the repo (and to the scratch tree the plans run in)
    var_files: tuple[str, ...]  # relative to CASES.parent (and to the scratch tree, which copies CASES)
    workspace: str
    inventory: dict[str, Any]

    @property
    def source(self) -> str:
        """The case's yaml, as error messages name it."""
        return f"{CASES.name}/{self.id}.yaml"


def case_ids() -> list[str]:
    """Every case, as "<dir>/<case>", sorted."""
    return sorted(
        f"{path.parent.name}/{path.stem}" for path in CASES.glob("*/*.yaml") if path.name != MANIFEST
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise CaseError(f"cannot read {path.relative_to(CASES.parent)}: {error}") from error
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise CaseError(f"{path.relative_to(CASES.parent)}: expected a map at the top level")
    return document


def load_manifest(directory: str) -> dict[str, Any]:
    path = CASES / directory / MANIFEST
    if not path.is_file():
        raise CaseError(f"{CASES.name}/{directory}/ has no {MANIFEST} naming its Terraform root")
    manifest = _read_yaml(path)
    unknown = sorted(set(manifest) - MANIFEST_KEYS)
    if unknown or not isinstance(manifest.get("root"), str):
        raise CaseError(
            f"{CASES.name}/{directory}/{MANIFEST}: needs `root` (a string), may have `var_files`; "
            f"unknown keys: {unknown}"
        )
    return manifest


def own_tfvars(directory: str, name: str) -> list[Path]:
    """The case's own var files: `<case>.tfvars` and/or `<case>.tfvars.json` (at most one may exist)."""
    return [
        CASES / directory / f"{name}{suffix}"
        for suffix in TFVARS_SUFFIXES
        if (CASES / directory / f"{name}{suffix}").is_file()
    ]


def var_files(directory: str, name: str) -> tuple[str, ...]:
    """The manifest's shared var files, then the case's own, relative to CASES.parent."""
    shared = load_manifest(directory).get("var_files") or []
    own = own_tfvars(directory, name)
    if len(own) > 1:
        raise CaseError(f"{CASES.name}/{directory}/{name}: both a .tfvars and a .tfvars.json; keep one")
    missing = [file for file in shared if not (CASES / directory / file).is_file()]
    if missing:
        raise CaseError(f"{CASES.name}/{directory}/{MANIFEST}: var_files not found: {missing}")
    return tuple(f"{CASES.name}/{directory}/{file}" for file in [*shared, *(path.name for path in own)])


def _split(case_id: str) -> tuple[str, str]:
    directory, _, name = case_id.partition("/")
    if not directory or not name or "/" in name:
        raise CaseError(f"{case_id!r}: a case id is <dir>/<case>")
    return directory, name


def load_case(case_id: str) -> Case:
    """The case `<dir>/<case>`: its inputs and its validated inventory."""
    directory, name = _split(case_id)
    document = _read_yaml(CASES / directory / f"{name}.yaml")
    errors = [f"unknown key {key!r} (known: {sorted(CASE_KEYS)})" for key in document if key not in CASE_KEYS]
    workspace = document.get("workspace", "default")
    if not isinstance(workspace, str) or not workspace:
        errors.append(f"workspace: expected a name, got {workspace!r}")
    inventory = {key: value for key, value in document.items() if key in INVENTORY_KEYS}
    errors += inventory_format_errors(inventory)
    if errors:
        raise CaseError(f"{CASES.name}/{case_id}.yaml:\n  " + "\n  ".join(errors))
    manifest = load_manifest(directory)
    return Case(case_id, manifest["root"], var_files(directory, name), workspace, inventory)


def draft_case(case_id: str, workspace: str = "default") -> Case:
    """The inputs of a case whose yaml need not exist yet (to draft its inventory from a plan)."""
    directory, name = _split(case_id)
    return Case(case_id, load_manifest(directory)["root"], var_files(directory, name), workspace, {})


def layout_errors() -> list[str]:
    """Files under cases/ that no case uses, dirs without a manifest, manifests that do not load."""
    errors: list[str] = []
    for directory in sorted(path for path in CASES.iterdir() if path.is_dir()):
        try:
            shared = set(load_manifest(directory.name).get("var_files") or [])
        except CaseError as error:
            errors.append(str(error))
            continue
        cases = {path.stem for path in directory.glob("*.yaml") if path.name != MANIFEST}
        for path in sorted(directory.iterdir()):
            name = path.name
            owner = next((name.removesuffix(s) for s in TFVARS_SUFFIXES if name.endswith(s)), None)
            used = (
                name == MANIFEST
                or path.suffix == ".yaml"
                or name in shared
                or (owner is not None and owner in cases)
            )
            if not used:
                errors.append(
                    f"{CASES.name}/{directory.name}/{name}: neither a case (<case>.yaml), a case's tfvars "
                    f"(<case>.tfvars beside <case>.yaml) nor a var file of {MANIFEST}"
                )
        if not cases:
            errors.append(f"{CASES.name}/{directory.name}/: no case")
    errors += [
        f"{CASES.name}/{path.name}: cases live in <dir>/" for path in CASES.iterdir() if path.is_file()
    ]
    return errors
