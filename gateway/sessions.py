"""Server-side sessions in the gateway's own database, and CSRF tokens.

The cookie carries a random id; the database keeps only its SHA-256, so a leaked
table cannot be replayed as cookies. Logout deletes the row.

Cheap reads (issue 17): nothing is written for a session nobody put anything in (an
anonymous visitor's page without a form writes no row), a signed-in session is written only
when it changed or at most once a minute (idle expiry), and a session read is kept in this
process for ``cache_seconds`` (gateway.session_cache_seconds, 5 s by default). Every write,
rotation, logout or expiry through this store drops its copy at once; a session deleted by
another gateway process (its logout) keeps working here for at most ``cache_seconds``, and an
account disabled or whose password changed ends its sessions within the gateway's account
cache (gateway/app.py ACCOUNT_CACHE_SECONDS): revocation is bounded by the larger of the two.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
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


class LazyCsrfToken:
    """A page's ``{{ csrf_token }}``: the session's token, made (and the session stored) only
    when a template prints it, so a page without a form stores no session for a visitor."""

    def __init__(self, session: Session | None) -> None:
        self._session = session

    def __str__(self) -> str:
        return self._session.csrf_token if self._session is not None else ""

    def __html__(self) -> str:  # markupsafe: already safe (URL-safe base64)
        return str(self)


CACHE_LIMIT = 20_000  # cached sessions per process, expired ones swept beyond this


class SessionStore:
    def __init__(self, engine: Engine, idle_minutes: int, cache_seconds: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.idle = timedelta(minutes=idle_minutes)
        self.cache_seconds = float(cache_seconds)
        self._clock = clock
        # digest -> (kept until, data, created_at, last_seen_at)
        self._cache: dict[str, tuple[float, dict[str, Any], datetime, datetime]] = {}

    def _valid(self, now: datetime, created_at: datetime, last_seen_at: datetime) -> bool:
        return now - last_seen_at < self.idle and now - created_at < ABSOLUTE_LIFETIME

    def _session(self, session_id: str, data: dict[str, Any], now: datetime,
                 last_seen_at: datetime) -> Session:
        session = Session(session_id, copy.deepcopy(data), is_new=False)
        # Touch at most once a minute: idle expiry needs no write per request.
        session.modified = now - last_seen_at > timedelta(minutes=1)
        return session

    def load(self, session_id: str | None) -> Session:
        if session_id:
            now = datetime.now(UTC)
            digest = _digest(session_id)
            cached = self._cache.get(digest) if self.cache_seconds > 0 else None
            if cached is not None:
                kept_until, data, created_at, last_seen_at = cached
                if kept_until > self._clock() and self._valid(now, created_at, last_seen_at):
                    return self._session(session_id, data, now, last_seen_at)
                self._cache.pop(digest, None)  # stale here: the database says
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(sessions_table.c.data, sessions_table.c.created_at,
                           sessions_table.c.last_seen_at)
                    .where(sessions_table.c.id == digest)
                ).first()
            if row and self._valid(now, row.created_at, row.last_seen_at):
                self._remember(digest, row.data, row.created_at, row.last_seen_at)
                return self._session(session_id, row.data, now, row.last_seen_at)
        return Session(None, {}, is_new=True)

    def _remember(self, digest: str, data: dict[str, Any], created_at: datetime,
                  last_seen_at: datetime) -> None:
        if self.cache_seconds <= 0:
            return
        now = self._clock()
        if len(self._cache) >= CACHE_LIMIT:
            for key in [k for k, v in self._cache.items() if v[0] <= now]:
                del self._cache[key]
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
        self._cache[digest] = (now + self.cache_seconds, copy.deepcopy(data), created_at, last_seen_at)

    def forget(self, session_id: str | None) -> None:
        """Drop this process's copy (every write of the session does)."""
        if session_id:
            self._cache.pop(_digest(session_id), None)

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
                self.forget(session.session_id)
                conn.execute(update(sessions_table)
                             .where(sessions_table.c.id == _digest(session.session_id))
                             .values(data=dict(session), last_seen_at=now))
        self.forget(session.session_id)  # a load while this wrote may have kept the old data
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
            self.forget(session.session_id)
            with self.engine.begin() as conn:
                conn.execute(update(sessions_table)
                             .where(sessions_table.c.id == _digest(session.session_id))
                             .values(data={"csrf": session["csrf"]} if "csrf" in session else {}))
            self.forget(session.session_id)
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
            self.forget(session.session_id)
            with self.engine.begin() as conn:
                conn.execute(delete(sessions_table)
                             .where(sessions_table.c.id == _digest(session.session_id)))
            self.forget(session.session_id)
