"""EC2 provider: LocalStack's own (moto) plus the emulated fleet's EC2 nodes (i-).

StopInstances, StartInstances, TerminateInstances and DescribeInstances answer for fleet instance ids
(instances.py); whatever is not a fleet node goes to LocalStack's EC2 unchanged. A request naming both kinds
is split: moto answers its part (and fails the whole call for an id it does not know, as EC2 does:
InvalidInstanceID.NotFound, "The specified instance does not exist", EC2 API reference, Error codes), the
fleet answers the rest, and the answers are merged. DescribeInstances without instance ids or instance-id
filter values of the fleet (e.g. a listing of every instance) is moto's alone: fleet nodes are not listed
then. Selected with PROVIDER_OVERRIDE_EC2=psh.
"""

from __future__ import annotations

from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.ec2.provider import Ec2Provider
from localstack.services.moto import call_moto, call_moto_with_request

from psh_localstack import paging
from psh_localstack.ec2 import instances
from psh_localstack.ssm import fleet, lifecycle
from psh_localstack.ssm.models import PatchStore, patch_stores

Request = dict[str, Any]
Response = dict[str, Any]


def _store(context: RequestContext) -> PatchStore:
    store = patch_stores[context.account_id][context.region]
    fleet.forget_expired(store)
    return store


def _dry_run(request: Request) -> None:
    # DryRun: "If you have the required permissions, the error response is DryRunOperation." (API reference)
    if request.get("DryRun"):
        raise CommonServiceException(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status_code=412
        )


class PshEc2Provider(Ec2Provider):
    def _change_state(self, context: RequestContext, request: Request, action: str, key: str) -> Response:
        """StoppingInstances / StartingInstances / TerminatingInstances: [{InstanceId, CurrentState,
        PreviousState}] (EC2 API reference of each operation and its examples)."""
        store = _store(context)
        ids = list(request.get("InstanceIds") or [])
        mine = [each for each in ids if instances.is_fleet_instance(store, each)]
        if not mine:
            return call_moto(context)
        _dry_run(request)
        others = [each for each in ids if each not in mine]
        answered: list[dict[str, Any]] = []
        if others:
            # The fleet's part is checked, then moto answers its part: an unknown id fails the whole call
            # before any fleet instance changes.
            instances.change_state(store, mine, action, apply=False)
            answered = list(call_moto_with_request(context, {**request, "InstanceIds": others}).get(key, []))
        answered += instances.change_state(store, mine, action)
        order = {instance_id: position for position, instance_id in enumerate(ids)}
        return {key: sorted(answered, key=lambda each: order.get(each["InstanceId"], len(order)))}

    @handler("StopInstances", expand=False)
    def stop_instances(self, context: RequestContext, request: Request) -> Response:
        return self._change_state(context, request, lifecycle.STOP, "StoppingInstances")

    @handler("StartInstances", expand=False)
    def start_instances(self, context: RequestContext, request: Request) -> Response:
        return self._change_state(context, request, lifecycle.START, "StartingInstances")

    @handler("TerminateInstances", expand=False)
    def terminate_instances(self, context: RequestContext, request: Request) -> Response:
        return self._change_state(context, request, lifecycle.TERMINATE, "TerminatingInstances")

    @handler("DescribeInstances", expand=False)
    def describe_instances(self, context: RequestContext, request: Request) -> Response:
        """Reservations[].Instances[] for fleet instances named by InstanceIds or by the instance-id filter
        (EC2 API reference, DescribeInstances: "If you specify instance IDs, the output includes information
        for only the specified instances. If you specify filters, the output includes information for only
        those instances that meet the filter criteria." and "If you specify an instance ID that is not valid,
        an error is returned": an unknown id in InstanceIds fails the call, InvalidInstanceID.NotFound, while
        a filter value matching nothing selects nothing); MaxResults 5..1000 and NextToken."""
        store = _store(context)
        ids = list(request.get("InstanceIds") or [])
        filters = list(request.get("Filters") or [])
        if any(flt.get("Name") not in instances.FLEET_FILTERS for flt in filters):
            return call_moto(context)
        if ids:
            named, by_filter = ids, False
        else:
            named = [value for flt in filters if flt["Name"] == "instance-id" for value in flt["Values"]]
            by_filter = True
        mine = [each for each in dict.fromkeys(named) if instances.is_fleet_instance(store, each)]
        if not mine:
            return call_moto(context)
        instances.check_max_results(request)
        others = [each for each in named if each not in mine]
        reservations = [
            instances.reservation(context.account_id, store, each)
            for each in mine
            if instances.matches(store, each, filters)
        ]
        if others:
            # moto's part, all of it (the paging is the merged list's): InstanceIds narrowed to the others,
            # or the instance-id filter values narrowed to them.
            if by_filter:
                narrowed = [
                    {**flt, "Values": [v for v in flt["Values"] if v in others]}
                    if flt["Name"] == "instance-id"
                    else flt
                    for flt in filters
                ]
                moto_request = {"Filters": narrowed}
            else:
                moto_request = {"InstanceIds": others, **({"Filters": filters} if filters else {})}
            moto_answer = call_moto_with_request(context, moto_request)
            reservations = list(moto_answer.get("Reservations", [])) + reservations
        if request.get("MaxResults") is None and not request.get("NextToken"):
            return {"Reservations": reservations}
        query = {"op": "DescribeInstances", "Filters": filters}
        size = request.get("MaxResults") or instances.MAX_RESULTS[1]
        try:
            chunk, token = paging.page(reservations, request.get("NextToken"), size, query)
        except paging.InvalidTokenError:
            raise instances.ec2_error("InvalidParameterValue", "Invalid value for nextToken") from None
        return {"Reservations": chunk, **({"NextToken": token} if token else {})}
