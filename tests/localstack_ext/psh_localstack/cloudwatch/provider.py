"""Alarm tags as AWS keeps them.

LocalStack 4.14's CloudWatch provider drops the `Tags` of PutMetricAlarm/PutCompositeAlarm, so
ListTagsForResource answers [] for an alarm created with tags (and Terraform re-plans a tag update
forever). AWS:
- the Tags of a Put*Alarm call apply only when it creates the alarm: "If you are using this operation to
  update an existing alarm, any tags you specify in this parameter are ignored. To change the tags of an
  existing alarm, use TagResource or UntagResource." (CloudWatch API Reference, PutMetricAlarm and
  PutCompositeAlarm, Tags);
- DeleteAlarms deletes the alarms' tags with them (a tag belongs to its resource);
- Tag/Untag/ListTagsForResource on an alarm that does not exist fail with ResourceNotFoundException ("The
  named resource does not exist", API Reference of each).
"""

from __future__ import annotations

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.aws.api.cloudwatch import (
    AlarmNames,
    AmazonResourceName,
    ListTagsForResourceOutput,
    PutCompositeAlarmInput,
    PutMetricAlarmInput,
    TagKeyList,
    TagList,
    TagResourceOutput,
    UntagResourceOutput,
)
from localstack.services.cloudwatch.provider_v2 import CloudwatchProvider
from localstack.utils.aws import arns

ALARM_ARN_MARKER = ":alarm:"


class ResourceNotFoundException(CommonServiceException):
    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message, status_code=404, sender_fault=True)


class PshCloudwatchProvider(CloudwatchProvider):
    @handler("PutMetricAlarm", expand=False)
    def put_metric_alarm(self, context: RequestContext, request: PutMetricAlarmInput) -> None:
        is_new = not self._alarm_exists(context, request["AlarmName"])
        super().put_metric_alarm(context, request)
        self._tag_new_alarm(context, request["AlarmName"], request.get("Tags"), is_new)

    @handler("PutCompositeAlarm", expand=False)
    def put_composite_alarm(self, context: RequestContext, request: PutCompositeAlarmInput) -> None:
        is_new = not self._alarm_exists(context, request["AlarmName"])
        super().put_composite_alarm(context, request)
        self._tag_new_alarm(context, request["AlarmName"], request.get("Tags"), is_new)

    def delete_alarms(self, context: RequestContext, alarm_names: AlarmNames, **kwargs) -> None:
        super().delete_alarms(context, alarm_names, **kwargs)
        store = self.get_store(context.account_id, context.region)
        for name in alarm_names:
            arn = arns.cloudwatch_alarm_arn(name, account_id=context.account_id, region_name=context.region)
            if arn not in store.alarms:
                store.TAGS.del_resource(arn)

    def list_tags_for_resource(
        self, context: RequestContext, resource_arn: AmazonResourceName, **kwargs
    ) -> ListTagsForResourceOutput:
        self._require_alarm(context, resource_arn)
        return super().list_tags_for_resource(context, resource_arn, **kwargs)

    def tag_resource(
        self, context: RequestContext, resource_arn: AmazonResourceName, tags: TagList, **kwargs
    ) -> TagResourceOutput:
        self._require_alarm(context, resource_arn)
        return super().tag_resource(context, resource_arn, tags, **kwargs)

    def untag_resource(
        self, context: RequestContext, resource_arn: AmazonResourceName, tag_keys: TagKeyList, **kwargs
    ) -> UntagResourceOutput:
        self._require_alarm(context, resource_arn)
        return super().untag_resource(context, resource_arn, tag_keys, **kwargs)

    def _alarm_exists(self, context: RequestContext, alarm_name: str) -> bool:
        arn = arns.cloudwatch_alarm_arn(alarm_name, account_id=context.account_id, region_name=context.region)
        return arn in self.get_store(context.account_id, context.region).alarms

    def _tag_new_alarm(
        self, context: RequestContext, alarm_name: str, tags: TagList | None, is_new: bool
    ) -> None:
        if not is_new:
            return
        arn = arns.cloudwatch_alarm_arn(alarm_name, account_id=context.account_id, region_name=context.region)
        store = self.get_store(context.account_id, context.region)
        store.TAGS.del_resource(arn)  # nothing survives from an earlier alarm of that name
        if tags:
            store.TAGS.tag_resource(arn, tags)

    def _require_alarm(self, context: RequestContext, resource_arn: str) -> None:
        if ALARM_ARN_MARKER not in resource_arn:
            return  # other taggable resources (Contributor Insights rules) keep LocalStack's behaviour
        try:
            parts = arns.parse_arn(resource_arn)
        except arns.InvalidArnException:
            return  # LocalStack's own handling
        if resource_arn not in self.get_store(parts["account"], parts["region"]).alarms:
            alarm_name = resource_arn.split(ALARM_ARN_MARKER, 1)[1]
            raise ResourceNotFoundException(f"Alarm {alarm_name} does not exist.")
