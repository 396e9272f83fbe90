"""The registration slice from outside: a registered session, and notify's catch-up.

The read path needs a session of a registered account: register once through the real
form (GET /register for the CSRF token, POST it), keep the cookie. The write path's
end-to-end lag is read from the databases afterwards: each event's ``occurred_at`` in
identity's outbox against the time notify stored the message and sent the mail.
"""

from __future__ import annotations

import random
import re
import time
import warnings
from datetime import datetime
from typing import Any

import psycopg
import requests

from bench.children import BenchError
from bench.data import email_prefix, registration
from bench.stats import percentile
from gateway.sessions import COOKIE_NAME
from services.common.config import database_name


def registered_session(base_url: str, run_id: str) -> str:
    """A session cookie of a freshly registered account whose welcome message has arrived."""
    http = requests.Session()
    form_page = http.get(base_url + "/register", timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text)
    form_key = re.search(r'name="form_key" value="([^"]+)"', form_page.text)
    if form_page.status_code != 200 or not csrf or not form_key:
        raise BenchError(f"GET /register: {form_page.status_code}, no CSRF token in the form")
    data = registration(random.Random(), run_id, "session", 0)
    response = http.post(base_url + "/register", allow_redirects=False, timeout=30, data={
        **data, "password_confirm": data["password"], "csrf_token": csrf.group(1),
        "form_key": form_key.group(1),
    })
    if response.status_code != 303:
        raise BenchError(f"POST /register: {response.status_code} {response.text[:300]}")
    cookie = http.cookies.get(COOKIE_NAME)
    if not cookie:
        raise BenchError("POST /register set no session cookie")
    deadline = time.monotonic() + 30
    while True:  # the read path should render a real message, not an empty list
        listed = http.get(base_url + "/api/v1/messages", timeout=10)
        if listed.status_code == 200 and listed.json().get("messages"):
            break
        if time.monotonic() > deadline:
            raise BenchError(f"welcome message never arrived: {listed.status_code} "
                             f"{listed.text[:200]}")
        time.sleep(0.2)
    page = http.get(base_url + "/messages", allow_redirects=False, timeout=10)
    if page.status_code != 200:
        raise BenchError(f"GET /messages with the session: {page.status_code}")
    return cookie


def _connect(config: dict[str, Any], owner: str) -> psycopg.Connection:
    pg = config["postgres"]
    return psycopg.connect(host=pg["host"], port=pg["port"], user=pg["user"],
                           password=pg["password"], dbname=database_name(config, owner),
                           autocommit=True, connect_timeout=5)


def notify_consumes(source: str = "identity") -> set[str]:
    """Event types from source that notify has handlers for (read from its entrypoints)."""
    with warnings.catch_warnings():  # eventlet's deprecation notice, printed at import
        warnings.simplefilter("ignore")
        from services.notify.service import SERVICE_CLASS  # imports only, patches nothing

    types = set()
    for name in dir(SERVICE_CLASS):
        for entrypoint in getattr(getattr(SERVICE_CLASS, name), "nameko_entrypoints", ()):
            if getattr(entrypoint, "source_service", None) == source:
                types.add(entrypoint.event_type)
    return types


def notify_catch_up(config: dict[str, Any], run_id: str, phase: str, load_ended: float,
                    timeout: float = 60) -> dict[str, Any]:
    """Wait until notify has handled every event of the phase, and sent every mail they caused.

    The phase's events are identity's outbox rows about its accounts (found by e-mail)
    of the types notify consumes. Handled = notify's processed_events row (written in
    the handler's transaction, with its messages and mails). load_ended: time.time() when
    the load generator stopped. Returns per-event lag (occurred_at -> handled / mail sent)
    and how long after the load everything was done.
    """
    pattern = email_prefix(run_id, phase) + "%"
    types = sorted(notify_consumes())
    with _connect(config, "identity") as identity, _connect(config, "notify") as notify:
        events = identity.execute(
            "select event_id, envelope->>'occurred_at' from outbox"
            " where envelope->'data'->>'email' like %s and event_type = any(%s)",
            (pattern, types)).fetchall()
        accounts = identity.execute("select count(*) from accounts where email like %s",
                                    (pattern,)).fetchone()
        ids = [row[0] for row in events]
        occurred = {row[0]: datetime.fromisoformat(row[1]) for row in events}
        handled_done = mails_done = None
        handled: list[tuple[Any, datetime]] = []
        mails: list[tuple[Any, datetime | None]] = []
        deadline = time.monotonic() + timeout
        while True:
            if handled_done is None:
                handled = notify.execute(
                    "select event_id, min(processed_at) from processed_events"
                    " where event_id = any(%s) group by event_id", (ids,)).fetchall()
                if len(handled) >= len(ids):
                    handled_done = time.time() - load_ended
            if handled_done is not None:  # now the set of mails is complete
                mails = notify.execute(
                    "select source_event_id, sent_at from mails where source_event_id = any(%s)",
                    (ids,)).fetchall()
                if all(sent_at is not None for _, sent_at in mails):
                    mails_done = time.time() - load_ended
                    break
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        messages = notify.execute(
            "select count(*) from messages where source_event_id = any(%s)", (ids,)).fetchone()

    def lags(rows: list[tuple[Any, datetime | None]]) -> list[float]:
        return [(at - occurred[event_id]).total_seconds() for event_id, at in rows
                if at is not None]

    def summary(values: list[float]) -> dict[str, float | None]:
        return {f"p{p}_ms": None if not values else round(1000 * (percentile(values, p) or 0), 1)
                for p in (50, 99)} | {"max_ms": round(1000 * max(values), 1) if values else None}

    sent = [row for row in mails if row[1] is not None]
    return {
        "event_types": types,
        "accounts": int(accounts[0]) if accounts else 0,
        "events": len(ids),
        "handled": len(handled),
        "messages": int(messages[0]) if messages else 0,
        "mails": len(mails),
        "mails_sent": len(sent),
        "waited_s": round(time.time() - load_ended, 2),
        "handled_after_s": None if handled_done is None else round(handled_done, 2),
        "mails_sent_after_s": None if mails_done is None else round(mails_done, 2),
        "handled_lag": summary(lags(handled)),
        "mail_lag": summary(lags(sent)),
    }
