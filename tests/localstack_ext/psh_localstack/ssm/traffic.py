"""The fault switch of the Systems Manager emulation (an emulator convenience, set through /_psh/ssm/fault).

Throttling or a server error for a number of seconds on the reads that collect patch compliance, like a real
Systems Manager under load or in a bad minute (the error shapes are in errors.rejection), or pages that repeat
their NextToken (every one of these reads is paged).
"""

from __future__ import annotations

from psh_localstack.faults import REPEAT_TOKEN, THROTTLE, UNAVAILABLE, FaultSwitch

# The reads a Patch Manager integration makes to collect compliance; only these carry the switch, and a fault
# set without its own list of operations covers all four.
FAULTABLE_OPERATIONS = frozenset(
    {
        "DescribeInstanceInformation",
        "DescribeInstancePatchStates",
        "DescribeInstancePatches",
        "ListComplianceItems",
    }
)

SSM_FAULTS = FaultSwitch(modes=(THROTTLE, UNAVAILABLE, REPEAT_TOKEN), operations=FAULTABLE_OPERATIONS)
