"""boto3 clients for the local AWS (configured only through the standard AWS_* settings) and waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3

T = TypeVar("T")


class Aws:
    """boto3 clients against LocalStack; only the standard AWS_* settings in `env` say where it is."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "test"),
            region_name=env.get("AWS_REGION", "us-east-1"),
        )
        self.endpoint = env["AWS_ENDPOINT_URL"]
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint)
        return self._clients[service]

    @property
    def region(self) -> str:
        return self.session.region_name

    @property
    def account(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]


def tag_nodes(ssm: Any, tags_by_node: dict[str, dict[str, str]]) -> None:
    """Tag managed nodes through SSM's own API, so that association targets (tag:<key>) select them."""
    for node_id, tags in tags_by_node.items():
        ssm.add_tags_to_resource(
            ResourceType="ManagedInstance",
            ResourceId=node_id,
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )


def wait_until[T](
    probe: Callable[[], T], done: Callable[[T], bool], timeout: float, interval: float = 1.0, what: str = ""
) -> T:
    """Poll `probe` until `done(result)`; raise TimeoutError naming `what` and the last result otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"gave up after {timeout:.0f}s waiting for {what or 'a condition'}: {result!r:.600}"
            )
        time.sleep(interval)


def queue_depths(sqs: Any, urls: dict[str, str]) -> dict[str, int]:
    """Visible + in-flight + delayed messages per named queue."""
    depths: dict[str, int] = {}
    for name, url in urls.items():
        attrs = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        depths[name] = sum(int(v) for v in attrs.values())
    return depths
