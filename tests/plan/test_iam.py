"""Least privilege, proven on the planned policy documents of the plan cases (cases/)."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
FLEET_PREFIX = "psh-fleet"  # name_prefix of cases/module/fleet_inputs.tfvars
FLEET_ROLE_PATH = "/patch-securityhub/"
FLEET_SUBNETS = ("subnet-0123456789abcdef0", "subnet-0fedcba9876543210")
FLEET_SECURITY_GROUPS = ("sg-0123456789abcdef0",)
FLEET_OPERATOR = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_SecOps_*"


def arn(service: str, rest: str) -> str:
    return f"arn:aws:{service}:{REGION}:{MOTO_ACCOUNT_ID}:{rest}"


# Actions IAM accepts only on "*" (no resource-level permissions), each deliberately allowed.
STAR_ONLY_ACTIONS = {
    "ssm:DescribeInstanceInformation",
    "ssm:ListComplianceItems",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
    "ec2:DescribeNetworkInterfaces",  # with vpc_config: Lambda's ENI management (EC2 Describe*: no resources)
    "ec2:DescribeSubnets",
    "ec2:DescribeInstances",  # the forwarder: whether a node SSM does not list still exists (node_fate)
    "cloudwatch:PutMetricData",  # the redrive's RedriveBlocked, confined by a cloudwatch:namespace condition
}

# The only wildcard actions any policy of the module may name, each with its reason: (effect, action).
JUSTIFIED_WILDCARDS = {
    # Every queue refuses every SQS action over plain HTTP: a wildcard in a Deny only narrows what is allowed.
    ("Deny", "sqs:*"): "DenyInsecureTransport",
}

# AWS's default key administrators statement (kms:Create*, Describe*, Enable*, List*, Put*, Update*, Revoke*,
# Disable*, Get*, Delete*, TagResource, UntagResource, ScheduleKeyDeletion, CancelKeyDeletion), spelled out
# for a single-Region symmetric key with KMS key material (KMS developer guide, "Default key policy").
KEY_ADMINISTRATION = {
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
}


@pytest.fixture(scope="module")
def example_plans(plans: PlanRunner) -> dict[str, Any]:
    """The plans of five cases (the same plans their inventories are checked on: planned once)."""
    return {
        "basic": plans.plan(load_case("basic/defaults")),
        "complete": plans.plan(load_case("complete/defaults")),
        "module": plans.plan(load_case("module/defaults")),
        "module-s3": plans.plan(load_case("module/s3_code_existing_key")),
        "module-fleet": plans.plan(load_case("module/fleet_inputs")),
    }


@pytest.fixture(scope="module")
def s3_policies(example_plans: dict[str, Any]) -> dict[str, list[Statement]]:
    return known_policies(example_plans["module-s3"])


@pytest.fixture(scope="module")
def fleet_policies(example_plans: dict[str, Any]) -> dict[str, list[Statement]]:
    return known_policies(example_plans["module-fleet"])


def allowed(statements: list[Statement]) -> dict[str, set[str]]:
    """action -> resources it is allowed on."""
    grants: dict[str, set[str]] = {}
    for statement in statements:
        if statement.effect == "Allow":
            for action in statement.actions:
                grants.setdefault(action, set()).update(statement.resources)
    return grants


def unjustified_wildcards(effect: str, sid: str, actions: tuple[str, ...]) -> list[str]:
    return [
        action
        for action in actions
        if is_wildcard_action(action) and JUSTIFIED_WILDCARDS.get((effect, action)) != sid
    ]


def test_the_wildcard_detector_sees_wildcards_inside_action_names() -> None:
    assert all(map(is_wildcard_action, ["*", "sqs:*", "kms:Create*", "kms:GenerateDataKey*", "s3:Get?bject"]))
    assert not any(map(is_wildcard_action, ["kms:CreateGrant", "sqs:SendMessage"]))
    assert unjustified_wildcards("Allow", "DenyInsecureTransport", ("sqs:*",)) == ["sqs:*"]
    assert unjustified_wildcards("Deny", "DenyInsecureTransport", ("sqs:*",)) == []


def test_no_policy_anywhere_names_an_unjustified_wildcard_action(example_plans: dict[str, Any]) -> None:
    """IAM role policies, trust policies, the key policy and the queue policies; Allow and Deny alike."""
    checked = 0
    for name, plan in example_plans.items():
        for source, statements in known_policies(plan).items():
            for statement in statements:
                checked += 1
                wild = unjustified_wildcards(statement.effect, statement.sid, statement.actions)
                assert not wild, f"{name}: {source} {statement.sid} {statement.effect}s {wild}"
        for source, statements in deferred_policy_document_actions(plan).items():
            for sid, effect, actions in statements:
                checked += 1
                wild = unjustified_wildcards(effect, sid, actions)
                assert not wild, f"{name}: {source} {sid} {effect}s {wild}"
    assert checked > 60, "too few statements found: the plans no longer expose their policies"
    # Every kind of document was seen: roles (trust and inline), the key, the queues.
    kinds = {"aws_iam_role", "aws_iam_role_policy", "aws_kms_key", "aws_sqs_queue"}
    assert kinds <= _resource_types(example_plans)


def _resource_types(example_plans: dict[str, Any]) -> set[str]:
    """The resource type of every known policy's address, whatever module it sits in."""
    types = set()
    for plan in example_plans.values():
        for source in known_policies(plan):
            address = source.rsplit(".", 1)[0]  # drop the attribute
            types.add(next(part for part in address.split(".") if part.startswith("aws_")))
    return types


def test_forwarder_role_policy_is_scoped_to_its_own_resources(
    s3_policies: dict[str, list[Statement]],
) -> None:
    grants = allowed(s3_policies['aws_iam_role_policy.function["forwarder"].policy'])
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
        "ec2:DescribeInstances": {"*"},
        "securityhub:BatchImportFindings": {
            arn("securityhub", f"product/{MOTO_ACCOUNT_ID}/default"),
        },
        "securityhub:GetFindings": {arn("securityhub", "hub/default")},
        "securityhub:BatchUpdateFindings": {arn("securityhub", "hub/default")},
        "xray:PutTelemetryRecords": {"*"},
        "xray:PutTraceSegments": {"*"},
    }


def test_redrive_role_policy_is_scoped_to_its_own_resources(s3_policies: dict[str, list[Statement]]) -> None:
    grants = allowed(s3_policies['aws_iam_role_policy.function["redrive"].policy'])
    dlq, main_queue = arn("sqs", f"{S3_PREFIX}-events-dlq"), arn("sqs", f"{S3_PREFIX}-events")
    assert grants == {
        "logs:CreateLogStream": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-redrive:*")},
        "logs:PutLogEvents": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-redrive:*")},
        # The health probe: the forwarder's own import, of a finding Security Hub refuses.
        "securityhub:BatchImportFindings": {arn("securityhub", f"product/{MOTO_ACCOUNT_ID}/default")},
        "sqs:DeleteMessage": {dlq},
        "sqs:GetQueueAttributes": {dlq},
        "sqs:ReceiveMessage": {dlq},
        "sqs:SendMessage": {main_queue, arn("sqs", f"{S3_PREFIX}-quarantine")},
        "kms:Decrypt": {KEY_ARN},
        "kms:GenerateDataKey": {KEY_ARN},
        "xray:PutTelemetryRecords": {"*"},
        "xray:PutTraceSegments": {"*"},
        # RedriveBlocked: no resource-level permissions, so "*" within the product's namespace only.
        "cloudwatch:PutMetricData": {"*"},
    }
    policy = s3_policies['aws_iam_role_policy.function["redrive"].policy']
    [publish] = [statement for statement in policy if statement.sid == "PublishRedriveBlocked"]
    assert publish.conditions == {"StringEquals": {"cloudwatch:namespace": ("patch-securityhub",)}}


def test_sweep_role_policy_is_scoped_to_its_own_resources(s3_policies: dict[str, list[Statement]]) -> None:
    grants = allowed(s3_policies['aws_iam_role_policy.function["sweep"].policy'])
    assert grants == {
        "logs:CreateLogStream": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-sweep:*")},
        "logs:PutLogEvents": {arn("logs", f"log-group:/aws/lambda/{S3_PREFIX}-sweep:*")},
        "ssm:DescribeInstanceInformation": {"*"},
        "securityhub:GetFindings": {arn("securityhub", "hub/default")},
        "sqs:SendMessage": {arn("sqs", f"{S3_PREFIX}-events")},
        "kms:Decrypt": {KEY_ARN},
        "kms:GenerateDataKey": {KEY_ARN},
        "lambda:InvokeFunction": {arn("lambda", f"function:{S3_PREFIX}-sweep")},  # its own continuation
        "xray:PutTelemetryRecords": {"*"},
        "xray:PutTraceSegments": {"*"},
    }


@pytest.mark.parametrize("case", ["module-s3", "module-fleet"])
def test_only_star_only_actions_use_a_star_resource(example_plans: dict[str, Any], case: str) -> None:
    for source, statements in known_policies(example_plans[case]).items():
        if not source.startswith("aws_iam_role_policy."):
            continue
        for action, resources in allowed(statements).items():
            if "*" in resources:
                assert action in STAR_ONLY_ACTIONS, f"{source}: {action} on '*' though IAM can scope it"


DESCRIBE = "ec2:DescribeInstances"


@pytest.mark.parametrize("role", ["forwarder", "redrive", "sweep"])
def test_vpc_grants_only_the_network_interfaces_lambda_manages(
    fleet_policies: dict[str, list[Statement]], s3_policies: dict[str, list[Statement]], role: str
) -> None:
    # Lambda developer guide, "Giving Lambda functions access to resources in an Amazon VPC".
    interfaces = arn("ec2", "network-interface/*")
    grants = allowed(fleet_policies[f'aws_iam_role_policy.function["{role}"].policy'])
    # ec2:DescribeInstances is the forwarder's own read (node_fate), not network management.
    network = {a: resources for a, resources in grants.items() if a.startswith("ec2:") and a != DESCRIBE}
    assert network == {
        "ec2:CreateNetworkInterface": {
            interfaces,
            *(f"arn:aws:ec2:{REGION}:*:subnet/{subnet}" for subnet in FLEET_SUBNETS),
            *(f"arn:aws:ec2:{REGION}:*:security-group/{group}" for group in FLEET_SECURITY_GROUPS),
        },
        "ec2:DeleteNetworkInterface": {interfaces},
        "ec2:AssignPrivateIpAddresses": {interfaces},
        "ec2:UnassignPrivateIpAddresses": {interfaces},
        "ec2:DescribeNetworkInterfaces": {"*"},
        "ec2:DescribeSubnets": {"*"},
    }
    # Without vpc_config: no EC2 permission but the forwarder's DescribeInstances.
    without_vpc = allowed(s3_policies[f'aws_iam_role_policy.function["{role}"].policy'])
    expected = [DESCRIBE] if role == "forwarder" else []
    assert [action for action in without_vpc if action.startswith("ec2:")] == expected


def test_optional_grants_follow_their_switches(example_plans: dict[str, Any]) -> None:
    # basic: resolve_native_findings=false and tracing PassThrough -> no BatchUpdateFindings, no X-Ray.
    deferred = deferred_policy_document_actions(example_plans["basic"])
    forwarder = deferred['module.patch_securityhub.data.aws_iam_policy_document.function["forwarder"]']
    actions = {a for _, _, statement_actions in forwarder for a in statement_actions}
    assert "securityhub:BatchUpdateFindings" not in actions
    assert not {a for a in actions if a.startswith("xray:")}
    assert "securityhub:BatchImportFindings" in actions


def test_lambda_roles_trust_only_lambda(s3_policies: dict[str, list[Statement]]) -> None:
    for role in ("forwarder", "redrive", "sweep"):
        statements = s3_policies[f'aws_iam_role.function["{role}"].assume_role_policy']
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

    # Each service grant: its actions, its conditions (operator -> key -> values).
    assert services["events.amazonaws.com"].conditions == {
        "StringEquals": {
            "kms:EncryptionContext:aws:sqs:arn": (
                arn("sqs", f"{prefix}-events"),
                arn("sqs", f"{prefix}-rule-dlq"),
            )
        }
    }
    assert set(services["events.amazonaws.com"].actions) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert services[f"logs.{REGION}.amazonaws.com"].conditions == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": (arn("logs", f"log-group:/aws/lambda/{prefix}-*"),)}
    }
    assert set(services[f"logs.{REGION}.amazonaws.com"].actions) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    }
    if example == "complete":
        assert services["cloudwatch.amazonaws.com"].conditions == {
            "StringEquals": {
                "kms:EncryptionContext:aws:sns:topicArn": (arn("sns", f"{prefix}-alarms"),),
                "aws:SourceAccount": (MOTO_ACCOUNT_ID,),
            },
            "ArnLike": {"aws:SourceArn": (arn("cloudwatch", f"alarm:{prefix}-*"),)},
        }
        assert set(services["cloudwatch.amazonaws.com"].actions) == {"kms:Decrypt", "kms:GenerateDataKey"}


@pytest.mark.parametrize("example", ["basic", "module"])
def test_key_policy_lists_the_administration_actions_it_grants(
    example_plans: dict[str, Any], example: str
) -> None:
    address_prefix = "module.patch_securityhub." if example == "basic" else ""
    policy = known_policies(example_plans[example])[f"{address_prefix}aws_kms_key.this[0].policy"]
    by_sid = {statement.sid: statement for statement in policy}
    assert set(by_sid["AccountAdministersKey"].actions) == KEY_ADMINISTRATION
    assert set(by_sid["AccountUsesKeyThroughIam"].actions) == {
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    }


def queue_policies(plan: Any, prefix: str = "") -> dict[str, list[Statement]]:
    policies = known_policies(plan)
    return {
        name: policies[f"{prefix}aws_sqs_queue.{name}[0].policy"]
        for name in ("main", "dlq", "quarantine", "rule_dlq")
    }


def iam_arn(rest: str) -> str:
    return f"arn:aws:iam::{MOTO_ACCOUNT_ID}:{rest}"


TLS_ONLY = (("sqs:*",), {"*": ("*",)}, {"Bool": {"aws:SecureTransport": ("false",)}})


def statements_of(statements: list[Statement], effect: str) -> list[tuple[Any, ...]]:
    """(sid, actions, resources, principals, conditions) of the statements with that effect."""
    return [
        (s.sid, s.actions, s.resources, s.principals, s.conditions) for s in statements if s.effect == effect
    ]


@dataclass(frozen=True)
class MainQueueCase:
    address_prefix: str  # where the module sits in the plan
    name_prefix: str
    rule: str
    senders: tuple[str, ...]  # principals exempt from DenyOtherSenders besides the rule


@pytest.mark.parametrize(
    ("plan_name", "case"),
    [
        (
            "basic",
            MainQueueCase(
                "module.patch_securityhub.",
                "patch-securityhub",
                arn("events", "rule/patch-securityhub-patch-compliance"),
                (
                    iam_arn("role/patch-securityhub-redrive-us-east-1"),
                    iam_arn("role/patch-securityhub-sweep-us-east-1"),
                ),
            ),
        ),
        (
            "module-s3",
            MainQueueCase(
                "",
                S3_PREFIX,
                arn("events", f"rule/security-events/{S3_PREFIX}-patch-compliance"),
                (
                    iam_arn(f"role/{S3_PREFIX}-redrive-us-east-1"),
                    iam_arn(f"role/{S3_PREFIX}-sweep-us-east-1"),
                ),
            ),
        ),
        (
            "module-fleet",
            MainQueueCase(
                "",
                FLEET_PREFIX,
                arn("events", f"rule/{FLEET_PREFIX}-patch-compliance"),
                (
                    iam_arn(f"role{FLEET_ROLE_PATH}{FLEET_PREFIX}-redrive-us-east-1"),
                    iam_arn(f"role{FLEET_ROLE_PATH}{FLEET_PREFIX}-sweep-us-east-1"),
                    FLEET_OPERATOR,
                ),
            ),
        ),
    ],
)
def test_main_queue_accepts_only_the_rule_the_redrive_and_tls(
    example_plans: dict[str, Any], plan_name: str, case: MainQueueCase
) -> None:
    queue, rule, senders = arn("sqs", f"{case.name_prefix}-events"), case.rule, case.senders
    statements = queue_policies(example_plans[plan_name], case.address_prefix)["main"]
    assert statements_of(statements, "Allow") == [
        (
            "OnlyTheComplianceRuleSends",
            ("sqs:SendMessage",),
            (queue,),
            {"Service": ("events.amazonaws.com",)},
            {"ArnEquals": {"aws:SourceArn": (rule,)}},
        )
    ]
    # Denied unless the request comes from the rule or from one of the senders (ANDed negations: IAM user
    # guide, condition operators; a negated operator is true when the key is absent from the request).
    assert statements_of(statements, "Deny") == [
        (
            "DenyOtherSenders",
            ("sqs:SendMessage",),
            (queue,),
            {"*": ("*",)},
            {"ArnNotEquals": {"aws:SourceArn": (rule,)}, "ArnNotLike": {"aws:PrincipalArn": senders}},
        ),
        ("DenyInsecureTransport", TLS_ONLY[0], (queue,), TLS_ONLY[1], TLS_ONLY[2]),
    ]


def test_the_exempt_sender_is_the_planned_redrive_role(example_plans: dict[str, Any]) -> None:
    plan = example_plans["module-fleet"]
    role = plan.resource_changes['aws_iam_role.function["redrive"]']["change"]["after"]
    main = queue_policies(plan)["main"]
    deny = next(s for s in main if s.sid == "DenyOtherSenders")
    assert iam_arn(f"role{role['path']}{role['name']}") in deny.conditions["ArnNotLike"]["aws:PrincipalArn"]


def test_rule_dlq_accepts_only_the_rule_and_only_tls(example_plans: dict[str, Any]) -> None:
    queue = arn("sqs", "patch-securityhub-rule-dlq")
    rule = arn("events", "rule/patch-securityhub-patch-compliance")
    statements = queue_policies(example_plans["basic"], "module.patch_securityhub.")["rule_dlq"]
    # EventBridge user guide, "Granting permissions to the dead-letter queue".
    assert statements_of(statements, "Allow") == [
        (
            "OnlyTheComplianceRuleDeadLetters",
            ("sqs:SendMessage",),
            (queue,),
            {"Service": ("events.amazonaws.com",)},
            {"ArnEquals": {"aws:SourceArn": (rule,)}},
        )
    ]
    assert statements_of(statements, "Deny") == [
        (
            "DenyOtherSenders",
            ("sqs:SendMessage",),
            (queue,),
            {"*": ("*",)},
            {"ArnNotEquals": {"aws:SourceArn": (rule,)}},
        ),
        ("DenyInsecureTransport", TLS_ONLY[0], (queue,), TLS_ONLY[1], TLS_ONLY[2]),
    ]


def test_dead_letter_and_quarantine_queues_grant_nothing_and_require_tls(
    example_plans: dict[str, Any],
) -> None:
    policies = queue_policies(example_plans["basic"], "module.patch_securityhub.")
    for name, queue in (
        ("dlq", "patch-securityhub-events-dlq"),
        ("quarantine", "patch-securityhub-quarantine"),
    ):
        assert statements_of(policies[name], "Allow") == [], name
        assert statements_of(policies[name], "Deny") == [
            ("DenyInsecureTransport", TLS_ONLY[0], (arn("sqs", queue),), TLS_ONLY[1], TLS_ONLY[2])
        ]


def test_lambda_environment_is_encrypted_with_the_module_key(example_plans: dict[str, Any]) -> None:
    s3_plan = example_plans["module-s3"]
    for function in ("forwarder", "redrive", "sweep"):
        after = s3_plan.resource_changes[f'aws_lambda_function.function["{function}"]']["change"]["after"]
        assert after["kms_key_arn"] == KEY_ARN
        basic = example_plans["basic"].resource_changes[
            f'module.patch_securityhub.aws_lambda_function.function["{function}"]'
        ]
        assert basic["change"]["after_unknown"]["kms_key_arn"] is True  # the key the module creates


def test_module_hard_codes_no_account_id() -> None:
    for path in sorted((REPO / MODULE).glob("*.tf")):
        text = Path(path).read_text()
        assert not re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", text), (
            f"{path.name} contains a 12-digit account id"
        )
