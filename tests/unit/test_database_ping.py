"""make_engine pings a pooled connection only after it sat idle, and replaces a dead one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from services.common import database
from services.common.database import make_engine


@pytest.fixture
def engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ping.db'}", pool_size=1, ping_after_idle=2.0)
    yield engine
    engine.dispose()


def count_pings(monkeypatch: pytest.MonkeyPatch, engine, fail: bool = False) -> list[object]:
    pings: list[object] = []
    dialect = engine.dialect

    def ping(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        if fail and len(pings) == 1:
            raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
        return True

    monkeypatch.setattr(dialect, "do_ping", ping)
    monkeypatch.setattr(dialect, "is_disconnect", lambda exc, conn, cursor: "closed" in str(exc))
    return pings


def use(engine) -> object:
    with engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1
        return conn.connection.dbapi_connection


def test_a_connection_used_a_moment_ago_is_not_pinged(engine, monkeypatch):
    pings = count_pings(monkeypatch, engine)
    use(engine)  # new connection
    use(engine)  # back from the pool at once
    assert pings == []


def test_a_connection_idle_longer_is_pinged(engine, monkeypatch):
    pings = count_pings(monkeypatch, engine)
    first = use(engine)
    clock = database.time.monotonic() + 2.5
    monkeypatch.setattr(database.time, "monotonic", lambda: clock)
    assert use(engine) is first
    assert pings == [first]


def test_a_dead_idle_connection_is_replaced(engine, monkeypatch):
    pings = count_pings(monkeypatch, engine, fail=True)
    first = use(engine)
    clock = database.time.monotonic() + 2.5
    monkeypatch.setattr(database.time, "monotonic", lambda: clock)
    second = use(engine)  # the ping fails: the pool connects anew, the statement runs there
    assert pings == [first]
    assert second is not first
