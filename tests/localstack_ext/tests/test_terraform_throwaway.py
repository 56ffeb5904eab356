"""A throwaway Terraform configuration against LocalStack: apply, re-plan with no changes, destroy.

Covers the resource kinds a Patch Manager to Security Hub deployment uses: Security Hub account and a
(partner) product subscription, a patch baseline and patch group, an AWS-RunPatchBaselineWithHooks
association, and an SQS -> Lambda mapping whose function really runs.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from psh_localstack.client import ssm as ssm_control
from psh_stage import fleet
from psh_stage.terraform import terraform_env

TFDIR = Path(__file__).resolve().parent / "tf" / "throwaway"

FUNCTION_SOURCE = """
import json, os
import boto3

def handler(event, context):
    sqs = boto3.client("sqs")
    for record in event["Records"]:
        body = json.dumps({"seen": record["body"]})
        sqs.send_message(QueueUrl=os.environ["RESULT_QUEUE_URL"], MessageBody=body)
    return {"batchItemFailures": []}
"""


def _terraform(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def account_id() -> str:
    # Its own account: other suites share this LocalStack (Security Hub is enabled once per account).
    return str(random.randrange(10**11, 10**12))


@pytest.fixture
def tf_env(aws_env, tmp_path, account_id) -> dict[str, str]:
    # LocalStack maps a 12-digit access key id to that account.
    env = terraform_env({**aws_env, "AWS_ACCESS_KEY_ID": account_id})
    env["TF_DATA_DIR"] = str(tmp_path / ".terraform")
    return env


def test_apply_replan_destroy(tf_env, tmp_path, localstack, account_id):
    package = tmp_path / "function.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", FUNCTION_SOURCE)
    name = f"psh-{uuid.uuid4().hex[:8]}"
    state = tmp_path / "terraform.tfstate"
    variables = ["-var", f"name={name}", "-var", f"lambda_zip={package}", f"-state={state}"]

    init = _terraform(["init", "-input=false", "-no-color"], tf_env, TFDIR)
    assert init.returncode == 0, init.stderr
    started = time.monotonic()
    apply = _terraform(["apply", "-auto-approve", "-input=false", "-no-color", *variables], tf_env, TFDIR)
    assert apply.returncode == 0, apply.stdout[-3000:] + apply.stderr
    apply_seconds = time.monotonic() - started
    try:
        plan = _terraform(
            ["plan", "-detailed-exitcode", "-input=false", "-no-color", *variables], tf_env, TFDIR
        )
        assert plan.returncode == 0, "re-plan is not empty:\n" + plan.stdout[-4000:] + plan.stderr

        outputs = json.loads(_terraform(["output", "-json", f"-state={state}"], tf_env, TFDIR).stdout)
        ssm = boto3.client("ssm", aws_access_key_id=account_id, aws_secret_access_key="test")
        sqs = boto3.client("sqs", aws_access_key_id=account_id, aws_secret_access_key="test")
        # The association targets the patch group: a node in it gets scanned with the group's baseline.
        group = outputs["patch_group"]["value"]
        [instance_id] = ssm_control.register_nodes(
            localstack.endpoint,
            [
                {
                    "InstanceId": "i-" + uuid.uuid4().hex[:17],
                    "PlatformType": "Linux",
                    "PatchGroup": group,
                    "Patches": [{"KBId": "openssl", "State": "MISSING", "ComplianceLevel": "CRITICAL"}],
                }
            ],
            account_id=account_id,
        )
        run = fleet.run_association_once(ssm, outputs["association_id"]["value"])
        assert run["Status"] == "Success"
        assert run["ResourceCountByStatus"] == "{Success=1}"
        [patch_state] = ssm.describe_instance_patch_states(InstanceIds=[instance_id])["InstancePatchStates"]
        assert patch_state["BaselineId"] == outputs["baseline_id"]["value"]

        # The mapping delivers to a function that really runs.
        sqs.send_message(QueueUrl=outputs["source_queue_url"]["value"], MessageBody="hello")
        seen = []
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:
            seen = sqs.receive_message(QueueUrl=outputs["results_queue_url"]["value"], WaitTimeSeconds=1).get(
                "Messages", []
            )
        assert seen and json.loads(seen[0]["Body"]) == {"seen": "hello"}
    finally:
        started_destroy = time.monotonic()
        destroy = _terraform(
            ["destroy", "-auto-approve", "-input=false", "-no-color", *variables], tf_env, TFDIR
        )
        destroy_seconds = time.monotonic() - started_destroy
        print(f"\nthrowaway config: apply {apply_seconds:.1f}s, destroy {destroy_seconds:.1f}s")
    assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr
    assert json.loads(state.read_text())["resources"] == []
