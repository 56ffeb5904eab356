"""Start, stop and inspect the project's LocalStack (host mode, no docker) with the psh_localstack extension.

    python -m psh_stage.lifecycle up       # create venvs if needed, start or reuse LocalStack
    python -m psh_stage.lifecycle down     # stop it by PID (SIGTERM, SIGKILL, its process group)
    python -m psh_stage.lifecycle status   # running/healthy, endpoint, PID, memory
    python -m psh_stage.lifecycle lock     # re-pin tests/requirements/localstack.txt from localstack.in

Stdlib only. Everything lives under build/: build/localstack/ (venv,
files, log, pid) and build/lambda-runtime/python3.12 (the interpreter the host Lambda executor runs functions
with).
build/localstack.env holds the settings any tool needs (AWS_ENDPOINT_URL, test credentials, region).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from psh_stage.paths import BUILD, LOCAL_AWS, ROOT, TOOLS
from psh_stage.paths import REQUIREMENTS as REQUIREMENTS_DIR

VENV = BUILD / "localstack" / "venv"
# One instance by default (build/localstack, settings in build/localstack.env). PSH_LOCALSTACK_INSTANCE=<name>
# runs a separate one (build/localstack-<name>/, its settings in that folder), e.g. for a developer's scratch
# work beside a running test suite; the venvs are shared.
# Under pytest-xdist each worker after the first gets an instance of its own (gw1 -> "gw1"): the local AWS's
# switches (faults, behaviours, its clock) are process-wide, so suites that run at once must not share one.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_INSTANCE = os.environ.get("PSH_LOCALSTACK_INSTANCE", "") or ("" if _WORKER in ("", "gw0") else _WORKER)
HOME = BUILD / (f"localstack-{_INSTANCE}" if _INSTANCE else "localstack")
LOG = HOME / "localstack.log"
PID_FILE = HOME / "pid"
ENV_FILE = HOME / "localstack.env" if _INSTANCE else BUILD / "localstack.env"
LOCK_FILE = BUILD / f".localstack{'-' + _INSTANCE if _INSTANCE else ''}.lock"
# The venvs are shared by every instance: the first to start builds them, the others wait and reuse them.
VENVS_LOCK_FILE = BUILD / ".localstack-venvs.lock"
REQUIREMENTS = REQUIREMENTS_DIR / "localstack.txt"
REQUIREMENTS_IN = REQUIREMENTS_DIR / "localstack.in"
EXTENSION = LOCAL_AWS
LAMBDA_RUNTIME_REQUIREMENTS = REQUIREMENTS_DIR / "lambda-runtime.txt"
LAMBDA_RUNTIMES = BUILD / "lambda-runtime"
SECURITYHUB_PROVIDER = EXTENSION / "psh_localstack" / "securityhub" / "provider.py"
PICK_PYTHON = TOOLS / "pick_python.py"

REGION = "us-east-1"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
# Services the product needs; each must answer a real request before `up` reports success.
PROBES: dict[str, tuple[str, str, dict[str, str], bytes]] = {
    "ssm": (
        "POST",
        "/",
        {"X-Amz-Target": "AmazonSSM.ListDocuments", "Content-Type": "application/x-amz-json-1.1"},
        b"{}",
    ),
    "lambda": ("GET", "/2015-03-31/functions/", {}, b""),
    "sqs": (
        "POST",
        "/",
        {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"},
        b"{}",
    ),
    "events": (
        "POST",
        "/",
        {"X-Amz-Target": "AWSEvents.ListRules", "Content-Type": "application/x-amz-json-1.1"},
        b"{}",
    ),
    "securityhub": ("GET", "/accounts", {}, b""),
}


class HarnessError(RuntimeError):
    """A failure the user can act on; the message says what to do."""


@dataclass
class Running:
    endpoint: str
    pid: int
    env: dict[str, str] = field(default_factory=dict)
    started_here: bool = False
    start_seconds: float | None = None


# --- small helpers ------------------------------------------------------------------------------


def _sha256(*paths: Path, extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise HarnessError(f"{what} failed (exit {proc.returncode}):\n{tail}")


def pick_python() -> str:
    proc = subprocess.run([sys.executable, str(PICK_PYTHON)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise HarnessError(proc.stderr.strip() or "no Python >= 3.12 found (set PSH_PYTHON)")
    return proc.stdout.strip()


def pick_localstack_python() -> str:
    """Prefer CPython 3.13 (what LocalStack 4.14's own image runs); any >= 3.12 works with a small shim."""
    if os.environ.get("PSH_LOCALSTACK_PYTHON"):
        return os.environ["PSH_LOCALSTACK_PYTHON"]
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in sorted(root.glob("versions/3.13.*/bin/python3.13"), reverse=True):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return pick_python()


@contextlib.contextmanager
def _locked(lock_file: Path = LOCK_FILE) -> Iterator[None]:
    """Serialise up/down between concurrent callers (several pytest sessions, make targets)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pip_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


# --- environments -------------------------------------------------------------------------------


def ensure_localstack_venv() -> Path:
    """build/localstack/venv with the pinned LocalStack and the editable extension; idempotent via a stamp."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".psh-stamp"
    base = pick_localstack_python()
    wanted = _sha256(REQUIREMENTS, EXTENSION / "pyproject.toml", extra=base)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    if (python.exists() and not stamp.exists()) or (stamp.exists() and base not in _venv_home(VENV)):
        shutil.rmtree(VENV)  # half-built, or made with another interpreter
    if not python.exists():
        print(f"creating {VENV} with {base}", flush=True)
        _run([base, "-m", "venv", str(VENV)], "creating LocalStack venv")
    print("installing pinned LocalStack into its venv (first time: a few minutes)", flush=True)
    _run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
        "pip install LocalStack",
        env=_pip_env(),
    )
    _run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(EXTENSION)],
        "pip install -e tests/localstack_ext",
        env=_pip_env(),
    )
    _add_py312_compat(python)
    stamp.write_text(wanted + "\n")
    return python


def _venv_home(venv: Path) -> str:
    try:
        return (venv / "pyvenv.cfg").read_text()
    except OSError:
        return ""


def _add_py312_compat(python: Path) -> None:
    """LocalStack 4.14 (built for 3.13) imports warnings.deprecated once: give 3.12 typing_extensions' one."""
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, sysconfig; print(sys.version_info >= (3, 13)); "
            "print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    is_313, purelib = probe.stdout.split("\n")[:2]
    shim = Path(purelib) / "psh_py312_compat.pth"
    if is_313 == "True":
        shim.unlink(missing_ok=True)
    else:
        shim.write_text(
            "import warnings, typing_extensions; warnings.deprecated = getattr(warnings, "
            "'deprecated', typing_extensions.deprecated)\n"
        )


def lambda_runtime_python(runtime: str = "python3.12") -> Path:
    return LAMBDA_RUNTIMES / runtime / "bin" / "python"


def ensure_lambda_runtime() -> Path:
    """build/lambda-runtime/python3.12: what the real runtime provides besides the stdlib (boto3), pinned."""
    root = LAMBDA_RUNTIMES / "python3.12"
    python = root / "bin" / "python"
    stamp = root / ".psh-stamp"
    wanted = _sha256(LAMBDA_RUNTIME_REQUIREMENTS)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    base = pick_python()
    version = subprocess.run(
        [base, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if version != "3.12":
        print(f"warning: Lambda runtime python3.12 emulated with Python {version}", file=sys.stderr)
    if not python.exists():
        _run([base, "-m", "venv", str(root)], "creating Lambda runtime venv")
    _run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(LAMBDA_RUNTIME_REQUIREMENTS)],
        "pip install Lambda runtime packages",
        env=_pip_env(),
    )
    stamp.write_text(wanted + "\n")
    return python


def clear_plux_cache() -> None:
    # plux caches entry points keyed on coarse mtimes: a reinstalled extension would be missed for minutes.
    shutil.rmtree(HOME / "cache" / "plux", ignore_errors=True)


# --- process state ------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    # A zombie counts as gone.
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _read_pid() -> int | None:
    try:
        return int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None


def read_env_file() -> dict[str, str]:
    env: dict[str, str] = {}
    if ENV_FILE.exists():
        for line in ENV_FILE.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip()
    return env


def client_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "2",
    }


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of the process and all its descendants (LocalStack plus Lambda runtimes)."""
    total_kib = 0
    for each in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


# --- HTTP probes --------------------------------------------------------------------------------


def _request(
    endpoint: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    service: str | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    all_headers = dict(headers)
    if service:
        # LocalStack routes on the SigV4 credential scope; it does not verify the signature.
        all_headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential=test/20250101/{REGION}/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )
    request = urllib.request.Request(endpoint + path, data=body or None, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def healthy(endpoint: str) -> bool:
    try:
        status, body = _request(endpoint, "GET", "/_localstack/health", {}, b"", timeout=3)
        return status == 200 and "services" in json.loads(body)
    except (OSError, ValueError):
        return False


def probe_services(endpoint: str) -> dict[str, int]:
    results = {}
    for service, (method, path, headers, body) in PROBES.items():
        try:
            results[service] = _request(endpoint, method, path, headers, body, service=service, timeout=60)[0]
        except OSError:
            results[service] = -1
    return results


# --- lifecycle ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def localstack_process_env(port: int, lambda_python: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "LOCALSTACK_", "PROVIDER_OVERRIDE_", "LAMBDA_", "PYTHON"))
    }
    for sub in ("files", "cache", "tmp"):
        (HOME / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "OVERRIDE_IN_DOCKER": "0",
            "GATEWAY_SERVER": "hypercorn",
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "LOCALSTACK_HOST": f"127.0.0.1:{port}",
            "FILESYSTEM_ROOT": str(HOME / "files"),
            "XDG_CACHE_HOME": str(HOME / "cache"),
            "TMPDIR": str(HOME / "tmp"),
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DISABLE_EVENTS": "1",
            "DNS_ADDRESS": "0",
            # Queue URLs as http://127.0.0.1:<port>/<account>/<name>: no DNS name to resolve, and the shape
            # the Terraform AWS provider parses (it rejects the /queue/<region>/ "path" strategy).
            "SQS_ENDPOINT_STRATEGY": "off",
            "PROVIDER_OVERRIDE_SSM": "psh",
            "PROVIDER_OVERRIDE_EC2": "psh",
            # LocalStack's providers plus what its own drop: a function's KMSKeyArn, the Tags of a new alarm
            # (without them Terraform re-plans updates right after apply). LocalStack logs a stale
            # deprecation warning for PROVIDER_OVERRIDE_LAMBDA ("ignored"); the generic override applies it.
            "PROVIDER_OVERRIDE_LAMBDA": "psh",
            "PROVIDER_OVERRIDE_CLOUDWATCH": "psh",
            # LocalStack's SQS plus AWS's quota of 10 message attributes a message (psh_localstack/sqs).
            "PROVIDER_OVERRIDE_SQS": "psh",
            "LAMBDA_RUNTIME_EXECUTOR": "host",
            # SQS pollers work back to back like AWS's (LocalStack pauses 1 s after every batch); the
            # extension runs MaximumConcurrency pollers per mapping (psh_localstack/lambda_/esm.py).
            "LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC": "0",
            # AWS's pollers keep long-polling an idle queue; LocalStack backs a poller that found the queue
            # empty off up to 10 s (x1.5, jittered), so the first events after an idle minute waited ~2 s for
            # a poller to wake. At most 1 s (the mapping's long poll already paces the loop).
            "LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC": "1",
            # Idle runtimes (one Python process each) stop after 2 minutes instead of 10: bounded memory.
            "LAMBDA_KEEPALIVE_MS": "120000",
            "PSH_LAMBDA_PYTHON312": str(lambda_python),
            "PSH_LAMBDA_ENDPOINT": f"http://127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def log_tail(lines: int = 60) -> str:
    if not LOG.exists():
        return "(no log)"
    return "\n".join(LOG.read_text(errors="replace").splitlines()[-lines:])


def current() -> Running | None:
    """The running, healthy LocalStack recorded in build/, if any."""
    pid = _read_pid()
    endpoint = read_env_file().get("AWS_ENDPOINT_URL")
    if pid and endpoint and _alive(pid) and healthy(endpoint):
        return Running(endpoint=endpoint, pid=pid, env=client_env(endpoint))
    return None


def up(verbose: bool = True) -> Running:
    with _locked():
        running = current()
        if running:
            if verbose:
                print(f"LocalStack already running and healthy (pid {running.pid}): {running.endpoint}")
            return running
        stale = _read_pid()
        if stale and _alive(stale):
            _stop(stale)
        with _locked(VENVS_LOCK_FILE):
            python = ensure_localstack_venv()
            lambda_python = ensure_lambda_runtime()
        clear_plux_cache()
        port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        HOME.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(LOG, "wb") as log:
            proc = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                cwd=HOME,
                env=localstack_process_env(port, lambda_python),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: `down` can reap Lambda runtimes too
            )
        PID_FILE.write_text(f"{proc.pid}\n")
        while not healthy(endpoint):
            if proc.poll() is not None:
                PID_FILE.unlink(missing_ok=True)
                raise HarnessError(f"LocalStack exited with {proc.returncode}; log {LOG}:\n{log_tail()}")
            if time.monotonic() - started > START_TIMEOUT_S:
                _stop(proc.pid)
                raise HarnessError(
                    f"LocalStack not healthy after {START_TIMEOUT_S:.0f}s; log {LOG}:\n{log_tail()}"
                )
            time.sleep(0.2)
        health_seconds = time.monotonic() - started
        probes = probe_services(endpoint)
        ready_seconds = time.monotonic() - started
        broken = {name: code for name, code in probes.items() if not 0 < code < 500}
        if "securityhub" in broken and not SECURITYHUB_PROVIDER.exists():
            print(
                f"warning: securityhub not served yet ({broken.pop('securityhub')}): "
                f"{SECURITYHUB_PROVIDER.relative_to(ROOT)} missing",
                file=sys.stderr,
            )
        if broken:
            _stop(proc.pid)
            raise HarnessError(f"services not answering {broken}; log {LOG}:\n{log_tail()}")
        env = client_env(endpoint)
        ENV_FILE.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
        if verbose:
            print(
                f"LocalStack healthy in {health_seconds:.1f}s, services ready in {ready_seconds:.1f}s, "
                f"RSS {rss_mib(proc.pid):.0f} MiB (pid {proc.pid}, log {LOG})"
            )
            print(f"AWS_ENDPOINT_URL={endpoint}  (written to {ENV_FILE})")
        return Running(
            endpoint=endpoint, pid=proc.pid, env=env, started_here=True, start_seconds=ready_seconds
        )


def _stop(pid: int) -> None:
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        pgid = None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        print(f"LocalStack (pid {pid}) ignored SIGTERM for {STOP_TIMEOUT_S:.0f}s: SIGKILL", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    # Leftover children (Lambda runtimes) share LocalStack's process group; it is ours only if pid led it.
    if pgid == pid:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
            time.sleep(0.3)


def down() -> None:
    with _locked():
        pid = _read_pid()
        if pid and _alive(pid):
            _stop(pid)
            print(f"LocalStack stopped (pid {pid})")
        else:
            print("LocalStack not running")
        PID_FILE.unlink(missing_ok=True)
        ENV_FILE.unlink(missing_ok=True)


def status() -> int:
    pid = _read_pid()
    endpoint = read_env_file().get("AWS_ENDPOINT_URL", "?")
    if not pid or not _alive(pid):
        print("LocalStack not running")
        return 1
    state = "healthy" if healthy(endpoint) else "NOT healthy"
    print(f"LocalStack {state}: {endpoint} (pid {pid}, RSS {rss_mib(pid):.0f} MiB, log {LOG})")
    return 0 if state == "healthy" else 1


def lock() -> None:
    lock_venv = BUILD / "localstack-lock-venv"
    shutil.rmtree(lock_venv, ignore_errors=True)
    _run([pick_python(), "-m", "venv", str(lock_venv)], "creating lock venv")
    _run(
        [str(lock_venv / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS_IN)],
        "pip install",
        env=_pip_env(),
    )
    frozen = subprocess.run(
        [str(lock_venv / "bin" / "pip"), "freeze"], capture_output=True, text=True, check=True
    ).stdout
    header = (
        "# Full pinned LocalStack venv (Python >= 3.12). Direct dependencies: localstack.in; regenerate "
        "with\n# `python -m psh_stage.lifecycle lock`.\n"
    )
    REQUIREMENTS.write_text(
        header + "".join(line + "\n" for line in frozen.splitlines() if not line.startswith("-e"))
    )
    print(f"wrote {REQUIREMENTS}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down", "status", "lock"])
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up()
        elif args.command == "down":
            down()
        elif args.command == "lock":
            lock()
        else:
            return status()
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
