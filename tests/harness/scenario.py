"""What the demo, the end-to-end tests, the fault matrix and the latency benchmark share.

- `Stage`: an example deployed by Terraform (through tftest) against LocalStack, in its own work directory
  under build/work/<name>/ so that several deployments (demo, tests) never share state.
- `Aws`: boto3 clients for LocalStack, configured only through the standard AWS_* settings.
- Finding helpers: read the forwarder's findings back, wait for a condition, print the table engineers read.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import tftest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
DIST = BUILD / "dist"
WORK = BUILD / "work"
TERRAFORMRC = BUILD / "terraformrc"
SKIPPED_NAMES = {".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup"}
PROVIDER_NAME = "patch-securityhub"

T = TypeVar("T")


def _copy_tree(source: Path, target: Path) -> None:
    """Mirror the Terraform sources (not state, not .terraform) of `source` into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.name in SKIPPED_NAMES or path.name.endswith(".tfstate") or path.name == "terraform.tfstate.d":
            continue
        if path.is_dir():
            _copy_tree(path, target / path.name)
        else:
            shutil.copy2(path, target / path.name)


def terraform_env(aws_env: dict[str, str]) -> dict[str, str]:
    """Environment for terraform: the project's CLI config (provider mirror) plus the LocalStack settings."""
    env = {
        "TF_CLI_CONFIG_FILE": str(TERRAFORMRC),
        "TF_IN_AUTOMATION": "1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # The AWS provider 5.x reads no AWS_MAX_ATTEMPTS; examples expose max_retries as a variable.
        "TF_VAR_aws_max_retries": "2",
    }
    env.update(aws_env)
    return env


@dataclass
class Stage:
    """One example, staged under build/work/<name>/ with the module beside it, driven by tftest."""

    example: str
    name: str
    aws_env: dict[str, str]
    tf_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def workdir(self) -> Path:
        return WORK / self.name

    @property
    def tfdir(self) -> Path:
        return self.workdir / "examples" / self.example

    def prepare(self) -> tftest.TerraformTest:
        # Same relative layout as the repo, so `source = "../../modules/patch-securityhub"` resolves.
        _copy_tree(ROOT / "examples" / self.example, self.tfdir)
        _copy_tree(ROOT / "modules", self.workdir / "modules")
        tf = tftest.TerraformTest(str(self.tfdir), env=terraform_env(self.aws_env))
        if not (self.tfdir / ".terraform").is_dir():
            tf.setup(upgrade=False, cleanup_on_exit=False)
        return tf

    def vars(self, **overrides: Any) -> dict[str, Any]:
        return {**self.tf_vars, **overrides}

    def apply(self, **overrides: Any) -> dict[str, Any]:
        tf = self.prepare()
        tf.apply(tf_vars=self.vars(**overrides))
        return tf.output()

    def plan(self, **overrides: Any) -> tftest.TerraformPlanOutput:
        return self.prepare().plan(output=True, tf_vars=self.vars(**overrides))

    def destroy(self, **overrides: Any) -> None:
        if not (self.tfdir / "terraform.tfstate").exists():
            return
        self.prepare().destroy(tf_vars=self.vars(**overrides))

    def state_resources(self) -> list[str]:
        tf = self.prepare()
        out = tf.execute_command("state", "list").out
        return [line for line in out.splitlines() if line.strip()]


def complete_stage(env: dict[str, str], name: str, **tf_vars: Any) -> Stage:
    """examples/complete with the packaged zips, scanning (not installing); `tf_vars` add or override."""
    return Stage(
        "complete",
        name,
        env,
        tf_vars={
            "name_prefix": f"psh-{name}",
            "forwarder_zip_path": str(DIST / "forwarder.zip"),
            "redrive_zip_path": str(DIST / "redrive.zip"),
            "patch_operation": "Scan",
            **tf_vars,
        },
    )


class Aws:
    """boto3 clients against LocalStack; only the standard AWS_* settings in `env` say where it is."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "test"),
            region_name=env.get("AWS_REGION", "us-east-1"),
        )
        self.endpoint = env["AWS_ENDPOINT_URL"]
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint)
        return self._clients[service]

    @property
    def region(self) -> str:
        return self.session.region_name

    @property
    def account(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]


def tag_nodes(ssm: Any, tags_by_node: dict[str, dict[str, str]]) -> None:
    """Tag managed nodes through SSM's own API, so that association targets (tag:<key>) select them."""
    for node_id, tags in tags_by_node.items():
        ssm.add_tags_to_resource(
            ResourceType="ManagedInstance",
            ResourceId=node_id,
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )


def wait_until[T](
    probe: Callable[[], T], done: Callable[[T], bool], timeout: float, interval: float = 1.0, what: str = ""
) -> T:
    """Poll `probe` until `done(result)`; raise TimeoutError naming `what` and the last result otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"gave up after {timeout:.0f}s waiting for {what or 'a condition'}: {result!r:.600}"
            )
        time.sleep(interval)


def own_findings(securityhub: Any, account: str, region: str, **filters: Any) -> list[dict[str, Any]]:
    """Every finding the forwarder imported under the account's own product, newest first."""
    product = f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
    query: dict[str, Any] = {"ProductArn": [{"Value": product, "Comparison": "EQUALS"}]}
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


SEVERITY_RANK = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}


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
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    render = [
        "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in [header, *lines]
    ]
    render.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(render)


def queue_depths(sqs: Any, urls: dict[str, str]) -> dict[str, int]:
    """Visible + in-flight + delayed messages per named queue."""
    depths: dict[str, int] = {}
    for name, url in urls.items():
        attrs = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        depths[name] = sum(int(v) for v in attrs.values())
    return depths
