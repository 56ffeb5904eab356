"""Run by coldstart.py in a fresh Lambda-runtime interpreter: handle one SQS batch, print memory use as JSON.

argv: <unzipped forwarder package> <batch size>
The forwarder comes from the unzipped package (first on PYTHONPATH, as Lambda puts the task root first); the
recorded AWS and the workload come from the bench and the rooms after it on PYTHONPATH. The clients are
real botocore clients, as in Lambda.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def high_water_kib() -> int:
    """VmHWM of this process image. ru_maxrss would carry the parent's high-water mark over fork + exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    package, size = sys.argv[1], int(sys.argv[2])
    started = time.perf_counter()
    from patch_securityhub import forwarder

    import_ms = (time.perf_counter() - started) * 1000
    rss_after_import = high_water_kib()
    from recorded_aws import RecordedAws
    from workload import ACCOUNT, REGION, LambdaContext, non_compliant_fleet, runtime, sqs_records

    if not forwarder.__file__.startswith(package):
        raise SystemExit(f"forwarder imported from {forwarder.__file__}, not from the package")
    recorded = RecordedAws(ACCOUNT, REGION)
    specs = non_compliant_fleet(size, seed=9)
    recorded.load(specs)
    event = {"Records": sqs_records([s["InstanceId"] for s in specs], datetime.now(UTC))}
    rt = runtime(recorded.client("ssm"), recorded.client("securityhub"), recorded.client("sqs"))
    result = forwarder.handle(event, LambdaContext(), rt)
    if result["batchItemFailures"] or len(recorded.findings) != size:
        raise SystemExit(f"batch not processed: {result}, {len(recorded.findings)} findings")
    peak_kib = high_water_kib()
    print(
        json.dumps(
            {"peak_rss_kib": peak_kib, "rss_after_import_kib": rss_after_import, "import_ms": import_ms}
        )
    )


if __name__ == "__main__":
    main()
