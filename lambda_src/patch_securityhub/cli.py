"""`patch-securityhub` command line: offline `render`, and `reconcile` against a live account."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .config import DEFAULT_SSM_READ_CONCURRENCY, MAX_SSM_READ_CONCURRENCY
from .finding import FindingContext, build_finding
from .model import NodeSnapshot, PatchItem
from .ssm_read import (
    InvalidSsmDataError,
    merge_items,
    parse_compliance_items,
    parse_instance_information,
    parse_instance_patches,
    parse_patch_states,
)
from .timeutil import parse_rfc3339

ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
RECONCILE_BATCH = 100


class UsageError(ValueError):
    pass


def _load(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {what} file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what} file {path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{what} file {path} is not JSON: {exc}") from None


def _items_document(document: Any) -> tuple[list[PatchItem], list[PatchItem], set[str]]:
    """Accept ListComplianceItems or DescribeInstancePatches; return (compliance, patches, resource ids)."""
    if isinstance(document, dict) and "ComplianceItems" in document:
        rows = document["ComplianceItems"] if isinstance(document["ComplianceItems"], list) else []
        resource_ids = {r.get("ResourceId") for r in rows if isinstance(r, dict) and r.get("ResourceId")}
        return parse_compliance_items(document), [], resource_ids
    if isinstance(document, dict) and "Patches" in document:
        return [], parse_instance_patches(document), set()
    raise InvalidSsmDataError(
        "compliance items file is neither a ListComplianceItems nor a DescribeInstancePatches response"
    )


def render(
    patch_state: Any,
    *,
    account: str,
    region: str,
    compliance_items: Any = None,
    instance_information: Any = None,
    onprem_resource_type: str = "AwsEc2Instance",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """SSM response documents -> findings for the non-compliant nodes (pure, offline)."""
    if not ACCOUNT.match(account):
        raise UsageError(f"account {account!r} is not a 12-digit AWS account id")
    if not REGION.match(region):
        raise UsageError(f"region {region!r} is not an AWS region")
    states = parse_patch_states(patch_state)
    if not states:
        raise InvalidSsmDataError("the patch state document lists no InstancePatchStates")
    infos = (
        {i.node_id: i for i in parse_instance_information(instance_information)}
        if instance_information
        else {}
    )
    compliance: list[PatchItem] = []
    patches: list[PatchItem] = []
    if compliance_items is not None:
        compliance, patches, resource_ids = _items_document(compliance_items)
        known = {s.node_id for s in states}
        if resource_ids - known:
            raise InvalidSsmDataError(
                f"compliance items name nodes without a patch state: {sorted(resource_ids - known)[:3]}"
            )
        if len(states) > 1:
            raise InvalidSsmDataError(
                "with several nodes, give one node's patch state per compliance items file"
            )
    ctx = FindingContext(account=account, region=region, onprem_resource_type=onprem_resource_type)
    findings = []
    for state in states:
        snapshot = NodeSnapshot(
            node_id=state.node_id,
            state=state,
            info=infos.get(state.node_id),
            items=merge_items(compliance, patches),
        )
        if snapshot.non_compliant:
            findings.append(build_finding(snapshot, ctx, prior=None, now=now or state.operation_end))
    return findings


def _cmd_render(args: argparse.Namespace) -> int:
    from .finding_check import finding_errors  # noqa: PLC0415 - loaded on first use, not at import

    findings = render(
        _load(args.patch_state, "patch state"),
        account=args.account,
        region=args.region,
        compliance_items=_load(args.compliance_items, "compliance items") if args.compliance_items else None,
        instance_information=(
            _load(args.instance_information, "instance information") if args.instance_information else None
        ),
        onprem_resource_type=args.onprem_resource_type,
        now=parse_rfc3339(args.now) if args.now else None,
    )
    for finding in findings:
        errors = finding_errors(finding)
        if errors:
            raise InvalidSsmDataError(
                f"the finding for {finding['Resources'][0]['Id']} is invalid: {errors[0]}"
            )
    json.dump(findings, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    return 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    import boto3  # noqa: PLC0415 - loaded on first use, not at import

    from .pipeline import NodeRequest, process  # noqa: PLC0415 - loaded on first use, not at import
    from .retry import Backoff  # noqa: PLC0415 - loaded on first use, not at import
    from .ssm_read import SsmReader  # noqa: PLC0415 - loaded on first use, not at import

    session = boto3.session.Session(region_name=args.region)
    if not session.region_name:
        raise UsageError("no region: pass --region or set AWS_REGION")
    account = args.account or session.client("sts").get_caller_identity()["Account"]
    ssm = session.client("ssm")
    securityhub = session.client("securityhub")
    backoff = Backoff()
    node_ids = sorted(set(SsmReader(ssm, backoff).all_node_ids()))
    show_progress = sys.stderr.isatty()
    totals: dict[str, int] = {}
    from .logs import JsonLogger  # noqa: PLC0415 - loaded on first use, not at import

    logger = JsonLogger("reconcile", "WARNING" if show_progress else "INFO", stream=sys.stderr)
    for start in range(0, len(node_ids), RECONCILE_BATCH):
        batch = node_ids[start : start + RECONCILE_BATCH]
        report = process(
            [NodeRequest(n) for n in batch],
            ssm_client=ssm,
            securityhub_client=securityhub,
            account=account,
            region=session.region_name,
            onprem_resource_type=args.onprem_resource_type,
            resolve_native=args.resolve_native,
            backoff=backoff,
            logger=logger,
            read_concurrency=args.read_concurrency,
        )
        for outcome in report.outcomes.values():
            totals[outcome.status] = totals.get(outcome.status, 0) + 1
        if show_progress:
            done = min(start + RECONCILE_BATCH, len(node_ids))
            sys.stderr.write(f"\rreconciled {done}/{len(node_ids)} nodes  {totals}")
            sys.stderr.flush()
    if show_progress:
        sys.stderr.write("\n")
    print(json.dumps({"nodes": len(node_ids), "summary": totals}, sort_keys=True))
    return 1 if totals.get("transient") else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="patch-securityhub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    render_p = sub.add_parser("render", help="print the ASFF finding(s) for SSM response documents (offline)")
    render_p.add_argument(
        "--patch-state", required=True, help="DescribeInstancePatchStates response (JSON file)"
    )
    render_p.add_argument(
        "--compliance-items", help="ListComplianceItems or DescribeInstancePatches response"
    )
    render_p.add_argument("--instance-information", help="DescribeInstanceInformation response")
    render_p.add_argument("--account", required=True)
    render_p.add_argument("--region", required=True)
    render_p.add_argument(
        "--onprem-resource-type", choices=("AwsEc2Instance", "Other"), default="AwsEc2Instance"
    )
    render_p.add_argument("--now", help="CreatedAt/UpdatedAt (RFC 3339); default: the operation end time")
    render_p.set_defaults(func=_cmd_render)
    reconcile_p = sub.add_parser("reconcile", help="sweep every managed node of a region into Security Hub")
    reconcile_p.add_argument("--region")
    reconcile_p.add_argument("--account", help="default: the caller's account (STS)")
    reconcile_p.add_argument(
        "--onprem-resource-type", choices=("AwsEc2Instance", "Other"), default="AwsEc2Instance"
    )
    reconcile_p.add_argument("--resolve-native", action="store_true", help="also resolve native findings")
    reconcile_p.add_argument(
        "--read-concurrency",
        type=int,
        choices=range(1, MAX_SSM_READ_CONCURRENCY + 1),
        default=DEFAULT_SSM_READ_CONCURRENCY,
        metavar=f"1..{MAX_SSM_READ_CONCURRENCY}",
        help="per-node SSM reads in flight at once (default %(default)s)",
    )
    reconcile_p.set_defaults(func=_cmd_reconcile)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (UsageError, InvalidSsmDataError, ValueError) as exc:
        message = " ".join(str(exc).split())
        sys.stderr.write(f"patch-securityhub: error: {message}\n")
        return 2
