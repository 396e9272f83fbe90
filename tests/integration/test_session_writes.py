"""Cheap session reads and no needless session writes (issue 17 item 3), through the real
gateway and its database: an anonymous page without a form stores no session, a signed-in
session's reads write nothing, logout ends the session at once, and the store's in-process
cache serves a session for at most ``cache_seconds`` after another process deleted it."""

from __future__ import annotations

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import delete, func, select

from gateway.sessions import COOKIE_NAME, SessionStore, _digest, sessions_table
from services.common.config import nameko_config
from tests.support.registration import PASSWORD, login, province_reviewer

pytestmark = pytest.mark.integration


def stored(engines) -> int:
    with engines("gateway").connect() as conn:
        return conn.execute(select(func.count()).select_from(sessions_table)).scalar_one()


def last_seen(engines, cookie: str):
    with engines("gateway").connect() as conn:
        return conn.execute(select(sessions_table.c.last_seen_at, sessions_table.c.data)
                            .where(sessions_table.c.id == _digest(cookie))).first()


def test_anonymous_pages_without_a_form_store_no_session(gateway, engines):
    before = stored(engines)
    for path in ("/", "/healthz", "/api/openapi.json"):
        answer = requests.get(gateway + path, timeout=30)
        assert answer.status_code == 200, (path, answer.status_code)
        assert COOKIE_NAME not in answer.cookies, path
    assert stored(engines) == before
    form = requests.get(gateway + "/login", timeout=30)  # a form: its CSRF token needs a session
    assert form.status_code == 200 and COOKIE_NAME in form.cookies
    assert stored(engines) == before + 1


def test_signed_in_reads_write_nothing_and_logout_ends_the_session_at_once(
        gateway, engines, running_platform):
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=60) as cluster:
        name = province_reviewer(cluster, PASSWORD)["login"]
    http, csrf = login(gateway, name)
    cookie = http.cookies[COOKIE_NAME]
    seen, data = last_seen(engines, cookie)
    for _ in range(5):
        answer = http.get(gateway + "/api/v1/session", timeout=30)
        assert answer.status_code == 200 and answer.json()["account"]["login"] == name
        assert COOKIE_NAME not in answer.cookies  # nothing to store again
    page = http.get(gateway + "/messages", timeout=30)
    assert page.status_code == 200 and COOKIE_NAME not in page.cookies
    assert last_seen(engines, cookie) == (seen, data)  # no write for the reads
    out = http.delete(gateway + "/api/v1/session", headers={"X-CSRF-Token": csrf}, timeout=30)
    assert out.status_code in (200, 204), out.text
    assert last_seen(engines, cookie) is None
    replay = requests.get(gateway + "/api/v1/session", cookies={COOKIE_NAME: cookie}, timeout=30)
    assert replay.status_code == 401  # the cached copy went with the logout


def test_a_session_deleted_elsewhere_is_served_from_the_cache_no_longer_than_its_bound(engines):
    now = [1000.0]
    store = SessionStore(engines("gateway"), idle_minutes=30, cache_seconds=5, clock=lambda: now[0])
    session = store.load(None)
    session.set("account_id", "cached-1")
    session_id = store.save(session)
    assert store.load(session_id)["account_id"] == "cached-1"  # read once: now cached
    with engines("gateway").begin() as conn:  # another gateway process logs it out
        conn.execute(delete(sessions_table).where(sessions_table.c.id == _digest(session_id)))
    now[0] += 4.9
    assert store.load(session_id)["account_id"] == "cached-1"  # within the documented bound
    now[0] += 0.2
    assert store.load(session_id).is_new  # past it: the database's answer
    # changes made through this store are never served stale
    other = store.load(None)
    other.set("account_id", "cached-2")
    other_id = store.save(other)
    loaded = store.load(other_id)
    loaded.set("role", "changed")
    store.save(loaded)
    assert store.load(other_id)["role"] == "changed"
    store.destroy(loaded)
    assert store.load(other_id).is_new
