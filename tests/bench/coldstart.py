"""Section 4: cold start of the packaged handlers, zip sizes, and memory high-water mark per batch of 10.

Each measurement runs in a fresh interpreter: the Lambda runtime emulation's Python (build/lambda-runtime,
which provides only boto3 besides the stdlib, like the real python3.12 runtime), isolated (-I) from the
environment, with the unzipped package first on sys.path.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from psh_stage import lifecycle
from psh_stage.paths import PACKAGES, ROOT

LAMBDA_PYTHON = lifecycle.lambda_runtime_python()
ARCHITECTURES = ("x86_64", "arm64")  # what `make package` builds
# The cold start is measured with the package of this host's architecture (a package's compiled extensions
# load only on their own); the other's keys stay null, with this reason: `make bench` on a host of that
# architecture measures it.
HOST_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine()
)
NOT_THIS_HOST = (
    f"this host runs {HOST_ARCHITECTURE} code: the package's compiled extensions do not load here; "
    "`make bench` on a host of that architecture measures it"
)
HANDLERS = {"forwarder": "patch_securityhub.forwarder", "redrive": "patch_securityhub.redrive"}
IMPORT_PROBE = (
    "import sys, time; t = time.perf_counter(); "
    "import importlib; m = importlib.import_module(sys.argv[2]); "
    "ms = (time.perf_counter() - t) * 1000; "
    "assert m.__file__.startswith(sys.argv[1]), m.__file__; print(ms)"
)
# Init phase of the first invocation: config + the three SDK clients the forwarder creates once per container.
FIRST_CLIENTS_PROBE = (
    "import sys, time; "
    "from patch_securityhub import forwarder; t = time.perf_counter(); forwarder.create_runtime(); "
    "print((time.perf_counter() - t) * 1000)"
)


def _run(args: list[str], env: dict[str, str], *path: str) -> str:
    """The Lambda runtime's interpreter with a clean environment and only `path` before its own site-packages
    (as Lambda puts the task root first); no user site."""
    env = {**env, "PYTHONPATH": os.pathsep.join(path)}
    proc = subprocess.run(
        [str(LAMBDA_PYTHON), "-s", *args], capture_output=True, text=True, check=False, env=env, timeout=120
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed: {proc.stderr.strip()[-600:]}")
    return proc.stdout.strip().splitlines()[-1]


def _lambda_env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": "us-east-2",
        "AWS_ACCESS_KEY_ID": "AKIDCOLDSTART",
        "AWS_SECRET_ACCESS_KEY": "x",
        "PSH_QUARANTINE_QUEUE_URL": "https://sqs.us-east-2.amazonaws.com/210987654321/psh-bench-quarantine",
    }


def measure(runs: int = 7, batch: int = 10) -> dict[str, Any]:
    if not LAMBDA_PYTHON.exists():
        raise RuntimeError(f"{LAMBDA_PYTHON} missing: run `make localstack-up` once (it builds the runtime)")
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="psh-bench-") as tmp:
        for name, module in HANDLERS.items():
            archive = PACKAGES / HOST_ARCHITECTURE / f"{name}.zip"
            if not archive.exists():
                raise RuntimeError(f"{archive} missing: run `make package`")
            out[f"zip_bytes_{name}"] = archive.stat().st_size
            with zipfile.ZipFile(archive) as zipped:
                out[f"unzipped_bytes_{name}"] = sum(info.file_size for info in zipped.infolist())
            target = Path(tmp) / name
            zipfile.ZipFile(archive).extractall(target)
            samples = [
                float(_run(["-c", IMPORT_PROBE, str(target), module], _lambda_env(), str(target)))
                for _ in range(runs)
                for _ in range(runs)
            ]
            out[f"cold_start_ms_{name}"] = round(statistics.median(samples), 1)
        forwarder_dir = str(Path(tmp) / "forwarder")
        clients = [float(_run(["-c", FIRST_CLIENTS_PROBE], _lambda_env(), forwarder_dir)) for _ in range(3)]
        out["first_invocation_init_ms"] = round(statistics.median(clients), 1)
        child = Path(__file__).with_name("rss_child.py")
        # The recorded AWS and the workload come from the bench and the rooms it imports, after the package.
        rooms = [str(ROOT / "tests" / room) for room in ("bench", "harness", "localstack_ext")]
        rss = json.loads(_run([str(child), forwarder_dir, str(batch)], _lambda_env(), forwarder_dir, *rooms))
    for arch in ARCHITECTURES:
        for name in HANDLERS:
            archive = PACKAGES / arch / f"{name}.zip"
            out[f"zip_bytes_{name}_{arch}"] = archive.stat().st_size if archive.exists() else None
        out[f"cold_start_ms_forwarder_{arch}"] = (
            out["cold_start_ms_forwarder"] if arch == HOST_ARCHITECTURE else None
        )
    out["cold_start_ms"] = out["cold_start_ms_forwarder"]
    out["zip_bytes"] = out["zip_bytes_forwarder"]
    out["peak_rss_mb"] = round(rss["peak_rss_kib"] / 1024, 1)
    out["rss_after_import_mb"] = round(rss["rss_after_import_kib"] / 1024, 1)
    return out
