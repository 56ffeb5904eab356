"""plux entry points, import-light: LocalStack imports every plugin module of a namespace to list them."""

from __future__ import annotations

import importlib
import logging

from localstack.runtime import hooks
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.plugins import Service, aws_provider

LOG = logging.getLogger(__name__)


@aws_provider(api="securityhub", name="default")
def securityhub_provider() -> Service:
    from psh_localstack.securityhub.provider import SecurityHubProvider

    return Service.for_provider(SecurityHubProvider())


@aws_provider(api="ssm", name="psh")
def ssm_provider() -> Service:
    from localstack.services.moto import MotoFallbackDispatcher

    from psh_localstack.ssm.provider import PshSsmProvider

    return Service.for_provider(PshSsmProvider(), dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="ec2", name="psh")
def ec2_provider() -> Service:
    from localstack.services.moto import MotoFallbackDispatcher

    from psh_localstack.ec2.provider import PshEc2Provider

    return Service.for_provider(PshEc2Provider(), dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="lambda", name="psh")
def lambda_provider() -> Service:
    from psh_localstack.lambda_ import esm
    from psh_localstack.lambda_.provider import PshLambdaProvider

    esm.install()
    return Service.for_provider(PshLambdaProvider())


@aws_provider(api="cloudwatch", name="psh")
def cloudwatch_provider() -> Service:
    from psh_localstack.cloudwatch.provider import PshCloudwatchProvider

    return Service.for_provider(PshCloudwatchProvider())


@aws_provider(api="sqs", name="psh")
def sqs_provider() -> Service:
    from psh_localstack.sqs.provider import PshSqsProvider

    return Service.for_provider(PshSqsProvider())


class HostRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """LAMBDA_RUNTIME_EXECUTOR=host: run functions from their deployment zip in a host subprocess."""

    name = "host"

    def load(self, *args, **kwargs):
        from psh_localstack.lambda_executor.executor import HostRuntimeExecutor

        return HostRuntimeExecutor


@hooks.on_infra_start()
def register_psh_control_routes() -> None:
    """Mount the /_psh/... control routes (fleet registration, scans, service failure switches)."""
    from localstack.services.edge import ROUTER

    for module_name in (
        "psh_localstack.clock",
        "psh_localstack.ssm.control",
        "psh_localstack.securityhub.control",
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            LOG.warning("psh control routes of %s not registered: %s", module_name, error)
            continue
        module.register(ROUTER)
