"""RuntimeExecutor that runs a function's deployment package in a subprocess on the host.

The subprocess (runtime_interface.py, run by the interpreter configured for the function's runtime) speaks
LocalStack's executor protocol: it POSTs `ready` to the executor endpoint, serves `/invoke`, and POSTs logs
then the response or error back. The timeout is enforced here: a handler stuck in a thread cannot be stopped,
so on timeout the process is killed, an error result is returned, and a fresh process is started.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

LOG = logging.getLogger(__name__)
RUNTIME_INTERFACE = Path(__file__).with_name("runtime_interface.py")
# -s: no user site-packages; -P: the runtime interface's own directory is not on the module search path.
INTERPRETER_FLAGS = ("-s", "-P")
STOP_GRACE_S = 3.0


def interpreter_for(runtime: str | None) -> str:
    """The host interpreter standing in for a Lambda runtime: $PSH_LAMBDA_PYTHON312 for python3.12, etc."""
    if not runtime or not runtime.startswith("python"):
        raise LambdaRuntimeException(
            f"host executor runs only Python runtimes, not {runtime!r} (nor package type Image)"
        )
    variable = "PSH_LAMBDA_" + runtime.upper().replace(".", "")
    path = os.environ.get(variable)
    if not path or not os.access(path, os.X_OK):
        raise LambdaRuntimeException(
            f"no interpreter for runtime {runtime}: set {variable} to a python with what the Lambda runtime "
            "provides (the stage, psh_stage.lifecycle, builds build/lambda-runtime/python3.12)"
        )
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _timeout_error_payload(request_id: str, timeout_s: int) -> bytes:
    # What Lambda answers for a timed-out invocation: FunctionError "Unhandled" and "Task timed out after
    # 3.00 seconds" (Lambda developer guide, "Troubleshoot invocation issues in Lambda").
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    return json.dumps(
        {"errorMessage": f"{stamp}Z {request_id} Task timed out after {timeout_s:.2f} seconds"}
    ).encode()


class HostExecutorEndpoint(ExecutorEndpoint):
    """ExecutorEndpoint whose invoke waits only as long as the function's timeout (plus a small grace)."""

    def invoke_with_timeout(self, payload: dict[str, str], timeout_s: float) -> InvocationResult:
        self.invocation_future = Future()
        self.logs = None
        response = self._perform_invoke(
            invocation_url=f"http://{self.container_address}:{self.container_port}/invoke",
            proxies={"http": "", "https": ""},
            payload=payload,
        )
        if not response.ok:
            raise LambdaRuntimeException(f"runtime refused invocation: HTTP {response.status_code}")
        return self.invocation_future.result(timeout=timeout_s)


class HostRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.endpoint = HostExecutorEndpoint(id, container_address="127.0.0.1")
        self.process: subprocess.Popen | None = None
        self.env_vars: dict[str, str] = {}
        self.log_path = Path(config.dirs.tmp) / "lambda-host" / f"{id}.log"
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self.env_vars = {key: str(value) for key, value in env_vars.items()}
        self.endpoint.start()
        self._spawn()
        self.endpoint.wait_for_startup()

    def _spawn(self) -> None:
        code_dir = self.function_version.config.code.get_unzipped_code_location()
        port = _free_port()
        self.endpoint.container_port = port
        env = {key: os.environ[key] for key in ("PATH", "LANG", "HOME") if key in os.environ}
        env.update(self.env_vars)
        env.update(
            {
                "LAMBDA_TASK_ROOT": str(code_dir),
                # The Python runtime's module search path: the deployment package's directory first, then
                # the runtime's libraries (Lambda developer guide, "Working with .zip file archives for
                # Python Lambda functions", dependency search path and runtime-included libraries; PYTHONPATH
                # is one of the runtime's environment variables, "Defined runtime environment variables").
                # The function's interpreter supplies the runtime's libraries (boto3); layers
                # (/opt/python) are not modelled by this executor.
                "PYTHONPATH": str(code_dir),
                "PSH_RUNTIME_PORT": str(port),
                # The function's instruction set: its package's compiled extensions must match it
                # (runtime_interface.install_architecture_guard).
                "PSH_LAMBDA_ARCHITECTURE": (self.function_version.config.architectures or ["x86_64"])[0],
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
                "TMPDIR": str(self.log_path.parent / self.id),
            }
        )
        Path(env["TMPDIR"]).mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            # Same process group as LocalStack: `psh_stage.lifecycle down` reaps leftovers with it.
            self.process = subprocess.Popen(
                [
                    interpreter_for(self.function_version.config.runtime),
                    *INTERPRETER_FLAGS,
                    str(RUNTIME_INTERFACE),
                ],
                cwd=code_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        LOG.debug(
            "host runtime %s for %s: pid %s port %s",
            self.id,
            self.function_version.qualified_arn,
            self.process.pid,
            port,
        )

    def _kill(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        self._kill()
        try:
            self.endpoint.shutdown()
        except Exception as error:
            LOG.debug("executor endpoint shutdown for %s: %s", self.id, error)

    def _restart(self) -> None:
        """Replace a dead or timed-out runtime process and wait until the new one is ready."""
        self._kill()
        self.endpoint.startup_future = Future()
        self._spawn()
        self.endpoint.startup_future.result(timeout=config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT)

    # --- invocation ------------------------------------------------------------------------------

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        timeout_s = int(self.function_version.config.timeout)
        with self._lock:
            if self.process is None or self.process.poll() is not None:
                self._restart()
            try:
                return self.endpoint.invoke_with_timeout(payload, timeout_s + 0.5)
            except FutureTimeout:
                request_id = payload["invoke-id"]
                LOG.info(
                    "function %s timed out after %ss: restarting its runtime",
                    self.function_version.qualified_arn,
                    timeout_s,
                )
                self._restart()
                logs = (
                    f"START RequestId: {request_id}\n"
                    f"{_timeout_error_payload(request_id, timeout_s).decode()}\n"
                    f"END RequestId: {request_id}\n"
                )
                return InvocationResult(
                    request_id=request_id,
                    is_error=True,
                    logs=logs,
                    payload=_timeout_error_payload(request_id, timeout_s),
                )

    # --- addresses and logs ----------------------------------------------------------------------

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://127.0.0.1:{port}{self.endpoint.get_endpoint_prefix()}"

    def get_logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        interpreter_for(function_version.config.runtime)  # fail the version early with a clear reason
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        if not os.environ.get("PSH_LAMBDA_PYTHON312"):
            LOG.warning("PSH_LAMBDA_PYTHON312 not set: python3.12 functions cannot run on the host executor")
        return True
