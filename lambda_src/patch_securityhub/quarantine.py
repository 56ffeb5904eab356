"""The quarantine envelope: one shape for every message this product sets aside (forwarder and redrive).

Pure: builds the SendMessage body and message attributes; the callers send them. Standard library only, so the
redrive package (no dependencies) can import it.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

QUARANTINE_BODY_LIMIT = 200 * 1024
_ATTRIBUTE_SAFE = re.compile(r"[^\x20-\x7e]")


def _ascii(text: str, limit: int) -> str:
    return _ATTRIBUTE_SAFE.sub("?", text)[:limit] or "-"


def envelope(
    *,
    reason: str,
    detail: str,
    message_id: Any,
    source_queue_arn: Any,
    receive_count: Any,
    body: Any,
) -> tuple[str, dict[str, dict[str, str]]]:
    """(MessageBody, MessageAttributes) of a quarantined message: the JSON envelope (`reason`, `detail`,
    `sourceMessageId`, `sourceQueueArn`, `receiveCount`, `bodySha256`, `originalBody`, and
    `originalBodyTruncated` when the body was cut at QUARANTINE_BODY_LIMIT) and the attributes `reason`,
    `detail` and `source-message-id` (printable ASCII, so a console filter can read them)."""
    body_text = body if isinstance(body, str) else json.dumps(body, default=str)
    document: dict[str, Any] = {
        "reason": reason,
        "detail": detail,
        "sourceMessageId": message_id,
        "sourceQueueArn": source_queue_arn,
        "receiveCount": receive_count,
        "bodySha256": hashlib.sha256(body_text.encode("utf-8", "surrogatepass")).hexdigest(),
    }
    if len(body_text) > QUARANTINE_BODY_LIMIT:
        document["originalBody"] = body_text[:QUARANTINE_BODY_LIMIT]
        document["originalBodyTruncated"] = True
    else:
        document["originalBody"] = body_text
    attributes = {
        "reason": {"DataType": "String", "StringValue": _ascii(reason, 64)},
        "detail": {"DataType": "String", "StringValue": _ascii(detail, 256)},
        "source-message-id": {"DataType": "String", "StringValue": _ascii(str(message_id), 128)},
    }
    return json.dumps(document, ensure_ascii=True, default=str), attributes
