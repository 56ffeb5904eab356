"""Reading the product's findings back from Security Hub, and the table engineers read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from patch_securityhub.finding import product_arn
from patch_securityhub.model import SEVERITY_ORDER

from psh_stage.report import text_table


def own_findings(securityhub: Any, account: str, region: str, **filters: Any) -> list[dict[str, Any]]:
    """Every finding the forwarder imported under the account's own product, newest first."""
    query: dict[str, Any] = {"ProductArn": [{"Value": product_arn(account, region), "Comparison": "EQUALS"}]}
    query.update(filters)
    return list(_paged_findings(securityhub, query))


def _paged_findings(securityhub: Any, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "Filters": filters,
        "MaxResults": 100,
        "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "desc"}],
    }
    while True:
        page = securityhub.get_findings(**kwargs)
        yield from page["Findings"]
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]


def by_node(findings: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    nodes: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        nodes.setdefault(finding["Resources"][0]["Id"], []).append(finding)
    return nodes


def top_cves(finding: dict[str, Any], limit: int = 3) -> str:
    fields = finding.get("ProductFields", {})
    cves: list[str] = []
    for key in sorted(k for k in fields if "CVE" in k.upper() and not k.upper().endswith("COUNT")):
        cves += [c for c in fields[key].replace(",", " ").split() if c.startswith("CVE-")]
    return ", ".join(cves[:limit]) + (" …" if len(cves) > limit else "")


# Most severe first: the runtime's own order of severity labels, reversed.
SEVERITY_RANK = {label: rank for rank, label in enumerate(reversed(SEVERITY_ORDER))}


def findings_table(findings: Iterable[dict[str, Any]]) -> str:
    """The table a security engineer reads: node, severity, missing count, top CVEs, state."""
    rows = sorted(
        findings,
        key=lambda f: (
            f.get("RecordState") != "ACTIVE",
            SEVERITY_RANK.get(f["Severity"]["Label"], 9),
            f["Resources"][0]["Id"],
        ),
    )
    header = ("node", "type", "severity", "missing", "failed", "top CVEs", "compliance", "record")
    lines = [
        (
            f["Resources"][0]["Id"],
            f["Resources"][0]["Type"],
            f["Severity"]["Label"],
            str(f.get("PatchSummary", {}).get("MissingCount", "")),
            str(f.get("PatchSummary", {}).get("FailedCount", "")),
            top_cves(f),
            f.get("Compliance", {}).get("Status", ""),
            f.get("RecordState", ""),
        )
        for f in rows
    ]
    return text_table(header, lines)
