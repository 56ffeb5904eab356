"""examples/basic and examples/multi-account applied to LocalStack as their users apply them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from psh_stage.aws import Aws
from psh_stage.paths import DIST
from psh_stage.terraform import Stage, planned_changes

BASIC_ACCOUNT = "333333333333"
# Rollout targets of the multi-account example: workspace -> account.
ROLLOUT = {"staging": "444444444444", "prod": "555555555555"}
ROLE_NAME = "patch-securityhub-rollout"
ZIPS = {
    "forwarder_zip_path": str(DIST / "forwarder.zip"),
    "redrive_zip_path": str(DIST / "redrive.zip"),
}


def account_env(localstack: Any, account: str) -> dict[str, str]:
    """LocalStack maps a 12-digit access key to that account."""
    return {**localstack.env, "AWS_ACCESS_KEY_ID": account}


def test_basic_applies_and_destroys(localstack: Any, package: Path) -> None:
    env = account_env(localstack, BASIC_ACCOUNT)
    aws = Aws(env)
    # examples/basic assumes an organization-managed Security Hub: it is on before the module arrives.
    securityhub = aws.client("securityhub")
    if "HubArn" not in _describe_hub(securityhub):
        securityhub.enable_security_hub(EnableDefaultStandards=False)
    stage = Stage("basic", "e2e-basic", env, tf_vars=dict(ZIPS))
    stage.destroy()
    try:
        outputs = stage.apply()
        function = outputs["forwarder_function_name"]
        lambda_client = aws.client("lambda")
        assert function in {f["FunctionName"] for f in lambda_client.list_functions()["Functions"]}
        (mapping,) = lambda_client.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert planned_changes(stage.plan()) == {}, "re-plan after apply shows no changes"
    finally:
        stage.destroy()
    assert stage.state_resources() == []
    assert function not in {f["FunctionName"] for f in aws.client("lambda").list_functions()["Functions"]}


def _describe_hub(securityhub: Any) -> dict[str, Any]:
    try:
        return securityhub.describe_hub()
    except securityhub.exceptions.InvalidAccessException:
        return {}


def _accounts_var() -> dict[str, Any]:
    return {
        workspace: {
            "account_id": account,
            "region": "us-east-1",
            "role_arn": f"arn:aws:iam::{account}:role/{ROLE_NAME}",
            "enable_securityhub": True,
        }
        for workspace, account in ROLLOUT.items()
    }


def _create_rollout_roles(localstack: Any) -> None:
    """The role each target account exposes to the rollout pipeline (a prerequisite of the runbook)."""
    for account in ROLLOUT.values():
        iam = Aws(account_env(localstack, account)).client("iam")
        if ROLE_NAME in {r["RoleName"] for r in iam.list_roles()["Roles"]}:
            continue
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))


def test_multi_account_workspaces_plan_per_account_and_apply_one(localstack: Any, package: Path) -> None:
    _create_rollout_roles(localstack)
    # The pipeline's own credentials (account 000000000000) assume each target account's role.
    stage = Stage(
        "multi-account", "e2e-multi", dict(localstack.env), tf_vars={**ZIPS, "accounts": _accounts_var()}
    )
    tf = stage.prepare()
    for workspace, own in ROLLOUT.items():
        tf.execute_command("workspace", "select", "-or-create", workspace)
        plan = tf.plan(output=True, tf_vars=stage.vars())
        planned = json.dumps(plan.planned_values)
        other = next(a for w, a in ROLLOUT.items() if w != workspace)
        assert f":{own}:" in planned, f"{workspace}: resources must be in account {own}"
        assert f":{other}:" not in planned, f"{workspace}: nothing may land in account {other}"
        assert sum(actions == ["create"] for actions in planned_changes(plan).values()) > 20

    tf.execute_command("workspace", "select", "staging")
    staging = Aws(account_env(localstack, ROLLOUT["staging"]))
    try:
        tf.apply(tf_vars=stage.vars())
        outputs = tf.output()
        assert outputs["workspace"] == "staging"
        assert outputs["account_id"] == ROLLOUT["staging"]
        function_arn = outputs["forwarder_function_arn"]
        assert function_arn.split(":")[4] == ROLLOUT["staging"]
        functions = {f["FunctionArn"] for f in staging.client("lambda").list_functions()["Functions"]}
        assert function_arn in functions
        prod_functions = Aws(account_env(localstack, ROLLOUT["prod"])).client("lambda").list_functions()
        assert not prod_functions["Functions"], "applying one workspace touches only its account"
    finally:
        tf.destroy(tf_vars=stage.vars())
    assert not staging.client("lambda").list_functions()["Functions"]
