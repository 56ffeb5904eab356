"""The number of message attributes a message may carry, as AWS enforces it.

LocalStack 4.14's SQS provider accepts any number of message attributes. AWS: "Each message can have up to 10
attributes" (SQS Developer Guide, "Message metadata for Amazon SQS"; "Amazon SQS message quotas": "A message
can contain up to 10 metadata attributes"). SendMessage answers more with InvalidParameterValue, "Number of
message attributes [11] exceeds the allowed maximum [10]." (the message AWS returns, aws/aws-sdk-js#2876);
SendMessageBatch reports such an entry in Failed and sends the others. Message system attributes
(AWSTraceHeader) are not message attributes and do not count.
"""

from __future__ import annotations

from typing import Any

from localstack.services.sqs.exceptions import InvalidParameterValueException
from localstack.services.sqs.provider import SqsProvider

MAX_MESSAGE_ATTRIBUTES = 10


def check_attribute_count(message_attributes: dict[str, Any] | None) -> None:
    count = len(message_attributes or {})
    if count > MAX_MESSAGE_ATTRIBUTES:
        raise InvalidParameterValueException(
            f"Number of message attributes [{count}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}]."
        )


class PshSqsProvider(SqsProvider):
    # Both SendMessage and each entry of SendMessageBatch go through _put_message; in a batch, the raised
    # error becomes that entry's Failed element (SqsProvider.send_message_batch).
    def _put_message(  # noqa: PLR0917 - SqsProvider._put_message's own signature
        self,
        queue: Any,
        context: Any,
        message_body: Any,
        delay_seconds: Any = None,
        message_attributes: Any = None,
        message_system_attributes: Any = None,
        message_deduplication_id: Any = None,
        message_group_id: Any = None,
    ) -> Any:
        check_attribute_count(message_attributes)
        return super()._put_message(
            queue,
            context,
            message_body,
            delay_seconds,
            message_attributes,
            message_system_attributes,
            message_deduplication_id,
            message_group_id,
        )
