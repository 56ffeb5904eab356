"""The native Patch Manager integration in the three states a real account can be in, with examples/complete:
apply, re-plan (no drift) and destroy, each in an account of its own.

Security Hub subscribes AWS's service integrations when it is enabled (user guide,
securityhub-internal-providers): the module creates no subscription unless told the integration was disabled
by hand, and destroy never disables one it did not enable.
"""

from __future__ import annotations

import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from psh_stage.aws import Aws
from psh_stage.terraform import complete_stage, planned_changes

INTEGRATION = "product-subscription/aws/ssm-patch-manager"


def _subscribed(securityhub: Any) -> bool:
    subscriptions = securityhub.list_enabled_products_for_import()["ProductSubscriptions"]
    return any(arn.endswith(INTEGRATION) for arn in subscriptions)


def _hub_enabled(securityhub: Any) -> bool:
    try:
        securityhub.describe_hub()
    except securityhub.exceptions.InvalidAccessException:
        return False
    return True


def _unsubscribe(securityhub: Any) -> None:
    """The customer's hand: the console's Integrations page, "Stop accepting findings"."""
    (arn,) = [
        arn
        for arn in securityhub.list_enabled_products_for_import()["ProductSubscriptions"]
        if arn.endswith(INTEGRATION)
    ]
    securityhub.disable_import_findings_for_product(ProductSubscriptionArn=arn)


# state: (hub on before apply, integration disabled by hand, example variables (as -var strings), subscribed
# after destroy; None: the hub is gone)
STATES = {
    "module_enables_the_hub": (False, False, {"enable_securityhub": "true"}, None),
    "hub_on_integration_on": (True, False, {"enable_securityhub": "false"}, True),
    "hub_on_integration_disabled_by_hand": (
        True,
        True,
        {"enable_securityhub": "false", "subscribe_patch_manager_product": "enable"},
        False,
    ),
}
# Stage names (build/work/<name>, name_prefix psh-<name>: at most 32 characters), with the account appended.
STAGE_NAMES = {
    "module_enables_the_hub": "pm-by-module",
    "hub_on_integration_on": "pm-hub-on",
    "hub_on_integration_disabled_by_hand": "pm-by-hand",
}


def _apply_replan_destroy(localstack: Any, state: str) -> None:
    """One state in an account of its own: what the account holds before, apply, re-plan, destroy, after."""
    hub_before, disabled_by_hand, tf_vars, subscribed_after_destroy = STATES[state]
    account = str(random.randrange(10**11, 10**12))
    env = {**localstack.env, "AWS_ACCESS_KEY_ID": account}  # LocalStack maps the key to that account
    securityhub = Aws(env).client("securityhub")
    if hub_before:
        securityhub.enable_security_hub(EnableDefaultStandards=False)
        assert _subscribed(securityhub), "enabling the hub subscribes the native integration"
    if disabled_by_hand:
        _unsubscribe(securityhub)

    # Any build of the zips will do (build/dist, as `make package` leaves it): the functions do not run here.
    stage = complete_stage(env, f"{STAGE_NAMES[state]}-{account}", **tf_vars)
    stage.destroy()
    try:
        outputs = stage.apply()
        assert _subscribed(securityhub), "after apply the native integration is subscribed"
        managed = outputs["module"]["patch_manager_product_subscription_arn"]
        # The module owns a subscription only where it enabled the integration.
        assert (managed is not None) == disabled_by_hand
        assert planned_changes(stage.plan()) == {}, "re-plan after apply shows no changes"
    finally:
        stage.destroy()
    assert stage.state_resources() == []
    if subscribed_after_destroy is None:
        # The module enabled Security Hub, so destroy disables it, and its subscriptions with it.
        assert not _hub_enabled(securityhub)
    else:
        assert _hub_enabled(securityhub)
        assert _subscribed(securityhub) == subscribed_after_destroy
    shutil.rmtree(stage.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def outcomes(localstack: Any) -> dict[str, BaseException | None]:
    """Every state at once (independent accounts and work dirs; apply is mostly waiting on the service):
    state -> None when it held, else what failed."""
    with ThreadPoolExecutor(max_workers=len(STATES)) as pool:
        futures = {state: pool.submit(_apply_replan_destroy, localstack, state) for state in STATES}
        return {state: future.exception() for state, future in futures.items()}


@pytest.mark.parametrize("state", list(STATES))
def test_integration_state_applies_replans_and_destroys(
    outcomes: dict[str, BaseException | None], state: str
) -> None:
    failure = outcomes[state]
    if failure is not None:
        raise failure
