"""Database access for a nameko service: a unit of work per operation and an outbox relay.

The unit of work commits inside the entrypoint, before nameko replies or acks the
message (nameko runs ``handle_result`` before ``worker_result``), so a reply or an
ack never announces a change that did not commit.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")  # keep psycopg cooperative

import eventlet  # noqa: E402
from eventlet.queue import Empty, LightQueue  # noqa: E402
from nameko.amqp.publish import Publisher  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from nameko.standalone.events import get_event_exchange  # noqa: E402
from sqlalchemy import create_engine, event, func, insert, select, text, update  # noqa: E402
from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402
from sqlalchemy.exc import DisconnectionError  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from services.common.context import current_request_id  # noqa: E402
from services.common.envelope import EventSpec, make_envelope  # noqa: E402
from services.common.messaging_tables import (  # noqa: E402
    outbox_table,
    processed_events_table,
)
from services.common.metrics import (  # noqa: E402
    OUTBOX_OLDEST_PENDING_SECONDS,
    OUTBOX_PENDING,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISHED,
)

log = logging.getLogger(__name__)


class UnitOfWork:
    """One transaction. Rolls back unless ``commit()`` is called."""

    def __init__(self, session: Session, producer: str, relay: OutboxRelay | None) -> None:
        self.session = session
        self.producer = producer
        self._relay = relay
        self._added_events = 0
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self._committed = True
        if self._added_events and self._relay is not None:
            self._relay.kick()

    def add_event(self, spec: EventSpec, data: dict[str, Any]) -> dict[str, Any]:
        """Record an event in the outbox; it is published only if this transaction commits."""
        if spec.producer != self.producer:
            raise ValueError(f"{self.producer} cannot emit {spec.name}")
        event_type = spec.type
        envelope = make_envelope(self.producer, event_type, spec.version, spec.serialise(data))
        headers = {"nameko.request_id": current_request_id() or uuid.uuid4().hex}
        self.session.execute(
            insert(outbox_table).values(
                event_id=uuid.UUID(envelope["id"]),
                event_type=event_type,
                envelope=envelope,
                headers=headers,
            )
        )
        self._added_events += 1
        return envelope

    def claim_event(self, event_id: str, consumer: str) -> bool:
        """True the first time this consumer sees the event; False for a repeat.

        The row commits with the handler's own changes, so a crash before commit
        leaves the event unclaimed and the redelivery is processed.
        """
        result = self.session.execute(
            pg_insert(processed_events_table)
            .values(event_id=uuid.UUID(str(event_id)), consumer=consumer)
            .on_conflict_do_nothing()
            .returning(processed_events_table.c.event_id)
        )
        # RETURNING, not rowcount: the psycopg 3 driver reports rowcount -1 here.
        return result.first() is not None


class OutboxRelay:
    """Publishes committed outbox rows with publisher confirms; retries until it succeeds."""

    batch_size = 200
    backlog_every_seconds = 5.0  # how often the relay measures its backlog for the gauges

    def __init__(
        self,
        session_factory: sessionmaker,
        producer: str,
        amqp_uri: str,
        nameko_config: dict[str, Any],
        poll_seconds: float,
    ) -> None:
        self.session_factory = session_factory
        self.producer = producer
        self.poll_seconds = poll_seconds
        self.exchange = get_event_exchange(producer, nameko_config)
        # Few quick retries here: the relay loop itself backs off and tries again.
        self.publisher = Publisher(
            amqp_uri,
            declare=[self.exchange],
            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5},
        )
        self._wakeup: LightQueue = LightQueue(maxsize=1)
        self._running = False
        self._backlog_measured = 0.0

    def kick(self) -> None:
        try:
            self._wakeup.put_nowait(True)
        except eventlet.queue.Full:
            pass

    def stop(self) -> None:
        self._running = False
        self.kick()

    def run(self) -> None:
        self._running = True
        backoff = self.poll_seconds
        while self._running:
            try:
                self._wakeup.get(timeout=backoff)
            except Empty:
                pass
            if not self._running:
                break
            try:
                self.publish_pending()
                backoff = self.poll_seconds
            except Exception as exc:  # broker or database away: keep the rows, try later
                OUTBOX_PUBLISH_FAILURES.labels(self.producer).inc()
                log.warning("outbox relay could not publish (%s); retrying in %.1fs", exc, backoff)
                backoff = min(backoff * 2, 10.0)
            if time.monotonic() - self._backlog_measured >= self.backlog_every_seconds:
                self.measure_backlog()

    def measure_backlog(self) -> tuple[int, float] | None:
        """Set ``qlp_outbox_pending`` and ``qlp_outbox_oldest_pending_seconds`` from the table
        (None, gauges unchanged, when the database cannot be asked)."""
        self._backlog_measured = time.monotonic()
        try:
            with self.session_factory() as session:
                count, oldest = session.execute(
                    select(func.count(), func.min(outbox_table.c.created_at))
                    .where(outbox_table.c.published_at.is_(None))
                ).one()
        except Exception as exc:
            log.warning("outbox relay could not measure its backlog (%s)", exc)
            return None
        age = max(0.0, (datetime.now(UTC) - oldest).total_seconds()) if oldest else 0.0
        OUTBOX_PENDING.labels(self.producer).set(count)
        OUTBOX_OLDEST_PENDING_SECONDS.labels(self.producer).set(age)
        return count, age

    def publish_pending(self) -> int:
        published = 0
        while True:
            batch_done, batch_error = self._publish_batch()
            published += batch_done
            if batch_error is not None:
                raise batch_error
            if batch_done < self.batch_size:
                return published

    def _publish_batch(self) -> tuple[int, Exception | None]:
        """Publish a batch of pending rows (each confirmed by the broker), then mark the
        published ones in one UPDATE, in the transaction that holds their row locks: a crash
        before the commit leaves them pending and they are published again (at least once;
        consumers claim event ids)."""
        published: list[int] = []
        error: Exception | None = None
        with self.session_factory() as session, session.begin():
            rows = session.execute(
                select(outbox_table.c.seq, outbox_table.c.envelope, outbox_table.c.headers,
                       outbox_table.c.event_type)
                .where(outbox_table.c.published_at.is_(None))
                .order_by(outbox_table.c.seq)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                try:
                    self.publisher.publish(
                        row.envelope,
                        exchange=self.exchange,
                        routing_key=row.event_type,
                        headers=row.headers,
                        message_id=row.envelope["id"],
                    )
                except Exception as exc:
                    session.execute(
                        update(outbox_table)
                        .where(outbox_table.c.seq == row.seq)
                        .values(attempts=outbox_table.c.attempts + 1)
                    )
                    error = exc
                    break
                published.append(row.seq)
                OUTBOX_PUBLISHED.labels(self.producer, row.event_type).inc()
            if published:
                session.execute(
                    update(outbox_table)
                    .where(outbox_table.c.seq.in_(published))
                    .values(published_at=datetime.now(UTC))
                )
        return len(published), error

    def pending_count(self) -> int:
        with self.session_factory() as session:
            return session.execute(
                select(func.count()).where(outbox_table.c.published_at.is_(None))
            ).scalar_one()


# A pooled connection is pinged (SELECT 1) before use only after it sat idle this long: one
# that served a request a moment ago is alive, and the ping was a round trip of its own on
# every unit of work (a quarter of 我的消息's own cost in notify once that was one statement,
# docs/benchmarks.md "Read path profile"). A connection the server dropped while it was in use fails its
# statement instead; SQLAlchemy then recycles every connection of the pool.
PING_AFTER_IDLE_SECONDS = 2.0


def make_engine(url: str, pool_size: int = 10,
                ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> Engine:
    engine = create_engine(url, pool_size=pool_size, max_overflow=10)

    @event.listens_for(engine, "connect")
    def connected(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        """SQLAlchemy's pre-ping, for connections idle longer than ``ping_after_idle``: a
        dead one is replaced (DisconnectionError: the pool connects anew, up to 3 times)."""
        if time.monotonic() - record.info.get("idle_since", 0.0) < ping_after_idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(str(exc)) from exc
            raise

    return engine


class Database(DependencyProvider):
    """Injects a factory of units of work; runs the outbox relay beside the service."""

    def setup(self) -> None:
        config = self.container.config
        self.engine = make_engine(config["DB_URL"])
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        platform = config["PLATFORM"]
        self.relay = OutboxRelay(
            self.session_factory,
            self.container.service_name,
            config["AMQP_URI"],
            config,
            platform["events"]["outbox_poll_seconds"],
        )

    def start(self) -> None:
        self.container.spawn_managed_thread(self.relay.run, identifier="outbox_relay")
        self.relay.kick()  # publish whatever a previous run left behind

    def stop(self) -> None:
        self.relay.stop()
        self.engine.dispose()

    def kill(self) -> None:
        self.relay.stop()

    def get_dependency(self, worker_ctx: object) -> DatabaseAccess:
        return DatabaseAccess(self)


class DatabaseAccess:
    def __init__(self, provider: Database) -> None:
        self._provider = provider

    def unit_of_work(self) -> UnitOfWork:
        provider = self._provider
        return UnitOfWork(provider.session_factory(), provider.container.service_name,
                          provider.relay)

    def reading(self) -> Connection:
        """A Core connection in autocommit (use it as a context manager) for a read of a few
        statements that needs no transaction: each statement commits on its own, no ORM session
        and no BEGIN/COMMIT round trips (notify's 我的消息, docs/benchmarks.md)."""
        return self._provider.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def ping(self) -> None:
        with self._provider.session_factory() as session:
            session.execute(text("select 1"))

    def outbox_pending(self) -> int:
        return self._provider.relay.pending_count()
