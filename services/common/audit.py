"""The audit trail every service keeps: one append-only row per state change or sensitive read."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Identity, MetaData, String, Table, func, insert
from sqlalchemy.orm import Session

from services.common.context import current_request_id

audit_metadata = MetaData()

audit_table = Table(
    "audit_log",
    audit_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now(), index=True),
    Column("actor_id", String(64), nullable=True, index=True),
    Column("action", String(80), nullable=False),
    Column("subject_id", String(64), nullable=True, index=True),
    Column("detail", JSON, nullable=False),
    Column("ip", String(64), nullable=True),
    Column("request_id", String(64), nullable=True),
)


def create_audit_table(bind: object) -> None:
    audit_metadata.create_all(bind=bind)  # type: ignore[arg-type]


def record(session: Session, action: str, *, actor_id: str | None = None,
           subject_id: str | None = None, ip: str | None = None, **detail: object) -> None:
    """Append an audit row in the caller's transaction: it commits with the change it records."""
    session.execute(insert(audit_table).values(
        actor_id=str(actor_id) if actor_id else None,
        action=action,
        subject_id=str(subject_id) if subject_id else None,
        detail={key: value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                for key, value in detail.items()},
        ip=ip,
        request_id=current_request_id(),
    ))
