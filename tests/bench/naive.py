"""The naive forwarder the product is compared with: one node and one finding at a time.

Per node: DescribeInstancePatchStates for that node, DescribeInstancePatches for that node, then one
BatchImportFindings per finding. It builds the same findings with the product's pure builder, so the
comparison is about API calls, not about what lands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from patch_securityhub.finding import FindingContext, build_finding
from patch_securityhub.model import NodeSnapshot
from patch_securityhub.ssm_read import STATE_FILTER_VALUES, parse_instance_patches, parse_patch_states


def forward_naively(
    node_ids: list[str], *, ssm: Any, securityhub: Any, account: str, region: str, now: datetime
) -> int:
    """Returns the number of findings imported."""
    ctx = FindingContext(account=account, region=region)
    imported = 0
    for node_id in node_ids:
        states = parse_patch_states(ssm.describe_instance_patch_states(InstanceIds=[node_id]))
        if not states:
            continue
        items = []
        kwargs: dict[str, Any] = {
            "InstanceId": node_id,
            "Filters": [{"Key": "State", "Values": list(STATE_FILTER_VALUES)}],
        }
        while True:
            page = ssm.describe_instance_patches(**kwargs)
            items.extend(parse_instance_patches(page))
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        snapshot = NodeSnapshot(node_id=node_id, state=states[0], info=None, items=items)
        if not snapshot.non_compliant:
            continue
        finding = build_finding(snapshot, ctx, prior=None, now=now)
        response = securityhub.batch_import_findings(Findings=[finding])
        imported += response["SuccessCount"]
    return imported
