"""Python Lambda runtime for LocalStack's host executor (stdlib only; runs in the function's interpreter).

Protocol (LocalStack's executor endpoint, base URL in LOCALSTACK_RUNTIME_ENDPOINT):
  POST <base>/status/<runtime id>/ready       once the handler module is imported (or failed to import)
  serve POST http://127.0.0.1:$PSH_RUNTIME_PORT/invoke  {"invoke-id", "invoked-function-arn", "payload", ...}
  POST <base>/invocations/<id>/logs          {"logs": "..."}  BEFORE the result
  POST <base>/invocations/<id>/response|error
"""

from __future__ import annotations

import http.client
import importlib
import importlib.machinery
import io
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

RUNTIME_ENDPOINT = urllib.parse.urlsplit(os.environ["LOCALSTACK_RUNTIME_ENDPOINT"])
RUNTIME_ID = os.environ["LOCALSTACK_RUNTIME_ID"]
TIMEOUT_S = int(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))


class InvocationLog(io.TextIOBase):
    """Collects what the handler prints or logs during one invocation; also echoes it to the process log."""

    def __init__(self, echo: Any) -> None:
        self.echo = echo
        self.buffer_ = io.StringIO()

    def write(self, text: str) -> int:
        self.buffer_.write(text)
        self.echo.write(text)
        return len(text)

    def flush(self) -> None:
        self.echo.flush()

    def take(self) -> str:
        value = self.buffer_.getvalue()
        self.buffer_ = io.StringIO()
        return value


CAPTURE = InvocationLog(sys.__stderr__)
CURRENT_REQUEST_ID = ""


class LambdaLogFormatter(logging.Formatter):
    """The Python runtime's text log format: [LEVEL]\\t<time>\\t<request id>\\t<message> (Lambda developer
    guide, "Log and monitor Python Lambda functions")."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return (
            f"[{record.levelname}]\t{stamp}.{int(record.msecs):03d}Z\t{CURRENT_REQUEST_ID}\t{record.getMessage()}"
            + ("\n" + self.formatException(record.exc_info) if record.exc_info else "")
        )


def _install_logging() -> None:
    handler = logging.StreamHandler(CAPTURE)
    handler.setFormatter(LambdaLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper())
    sys.stdout = CAPTURE
    sys.stderr = CAPTURE


def _post(path: str, body: bytes) -> None:
    connection = http.client.HTTPConnection(RUNTIME_ENDPOINT.hostname, RUNTIME_ENDPOINT.port, timeout=30)
    connection.connect()
    # Small callbacks otherwise stall on delayed ACKs.
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    connection.request(
        "POST", RUNTIME_ENDPOINT.path + path, body=body, headers={"Content-Type": "application/json"}
    )
    connection.getresponse().read()
    connection.close()


class LambdaContext:
    """The context object's attributes and get_remaining_time_in_millis (Lambda developer guide, "Using the
    Lambda context object to retrieve Python function information")."""

    def __init__(self, request_id: str, invoked_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + TIMEOUT_S

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# The ELF e_machine of the two instruction sets Lambda offers (arm64: AWS Graviton; x86_64).
ELF_MACHINES = {62: "x86_64", 183: "arm64"}


def elf_architecture(path: str) -> str | None:
    """The instruction set a shared object was built for ("unknown" for another), None if it is no ELF."""
    with open(path, "rb") as file:
        header = file.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byteorder = "little" if header[5] == 1 else "big"
    return ELF_MACHINES.get(int.from_bytes(header[18:20], byteorder), "unknown")


def install_architecture_guard(task_root: str, architecture: str) -> None:
    """A compiled extension of the deployment package loads only when it was built for the function's
    architecture: "The instruction set architecture of a Lambda function determines the type of computer
    processor that Lambda uses to run the function" (Lambda developer guide, "Selecting and configuring an
    instruction set architecture", function code compatibility): an x86_64 shared object cannot load on
    Graviton, nor an aarch64 one on x86. This host runs every function on its own processor, so a package
    built for another architecture than the function's is refused here as Lambda would fail it. (One case
    stays out of reach: an arm64 function with arm64 extensions imports them on an arm64 host only.)"""
    root = os.path.realpath(task_root) + os.sep
    original = importlib.machinery.ExtensionFileLoader.create_module

    def create_module(self: importlib.machinery.ExtensionFileLoader, spec: Any) -> Any:
        path = os.path.realpath(self.path)
        if path.startswith(root):
            built = elf_architecture(path)
            if built is not None and built != architecture:
                raise ImportError(
                    f"{path}: a shared object built for {built} cannot load in a function of architecture "
                    f"{architecture}",
                    name=spec.name,
                    path=path,
                )
        return original(self, spec)

    importlib.machinery.ExtensionFileLoader.create_module = create_module  # type: ignore[method-assign]


def _load_handler() -> tuple[Any, dict[str, Any] | None]:
    """(handler, None) or (None, init error): Runtime.ImportModuleError / Runtime.HandlerNotFound are reported
    on invoke, as Lambda's Python runtime does (Lambda developer guide, "Troubleshoot execution issues")."""
    # _HANDLER is <module>.<function>; the module is found on PYTHONPATH, which the executor starts with the
    # deployment package's directory (LAMBDA_TASK_ROOT), as Lambda's Python runtime does.
    spec = os.environ.get("_HANDLER", "")
    module_name, _, function_name = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        traceback.print_exc()
        return None, {
            "errorMessage": f"Unable to import module '{module_name}': {error}",
            "errorType": "Runtime.ImportModuleError",
            "stackTrace": [],
        }
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, {
            "errorMessage": f"Handler '{function_name}' missing on module '{module_name}'",
            "errorType": "Runtime.HandlerNotFound",
            "stackTrace": [],
        }
    return handler, None


HANDLER, INIT_ERROR = None, None


def _run_invocation(request: dict[str, Any]) -> None:
    global CURRENT_REQUEST_ID  # noqa: PLW0603 - one invocation at a time per runtime process
    request_id = request["invoke-id"]
    CURRENT_REQUEST_ID = request_id
    started = time.monotonic()
    CAPTURE.write(f"START RequestId: {request_id} Version: {os.environ.get('AWS_LAMBDA_FUNCTION_VERSION')}\n")
    outcome = "response"
    try:
        if INIT_ERROR:
            raise RuntimeError(INIT_ERROR["errorMessage"])
        event = json.loads(request["payload"]) if request.get("payload") else {}
        result = HANDLER(event, LambdaContext(request_id, request["invoked-function-arn"]))
        body = json.dumps(result).encode()
    except Exception as error:
        outcome = "error"
        if INIT_ERROR:
            payload = dict(INIT_ERROR, requestId=request_id)
        else:
            payload = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "requestId": request_id,
                "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__))[1:],
            }
        CAPTURE.write(f"[ERROR] {payload['errorType']}: {payload['errorMessage']}\n")
        body = json.dumps(payload).encode()
    elapsed_ms = (time.monotonic() - started) * 1000
    # START, END and REPORT lines frame each invocation's logs (Lambda developer guide, "Sending Lambda
    # function logs to CloudWatch Logs").
    CAPTURE.write(
        f"END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\t"
        f"Billed Duration: {int(elapsed_ms) + 1} ms\tMemory Size: "
        f"{os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')} MB\n"
    )
    try:
        _post(f"/invocations/{request_id}/logs", json.dumps({"logs": CAPTURE.take()}).encode())
        _post(f"/invocations/{request_id}/{outcome}", body)
    except OSError as error:
        print(f"runtime: could not report invocation {request_id}: {error}", file=sys.__stderr__)


class InvokeHandler(BaseHTTPRequestHandler):
    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        if self.path != "/invoke":
            self.send_error(404)
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        threading.Thread(target=_run_invocation, args=(request,), daemon=True).start()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    global HANDLER, INIT_ERROR
    server = HTTPServer(("127.0.0.1", int(os.environ["PSH_RUNTIME_PORT"])), InvokeHandler)
    _install_logging()
    install_architecture_guard(
        os.environ["LAMBDA_TASK_ROOT"], os.environ.get("PSH_LAMBDA_ARCHITECTURE", "x86_64")
    )
    HANDLER, INIT_ERROR = _load_handler()
    _post(f"/status/{RUNTIME_ID}/ready", b"{}")
    server.serve_forever()


if __name__ == "__main__":
    main()
