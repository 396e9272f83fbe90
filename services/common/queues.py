"""How the platform declares its queues: every durable queue is a RabbitMQ quorum queue.

A quorum queue counts the deliveries of each message itself (``x-delivery-count``) and,
once a message has been returned more than ``x-delivery-limit`` times (its consumer died,
hung until its connection was closed, or requeued it), dead-letters it with the broker's
own reason (``x-first-death-reason: delivery_limit``): a poison message stops instead of
killing its consumer forever. No counter of ours is involved.

Quorum queues are always durable, never exclusive or auto-delete, and take no
``x-max-priority``; prefetch must be per consumer (nameko's and pika's ``basic_qos`` are).
RPC reply queues stay classic (nameko's): they are transient by nature, deleted by the
broker 5 minutes after their consumer went (``x-expires``).

| queue | arguments | dead letters go to |
|---|---|---|
| ``evt-…`` (handler) | quorum, delivery limit, at-least-once dead-lettering | ``<service>.dead-letters`` |
| ``evt-….retry.<n>`` | quorum, ``x-message-ttl`` | back into the handler queue |
| ``<service>.dead-letters`` | quorum, nothing else (never dropped) | — |
| ``rpc-<service>`` | quorum, delivery limit | ``<service>.rpc-dead-letters`` |
| ``<service>.rpc-dead-letters`` | quorum, bounded (``x-message-ttl``, ``x-max-length``) | dropped |
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from amqp.exceptions import ChannelError
from kombu import Exchange, Queue

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = Exchange("qlp.dead-letters", type="direct", durable=True)
DEFAULT_DELIVERY_LIMIT = 5
DEFAULT_PREFETCH = 1
DEFAULT_RPC_DEAD_LETTER_TTL_MS = 24 * 3600 * 1000
DEFAULT_RPC_DEAD_LETTER_MAX = 1000
DEFAULT_SERVICE_RPC_TIMEOUT_SECONDS = 30.0
# The caller's deadline (Unix time, seconds) on every RPC request: a request that reaches a
# service after it (a prefetched one, or one the broker had not expired yet) is not run.
DEADLINE_HEADER = "x-qlp-deadline"

# Arguments a quorum queue refuses (the broker answers PRECONDITION_FAILED).
UNSUPPORTED_BY_QUORUM = frozenset({"x-max-priority", "x-queue-mode", "x-queue-master-locator"})

# Durable queues the platform itself declares (what the upgrade step may convert). Service
# names are identifiers; an agency's queue (agency-sch, agency-sch.dead-letters) is not ours.
PLATFORM_QUEUE = re.compile(r"^(evt-.+|rpc-\w+|\w+\.dead-letters|\w+\.rpc-dead-letters)$")


def events_config(platform: dict[str, Any] | None) -> dict[str, Any]:
    return (platform or {}).get("events") or {}


def delivery_limit(platform: dict[str, Any] | None) -> int:
    """``events.delivery_limit``: returns a message survives; it is dead-lettered at the next
    one, so it is delivered at most ``delivery_limit + 1`` times."""
    value = int(events_config(platform).get("delivery_limit", DEFAULT_DELIVERY_LIMIT))
    if value < 1:
        raise ValueError(f"events.delivery_limit must be at least 1, not {value}")
    return value


def prefetch_count(platform: dict[str, Any] | None) -> int:
    """``events.prefetch_count``: unacked messages per event-handler consumer. Every message
    a consumer holds when it dies counts a delivery, so with 1 a poison message takes no
    innocent neighbours towards their delivery limit."""
    return max(1, int(events_config(platform).get("prefetch_count", DEFAULT_PREFETCH)))


def service_rpc_timeout(platform: dict[str, Any] | None) -> float:
    """``amqp.service_rpc_timeout_seconds``: how long a service waits for another's reply."""
    amqp = (platform or {}).get("amqp") or {}
    return float(amqp.get("service_rpc_timeout_seconds", DEFAULT_SERVICE_RPC_TIMEOUT_SECONDS))


def quorum_arguments(**extra: Any) -> dict[str, Any]:
    arguments = {"x-queue-type": "quorum", **extra}
    refused = UNSUPPORTED_BY_QUORUM & set(arguments)
    if refused:
        raise ValueError(f"quorum queues do not support {sorted(refused)}")
    return arguments


def handler_queue_arguments(service: str, limit: int) -> dict[str, Any]:
    """An event handler's queue: poison messages (and rejected, undecodable ones) go to the
    service's dead-letter queue. At-least-once: the broker keeps a message in this queue
    until the dead-letter queue has confirmed it (which needs ``x-overflow:
    reject-publish``; without a length limit that refuses nothing)."""
    return quorum_arguments(**{
        "x-delivery-limit": limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
        "x-dead-letter-routing-key": service,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    })


def retry_queue_arguments(handler_queue: str, delay_ms: int, limit: int) -> dict[str, Any]:
    """A delay queue: nobody consumes it; a message expires after delay_ms and the broker
    dead-letters it back into the handler's queue (at-least-once)."""
    return quorum_arguments(**{
        "x-message-ttl": int(delay_ms),
        "x-delivery-limit": limit,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": handler_queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    })


def dead_letter_queue_arguments() -> dict[str, Any]:
    """No delivery limit and no dead-letter exchange: nothing here is ever dropped."""
    return quorum_arguments()


def rpc_queue_arguments(service: str, limit: int) -> dict[str, Any]:
    """``rpc-<service>``: requests that killed the service limit + 1 times, and requests that
    expired (the caller gave up), go to ``<service>.rpc-dead-letters``. At-most-once: these
    are only kept for diagnosis, nobody replays an RPC request."""
    return quorum_arguments(**{
        "x-delivery-limit": limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
        "x-dead-letter-routing-key": rpc_dead_letter_key(service),
    })


def rpc_dead_letter_queue_arguments(ttl_ms: int, max_length: int) -> dict[str, Any]:
    return quorum_arguments(**{"x-message-ttl": int(ttl_ms), "x-max-length": int(max_length)})


def rpc_dead_letter_key(service: str) -> str:
    return f"{service}.rpc"


def dead_letter_queue(service: str) -> Queue:
    return Queue(f"{service}.dead-letters", exchange=DEAD_LETTER_EXCHANGE, routing_key=service,
                 durable=True, queue_arguments=dead_letter_queue_arguments())


def rpc_dead_letter_queue(service: str, platform: dict[str, Any] | None) -> Queue:
    events = events_config(platform)
    return Queue(
        f"{service}.rpc-dead-letters", exchange=DEAD_LETTER_EXCHANGE,
        routing_key=rpc_dead_letter_key(service), durable=True,
        queue_arguments=rpc_dead_letter_queue_arguments(
            events.get("rpc_dead_letter_ttl_ms", DEFAULT_RPC_DEAD_LETTER_TTL_MS),
            events.get("rpc_dead_letter_max", DEFAULT_RPC_DEAD_LETTER_MAX)),
    )


def retry_queue_name(queue_name: str, attempt: int) -> str:
    return f"{queue_name}.retry.{attempt}"


def is_platform_queue(name: str) -> bool:
    """A durable queue the platform declares (not an RPC reply queue, not an agency's)."""
    return bool(PLATFORM_QUEUE.match(name)) and not name.startswith("rpc.reply-")


RETRY_QUEUE = re.compile(r"^(?P<handler>evt-.+)\.retry\.\d+$")
HANDLER_QUEUE = re.compile(r"^evt-.+--(?P<service>\w+)\.\w+$")


def platform_queue_arguments(name: str, old_arguments: dict[str, Any],
                             platform: dict[str, Any] | None) -> dict[str, Any] | None:
    """The arguments the platform declares queue ``name`` with (None: not a name it knows);
    a retry queue keeps the delay its old arguments have. For the upgrade step, which
    declares a converted queue again at once, so nothing published meanwhile is lost."""
    limit = delivery_limit(platform)
    if retry := RETRY_QUEUE.match(name):
        delay = old_arguments.get("x-message-ttl")
        return None if delay is None else retry_queue_arguments(retry["handler"], delay, limit)
    if handler := HANDLER_QUEUE.match(name):
        return handler_queue_arguments(handler["service"], limit)
    if name.endswith(".rpc-dead-letters"):
        return dict(rpc_dead_letter_queue(name.split(".", 1)[0], platform).queue_arguments)
    if name.endswith(".dead-letters"):
        return dead_letter_queue_arguments()
    if name.startswith("rpc-"):
        return rpc_queue_arguments(name[len("rpc-"):], limit)
    return None


# --- RPC deadlines ------------------------------------------------------------------------


def deadline_after(timeout: float, now: float | None = None) -> float:
    return (time.time() if now is None else now) + timeout


def expired(headers: dict[str, Any] | None, now: float | None = None) -> float | None:
    """Seconds past the request's deadline, or None if it has none or is still wanted."""
    raw = (headers or {}).get(DEADLINE_HEADER)
    if raw is None:
        return None
    try:
        deadline = float(raw)
    except (TypeError, ValueError):
        return None
    late = (time.time() if now is None else now) - deadline
    return late if late > 0 else None


# --- declaring -----------------------------------------------------------------------------


def queue_exists(connection: Any, name: str) -> bool:
    """Passive declare on a throw-away channel (a 404 closes that channel, not ours)."""
    probe = connection.channel()
    try:
        probe.queue_declare(queue=name, passive=True)
    except ChannelError:  # 404 NOT_FOUND
        return False
    probe.close()
    return True


def keep_existing(connection: Any, queue: Queue) -> Queue:
    """Consume a queue that already exists as it is. One declared by an earlier release (a
    classic queue, or other arguments) cannot be redeclared: PRECONDITION_FAILED would stop
    its consumer for good. `python -m deploy.servers start` converts such queues once they
    are empty (deploy/broker_queues.py)."""
    queue.no_declare = queue_exists(connection, queue.name)
    return queue
