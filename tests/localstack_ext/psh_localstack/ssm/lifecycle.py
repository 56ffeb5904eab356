"""EC2-like lifecycle of the fleet's EC2 nodes (i-): running, stopped, terminated. Pure: no LocalStack.

States and codes as the EC2 API reference lists them (InstanceState: "The state of the instance as a 16-bit
unsigned integer ... 0 : pending, 16 : running, 32 : shutting-down, 48 : terminated, 64 : stopping, 80 :
stopped"). StopInstances / StartInstances / TerminateInstances answer the transitional state (stopping,
pending, shutting-down) as CurrentState, as the API reference's examples show; the emulator's choice is that
the transition completes at once, so the next read sees stopped, running or terminated.

A terminated instance stays visible for about an hour, then EC2 forgets it: "Terminated instances remain
visible after termination (for approximately one hour)" (EC2 API reference, TerminateInstances); "After you
terminate an instance, it remains visible in the console for a short while, and then the entry is
automatically deleted" (EC2 user guide, "Terminate Amazon EC2 instances"). That timer runs on the emulator's
clock (psh_localstack.clock), which tests can move forward.
"""

from __future__ import annotations

from datetime import datetime, timedelta

PENDING, RUNNING, SHUTTING_DOWN, TERMINATED, STOPPING, STOPPED = (
    "pending",
    "running",
    "shutting-down",
    "terminated",
    "stopping",
    "stopped",
)
STATE_CODES = {PENDING: 0, RUNNING: 16, SHUTTING_DOWN: 32, TERMINATED: 48, STOPPING: 64, STOPPED: 80}
# "approximately one hour" (TerminateInstances); the emulator forgets the instance exactly then.
TERMINATED_VISIBLE_FOR = timedelta(hours=1)
STOP, START, TERMINATE = "stop", "start", "terminate"


class IncorrectStateError(Exception):
    """The action is not possible in the instance's state (EC2's IncorrectInstanceState)."""


def state(name: str) -> dict[str, object]:
    """An InstanceState: {"Code", "Name"}."""
    return {"Code": STATE_CODES[name], "Name": name}


def transition(current: str, action: str) -> tuple[str, str]:
    """(the CurrentState the action's answer reports, the state the instance is in afterwards).

    Stopping a stopped or starting a running instance changes nothing and answers the state it is in
    (the API reference's examples of a repeated call); terminating is idempotent ("if you terminate an
    instance more than once, each call succeeds", TerminateInstances). A terminated instance cannot be
    stopped or started: IncorrectInstanceState, the code the EC2 API error codes list for a request the
    instance's state does not allow (its message here is the emulator's)."""
    if action == TERMINATE:
        if current == TERMINATED:
            return TERMINATED, TERMINATED
        return SHUTTING_DOWN, TERMINATED
    if current == TERMINATED:
        raise IncorrectStateError(f"This instance is in state {current} and cannot be {action}ed")
    if action == STOP:
        return (STOPPED, STOPPED) if current == STOPPED else (STOPPING, STOPPED)
    if action == START:
        return (RUNNING, RUNNING) if current == RUNNING else (PENDING, RUNNING)
    raise ValueError(f"unknown action {action}")


def forgotten(terminated_at: datetime | None, now: datetime) -> bool:
    """Whether EC2 has forgotten an instance terminated at `terminated_at` (None: not terminated)."""
    return terminated_at is not None and now - terminated_at >= TERMINATED_VISIBLE_FOR


def reachable(name: str) -> bool:
    """Whether SSM Agent on the node can receive a command: only a running instance runs the agent."""
    return name == RUNNING


def reported_by_ssm(name: str) -> bool:
    """DescribeInstanceInformation: "This operation does not return information for nodes that are either
    Stopped or Terminated." (Systems Manager API reference); the transitional states never last here."""
    return name not in (STOPPED, TERMINATED, STOPPING, SHUTTING_DOWN)
