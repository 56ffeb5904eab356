"""Systems Manager provider: LocalStack's community provider plus Patch Manager (moto answers the rest).

A thin dispatcher in the style of LocalStack's own providers: each handler resolves the account/Region store
and calls the module of its concern (documents, baselines, associations, commands, compliance, nodes, tags).
Handlers that answer None leave the request to LocalStack (call_moto).
Selected with PROVIDER_OVERRIDE_SSM=psh.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from localstack.aws.api import RequestContext, handler
from localstack.services.moto import call_moto
from localstack.services.ssm.provider import SsmProvider

from psh_localstack.faults import STUCK_TOKEN, RequestRejectedError
from psh_localstack.ssm import (
    associations,
    baselines,
    commands,
    compliance,
    documents,
    errors,
    fleet,
    nodes,
    tags,
)
from psh_localstack.ssm.models import PatchStore, patch_stores
from psh_localstack.ssm.traffic import FAULTABLE_OPERATIONS, SSM_FAULTS

Request = dict[str, Any]
Response = dict[str, Any]


def _store(context: RequestContext) -> PatchStore:
    store = patch_stores[context.account_id][context.region]
    fleet.forget_expired(store)  # EC2 forgets terminated instances after about an hour (ssm/lifecycle.py)
    return store


def _or_moto(context: RequestContext, response: Response | None) -> Response:
    return call_moto(context) if response is None else response


def faultable(operation: str) -> Callable:
    """Let the fault switch (ssm.traffic) answer before the handler runs (apply below `@handler`)."""
    if operation not in FAULTABLE_OPERATIONS:
        raise ValueError(f"{operation} is not a faultable operation")

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def guarded(self: Any, context: RequestContext, request: Request) -> Response:
            try:
                delay = SSM_FAULTS.admit(operation)
            except RequestRejectedError as rejected:
                raise errors.rejection(rejected) from None
            if delay:
                time.sleep(delay)
            if not SSM_FAULTS.repeats_token(operation):
                return fn(self, context, request)
            # The first page again, under the same token, whatever token the request carried.
            first = {key: value for key, value in request.items() if key != "NextToken"}
            return {**fn(self, context, first), "NextToken": STUCK_TOKEN}

        return guarded

    return wrap


class PshSsmProvider(SsmProvider):
    # --- documents ------------------------------------------------------------------------------------------

    @handler("DescribeDocument", expand=False)
    def describe_document(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(context, documents.describe_document(request, context.region))

    @handler("GetDocument", expand=False)
    def get_document(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(context, documents.get_document(request))

    # --- tags -----------------------------------------------------------------------------------------------

    @handler("AddTagsToResource", expand=False)
    def add_tags_to_resource(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(context, tags.add_tags_to_resource(_store(context), request))

    @handler("RemoveTagsFromResource", expand=False)
    def remove_tags_from_resource(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(context, tags.remove_tags_from_resource(_store(context), request))

    @handler("ListTagsForResource", expand=False)
    def list_tags_for_resource(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(context, tags.list_tags_for_resource(_store(context), request))

    # --- patch baselines and patch groups -------------------------------------------------------------------

    @handler("CreatePatchBaseline", expand=False)
    def create_patch_baseline(self, context: RequestContext, request: Request) -> Response:
        return baselines.create_patch_baseline(_store(context), request)

    @handler("GetPatchBaseline", expand=False)
    def get_patch_baseline(self, context: RequestContext, request: Request) -> Response:
        return baselines.get_patch_baseline(_store(context), request)

    @handler("UpdatePatchBaseline", expand=False)
    def update_patch_baseline(self, context: RequestContext, request: Request) -> Response:
        return baselines.update_patch_baseline(_store(context), request)

    @handler("DeletePatchBaseline", expand=False)
    def delete_patch_baseline(self, context: RequestContext, request: Request) -> Response:
        return baselines.delete_patch_baseline(_store(context), request)

    @handler("DescribePatchBaselines", expand=False)
    def describe_patch_baselines(self, context: RequestContext, request: Request) -> Response:
        return baselines.describe_patch_baselines(_store(context), request)

    @handler("RegisterPatchBaselineForPatchGroup", expand=False)
    def register_patch_baseline_for_patch_group(self, context: RequestContext, request: Request) -> Response:
        return baselines.register_patch_baseline_for_patch_group(_store(context), request)

    @handler("DeregisterPatchBaselineForPatchGroup", expand=False)
    def deregister_patch_baseline_for_patch_group(
        self, context: RequestContext, request: Request
    ) -> Response:
        return baselines.deregister_patch_baseline_for_patch_group(_store(context), request)

    @handler("GetPatchBaselineForPatchGroup", expand=False)
    def get_patch_baseline_for_patch_group(self, context: RequestContext, request: Request) -> Response:
        return baselines.get_patch_baseline_for_patch_group(_store(context), request)

    @handler("DescribePatchGroups", expand=False)
    def describe_patch_groups(self, context: RequestContext, request: Request) -> Response:
        return baselines.describe_patch_groups(_store(context), request)

    # --- associations ---------------------------------------------------------------------------------------

    @handler("CreateAssociation", expand=False)
    def create_association(self, context: RequestContext, request: Request) -> Response:
        return associations.create_association(_store(context), context.account_id, context.region, request)

    @handler("DescribeAssociation", expand=False)
    def describe_association(self, context: RequestContext, request: Request) -> Response:
        return associations.describe_association(_store(context), request)

    @handler("UpdateAssociation", expand=False)
    def update_association(self, context: RequestContext, request: Request) -> Response:
        return associations.update_association(_store(context), context.account_id, context.region, request)

    @handler("DeleteAssociation", expand=False)
    def delete_association(self, context: RequestContext, request: Request) -> Response:
        return associations.delete_association(_store(context), request)

    @handler("ListAssociations", expand=False)
    def list_associations(self, context: RequestContext, request: Request) -> Response:
        return associations.list_associations(_store(context), request)

    @handler("DescribeAssociationExecutions", expand=False)
    def describe_association_executions(self, context: RequestContext, request: Request) -> Response:
        return associations.describe_association_executions(_store(context), request)

    @handler("StartAssociationsOnce", expand=False)
    def start_associations_once(self, context: RequestContext, request: Request) -> Response:
        return associations.start_associations_once(
            _store(context), context.account_id, context.region, request
        )

    # --- commands -------------------------------------------------------------------------------------------

    @handler("SendCommand", expand=False)
    def send_command(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(
            context, commands.send_command(_store(context), context.account_id, context.region, request)
        )

    @handler("ListCommands", expand=False)
    def list_commands(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(context, commands.list_commands(_store(context), request))

    @handler("ListCommandInvocations", expand=False)
    def list_command_invocations(self, context: RequestContext, request: Request) -> Response:
        return commands.list_command_invocations(_store(context), request)

    @handler("GetCommandInvocation", expand=False)
    def get_command_invocation(self, context: RequestContext, request: Request) -> Response:
        return _or_moto(context, commands.get_command_invocation(_store(context), request))

    # --- managed nodes --------------------------------------------------------------------------------------

    @handler("DeregisterManagedInstance", expand=False)
    def deregister_managed_instance(self, context: RequestContext, request: Request) -> Response:
        return fleet.deregister_managed_instance(_store(context), request)

    @handler("DescribeInstanceInformation", expand=False)
    @faultable("DescribeInstanceInformation")
    def describe_instance_information(self, context: RequestContext, request: Request) -> Response:
        return nodes.describe_instance_information(_store(context), request)

    @handler("DescribeInstancePatchStates", expand=False)
    @faultable("DescribeInstancePatchStates")
    def describe_instance_patch_states(self, context: RequestContext, request: Request) -> Response:
        return nodes.describe_instance_patch_states(_store(context), request)

    @handler("DescribeInstancePatchStatesForPatchGroup", expand=False)
    def describe_instance_patch_states_for_patch_group(
        self, context: RequestContext, request: Request
    ) -> Response:
        return nodes.describe_instance_patch_states_for_patch_group(_store(context), request)

    @handler("DescribeInstancePatches", expand=False)
    @faultable("DescribeInstancePatches")
    def describe_instance_patches(self, context: RequestContext, request: Request) -> Response:
        return nodes.describe_instance_patches(_store(context), request)

    # --- compliance -----------------------------------------------------------------------------------------

    @handler("PutComplianceItems", expand=False)
    def put_compliance_items(self, context: RequestContext, request: Request) -> Response:
        return compliance.put_compliance_items(_store(context), context.account_id, context.region, request)

    @handler("ListComplianceItems", expand=False)
    @faultable("ListComplianceItems")
    def list_compliance_items(self, context: RequestContext, request: Request) -> Response:
        return compliance.list_compliance_items(_store(context), request)

    @handler("ListResourceComplianceSummaries", expand=False)
    def list_resource_compliance_summaries(self, context: RequestContext, request: Request) -> Response:
        return compliance.list_resource_compliance_summaries(_store(context), request)

    @handler("ListComplianceSummaries", expand=False)
    def list_compliance_summaries(self, context: RequestContext, request: Request) -> Response:
        return compliance.list_compliance_summaries(_store(context), request)
