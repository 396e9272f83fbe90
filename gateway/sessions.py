"""Server-side sessions in the gateway's own database, and CSRF tokens.

The cookie carries a random id; the database keeps only its SHA-256, so a leaked
table cannot be replayed as cookies. Logout deletes the row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

COOKIE_NAME = "qlp_session"
ABSOLUTE_LIFETIME = timedelta(hours=12)

_metadata = MetaData()
sessions_table = Table(
    "sessions",
    _metadata,
    Column("id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Session(dict):
    """The session's data; ``modified`` tells the store to write it back."""

    def __init__(self, session_id: str | None, data: dict[str, Any], is_new: bool) -> None:
        super().__init__(data)
        self.session_id = session_id
        self.is_new = is_new
        self.modified = False  # stored only once something is put in it

    def set(self, key: str, value: Any) -> None:
        self[key] = value
        self.modified = True

    @property
    def csrf_token(self) -> str:
        if "csrf" not in self:
            self.set("csrf", secrets.token_urlsafe(32))
        return self["csrf"]

    def csrf_valid(self, token: str | None) -> bool:
        return bool(token) and "csrf" in self and hmac.compare_digest(self["csrf"], token or "")


class SessionStore:
    def __init__(self, engine: Engine, idle_minutes: int) -> None:
        self.engine = engine
        self.idle = timedelta(minutes=idle_minutes)

    def load(self, session_id: str | None) -> Session:
        if session_id:
            now = datetime.now(UTC)
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(sessions_table.c.data, sessions_table.c.created_at,
                           sessions_table.c.last_seen_at)
                    .where(sessions_table.c.id == _digest(session_id))
                ).first()
            if row and now - row.last_seen_at < self.idle and now - row.created_at < ABSOLUTE_LIFETIME:
                session = Session(session_id, row.data, is_new=False)
                # Touch at most once a minute: idle expiry needs no write per request.
                session.modified = now - row.last_seen_at > timedelta(minutes=1)
                return session
        return Session(None, {}, is_new=True)

    def save(self, session: Session) -> str:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            if session.session_id is None:
                if secrets.randbelow(100) == 0:  # now and then, sweep expired sessions away
                    conn.execute(delete(sessions_table).where(
                        sessions_table.c.last_seen_at < now - self.idle))
                session.session_id = secrets.token_urlsafe(32)
                conn.execute(insert(sessions_table).values(
                    id=_digest(session.session_id), data=dict(session), created_at=now,
                    last_seen_at=now))
            else:
                conn.execute(update(sessions_table)
                             .where(sessions_table.c.id == _digest(session.session_id))
                             .values(data=dict(session), last_seen_at=now))
        session.modified = False
        return session.session_id

    def rotate(self, session: Session) -> None:
        """A new id at a privilege change (registration, login), keeping the data.

        The old row is not deleted but emptied down to its CSRF token: a second submit of
        the same form (a double click whose first response the browser dropped) still
        passes the CSRF check, yet the old id grants nothing, so fixing a victim's
        session id before login gains an attacker nothing.
        """
        if session.session_id:
            with self.engine.begin() as conn:
                conn.execute(update(sessions_table)
                             .where(sessions_table.c.id == _digest(session.session_id))
                             .values(data={"csrf": session["csrf"]} if "csrf" in session else {}))
        session.session_id = None
        session.modified = True

    def end(self, session: Session) -> None:
        """Log out: the row is deleted server-side and the browser's cookie is replaced by an
        empty session (saved only if something is put in it later)."""
        self.destroy(session)
        session.clear()
        session.session_id = None
        session.modified = True

    def destroy(self, session: Session) -> None:
        if session.session_id:
            with self.engine.begin() as conn:
                conn.execute(delete(sessions_table)
                             .where(sessions_table.c.id == _digest(session.session_id)))
