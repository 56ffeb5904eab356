"""A function's customer managed KMS key (KMSKeyArn) as AWS keeps it.

LocalStack 4.14 accepts KMSKeyArn on CreateFunction/UpdateFunctionConfiguration but neither stores nor returns
it, so Terraform's `kms_key_arn` re-plans as an update forever. AWS:
- the function configuration (Create/Update responses, GetFunction, GetFunctionConfiguration, ListFunctions,
  ListVersionsByFunction) carries KMSKeyArn when a customer managed key is set, and omits it otherwise
  (Lambda API Reference, FunctionConfiguration.KMSKeyArn: "This key is returned only if you've configured a
  customer managed key");
- UpdateFunctionConfiguration with KMSKeyArn="" goes back to the AWS managed key, and the field disappears
  (API Reference, UpdateFunctionConfiguration.KMSKeyArn: "If you don't provide a customer managed key, Lambda
  uses an AWS owned key or an AWS managed key");
- a published version keeps the key $LATEST had when it was published (Lambda developer guide, "Manage Lambda
  function versions": a version is a snapshot of the code and configuration of $LATEST).
"""

from __future__ import annotations

from localstack.aws.api import RequestContext, handler
from localstack.aws.api.lambda_ import (
    CreateFunctionRequest,
    DeleteFunctionResponse,
    FunctionConfiguration,
    GetFunctionResponse,
    ListFunctionsResponse,
    ListVersionsByFunctionResponse,
    UpdateFunctionCodeRequest,
    UpdateFunctionConfigurationRequest,
)
from localstack.services.lambda_ import api_utils
from localstack.services.lambda_.provider import LambdaProvider
from localstack.utils.aws import arns

from psh_localstack.lambda_.models import FunctionKeyStore, function_key_stores

LATEST = "$LATEST"


class PshLambdaProvider(LambdaProvider):
    @handler(operation="CreateFunction", expand=False)
    def create_function(
        self, context: RequestContext, request: CreateFunctionRequest
    ) -> FunctionConfiguration:
        config = super().create_function(context, request)
        store = _store_of(config)
        name = config["FunctionName"]
        store.forget_function(name)
        store.set_key(name, LATEST, request.get("KMSKeyArn") or None)
        if config["Version"] != LATEST:  # Publish=True
            store.snapshot_latest(name, config["Version"])
        return _with_key(config)

    @handler(operation="UpdateFunctionConfiguration", expand=False)
    def update_function_configuration(
        self, context: RequestContext, request: UpdateFunctionConfigurationRequest
    ) -> FunctionConfiguration:
        config = super().update_function_configuration(context, request)
        if "KMSKeyArn" in request:
            _store_of(config).set_key(config["FunctionName"], LATEST, request["KMSKeyArn"] or None)
        return _with_key(config)

    @handler(operation="UpdateFunctionCode", expand=False)
    def update_function_code(
        self, context: RequestContext, request: UpdateFunctionCodeRequest
    ) -> FunctionConfiguration:
        config = super().update_function_code(context, request)
        if config["Version"] != LATEST:  # Publish=True
            _store_of(config).snapshot_latest(config["FunctionName"], config["Version"])
        return _with_key(config)

    def publish_version(
        self, context: RequestContext, function_name: str, *args, **kwargs
    ) -> FunctionConfiguration:
        config = super().publish_version(context, function_name, *args, **kwargs)
        _store_of(config).snapshot_latest(config["FunctionName"], config["Version"])
        return _with_key(config)

    def get_function(self, context: RequestContext, *args, **kwargs) -> GetFunctionResponse:
        response = super().get_function(context, *args, **kwargs)
        _with_key(response["Configuration"])
        return response

    def get_function_configuration(self, context: RequestContext, *args, **kwargs) -> FunctionConfiguration:
        return _with_key(super().get_function_configuration(context, *args, **kwargs))

    def list_functions(self, context: RequestContext, *args, **kwargs) -> ListFunctionsResponse:
        response = super().list_functions(context, *args, **kwargs)
        for config in response.get("Functions", []):
            _with_key(config)
        return response

    def list_versions_by_function(
        self, context: RequestContext, *args, **kwargs
    ) -> ListVersionsByFunctionResponse:
        response = super().list_versions_by_function(context, *args, **kwargs)
        for config in response.get("Versions", []):
            _with_key(config)
        return response

    def delete_function(
        self, context: RequestContext, function_name: str, qualifier: str | None = None, **kwargs
    ) -> DeleteFunctionResponse:
        response = super().delete_function(context, function_name, qualifier, **kwargs)
        account_id, region = api_utils.get_account_and_region(function_name, context)
        name, qualifier = api_utils.get_name_and_qualifier(function_name, qualifier, context)
        store = function_key_stores[account_id][region]
        if qualifier:
            store.forget_version(name, qualifier)
        else:
            store.forget_function(name)
        return response


def _store_of(config: FunctionConfiguration) -> FunctionKeyStore:
    arn = arns.parse_arn(config["FunctionArn"])
    return function_key_stores[arn["account"]][arn["region"]]


def _with_key(config: FunctionConfiguration) -> FunctionConfiguration:
    """Add KMSKeyArn to a configuration LocalStack built, when that version has a customer managed key."""
    key = _store_of(config).key(config["FunctionName"], config["Version"])
    if key:
        config["KMSKeyArn"] = key
    else:
        config.pop("KMSKeyArn", None)
    return config
