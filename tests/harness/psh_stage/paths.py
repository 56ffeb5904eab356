"""Where things are: the repository and the build/ tree every stage artefact lives in."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "build"
PACKAGES = BUILD / "dist"  # `make package`: <arch>/forwarder.zip, redrive.zip, manifest.json per architecture
# The packages the stage deploys. The local AWS runs Lambda code on the host, which the stage takes to be
# x86_64 Linux (what examples/complete's lambda_architecture says).
STAGE_ARCHITECTURE = "x86_64"
DIST = PACKAGES / STAGE_ARCHITECTURE
WORK = BUILD / "work"
TERRAFORMRC = BUILD / "terraformrc"
EXAMPLES = ROOT / "examples"
MODULES = ROOT / "modules"
TOOLS = ROOT / "tests" / "tools"
REQUIREMENTS = ROOT / "tests" / "requirements"
LOCAL_AWS = ROOT / "tests" / "localstack_ext"
