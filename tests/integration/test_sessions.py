"""The gateway's server-side session store on the real PostgreSQL database."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from gateway.sessions import SessionStore, _digest, sessions_table


def test_save_load_rotate_destroy(engines):
    store = SessionStore(engines("gateway"), idle_minutes=30)
    session = store.load(None)
    session.set("account_id", "a1")
    first_id = store.save(session)
    with engines("gateway").connect() as conn:
        stored_ids = set(conn.execute(select(sessions_table.c.id)).scalars())
    assert first_id not in stored_ids and _digest(first_id) in stored_ids  # only the hash

    assert store.load(first_id)["account_id"] == "a1"
    store.rotate(session)
    second_id = store.save(session)
    assert second_id != first_id
    assert "account_id" not in store.load(first_id)  # the old id grants nothing any more
    assert store.load(second_id)["account_id"] == "a1"
    store.destroy(session)
    assert store.load(second_id).is_new


def test_idle_session_expires(engines):
    store = SessionStore(engines("gateway"), idle_minutes=30)
    session = store.load(None)
    session.set("account_id", "a2")
    session_id = store.save(session)
    with engines("gateway").begin() as conn:
        conn.execute(update(sessions_table).where(sessions_table.c.id == _digest(session_id))
                     .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
    assert store.load(session_id).is_new


def test_unknown_or_forged_id_gives_a_fresh_session(engines):
    store = SessionStore(engines("gateway"), idle_minutes=30)
    assert store.load("forged-session-id").is_new
