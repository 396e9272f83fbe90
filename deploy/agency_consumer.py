"""A small consumer of the agency event stream (exchange ``qlp.agency``), for other agencies.

    python -m deploy.agency_consumer --queue my-agency --out events.jsonl \\
        [--url amqp://user:pass@host:5672/qlp] [--bind 'agency.licence.#' ...]

It declares a durable quorum queue named ``--queue`` bound to ``qlp.agency`` (by default to
every agency event, ``agency.#``): while the consumer is offline the broker keeps the events in
that queue, and they arrive, in order, when it comes back. An event this consumer crashed on
more than ``--delivery-limit`` times is moved by the broker to ``<queue>.dead-letters`` (reason
in its ``x-first-death-reason`` header) instead of stopping the stream for good. A queue
declared classic by an earlier version is consumed as it is. Each event is appended as one JSON line to
``--out`` (flushed and fsynced) and only then acknowledged; the ids already in ``--out`` are read
at start, so an event redelivered after a crash between the write and the ack is not written
twice. Lost connections are retried with back-off. See docs/agency.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pika
from pika.exceptions import AMQPError, ChannelClosedByBroker

EXCHANGE = "qlp.agency"
DEFAULT_DELIVERY_LIMIT = 5
PRECONDITION_FAILED = 406
log = logging.getLogger("agency_consumer")


def default_url() -> str:
    """The local platform's broker (an agency passes its own --url)."""
    from services.common.config import amqp_uri, load_config

    return amqp_uri(load_config())


def queue_arguments(queue: str, delivery_limit: int) -> dict[str, Any]:
    """A quorum queue whose poison messages go, through the default exchange, to
    ``<queue>.dead-letters`` (no binding, no permission on another exchange needed)."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": dead_letter_queue(queue),
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead-letters"


def known_ids(path: Path) -> set[str]:
    ids: set[str] = set()
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    ids.add(json.loads(line)["id"])
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring an unreadable line in %s", path)
    return ids


class AgencyConsumer:
    def __init__(self, url: str, queue: str, out: Path, bindings: list[str], idle_exit: float | None,
                 max_events: int | None, delivery_limit: int = DEFAULT_DELIVERY_LIMIT) -> None:
        self.url = url
        self.queue = queue
        self.out = out
        self.bindings = bindings or ["agency.#"]
        self.idle_exit = idle_exit
        self.max_events = max_events
        self.delivery_limit = delivery_limit
        self.seen = known_ids(out)
        self.written = 0
        self.stopping = False

    def setup(self, connection: Any) -> Any:
        """Declares the exchange, the queues and the bindings; returns the channel to use."""
        channel = connection.channel()
        channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        channel = self.declare(connection, channel, dead_letter_queue(self.queue),
                               {"x-queue-type": "quorum"})
        channel = self.declare(connection, channel, self.queue,
                               queue_arguments(self.queue, self.delivery_limit))
        for key in self.bindings:
            channel.queue_bind(self.queue, EXCHANGE, routing_key=key)
        channel.basic_qos(prefetch_count=50)
        return channel

    @staticmethod
    def declare(connection: Any, channel: Any, queue: str, arguments: dict[str, Any]) -> Any:
        try:
            channel.queue_declare(queue, durable=True, arguments=arguments)
        except ChannelClosedByBroker as exc:
            if exc.reply_code != PRECONDITION_FAILED:
                raise
            # Declared otherwise before (a classic queue): its events are still wanted.
            log.warning("queue %s exists with other arguments (%s); using it as it is, "
                        "without a delivery limit", queue, exc.reply_text)
            channel = connection.channel()  # the refusal closed the old one
            channel.queue_declare(queue, passive=True)
        return channel

    def handle(self, channel: Any, method: Any, body: bytes) -> None:
        try:
            event = json.loads(body)
            event_id = str(event["id"])
        except (ValueError, KeyError, TypeError):
            log.error("not an agency event, dropped: %r", body[:200])
            channel.basic_ack(method.delivery_tag)
            return
        if event_id not in self.seen:
            with self.out.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self.seen.add(event_id)
            self.written += 1
            log.info("%s %s #%s of %s", event.get("type"), event_id, event.get("sequence"),
                     event.get("entity_id"))
        else:
            log.info("duplicate %s skipped", event_id)
        channel.basic_ack(method.delivery_tag)  # only after the line is on disk

    def run_once(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = self.setup(connection)
            log.info("consuming %s from %s (%s)", self.queue, EXCHANGE, ", ".join(self.bindings))
            idle_since = time.monotonic()
            while not self.stopping:
                method, _properties, body = channel.basic_get(self.queue, auto_ack=False)
                if method is None:
                    if self.idle_exit is not None and time.monotonic() - idle_since >= self.idle_exit:
                        self.stopping = True
                        break
                    connection.sleep(0.2)
                    continue
                idle_since = time.monotonic()
                self.handle(channel, method, body)
                if self.max_events is not None and self.written >= self.max_events:
                    self.stopping = True
        finally:
            if connection.is_open:
                connection.close()

    def run(self) -> int:
        delay = 1.0
        while not self.stopping:
            try:
                self.run_once()
                delay = 1.0
            except (AMQPError, OSError) as exc:
                log.warning("broker unreachable (%s); retrying in %.0f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Consume the qlp.agency event stream into a JSONL file.")
    parser.add_argument("--queue", required=True, help="durable queue name (yours; keep it stable)")
    parser.add_argument("--out", required=True, type=Path, help="JSON lines file the events go to")
    parser.add_argument("--url", default=None, help="AMQP URL (default: the local platform's broker)")
    parser.add_argument("--bind", action="append", default=[],
                        help="routing key pattern, e.g. 'agency.licence.#' (default: agency.#)")
    parser.add_argument("--exit-when-idle", type=float, default=None,
                        help="stop after this many seconds without an event (for batch runs)")
    parser.add_argument("--max-events", type=int, default=None, help="stop after writing this many")
    parser.add_argument("--delivery-limit", type=int, default=DEFAULT_DELIVERY_LIMIT,
                        help="returns an event survives before the broker dead-letters it "
                             "(applies when the queue is first declared)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    consumer = AgencyConsumer(args.url or default_url(), args.queue, args.out, args.bind,
                              args.exit_when_idle, args.max_events, args.delivery_limit)

    def stop(*_: object) -> None:
        consumer.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return consumer.run()


if __name__ == "__main__":
    sys.exit(main())
