"""Run Command with the patching documents: SendCommand, ListCommands, ListCommandInvocations,
GetCommandInvocation (Systems Manager API reference of each).

A command runs in the background: SendCommand answers at once with Status InProgress, then each target node
gets the patch operation and its invocation turns Success or Failed (API reference, Command.Status and
CommandInvocation.Status). Commands of other documents are LocalStack's (moto's): the handlers answer None for
them and the provider falls back.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

from psh_localstack.ssm import documents, fleet, lifecycle
from psh_localstack.ssm.clock import now
from psh_localstack.ssm.errors import client_error
from psh_localstack.ssm.models import PatchStore
from psh_localstack.ssm.pagination import page

# Command.ExpiresAfter: when invocations still undelivered time out (API reference, Command). The emulator
# delivers at once; it stamps two hours.
EXPIRES_AFTER = timedelta(hours=2)
START_DELAY_S = 0.05  # lets the caller attach on_finish before the command runs
PRIVATE_FIELDS = ("invocations", "on_finish")


TIMED_OUT = "TimedOut"  # CommandInvocationStatus; its StatusDetails is DeliveryTimedOut


def _reachable(store: PatchStore, instance_id: str) -> bool:
    with store.lock:
        return instance_id in store.nodes and lifecycle.reachable(fleet.ec2_state(store, instance_id))


def command_status(command: dict[str, Any]) -> tuple[str, str]:
    """(Status, StatusDetails) of a finished command (API reference, Command.StatusDetails): Success when
    every invocation succeeded; Failed when one failed; "Delivery Timed Out: The value of MaxErrors or
    more command invocations shows a status of Delivery Timed Out" when none was delivered; "Incomplete: The
    command was attempted on all managed nodes and one or more invocations doesn't have a value of Success
    but not enough invocations failed for the status to be Failed" when some were delivered and some timed
    out. The Status of an Incomplete command is undocumented: TimedOut here (the emulator's choice)."""
    if command["ErrorCount"]:
        return "Failed", "Failed"
    timed_out = command["DeliveryTimedOutCount"]
    if not timed_out:
        return "Success", "Success"
    if timed_out == command["TargetCount"]:
        return TIMED_OUT, "DeliveryTimedOut"
    return TIMED_OUT, "Incomplete"


def _details(status: str) -> str:
    return "DeliveryTimedOut" if status == TIMED_OUT else status


def new_command_id() -> str:
    return str(uuid.uuid4())


def start_command(
    store: PatchStore,
    account_id: str,
    region: str,
    *,
    document: str,
    parameters: dict[str, list[str]],
    targets: list[str],
    comment: str = "",
) -> dict[str, Any]:
    """Store a command on `targets` and run its patch operation on each in the background.

    The returned command is live: set its "on_finish" to be called with {instance id: status} at the end."""
    command_id = new_command_id()
    stamp = now()
    command = {
        "CommandId": command_id,
        "DocumentName": documents.document_name(document),
        "DocumentVersion": "1",
        "Comment": comment,
        "ExpiresAfter": stamp + EXPIRES_AFTER,
        "Parameters": parameters,
        "InstanceIds": targets,
        "Targets": [],
        "RequestedDateTime": stamp,
        "Status": "InProgress",
        "StatusDetails": "InProgress",
        "TargetCount": len(targets),
        "CompletedCount": 0,
        "ErrorCount": 0,
        "DeliveryTimedOutCount": 0,
        "MaxConcurrency": "50",
        "MaxErrors": "0",
        "ServiceRole": "",
        "invocations": {instance_id: "InProgress" for instance_id in targets},
        "on_finish": None,
    }
    with store.lock:
        store.commands[command_id] = command

    def run() -> None:
        operation = parameters.get("Operation", ["Scan"])[0]
        reboot = parameters.get("RebootOption", ["RebootIfNeeded"])[0]
        snapshot = parameters.get("SnapshotId", [""])[0]
        for instance_id in targets:
            if not _reachable(store, instance_id):
                # A stopped node's agent cannot take the command: "Delayed: The system attempted to send the
                # command to the target, but the target wasn't available. The managed node might not be
                # available because of network issues, because the node was stopped, or for similar
                # reasons." then "Delivery Timed Out: The command wasn't delivered to the managed node
                # before the delivery timeout expired. Delivery timeouts don't count against the parent
                # command's MaxErrors limit" (API reference, CommandInvocation.StatusDetails). The emulator
                # does not wait for the timeout: the invocation ends TimedOut / DeliveryTimedOut at once.
                with store.lock:
                    command["invocations"][instance_id] = TIMED_OUT
                    command["CompletedCount"] += 1
                    command["DeliveryTimedOutCount"] += 1
                continue
            try:
                fleet.run_patch_operation(
                    store,
                    account_id,
                    region,
                    instance_id,
                    operation=operation,
                    reboot_option=reboot,
                    execution_id=command_id,
                    snapshot_id=snapshot,
                )
                status = "Success"
            except Exception:
                fleet.LOG.exception("patch operation on %s failed", instance_id)
                status = "Failed"
            with store.lock:
                command["invocations"][instance_id] = status
                command["CompletedCount"] += 1
                command["ErrorCount"] += status != "Success"
        with store.lock:
            command["Status"], command["StatusDetails"] = command_status(command)
            if command["on_finish"]:
                command["on_finish"](dict(command["invocations"]))

    threading.Timer(START_DELAY_S, run).start()
    return command


def view(command: dict[str, Any]) -> dict[str, Any]:
    """The Command as the API returns it (without the emulator's bookkeeping)."""
    return {key: value for key, value in command.items() if key not in PRIVATE_FIELDS}


def send_command(
    store: PatchStore, account_id: str, region: str, request: dict[str, Any]
) -> dict[str, Any] | None:
    if not documents.is_patch_document(request["DocumentName"]):
        return None
    parameters = documents.resolve_parameters(request["DocumentName"], request.get("Parameters"))
    targets = fleet.resolve_targets(store, request.get("Targets"), request.get("InstanceIds"))
    unknown = sorted(set(request.get("InstanceIds", [])) - set(targets))
    if unknown:
        raise client_error("InvalidInstanceId", f"Instances {unknown} are not managed nodes.")
    command = start_command(
        store,
        account_id,
        region,
        document=request["DocumentName"],
        parameters=parameters,
        targets=targets,
        comment=request.get("Comment", ""),
    )
    return {"Command": view(command)}


def own_command(store: PatchStore, command_id: str | None) -> dict[str, Any] | None:
    return store.commands.get(command_id or "")


def list_commands(store: PatchStore, request: dict[str, Any]) -> dict[str, Any] | None:
    command = own_command(store, request.get("CommandId"))
    if command is None:
        return None
    return {"Commands": [view(command)]}


def list_command_invocations(store: PatchStore, request: dict[str, Any]) -> dict[str, Any]:
    command = own_command(store, request.get("CommandId"))
    if command is None:
        return {"CommandInvocations": []}
    invocations = [
        {
            "CommandId": command["CommandId"],
            "InstanceId": instance_id,
            "DocumentName": command["DocumentName"],
            "DocumentVersion": "1",
            "RequestedDateTime": command["RequestedDateTime"],
            "Status": status,
            "StatusDetails": _details(status),
            "Comment": command["Comment"],
        }
        for instance_id, status in command["invocations"].items()
        if not request.get("InstanceId") or request["InstanceId"] == instance_id
    ]
    chunk, token = page(invocations, request, "ListCommandInvocations", 50)
    return {"CommandInvocations": chunk, **token}


def get_command_invocation(store: PatchStore, request: dict[str, Any]) -> dict[str, Any] | None:
    command = own_command(store, request.get("CommandId"))
    if command is None:
        return None
    status = command["invocations"].get(request["InstanceId"])
    if status is None:
        # InvocationDoesNotExist: "The command ID and managed node ID you specified didn't match any
        # invocations." (botocore model)
        raise client_error("InvocationDoesNotExist", "The command invocation does not exist.")
    return {
        "CommandId": command["CommandId"],
        "InstanceId": request["InstanceId"],
        "DocumentName": command["DocumentName"],
        "DocumentVersion": "1",
        "Status": status,
        "StatusDetails": _details(status),
        "ResponseCode": 0 if status == "Success" else -1,
        "StandardOutputContent": "",
        "StandardErrorContent": "",
        "PluginName": "PatchLinux",
    }
