"""Idempotency keys at the gateway (issue 13): every change through the JSON API that carries
``X-Idempotency-Key`` (or a JSON body's ``form_key``) is answered once; the same key again —
concurrently or later — gets the first request's answer (same status, same body), never a
different error.

How: a row in the gateway's own database (``idempotency_keys``) keyed by the SHA-256 of
(account, method, path, key). The first request *claims* it (INSERT; the primary key lets one
win) before the view runs, and stores the status and body when done. A duplicate that finds
the claim answers the stored response, or — while the first is still in flight — waits for it
(polling the row; eventlet yields meanwhile) instead of running the action a second time and
answering ``invalid_transition``. Only a success is kept (``keeps``): after a refusal or a
5xx (service down, timeout) the claim is released, so a retry — or a waiting duplicate — runs
again. A claim whose request died with its gateway is taken over
after ``CLAIM_SECONDS``. The same key with a different body is not this request: it runs, and
the service's own key rule answers it (identity refuses another password under a known key
as ``taken``; permits returns the draft the key made).

The services keep their own keys (permits submit_key / request_key, identity request_key,
personnel form_key): they protect the HTML forms and any caller that is not the gateway, and
the service checks them under a row lock. This layer makes the answer the same.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from gateway.http import LoginRequired, Redirect, json_response

log = logging.getLogger(__name__)

HEADER = "X-Idempotency-Key"
CLAIM_SECONDS = 120.0  # a claim older than this, still unanswered, belongs to a dead request
WAIT_SECONDS = 60.0  # how long a duplicate waits for the first request's answer
POLL_SECONDS = 0.05  # the first poll; then 1.5× longer each time, at most MAX_POLL_SECONDS
MAX_POLL_SECONDS = 0.5
KEEP = timedelta(hours=24)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_metadata = MetaData()
idempotency_table = Table(
    "idempotency_keys",
    _metadata,
    Column("id", String(64), primary_key=True),  # sha256(account, method, path, key)
    Column("fingerprint", String(64), nullable=False),  # sha256 of the request body
    Column("status", Integer, nullable=True),  # NULL while the first request is in flight
    Column("body", Text, nullable=True),
    Column("mimetype", String(100), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    status: int | None
    claimed_at: datetime


def decide(stored: Stored | None, fingerprint: str, now: datetime,
           claim_seconds: float = CLAIM_SECONDS) -> str:
    """What a request does with its key, given the row it found.

    ``claim`` (no row: run it), ``replay`` (answered: return the stored answer), ``mismatch``
    (the key named a different request: run this one without the key's answer), ``take_over``
    (an abandoned claim), ``wait`` (the first request is still in flight)."""
    if stored is None:
        return "claim"
    if stored.fingerprint != fingerprint:
        return "mismatch"
    if stored.status is not None:
        return "replay"
    if now - stored.claimed_at > timedelta(seconds=claim_seconds):
        return "take_over"
    return "wait"


def digest(account: str, method: str, path: str, key: str) -> str:
    return hashlib.sha256("\x1f".join((account, method, path, key)).encode()).hexdigest()


def keeps(status: int) -> bool:
    """Whether an answer is kept for the duplicates: a success. A refusal changed nothing, and
    the services do not spend their keys on it either (a report refused as too early may be
    sent again with the same form_key once the seconds have passed); a server-side failure
    should run again. A duplicate waiting on a refused request then runs itself."""
    return 200 <= status < 300


class IdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, key: str, fingerprint: str, now: datetime) -> bool:
        """Claim a key not seen before (True); a key already there is left alone (False) without
        an error in the database's log, since every replay and double click arrives here."""
        with self.engine.begin() as conn:
            if int(key[:2], 16) == 0:  # now and then, sweep old answers away
                conn.execute(delete(idempotency_table).where(
                    idempotency_table.c.claimed_at < now - KEEP))
            claimed = conn.execute(
                insert(idempotency_table).values(id=key, fingerprint=fingerprint, claimed_at=now)
                .on_conflict_do_nothing(index_elements=["id"]).returning(idempotency_table.c.id))
            return claimed.first() is not None

    def take_over(self, key: str, stored: Stored, now: datetime) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(idempotency_table)
                .where(idempotency_table.c.id == key, idempotency_table.c.status.is_(None),
                       idempotency_table.c.claimed_at == stored.claimed_at)
                .values(claimed_at=now).returning(idempotency_table.c.id))
            return result.first() is not None

    def get(self, key: str) -> tuple[Stored, str | None, str | None] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(idempotency_table).where(idempotency_table.c.id == key)).first()
        if row is None:
            return None
        return Stored(row.fingerprint, row.status, row.claimed_at), row.body, row.mimetype

    def complete(self, key: str, response: Response) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(idempotency_table).where(idempotency_table.c.id == key).values(
                status=response.status_code, body=response.get_data(as_text=True),
                mimetype=response.mimetype, completed_at=datetime.now(UTC)))

    def release(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(idempotency_table).where(idempotency_table.c.id == key))


def store_for(app: Any) -> IdempotencyStore | None:
    """The app's store, over the sessions' engine (the gateway's own database); None when the
    sessions have no database (unit tests' memory sessions)."""
    store = app.__dict__.get("_idempotency")
    if store is None:
        engine = getattr(app.sessions, "engine", None)
        if engine is None:
            return None
        store = app.__dict__["_idempotency"] = IdempotencyStore(engine)
    return store


def _answer(app: Any, request: Request, view: Callable[[], Response]) -> Response:
    """The view's response, its exceptions turned into responses as GatewayApp.__call__ does."""
    try:
        return view()
    except LoginRequired as exc:
        return app._login_required(request, exc)
    except Redirect as exc:
        return redirect(exc.location, code=303)
    except HTTPException as exc:
        return app._http_error(request, exc)
    except Exception as exc:  # the error table decides
        return app._error_response(request, exc)


def request_key(request: Request) -> str:
    """The request's idempotency key: ``X-Idempotency-Key``, or else the ``form_key`` of a JSON
    body (personnel's report documents that one as its key)."""
    key = request.headers.get(HEADER, "").strip()
    if not key and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("form_key"), str):
            key = body["form_key"].strip()
    return key


def respond(app: Any, request: Request, view: Callable[[], Response]) -> Response:
    """Run ``view`` once per idempotency key; duplicates get the first answer (module doc)."""
    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return view()
    key = request_key(request)
    store = store_for(app) if key else None
    if store is None:
        return view()
    session = request.session
    account = str((session.get("account_id") if session is not None else None) or "anonymous")
    row_key = digest(account, request.method, request.path, key[:200])
    fingerprint = hashlib.sha256(request.get_data(parse_form_data=True)).hexdigest()
    if store.claim(row_key, fingerprint, datetime.now(UTC)):  # a new key: one round trip
        return _run(app, store, row_key, request, view)
    deadline = time.monotonic() + WAIT_SECONDS
    pause = POLL_SECONDS
    while True:
        now = datetime.now(UTC)
        found = store.get(row_key)
        action = decide(found[0] if found else None, fingerprint, now)
        if action == "claim" and store.claim(row_key, fingerprint, now) or \
                action == "take_over" and found and store.take_over(row_key, found[0], now):
            return _run(app, store, row_key, request, view)
        if action == "replay" and found:
            stored, body, mimetype = found
            response = Response(body or "", status=stored.status or 200, mimetype=mimetype)
            response.headers["Idempotent-Replayed"] = "true"
            return response
        if action == "mismatch":  # not the same request: the service's own key rule answers it
            return view()
        if time.monotonic() > deadline:
            return json_response({"error": {"code": "request_in_progress",
                                            "message": "同一请求正在办理中，请稍后刷新页面查看结果"}}, 409)
        time.sleep(pause)
        pause = min(pause * 1.5, MAX_POLL_SECONDS)


def _run(app: Any, store: IdempotencyStore, row_key: str, request: Request,
         view: Callable[[], Response]) -> Response:
    try:
        response = _answer(app, request, view)
    except BaseException:
        store.release(row_key)
        raise
    try:
        if keeps(response.status_code) and not response.direct_passthrough:
            store.complete(row_key, response)
        else:
            store.release(row_key)
    except Exception:  # the answer stands; a duplicate then runs the action (service keys hold)
        log.exception("could not store the answer for an idempotency key")
        try:
            store.release(row_key)
        except Exception:
            log.exception("could not release an idempotency key")
    return response
