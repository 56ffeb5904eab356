"""Plans of modules/patch-securityhub: inventories, the master switch, input validation, preconditions."""

from __future__ import annotations

import pytest
from inventory import check_inventory, type_counts
from plan_support import PlanRunner

MODULE = "modules/patch-securityhub"
PACKAGES: dict[str, object] = {
    "forwarder_package": {"zip_path": "../../build/dist/forwarder.zip"},
    "redrive_package": {"zip_path": "../../build/dist/redrive.zip"},
}

# One invalid value per variable, and the validation message each must produce. Terraform reports every
# failing variable of a plan at once, so they are checked with a single plan.
INVALID_INPUTS: dict[str, tuple[object, str]] = {
    "name_prefix": ("9-starts-with-digit", "name_prefix must start with a letter and hold 1-32 letters"),
    "kms_key_arn": ("arn:aws:s3:::not-a-key", "kms_key_arn must be a KMS key ARN"),
    "kms_key_deletion_window_in_days": (
        3,
        "kms_key_deletion_window_in_days must be a whole number from 7 to 30.",
    ),
    "forwarder_package": (
        {"zip_path": "a.zip", "s3_bucket": "b", "s3_key": "k"},
        "forwarder_package needs exactly one source: zip_path, or s3_bucket together with s3_key.",
    ),
    "redrive_package": ({"zip_path": "redrive.tar.gz"}, "redrive_package.zip_path must name a .zip file."),
    "lambda_architecture": ("sparc", "lambda_architecture must be x86_64 or arm64."),
    "lambda_tracing_mode": ("Sometimes", "lambda_tracing_mode must be Active or PassThrough."),
    "log_level": ("TRACE", "log_level must be one of DEBUG, INFO, WARNING, ERROR."),
    "forwarder_timeout": (901, "forwarder_timeout must be a whole number of seconds from 3 to 900."),
    "forwarder_memory_size": (64, "forwarder_memory_size must be a whole number of MB from 128 to 10240."),
    "onprem_resource_type": (
        "AwsSsmManagedInstance",
        "onprem_resource_type must be AwsEc2Instance or Other.",
    ),
    "forwarder_batch_size": (10001, "forwarder_batch_size must be a whole number from 1 to 10000."),
    "forwarder_batching_window_seconds": (
        301,
        "forwarder_batching_window_seconds must be a whole number from 0 to 300.",
    ),
    "forwarder_max_concurrency": (1, "forwarder_max_concurrency must be a whole number from 2 to 1000."),
    "ssm_read_concurrency": (33, "ssm_read_concurrency must be a whole number from 1 to 32."),
    "redrive_timeout": (0, "redrive_timeout must be a whole number of seconds from 3 to 900."),
    "redrive_schedule_expression": (
        "every 5 minutes",
        "redrive_schedule_expression must be rate(N minutes|hours|days)",
    ),
    "redrive_max_move_per_run": (0, "redrive_max_move_per_run must be a whole number from 1 to 100000."),
    "queue_visibility_timeout_seconds": (
        50000,
        "queue_visibility_timeout_seconds must be null or 0-43200 seconds.",
    ),
    "queue_message_retention_seconds": (30, "queue_message_retention_seconds must be from 60 to 1209600"),
    "dlq_message_retention_seconds": (2000000, "dlq_message_retention_seconds must be from 60 to 1209600"),
    "max_receive_count": (0, "max_receive_count must be a whole number from 1 to 1000."),
    "event_bus_name": ("arn:aws:events:us-east-1:1:event-bus/x y", "event_bus_name must be 1-256 characters"),
    "patch_operation": ("Patch", "patch_operation must be Scan or Install."),
    "reboot_option": ("Always", "reboot_option must be RebootIfNeeded or NoReboot."),
    "patch_hooks": ({"pre_install": "x"}, "Each patch hook must be an SSM document name"),
    "patch_targets": (
        [{"key": "Name", "values": ["web"]}],
        "Each patch target key must be InstanceIds, tag:<key>",
    ),
    "patch_schedule_expression": (
        "rate(10 minutes)",
        "patch_schedule_expression must be rate(N minutes) with N >= 30",
    ),
    "patch_max_concurrency": ("0", "patch_max_concurrency must be a positive number or a percentage"),
    "patch_max_errors": ("101%", "patch_max_errors must be a number or a percentage from 0% to 100%."),
    "patch_compliance_severity": (
        "SEVERE",
        "patch_compliance_severity must be one of CRITICAL, HIGH, MEDIUM, LOW",
    ),
    "patch_output_s3": (
        {"bucket_name": "Bad_Bucket"},
        "patch_output_s3.bucket_name must be an S3 bucket name",
    ),
    "patch_baseline": (
        {
            "name": "ok-name",
            "approval_rules": [
                {"approve_after_days": 7, "compliance_level": "URGENT", "patch_filters": []},
            ],
        },
        "Every patch_baseline compliance level must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL",
    ),
    "log_retention_in_days": (42, "log_retention_in_days must be a CloudWatch Logs retention value"),
    "alarm_sns_topic_arn": ("ops-alarms", "alarm_sns_topic_arn must be an SNS topic ARN."),
    "alarm_evaluation_period_seconds": (120, "alarm_evaluation_period_seconds must be 60, 300, 900 or 3600."),
    "main_queue_age_alarm_seconds": (10, "main_queue_age_alarm_seconds must be from 60 to 1209600."),
}


def test_defaults_match_inventory(plans: PlanRunner) -> None:
    check_inventory(plans.plan(MODULE, ("fixtures/module/defaults.tfvars",)), "module_defaults")


def test_s3_code_and_existing_key_match_inventory(plans: PlanRunner) -> None:
    check_inventory(
        plans.plan(MODULE, ("fixtures/module/s3_code_existing_key.tfvars",)), "module_s3_code_existing_key"
    )


def test_disabled_module_plans_nothing_and_reads_nothing(plans: PlanRunner) -> None:
    plan = plans.plan(MODULE, ("fixtures/module/disabled.tfvars",))
    assert plan.resource_changes == {}
    assert type_counts(plan)["resources"] == 0
    prior = plan._raw.get("prior_state", {}).get("values", {}).get("root_module", {})
    assert prior.get("resources", []) == [], "data sources must be gated by `enabled` too"


@pytest.fixture(scope="module")
def invalid_plan_message(plans: PlanRunner) -> str:
    tf_vars = dict(PACKAGES)
    tf_vars.update({name: value for name, (value, _) in INVALID_INPUTS.items()})
    return plans.plan_error(MODULE, tf_vars=tf_vars)


@pytest.mark.parametrize("variable", sorted(INVALID_INPUTS))
def test_invalid_input_is_rejected_with_its_message(invalid_plan_message: str, variable: str) -> None:
    _, message = INVALID_INPUTS[variable]
    assert message in invalid_plan_message
    assert f"var.{variable} is" in invalid_plan_message or f"var.{variable}" in invalid_plan_message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"forwarder_timeout": 120, "queue_visibility_timeout_seconds": 300},
            "queue_visibility_timeout_seconds must be at least 6 x forwarder_timeout",
        ),
        (
            {"forwarder_batch_size": 50, "forwarder_batching_window_seconds": 0},
            "forwarder_batching_window_seconds must be at least 1 when forwarder_batch_size is above 10",
        ),
        (
            {"patch_apply_only_at_cron_interval": "true", "patch_schedule_expression": "rate(1 day)"},
            "patch_apply_only_at_cron_interval needs a cron() patch_schedule_expression.",
        ),
    ],
    ids=["visibility-below-6x-timeout", "large-batch-without-window", "cron-interval-with-rate"],
)
def test_inconsistent_inputs_fail_their_precondition(
    plans: PlanRunner, overrides: dict[str, object], message: str
) -> None:
    assert message in plans.plan_error(MODULE, tf_vars={**PACKAGES, **overrides})


def test_visibility_timeout_follows_function_timeout(plans: PlanRunner) -> None:
    plan = plans.plan(MODULE, tf_vars={**PACKAGES, "forwarder_timeout": 45})
    assert (
        plan.resource_changes["aws_sqs_queue.main[0]"]["change"]["after"]["visibility_timeout_seconds"] == 270
    )
