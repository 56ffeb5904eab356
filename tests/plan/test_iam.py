"""Least privilege, proven on the planned policy documents of the plan cases (cases/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from plan_cases import load_case
from plan_support import MOTO_ACCOUNT_ID, REGION, REPO, PlanRunner
from policies import Statement, deferred_policy_document_actions, is_wildcard_action, known_policies

MODULE = "modules/patch-securityhub"
ACCOUNT_ROOT = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:root"
KEY_ARN = f"arn:aws:kms:{REGION}:{MOTO_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
S3_PREFIX = "psh-s3"  # name_prefix of cases/module/s3_code_existing_key.tfvars


def arn(service: str, rest: str) -> str:
    return f"arn:aws:{service}:{REGION}:{MOTO_ACCOUNT_ID}:{rest}"


# Actions IAM accepts only on "*" (no resource-level permissions), each deliberately allowed.
STAR_ONLY_ACTIONS = {
    "ssm:DescribeInstanceInformation",
    "ssm:ListComplianceItems",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
}


@pytest.fixture(scope="module")
def example_plans(plans: PlanRunner) -> dict[str, Any]:
    """The plans of three cases (the same plans their inventories are checked on: planned once)."""
    return {
        "basic": plans.plan(load_case("basic/defaults")),
        "complete": plans.plan(load_case("complete/defaults")),
        "module-s3": plans.plan(load_case("module/s3_code_existing_key")),
    }


@pytest.fixture(scope="module")
def s3_policies(example_plans: dict[str, Any]) -> dict[str, list[Statement]]:
    return known_policies(example_plans["module-s3"])


def allowed(statements: list[Statement]) -> dict[str, set[str]]:
    """action -> resources it is allowed on."""
    grants: dict[str, set[str]] = {}
    for statement in statements:
        if statement.effect == "Allow":
            for action in statement.actions:
                grants.setdefault(action, set()).update(statement.resources)
    return grants


def test_no_allow_statement_anywhere_has_a_wildcard_action(example_plans: dict[str, Any]) -> None:
    checked = 0
    for name, plan in example_plans.items():
        for source, statements in known_policies(plan).items():
            for statement in statements:
                checked += 1
                if statement.effect == "Allow":
                    wild = [a for a in statement.actions if is_wildcard_action(a)]
                    assert not wild, f"{name}: {source} allows {wild}"
        for source, statements in deferred_policy_document_actions(plan).items():
            for sid, effect, actions in statements:
                checked += 1
                assert effect != "Allow" or not any(map(is_wildcard_action, actions)), (
                    f"{name}: {source} {sid}"
                )
    assert checked > 30, "too few statements found: the plans no longer expose their policies"


def test_forwarder_role_policy_is_scoped_to_its_own_resources(
    s3_policies: dict[str, list[Statement]],
) -> None:
    grants = allowed(s3_policies["aws_iam_role_policy.forwarder[0].policy"])
    main_queue = arn("sqs", f"{S3_PREFIX}-events")
    assert grants == {
        "logs:CreateLogStream": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-forwarder:*")},
        "logs:PutLogEvents": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-forwarder:*")},
        "sqs:ChangeMessageVisibility": {main_queue},
        "sqs:DeleteMessage": {main_queue},
        "sqs:GetQueueAttributes": {main_queue},
        "sqs:ReceiveMessage": {main_queue},
        "sqs:SendMessage": {arn("sqs", f"{S3_PREFIX}-quarantine")},
        "kms:Decrypt": {KEY_ARN},
        "kms:GenerateDataKey": {KEY_ARN},
        "ssm:DescribeInstancePatchStates": {arn("ec2", "instance/*"), arn("ssm", "managed-instance/*")},
        "ssm:DescribeInstancePatches": {arn("ec2", "instance/*"), arn("ssm", "managed-instance/*")},
        "ssm:DescribeInstanceInformation": {"*"},
        "ssm:ListComplianceItems": {"*"},
        "securityhub:BatchImportFindings": {
            arn("securityhub", f"product/{MOTO_ACCOUNT_ID}/default"),
        },
        "securityhub:GetFindings": {arn("securityhub", "hub/default")},
        "securityhub:BatchUpdateFindings": {arn("securityhub", "hub/default")},
        "xray:PutTelemetryRecords": {"*"},
        "xray:PutTraceSegments": {"*"},
    }


def test_redrive_role_policy_is_scoped_to_its_own_resources(s3_policies: dict[str, list[Statement]]) -> None:
    grants = allowed(s3_policies["aws_iam_role_policy.redrive[0].policy"])
    dlq, main_queue = arn("sqs", f"{S3_PREFIX}-events-dlq"), arn("sqs", f"{S3_PREFIX}-events")
    assert grants == {
        "logs:CreateLogStream": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-redrive:*")},
        "logs:PutLogEvents": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-redrive:*")},
        "securityhub:DescribeHub": {arn("securityhub", "hub/default")},
        "sqs:DeleteMessage": {dlq},
        "sqs:GetQueueAttributes": {dlq, main_queue},
        "sqs:ListMessageMoveTasks": {dlq},
        "sqs:ReceiveMessage": {dlq},
        "sqs:StartMessageMoveTask": {dlq},
        "sqs:SendMessage": {main_queue},
        "kms:Decrypt": {KEY_ARN},
        "kms:GenerateDataKey": {KEY_ARN},
        "xray:PutTelemetryRecords": {"*"},
        "xray:PutTraceSegments": {"*"},
    }


def test_only_star_only_actions_use_a_star_resource(s3_policies: dict[str, list[Statement]]) -> None:
    for source, statements in s3_policies.items():
        if not source.startswith("aws_iam_role_policy."):
            continue
        for action, resources in allowed(statements).items():
            if "*" in resources:
                assert action in STAR_ONLY_ACTIONS, f"{source}: {action} on '*' though IAM can scope it"


def test_optional_grants_follow_their_switches(example_plans: dict[str, Any]) -> None:
    # basic: resolve_native_findings=false and tracing PassThrough -> no BatchUpdateFindings, no X-Ray.
    deferred = deferred_policy_document_actions(example_plans["basic"])
    forwarder = deferred["module.patch_securityhub.data.aws_iam_policy_document.forwarder[0]"]
    actions = {a for _, _, statement_actions in forwarder for a in statement_actions}
    assert "securityhub:BatchUpdateFindings" not in actions
    assert not {a for a in actions if a.startswith("xray:")}
    assert "securityhub:BatchImportFindings" in actions


def test_lambda_roles_trust_only_lambda(s3_policies: dict[str, list[Statement]]) -> None:
    for role in ("forwarder", "redrive"):
        statements = s3_policies[f"aws_iam_role.{role}[0].assume_role_policy"]
        assert [(s.effect, s.actions, s.principals) for s in statements] == [
            ("Allow", ("sts:AssumeRole",), {"Service": ("lambda.amazonaws.com",)})
        ]


def key_policy(plan: Any) -> list[Statement]:
    return known_policies(plan)["module.patch_securityhub.aws_kms_key.this[0].policy"]


@pytest.mark.parametrize("example", ["basic", "complete"])
def test_key_policy_principals_are_the_account_and_needed_services(
    example_plans: dict[str, Any], example: str
) -> None:
    statements = key_policy(example_plans[example])
    prefix = "patch-securityhub" if example == "basic" else "psh-complete"
    services: dict[str, Statement] = {}
    for statement in statements:
        assert statement.effect == "Allow"
        assert statement.resources == ("*",)  # in a key policy: this key
        assert set(statement.principals) <= {"AWS", "Service"}, statement
        if "AWS" in statement.principals:
            assert statement.principals["AWS"] == (ACCOUNT_ROOT,)
        for service in statement.principals.get("Service", ()):
            services[service] = statement
    expected = {"events.amazonaws.com", f"logs.{REGION}.amazonaws.com"}
    if example == "complete":
        expected.add("cloudwatch.amazonaws.com")  # the module's encrypted alarm topic
    assert set(services) == expected

    def context(statement: Statement) -> dict[str, tuple[str, ...]]:
        return {k: v for keys in statement.conditions.values() for k, v in keys.items()}

    assert context(services["events.amazonaws.com"]) == {
        "kms:EncryptionContext:aws:sqs:arn": (arn("sqs", f"{prefix}-events"),)
    }
    assert context(services[f"logs.{REGION}.amazonaws.com"]) == {
        "kms:EncryptionContext:aws:logs:arn": (arn("logs", f"log-group:/aws/lambda/{prefix}-*"),)
    }
    if example == "complete":
        assert context(services["cloudwatch.amazonaws.com"]) == {
            "kms:EncryptionContext:aws:sns:topicArn": (arn("sns", f"{prefix}-alarms"),)
        }
    for service, statement in services.items():
        assert set(statement.actions) <= {
            "kms:Decrypt",
            "kms:Decrypt*",
            "kms:Describe*",
            "kms:Encrypt*",
            "kms:GenerateDataKey",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
        }, service


def queue_policies(plan: Any, prefix: str = "") -> dict[str, list[Statement]]:
    policies = known_policies(plan)
    return {
        name: policies[f"{prefix}aws_sqs_queue.{name}[0].policy"] for name in ("main", "dlq", "quarantine")
    }


@pytest.mark.parametrize(
    ("plan_name", "address_prefix", "queue", "rule"),
    [
        (
            "basic",
            "module.patch_securityhub.",
            arn("sqs", "patch-securityhub-events"),
            arn("events", "rule/patch-securityhub-patch-compliance"),
        ),
        (
            "module-s3",
            "",
            arn("sqs", f"{S3_PREFIX}-events"),
            arn("events", f"rule/security-events/{S3_PREFIX}-patch-compliance"),
        ),
    ],
)
def test_main_queue_accepts_only_the_rule_and_only_tls(
    example_plans: dict[str, Any], plan_name: str, address_prefix: str, queue: str, rule: str
) -> None:
    statements = queue_policies(example_plans[plan_name], address_prefix)["main"]
    allows = [s for s in statements if s.effect == "Allow"]
    assert [(s.actions, s.resources, s.principals, s.conditions) for s in allows] == [
        (
            ("sqs:SendMessage",),
            (queue,),
            {"Service": ("events.amazonaws.com",)},
            {"ArnEquals": {"aws:SourceArn": (rule,)}},
        )
    ]
    assert_denies_insecure_transport(statements, queue)


def assert_denies_insecure_transport(statements: list[Statement], queue: str) -> None:
    denies = [s for s in statements if s.effect == "Deny"]
    assert [(s.actions, s.resources, s.principals, s.conditions) for s in denies] == [
        (("sqs:*",), (queue,), {"*": ("*",)}, {"Bool": {"aws:SecureTransport": ("false",)}})
    ]


def test_dead_letter_and_quarantine_queues_grant_nothing_and_require_tls(
    example_plans: dict[str, Any],
) -> None:
    policies = queue_policies(example_plans["basic"], "module.patch_securityhub.")
    for name, queue in (
        ("dlq", "patch-securityhub-events-dlq"),
        ("quarantine", "patch-securityhub-quarantine"),
    ):
        assert not [s for s in policies[name] if s.effect == "Allow"], name
        assert_denies_insecure_transport(policies[name], arn("sqs", queue))


def test_lambda_environment_is_encrypted_with_the_module_key(example_plans: dict[str, Any]) -> None:
    s3_plan = example_plans["module-s3"]
    for function in ("forwarder", "redrive"):
        after = s3_plan.resource_changes[f"aws_lambda_function.{function}[0]"]["change"]["after"]
        assert after["kms_key_arn"] == KEY_ARN
        basic = example_plans["basic"].resource_changes[
            f"module.patch_securityhub.aws_lambda_function.{function}[0]"
        ]
        assert basic["change"]["after_unknown"]["kms_key_arn"] is True  # the key the module creates


def test_module_hard_codes_no_account_id() -> None:
    for path in sorted((REPO / MODULE).glob("*.tf")):
        text = Path(path).read_text()
        assert not re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", text), (
            f"{path.name} contains a 12-digit account id"
        )
