"""The two tables every service has: its outbox and the ids of events it has processed."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    func,
)

messaging_metadata = MetaData()

outbox_table = Table(
    "outbox",
    messaging_metadata,
    # A sequence gives publish order; the uuid is the event id consumers deduplicate on.
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("envelope", JSON, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
)

processed_events_table = Table(
    "processed_events",
    messaging_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("consumer", String(200), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def create_messaging_tables(bind: object) -> None:
    """Used by every service's first migration, so the tables are defined once."""
    messaging_metadata.create_all(bind=bind)  # type: ignore[arg-type]
