"""Print the path of a real CPython >= 3.12 interpreter (not a pyenv shim), or exit 1 with a reason.

Runs on any python3. Order: $PSH_PYTHON, pyenv's versions directory (newest 3.12/3.13 first),
python3.13/python3.12/python3 on PATH (each probed, since a pyenv shim for an inactive version exits 127).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

WANTED = (3, 12)


def _version(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def candidates() -> list[str]:
    found: list[str] = []
    if os.environ.get("PSH_PYTHON"):
        found.append(os.environ["PSH_PYTHON"])
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for minor in ("3.12", "3.13"):
        found += sorted(glob.glob(f"{root}/versions/{minor}.*/bin/python{minor}"), reverse=True)
    for name in ("python3.12", "python3.13", "python3"):
        path = shutil.which(name)
        if path:
            found.append(path)
    return found


def main() -> int:
    for path in candidates():
        version = _version(path)
        if version and version >= WANTED and version < (3, 14):
            print(os.path.realpath(path))
            return 0
    print(
        "error: no CPython 3.12 or 3.13 found (set PSH_PYTHON, or install one, e.g. `pyenv install 3.12`)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
