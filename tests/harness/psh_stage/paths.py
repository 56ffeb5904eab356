"""Where things are: the repository and the build/ tree every stage artefact lives in."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "build"
DIST = BUILD / "dist"
WORK = BUILD / "work"
TERRAFORMRC = BUILD / "terraformrc"
EXAMPLES = ROOT / "examples"
MODULES = ROOT / "modules"
TOOLS = ROOT / "tests" / "tools"
REQUIREMENTS = ROOT / "tests" / "requirements"
LOCAL_AWS = ROOT / "tests" / "localstack_ext"
