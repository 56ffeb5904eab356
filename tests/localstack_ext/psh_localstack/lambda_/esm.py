"""SQS event source mappings that poll the way AWS's do: several pollers at once, back to back.

LocalStack 4.14 runs one poller thread per mapping and pauses LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC
(1 s) after every batch, whatever the mapping's concurrency. AWS: "When messages are available, Lambda
starts processing five batches at a time with five concurrent invocations of your function", and
ScalingConfig.MaximumConcurrency caps the concurrent invocations an SQS source makes (Lambda developer guide,
"Configuring scaling behavior for SQS event source mappings"). Here a mapping gets MaximumConcurrency
pollers (five without it), each invoking the function synchronously, so concurrent invocations never exceed
the cap; the stage sets the pause to 0.
"""

from __future__ import annotations

import itertools
import logging
import threading

from localstack.config import (
    LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC,
    LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC,
)
from localstack.services.lambda_.event_source_mapping import esm_worker_factory
from localstack.services.lambda_.event_source_mapping.esm_worker import EsmWorker
from localstack.services.lambda_.event_source_mapping.pollers.poller import EmptyPollResultsException
from localstack.services.lambda_.event_source_mapping.pollers.sqs_poller import SqsPoller
from localstack.utils.backoff import ExponentialBackoff
from localstack.utils.threads import FuncThread

LOG = logging.getLogger(__name__)
AWS_INITIAL_SQS_POLLERS = 5
ERROR_PAUSE_SECONDS = 2.0


class ConcurrentEsmWorker(EsmWorker):
    """LocalStack's worker (state handling, the first poller) plus the extra pollers of an SQS source."""

    _generations = itertools.count(1)

    def pollers(self) -> int:
        if not isinstance(self.poller, SqsPoller):
            return 1
        scaling = self.esm_config.get("ScalingConfig") or {}
        return int(scaling.get("MaximumConcurrency") or AWS_INITIAL_SQS_POLLERS)

    def poller_loop(self, *args, **kwargs) -> None:
        # A restart starts a new generation: pollers of an earlier one stop even if they missed the shutdown.
        generation = self._generation = next(self._generations)
        for index in range(1, self.pollers()):
            FuncThread(
                self._extra_poller_loop,
                generation,
                name=f"event-source-mapping-poller-{self.uuid}-{index}",
            ).start()
        super().poller_loop(*args, **kwargs)

    def _extra_poller_loop(self, generation: int, *args) -> None:
        empty = ExponentialBackoff(
            initial_interval=1, max_interval=LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC
        )
        while not self._shutdown_event.is_set() and self._generation == generation:
            try:
                self.poller.poll_events()
                empty.reset()
                pause = LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC
            except EmptyPollResultsException:
                pause = empty.next_backoff()
            except Exception as error:
                LOG.warning("event source mapping %s: poll failed: %s", self.uuid, error)
                pause = ERROR_PAUSE_SECONDS
            self._shutdown_event.wait(pause)


_installed = threading.Lock()


def install() -> None:
    """Make LocalStack's mapping factory build ConcurrentEsmWorker (idempotent)."""
    with _installed:
        esm_worker_factory.EsmWorker = ConcurrentEsmWorker
