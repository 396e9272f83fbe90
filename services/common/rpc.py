"""nameko RPC as the platform uses it: quorum request queues and requests that expire.

* ``PlatformRpc`` (``service_rpc``) consumes ``rpc-<service>`` as a quorum queue with a
  delivery limit: a request that killed the service ``events.delivery_limit + 1`` times is
  dead-lettered into ``<service>.rpc-dead-letters`` instead of killing it again.
* Every request the platform sends carries an AMQP ``expiration`` equal to its caller's
  timeout, so the broker drops it once nobody waits for the answer (quorum queues honour
  per-message TTL from RabbitMQ 3.10; an expired request is dead-lettered into
  ``<service>.rpc-dead-letters`` too, bounded, for diagnosis). The broker only expires what
  is still queued: a request already handed to a consumer (prefetched by a service that
  then hung, say) is not. So requests also carry their deadline (``x-qlp-deadline``, Unix
  seconds) and the consumer drops a late one before running it: logged, and counted in
  ``qlp_rpc_requests_expired_total``. A request that was run but finished after its
  deadline gets no reply either (``qlp_rpc_replies_dropped_total``): its caller has timed out
  and gone, and the reply would only wait in the dead caller's reply queue until it expires.
* Callers: the gateway's pooled ``ExpiringClusterRpcProxy`` (``gateway.rpc_timeout_seconds``)
  and services' ``PlatformRpcProxy`` (``amqp.service_rpc_timeout_seconds``; nameko's own
  ``RpcProxy`` waits for ever).
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from nameko.amqp.publish import get_connection
from nameko.exceptions import RpcTimeout
from nameko.messaging import QueueConsumer
from nameko.rpc import MethodProxy, Rpc, RpcConsumer, RpcProxy, ServiceProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy
from prometheus_client import Counter

from services.common.errors import EXPECTED_ERRORS
from services.common.queues import (
    DEAD_LETTER_EXCHANGE,
    DEADLINE_HEADER,
    deadline_after,
    delivery_limit,
    expired,
    keep_existing,
    queue_exists,
    rpc_dead_letter_queue,
    rpc_queue_arguments,
    service_rpc_timeout,
)

log = logging.getLogger(__name__)

RPC_REQUESTS_EXPIRED = Counter(
    "qlp_rpc_requests_expired_total",
    "RPC requests dropped unrun because their caller's deadline had passed", ["service", "method"],
)
RPC_REPLIES_DROPPED = Counter(
    "qlp_rpc_replies_dropped_total",
    "RPC replies not sent because the request finished after its caller's deadline",
    ["service", "method"],
)


# --- the service side ------------------------------------------------------------------------


class RpcQueueConsumer(QueueConsumer):
    """nameko's consumer, except that an ``rpc-<service>`` queue that already exists is
    consumed as it is (one declared classic by an earlier release cannot be redeclared)."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        for provider in self._providers:
            if isinstance(provider, PlatformRpcConsumer):
                keep_existing(channel.connection, provider.queue)
        return super().get_consumers(consumer_cls, channel)


class PlatformRpcConsumer(RpcConsumer):
    queue_consumer = RpcQueueConsumer()

    def setup(self) -> None:
        if self.queue is not None:
            return
        super().setup()
        service = self.container.service_name
        platform = self.container.config.get("PLATFORM")
        self.queue.queue_arguments = rpc_queue_arguments(service, delivery_limit(platform))
        self.dead_letters = rpc_dead_letter_queue(service, platform)

    def start(self) -> None:
        # The dead-letter queue exists before the broker dead-letters into it (else it drops).
        try:
            with get_connection(self.container.config["AMQP_URI"]) as connection:
                channel = connection.channel()
                DEAD_LETTER_EXCHANGE.bind(channel).declare()
                if not queue_exists(connection, self.dead_letters.name):
                    self.dead_letters.bind(channel).declare()
                channel.close()
        except Exception:  # broker away: requests cannot arrive either; next start declares
            log.warning("could not declare %s", self.dead_letters.name, exc_info=True)
        super().start()

    def handle_message(self, body: Any, message: Any) -> None:
        if not self._dropped_late(message, RPC_REQUESTS_EXPIRED,
                                  "RPC request %s.%s dropped unrun: its caller gave up %.1f s ago"):
            super().handle_message(body, message)

    def handle_result(self, message: Any, result: Any, exc_info: tuple | None) -> tuple:
        if self._dropped_late(message, RPC_REPLIES_DROPPED,
                              "reply of %s.%s not sent: it finished %.1f s after its caller gave up"):
            return result, exc_info
        return super().handle_result(message, result, exc_info)

    def _dropped_late(self, message: Any, counter: Counter, text: str) -> bool:
        """A request past its caller's deadline is acknowledged, counted and logged, and nothing
        more happens to it (not run; or run, but not answered): nobody listens any more."""
        late = expired(message.headers)
        if late is None:
            return False
        method = message.delivery_info.get("routing_key", "").rsplit(".", 1)[-1]
        service = self.container.service_name
        counter.labels(service, method).inc()
        log.warning(text, service, method, late)
        self.queue_consumer.ack_message(message)
        return True


class PlatformRpc(Rpc):
    """nameko's RPC entrypoint on a quorum queue, dropping requests past their deadline;
    and a reply the broker cannot take (it went away mid-call) is logged and dropped
    instead of killing the whole service container: the caller times out, and the service
    is still there when the broker comes back."""

    rpc_consumer = PlatformRpcConsumer()

    def handle_result(self, message: object, worker_ctx: object, result: object,
                      exc_info: tuple | None) -> tuple:
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (OSError, KombuError, AMQPError) as exc:
            log.warning("reply to %s lost, the broker is unreachable: %s",
                        worker_ctx.call_id, exc)  # type: ignore[attr-defined]
            ack_after_lost_reply(self.rpc_consumer.queue_consumer, message)
            return result, exc_info


def ack_after_lost_reply(queue_consumer: Any, message: object) -> None:
    """The request ran: acknowledge it although its reply was lost (nameko acks only after a
    sent reply). Unacknowledged, it stayed held by this live consumer for good (found by `make
    cluster-test`: a services host cut off the network for 20 s), counted in the queue and
    taking a prefetch slot. If the consumer's own connection is broken too, the broker returns
    the request when that connection closes; a redelivery past its deadline is dropped unrun."""
    try:
        queue_consumer.ack_message(message)
    except (OSError, KombuError, AMQPError) as exc:
        log.warning("could not acknowledge a request whose reply was lost: %s", exc)


def service_rpc(method: object) -> object:
    """An RPC entrypoint whose ServiceErrors are expected outcomes, not crashes."""
    return PlatformRpc.decorator(expected_exceptions=EXPECTED_ERRORS)(method)


# --- the caller side ------------------------------------------------------------------------


class ExpiringMethodProxy(MethodProxy):
    """Publishes each request with ``expiration`` = timeout and its deadline in a header."""

    def __init__(self, worker_ctx: Any, service_name: str, method_name: str, reply_listener: Any,
                 timeout: float, **options: Any) -> None:
        self.timeout = float(timeout)
        super().__init__(worker_ctx, service_name, method_name, reply_listener,
                         expiration=self.timeout, **options)  # kombu: seconds, sent as ms

    def get_message_headers(self, worker_ctx: Any) -> dict:
        headers = super().get_message_headers(worker_ctx)
        headers[DEADLINE_HEADER] = deadline_after(self.timeout)
        return headers


class BoundedMethodProxy(ExpiringMethodProxy):
    """In a service: waits for the reply at most the timeout, then raises RpcTimeout."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reply = self._call(*args, **kwargs)
        try:
            with eventlet.Timeout(self.timeout, RpcTimeout(self.timeout)):
                return reply.result()
        except RpcTimeout:
            events = self.reply_listener._reply_events  # forget the reply nobody will read
            for key, event in list(events.items()):
                if event is reply.reply_event:
                    events.pop(key, None)
            log.warning("no reply from %s.%s within %.1f s", self.service_name,
                        self.method_name, self.timeout)
            raise


class ExpiringServiceProxy(ServiceProxy):
    def __init__(self, worker_ctx: Any, service_name: str, reply_listener: Any, timeout: float,
                 method_proxy_cls: type[ExpiringMethodProxy] = ExpiringMethodProxy,
                 **options: Any) -> None:
        self.timeout = timeout
        self.method_proxy_cls = method_proxy_cls
        super().__init__(worker_ctx, service_name, reply_listener, **options)

    def __getattr__(self, name: str) -> MethodProxy:
        return self.method_proxy_cls(self.worker_ctx, self.service_name, name,
                                     self.reply_listener, self.timeout, **self.options)


class PlatformRpcProxy(RpcProxy):
    """``RpcProxy`` for service-to-service calls: requests expire and replies are awaited for
    ``amqp.service_rpc_timeout_seconds`` (or ``timeout=`` given here)."""

    def __init__(self, target_service: str, timeout: float | None = None, **options: Any) -> None:
        super().__init__(target_service, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx: Any) -> ExpiringServiceProxy:
        timeout = self.timeout or service_rpc_timeout(self.container.config.get("PLATFORM"))
        return ExpiringServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                    timeout, BoundedMethodProxy, **self.options)


class _ExpiringClusterProxy(ClusterProxy):
    def __init__(self, worker_ctx: Any, reply_listener: Any, timeout: float) -> None:
        self._timeout = timeout  # before ClusterProxy's __init__: __getattr__ reads it
        super().__init__(worker_ctx, reply_listener)

    def __getattr__(self, name: str) -> ExpiringServiceProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._proxies:
            self._proxies[name] = ExpiringServiceProxy(self._worker_ctx, name,
                                                       self._reply_listener, self._timeout)
        return self._proxies[name]


class ExpiringClusterRpcProxy(ClusterRpcProxy):
    """nameko's standalone ``ClusterRpcProxy`` whose requests expire after ``timeout``."""

    def __init__(self, config: dict[str, Any], timeout: float, **kwargs: Any) -> None:
        super().__init__(config, timeout=timeout, **kwargs)
        self._proxy = _ExpiringClusterProxy(self._worker_ctx, self._reply_listener, timeout)
