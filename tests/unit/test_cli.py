"""`patch-securityhub render` on the AWS docs' SSM examples, its errors; `reconcile` over a stubbed region."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from patch_securityhub import cli
from patch_securityhub.finding import finding_id
from unit_helpers import (
    ACCOUNT,
    DATA,
    REGION,
    Flow,
    assert_valid_finding,
    info_row,
    instance_patch,
    patch_state_row,
)

SSM = DATA / "ssm"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else out), err


def test_render_docs_patch_state_alone(capsys) -> None:
    code, findings, _ = run_cli(
        capsys, "render", "--patch-state", str(SSM / "docs_describe_instance_patch_states.json"),
        "--account", ACCOUNT, "--region", REGION,
    )  # fmt: skip
    assert code == 0
    [finding] = findings
    assert_valid_finding(finding)
    # CriticalNonCompliantCount = 2 in the example, without item details: CRITICAL.
    assert finding["Severity"] == {"Label": "CRITICAL", "Normalized": 90}
    assert finding["PatchSummary"]["MissingCount"] == 1
    assert finding["PatchSummary"]["FailedCount"] == 2
    assert finding["PatchSummary"]["OperationEndTime"] == "2021-05-03T18:01:09Z"


def test_render_docs_patch_state_with_docs_instance_patches(capsys) -> None:
    code, findings, _ = run_cli(
        capsys, "render", "--patch-state", str(SSM / "docs_describe_instance_patch_states.json"),
        "--compliance-items", str(SSM / "docs_describe_instance_patches_missing.json"),
        "--account", ACCOUNT, "--region", REGION, "--now", "2026-11-23T12:00:00Z",
    )  # fmt: skip
    assert code == 0
    [finding] = findings
    assert_valid_finding(finding)
    assert finding["UpdatedAt"] == "2026-11-23T12:00:00Z"
    assert (
        finding["ProductFields"]["patch-securityhub/NonCompliantPatches/01"]
        == "KB890830 [Missing, INFORMATIONAL]"
    )


def test_render_with_instance_information_for_on_prem_as_other(tmp_path: Path, capsys) -> None:
    node = "mi-0123456789abcdef0"
    state = patch_state_row(node)
    for key in ("OperationStartTime", "OperationEndTime"):
        state[key] = state[key].isoformat()
    (tmp_path / "state.json").write_text(json.dumps({"InstancePatchStates": [state]}))
    (tmp_path / "info.json").write_text(json.dumps({"InstanceInformationList": [info_row(node)]}))
    code, findings, _ = run_cli(
        capsys, "render", "--patch-state", str(tmp_path / "state.json"),
        "--instance-information", str(tmp_path / "info.json"), "--onprem-resource-type", "Other",
        "--account", ACCOUNT, "--region", REGION,
    )  # fmt: skip
    assert code == 0
    assert findings[0]["Resources"][0]["Type"] == "Other"
    assert_valid_finding(findings[0])


def test_render_compliant_node_prints_an_empty_list(tmp_path: Path, capsys) -> None:
    state = patch_state_row("i-0123456789abcdef0", MissingCount=0)
    for key in ("OperationStartTime", "OperationEndTime"):
        state[key] = state[key].isoformat()
    (tmp_path / "state.json").write_text(json.dumps({"InstancePatchStates": [state]}))
    code, findings, _ = run_cli(
        capsys,
        "render",
        "--patch-state",
        str(tmp_path / "state.json"),
        "--account",
        ACCOUNT,
        "--region",
        REGION,
    )
    assert (code, findings) == (0, [])


@pytest.mark.parametrize(
    ("content", "account", "message"),
    [
        ("{not json", ACCOUNT, "is not JSON"),
        ('{"Patches": []}', ACCOUNT, "no InstancePatchStates"),
        ('{"InstancePatchStates": []}', ACCOUNT, "lists no InstancePatchStates"),
        ('{"InstancePatchStates": [{"InstanceId": "i-1"}]}', ACCOUNT, "not a managed node id"),
        (None, "12345", "not a 12-digit AWS account id"),
    ],
)
def test_render_invalid_input_exits_non_zero_with_one_line(
    tmp_path: Path, capsys, content, account, message
) -> None:
    path = tmp_path / "state.json"
    if content is None:
        path = SSM / "docs_describe_instance_patch_states.json"
    else:
        path.write_text(content)
    code, out, err = run_cli(
        capsys, "render", "--patch-state", str(path), "--account", account, "--region", REGION
    )
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1
    assert message in err


def test_render_missing_file_is_a_clean_error(capsys) -> None:
    code, _, err = run_cli(
        capsys, "render", "--patch-state", "/nonexistent/x.json", "--account", ACCOUNT, "--region", REGION
    )
    assert code != 0
    assert "cannot read patch state file" in err


def test_module_entry_point_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "patch_securityhub", "render", "--patch-state",
         str(SSM / "native_example_patch_state.json"), "--account", ACCOUNT, "--region", REGION],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        json.loads(result.stdout)[0]["Title"]
        == "Systems Manager Patch Summary - Managed Instance Non-Compliant"
    )


def test_reconcile_sweeps_every_managed_node(monkeypatch, stubbed, capsys) -> None:
    nodes = ["i-0000000000000000a", "i-0000000000000000b"]
    stub = stubbed["ssm_stub"]
    stub.add_response(
        "describe_instance_information", {"InstanceInformationList": [info_row(nodes[0])], "NextToken": "p2"}
    )
    stub.add_response("describe_instance_information", {"InstanceInformationList": [info_row(nodes[1])]})
    flow = Flow(stubbed)
    flow.node_information([info_row(n) for n in nodes])
    flow.patch_states([patch_state_row(nodes[0]), patch_state_row(nodes[1], MissingCount=0)])
    flow.prior_findings([], [finding_id(ACCOUNT, REGION, n) for n in nodes])
    flow.items(nodes[0], patches=[instance_patch("KB1", "Moderate")])
    flow.import_ok()
    clients = {"ssm": stubbed["ssm"], "securityhub": stubbed["securityhub"]}

    class FakeSession:
        region_name = REGION

        def __init__(self, region_name: str | None = None) -> None:
            pass

        def client(self, name: str) -> Any:
            return clients[name]

    monkeypatch.setattr(boto3.session, "Session", FakeSession)
    code = cli.main(["reconcile", "--region", REGION, "--account", ACCOUNT])
    out, _ = capsys.readouterr()
    assert code == 0
    assert json.loads(out) == {"nodes": 2, "summary": {"imported": 1, "skipped": 1}}
    flow.assert_done()
