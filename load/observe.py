"""What the orchestrator watches beside the virtual users: /healthz sampled in a thread, the
agency stream counted by a pika consumer bound before the run, the broker's queues, the
services' outboxes and rows, each process's RSS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pika
import requests
from sqlalchemy import create_engine, text

from deploy.processes import read_pid
from services.common.config import SERVICE_NAMES, database_url

AGENCY_EXCHANGE = "qlp.agency"


class HealthSampler(threading.Thread):
    """GET /healthz every ``interval`` seconds: (seconds since start, status or None, body); at
    the same time each component's RSS (the peak is kept) and pid (a new pid is a restart)."""

    def __init__(self, url: str, config: Mapping[str, Any], components: tuple[str, ...],
                 interval: float = 3.0, timeout: float = 15.0) -> None:
        super().__init__(name="healthz-sampler", daemon=True)
        self.url, self.interval, self.timeout = url, interval, timeout
        self.config, self.components = config, components
        self.samples: list[tuple[float, int | None, str]] = []
        self.peak_rss: dict[str, float] = {}
        self.pids: dict[str, list[int]] = {}
        self.stopping = threading.Event()
        self.began = time.monotonic()

    def run(self) -> None:
        while not self.stopping.is_set():
            at = time.monotonic() - self.began
            try:
                response = requests.get(self.url, timeout=self.timeout)
                self.samples.append((at, response.status_code, response.text[:800]))
            except requests.RequestException as exc:
                self.samples.append((at, None, type(exc).__name__))
            self.watch_processes()
            self.stopping.wait(self.interval)

    def watch_processes(self) -> None:
        for component in self.components:
            pid = read_pid(component, self.config)
            seen = self.pids.setdefault(component, [])
            if pid is not None and (not seen or seen[-1] != pid):
                seen.append(pid)
            rss = rss_mb(component, self.config)
            if rss is not None:
                self.peak_rss[component] = max(rss, self.peak_rss.get(component, 0.0))

    def restarts(self) -> dict[str, int]:
        return {c: len(p) - 1 for c, p in self.pids.items() if len(p) > 1}

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=self.timeout + 2)


def pika_parameters(config: Mapping[str, Any]) -> pika.ConnectionParameters:
    amqp = config["amqp"]
    return pika.ConnectionParameters(host=amqp["host"], port=amqp["port"], virtual_host=amqp["vhost"],
                                     credentials=pika.PlainCredentials(amqp["user"], amqp["password"]),
                                     heartbeat=30)


class AgencyCounter(threading.Thread):
    """A consumer of its own durable queue bound to ``qlp.agency`` (agency.#) before the run:
    every event id in arrival order (duplicates kept), acknowledged after counting."""

    def __init__(self, config: Mapping[str, Any], queue: str) -> None:
        super().__init__(name="agency-counter", daemon=True)
        self.config, self.queue = config, queue
        self.ids: list[str] = []
        self.last_at = time.monotonic()
        self.errors: list[str] = []
        self.stopping = threading.Event()
        connection = pika.BlockingConnection(pika_parameters(config))  # bind now, before the run
        channel = connection.channel()
        channel.exchange_declare(AGENCY_EXCHANGE, exchange_type="topic", durable=True)
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, AGENCY_EXCHANGE, routing_key="agency.#")
        connection.close()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._consume()
            except (pika.exceptions.AMQPError, OSError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                self.stopping.wait(2)

    def _consume(self) -> None:
        connection = pika.BlockingConnection(pika_parameters(self.config))
        try:
            channel = connection.channel()
            while not self.stopping.is_set():
                method, _props, body = channel.basic_get(self.queue, auto_ack=False)
                if method is None:
                    connection.sleep(0.3)
                    continue
                try:
                    self.ids.append(str(json.loads(body)["id"]))
                except (ValueError, KeyError, TypeError):
                    self.ids.append(f"unreadable:{body[:40]!r}")
                self.last_at = time.monotonic()
                channel.basic_ack(method.delivery_tag)
        finally:
            if connection.is_open:
                connection.close()

    def stop(self, delete_queue: bool = True) -> None:
        self.stopping.set()
        self.join(timeout=10)
        if delete_queue:
            try:
                connection = pika.BlockingConnection(pika_parameters(self.config))
                connection.channel().queue_delete(self.queue)
                connection.close()
            except (pika.exceptions.AMQPError, OSError):
                pass


def queue_stats(config: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """(messages ready + unacknowledged, consumers) per queue of the vhost, from the
    management API."""
    amqp = config["amqp"]
    vhost = requests.utils.quote(amqp["vhost"], safe="")
    response = requests.get(f"http://{amqp['host']}:{amqp['management_port']}/api/queues/{vhost}",
                            auth=(amqp["user"], amqp["password"]), timeout=10,
                            params={"columns": "name,messages,consumers"})
    response.raise_for_status()
    return {q["name"]: (int(q.get("messages") or 0), int(q.get("consumers") or 0))
            for q in response.json()}


def queue_depths(config: Mapping[str, Any]) -> dict[str, int]:
    """Messages (ready + unacknowledged) per queue of the vhost."""
    return {name: messages for name, (messages, _consumers) in queue_stats(config).items()}


class Databases:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.engines = {s: create_engine(database_url(dict(config), s), pool_size=1, max_overflow=1)
                        for s in ("notify", "permits", "personnel", *SERVICE_NAMES)}

    def scalar(self, service: str, sql: str, **params: Any) -> Any:
        with self.engines[service].connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def agency_watermark(self) -> int:
        return int(self.scalar("notify", "select coalesce(max(seq), 0) from outbox "
                                         "where event_type like 'agency.%'") or 0)

    def agency_emitted(self, after_seq: int) -> tuple[list[str], int]:
        """Agency event ids in notify's outbox after the watermark, and how many are unpublished."""
        with self.engines["notify"].connect() as conn:
            rows = conn.execute(text("select event_id, published_at is null from outbox "
                                     "where event_type like 'agency.%' and seq > :s"), {"s": after_seq}).all()
        return [str(r[0]) for r in rows], sum(1 for r in rows if r[1])

    def outbox_pending(self) -> dict[str, int]:
        return {s: int(self.scalar(s, "select count(*) from outbox where published_at is null") or 0)
                for s in SERVICE_NAMES}

    def application_states(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        with self.engines["permits"].connect() as conn:
            rows = conn.execute(text("select id::text, state from applications where id::text = any(:ids)"),
                                {"ids": ids}).all()
        found = {r[0]: r[1] for r in rows}
        return {i: found.get(i, "missing") for i in ids}

    def declaration_states(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        with self.engines["personnel"].connect() as conn:
            rows = conn.execute(text("select id::text, status from declarations where id::text = any(:ids)"),
                                {"ids": ids}).all()
        found = {r[0]: r[1] for r in rows}
        return {i: found.get(i, "missing") for i in ids}

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()


def rss_mb(component: str, config: Mapping[str, Any]) -> float | None:
    """Resident set size of a component (pidfile in var/load/run) from /proc, in MB."""
    pid = read_pid(component, config)
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def restarts_in_log(component: str, config: Mapping[str, Any], marker: str) -> int:
    """How many lines of the component's log contain ``marker`` (e.g. the hang's greenlet error)."""
    path = Path(config["var_dir"], "log", f"{component}.log")
    if not path.exists():
        return 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        return sum(1 for line in handle if marker in line)
