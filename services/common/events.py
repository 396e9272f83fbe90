"""Event handling that never silently drops a message.

nameko's ``event_handler`` acks a message whatever happens in the handler. Ours, on
failure, republishes the message to a delay queue whose TTL sends it back to the
handler's own queue (so only this handler retries, with back-off), and after the
last retry, or at once for a malformed event, to the service's dead-letter queue.
The original is acked only after that publish is confirmed; if the broker cannot
take it, the message is requeued instead: nothing is lost.

A message the handler never finishes (the process died or hung on it) is the broker's
business: the handler queue is a quorum queue with a delivery limit, and the broker
dead-letters such a poison message into the same dead-letter queue with
``x-first-death-reason: delivery_limit`` (services/common/queues.py).
"""

from __future__ import annotations

import logging
from typing import Any

from kombu import Queue
from nameko.amqp.publish import Publisher, get_connection
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

from services.common.envelope import MalformedEvent
from services.common.metrics import EVENTS_DEAD_LETTERED, EVENTS_RETRIED, observe_event_age
from services.common.queues import (
    DEAD_LETTER_EXCHANGE,
    dead_letter_queue,
    delivery_limit,
    handler_queue_arguments,
    keep_existing,
    prefetch_count,
    queue_exists,
    retry_queue_arguments,
    retry_queue_name,
)

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-qlp-attempts"
DEFAULT_RETRY_DELAYS_MS = (1000, 5000, 30000)

__all__ = ["DEAD_LETTER_EXCHANGE", "dead_letter_queue", "reliable_event_handler",
           "retry_queue_name"]


class DeadLetteringQueueConsumer(QueueConsumer):
    """kombu acks (drops) a message whose body it cannot decode; this one rejects it, and
    the queue's dead-letter exchange parks it in the service's dead-letter queue."""

    def on_decode_error(self, message: Any, exc: Exception) -> None:
        tag = message.delivery_info.get("consumer_tag")
        for provider, consumer in list(self._consumers.items()):
            if tag in getattr(consumer, "_active_tags", {}).values():
                try:
                    provider.dead_letter_undecodable(message, exc)
                    message.ack()
                    return
                except Exception:
                    log.exception("could not park an undecodable message; requeueing it")
        # Not reject(requeue=False): a queue declared by an earlier release has no
        # dead-letter exchange, and the message would be gone.
        message.requeue()

    @property
    def prefetch_count(self) -> int:
        # Not nameko's max_workers: every unacked message a consumer holds when it dies
        # counts a delivery towards its limit (events.prefetch_count, services/common/queues.py).
        return prefetch_count(self.container.config.get("PLATFORM"))

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        # On every (re)connection: a handler queue that already exists is consumed as it is.
        # An earlier release declared it without our arguments, and re-declaring it with
        # other arguments fails (PRECONDITION_FAILED): the handler would never consume again.
        for provider in self._providers:
            if isinstance(provider, ReliableEventHandler):
                keep_existing(channel.connection, provider.queue)
        return super().get_consumers(consumer_cls, channel)


class ReliableEventHandler(EventHandler):
    queue_consumer = DeadLetteringQueueConsumer()

    def setup(self) -> None:
        super().setup()
        if self.queue.exclusive or self.queue.auto_delete:
            raise ValueError(f"{self.queue.name}: reliable handlers need a durable, shared "
                             "queue (a quorum queue cannot be exclusive or auto-delete)")
        service = self.container.service_name
        platform = self.container.config.get("PLATFORM") or {}
        limit = delivery_limit(platform)
        # A quorum queue: poison messages (delivery limit) and rejected ones (undecodable
        # bodies) go to the service's dead-letter queue.
        self.queue.queue_arguments = handler_queue_arguments(service, limit)
        self.retry_delays_ms = tuple(
            (platform.get("events") or {}).get("retry_delays_ms", DEFAULT_RETRY_DELAYS_MS)
        )
        queue_name = self.queue.name
        self.retry_queues = [
            Queue(
                retry_queue_name(queue_name, attempt),
                durable=True,
                queue_arguments=retry_queue_arguments(queue_name, delay, limit),
            )
            for attempt, delay in enumerate(self.retry_delays_ms, start=1)
        ]
        self.dead_letters = dead_letter_queue(self.container.service_name)
        self.republisher = Publisher(
            self.container.config["AMQP_URI"],
            declare=[*self.retry_queues, DEAD_LETTER_EXCHANGE, self.dead_letters],
        )

    def start(self) -> None:
        # The dead-letter queue must exist before the broker dead-letters anything into it.
        # Queues an earlier release declared (classic) are used as they are.
        try:
            with get_connection(self.container.config["AMQP_URI"]) as connection:
                for queue in (self.dead_letters, *self.retry_queues):
                    if queue_exists(connection, queue.name):
                        queue.no_declare = True
                channel = connection.channel()
                DEAD_LETTER_EXCHANGE.bind(channel).declare()
                self.dead_letters.bind(channel).declare()
                channel.close()
        except Exception:  # broker away: the first republish declares it instead
            log.warning("could not declare %s at start", self.dead_letters.name, exc_info=True)
        super().start()

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None,
                      exc_info: tuple | None = None) -> tuple:
        observe_event_age(self.container.service_name, self.queue.name, message.payload)
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        try:
            self._retry_or_dead_letter(message, exc_info[1])
        except Exception:
            log.exception("could not park failed event from %s; requeueing it", self.queue.name)
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)
        return result, exc_info

    def dead_letter_undecodable(self, message: Any, error: Exception) -> None:
        headers = dict(message.headers or {})
        headers[ATTEMPTS_HEADER] = int(headers.get(ATTEMPTS_HEADER, 0)) + 1
        headers["x-qlp-original-queue"] = self.queue.name
        headers["x-qlp-error"] = f"MalformedEvent: undecodable body: {error}"[:1000]
        # The raw bytes as they came: with a content type given, kombu does not re-serialise.
        self.republisher.publish(
            message.body, exchange=DEAD_LETTER_EXCHANGE, routing_key=self.container.service_name,
            headers=headers, content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary")
        EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.queue.name).inc()
        log.error("undecodable event dead-lettered from %s: %s", self.queue.name, error)

    def _retry_or_dead_letter(self, message: Any, error: BaseException) -> None:
        headers = dict(message.headers or {})
        attempts = int(headers.get(ATTEMPTS_HEADER, 0))
        headers[ATTEMPTS_HEADER] = attempts + 1
        service = self.container.service_name
        if not isinstance(error, MalformedEvent) and attempts < len(self.retry_queues):
            target = self.retry_queues[attempts]
            self.republisher.publish(
                message.payload, exchange="", routing_key=target.name, headers=headers
            )
            EVENTS_RETRIED.labels(service, self.queue.name).inc()
            log.warning("event handler %s failed (%s); retry %d in %d ms", self.queue.name,
                        error, attempts + 1, self.retry_delays_ms[attempts])
            return
        headers["x-qlp-original-queue"] = self.queue.name
        headers["x-qlp-error"] = f"{type(error).__name__}: {error}"[:1000]
        self.republisher.publish(
            message.payload,
            exchange=DEAD_LETTER_EXCHANGE,
            routing_key=service,
            headers=headers,
        )
        EVENTS_DEAD_LETTERED.labels(service, self.queue.name).inc()
        log.error("event dead-lettered from %s after %d attempt(s): %s", self.queue.name,
                  attempts + 1, headers["x-qlp-error"])


reliable_event_handler = ReliableEventHandler.decorator
