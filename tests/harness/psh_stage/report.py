"""What the stage prints and writes: aligned text tables, and the results pages that commands regenerate.

A results page (e.g. tests/faults/RESULTS.md) is written only by the command it names, with the commit, date
and machine it ran on: measured figures are never typed by hand.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from psh_stage.paths import ROOT


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell, a dashed rule under the header."""
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _commit() -> str:
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return described.stdout.strip() or "unknown"


def write_page(path: Path, title: str, command: str, body: str) -> None:
    """A Markdown page: the title, how it was produced (command, commit, UTC date, cores), then `body`."""
    produced = (
        f"Written by `{command}` at commit `{_commit()}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Do not edit: run the command again."
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{produced}\n\n{body.rstrip()}\n")
