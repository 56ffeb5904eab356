"""Control routes of the Security Hub emulation (emulator conveniences, not AWS APIs), under
/_psh/securityhub/ on the LocalStack gateway:

GET    /_psh/securityhub/status          counters, active fault, rate limiter settings
POST   /_psh/securityhub/fault           {"mode": "unavailable"|"throttle"|"latency", "seconds": N,
                                          "operations": [...], "delay_seconds": D (latency: served D s late)}
DELETE /_psh/securityhub/fault           clear the fault
PUT    /_psh/securityhub/behaviour       {"hub_disabled_import": "failed_findings"|"whole_call",
                                          "throttle_error": "TooManyRequestsException"|
                                                            "LimitExceededException",
                                          "read_lag_seconds": 0..600 (GetFindings reads as of L s ago)}
                                          (securityhub.traffic.Behaviour)
DELETE /_psh/securityhub/behaviour       the behaviour switches back to their defaults
POST   /_psh/securityhub/failed-findings {"id_prefix": "arn:...", "count": K, "error_code": "InternalFailure",
                                          "whole_request": false}
           the next K imported findings whose Id starts with id_prefix come back in FailedFindings; with
           whole_request, the next K BatchImportFindings requests holding one are refused whole
           (InvalidInputException) (count 0 disarms)
PUT    /_psh/securityhub/rate-limit      {"enabled": bool, "rate": 10, "burst": 30, "operations": [...],
                                          "limits": {"GetFindings": [3, 6], ...}}
DELETE /_psh/securityhub/counters        zero the request counters
POST   /_psh/securityhub/reset           forget all hubs and findings, counters, faults, rate limiter,
                                          behaviour switches
POST   /_psh/securityhub/native-findings {"account_id", "region", "findings": [...]}
           (findings of AWS integrations such as aws/ssm-patch-manager, which customers cannot import)
"""

from __future__ import annotations

import json
from typing import Any

from localstack.http import Request, Response

from psh_localstack.faults import parse_fault_request

from .findings import SeedError, seed_native_findings
from .models import reset_all
from .traffic import TRAFFIC

PREFIX = "/_psh/securityhub"


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw:
        return {}
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise ValueError("body must be a JSON object")
    return document


def _bad_request(error: Exception) -> Response:
    return _json({"error": str(error)}, 400)


def get_status(request: Request, **_: Any) -> Response:
    return _json(TRAFFIC.snapshot())


def set_fault(request: Request, **_: Any) -> Response:
    try:
        mode, seconds, operations, delay_seconds = parse_fault_request(_body(request))
        TRAFFIC.set_fault(mode, seconds, operations, delay_seconds=delay_seconds)
    except (ValueError, TypeError) as error:
        return _bad_request(error)
    return _json(TRAFFIC.snapshot())


def set_behaviour(request: Request, **_: Any) -> Response:
    try:
        TRAFFIC.set_behaviour(_body(request))
    except (ValueError, TypeError) as error:
        return _bad_request(error)
    return _json(TRAFFIC.snapshot())


def reset_behaviour(request: Request, **_: Any) -> Response:
    TRAFFIC.reset_behaviour()
    return _json(TRAFFIC.snapshot())


def clear_fault(request: Request, **_: Any) -> Response:
    TRAFFIC.clear_fault()
    return _json(TRAFFIC.snapshot())


def fail_findings(request: Request, **_: Any) -> Response:
    try:
        body = _body(request)
        id_prefix, count = body.get("id_prefix"), body.get("count")
        if not isinstance(id_prefix, str) or not isinstance(count, int) or isinstance(count, bool):
            raise ValueError("id_prefix (string) and count (integer) are required")
        whole_request = body.get("whole_request", False)
        if not isinstance(whole_request, bool):
            raise ValueError("whole_request must be a boolean")
        TRAFFIC.fail_findings(
            id_prefix,
            count,
            str(body.get("error_code", "InternalFailure")),
            str(body.get("error_message", "")),
            whole_request,
        )
    except (ValueError, TypeError) as error:
        return _bad_request(error)
    return _json(TRAFFIC.snapshot())


def configure_rate_limit(request: Request, **_: Any) -> Response:
    try:
        body = _body(request)
        TRAFFIC.configure_rate_limit(
            enabled=bool(body.get("enabled", True)),
            rate=float(body.get("rate", 10)),
            burst=int(body.get("burst", 30)),
            operations=body.get("operations"),
            limits={op: (float(r), int(b)) for op, (r, b) in (body.get("limits") or {}).items()},
        )
    except (ValueError, TypeError) as error:
        return _bad_request(error)
    return _json(TRAFFIC.snapshot())


def reset_counters(request: Request, **_: Any) -> Response:
    TRAFFIC.reset_counters()
    return _json(TRAFFIC.snapshot())


def reset(request: Request, **_: Any) -> Response:
    reset_all()
    TRAFFIC.reset()
    return _json(TRAFFIC.snapshot())


def native_findings(request: Request, **_: Any) -> Response:
    try:
        body = _body(request)
        account_id, region, findings = body["account_id"], body["region"], body["findings"]
        if not isinstance(findings, list):
            raise ValueError("findings must be a list")
        result = seed_native_findings(str(account_id), str(region), findings)
    except SeedError as error:
        return _json({"error": str(error)}, 409)
    except (ValueError, TypeError, KeyError) as error:
        return _bad_request(error)
    return _json(result)


def register(router) -> None:
    router.add(f"{PREFIX}/status", get_status, methods=["GET"])
    router.add(f"{PREFIX}/fault", set_fault, methods=["POST"])
    router.add(f"{PREFIX}/fault", clear_fault, methods=["DELETE"])
    router.add(f"{PREFIX}/behaviour", set_behaviour, methods=["PUT"])
    router.add(f"{PREFIX}/behaviour", reset_behaviour, methods=["DELETE"])
    router.add(f"{PREFIX}/failed-findings", fail_findings, methods=["POST"])
    router.add(f"{PREFIX}/rate-limit", configure_rate_limit, methods=["PUT"])
    router.add(f"{PREFIX}/counters", reset_counters, methods=["DELETE"])
    router.add(f"{PREFIX}/reset", reset, methods=["POST"])
    router.add(f"{PREFIX}/native-findings", native_findings, methods=["POST"])
