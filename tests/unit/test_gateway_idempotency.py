"""The gateway's idempotency keys (issue 13): the pure decision, and the whole path through
the real GatewayApp over an in-memory SQLite table (the concurrent case runs against
PostgreSQL in tests/integration/test_concurrency_permits.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool
from werkzeug.test import Client

from gateway import idempotency
from gateway.app import GatewayApp
from gateway.idempotency import Stored, decide, digest, keeps
from gateway.rpc import ServiceUnavailable
from services.common.errors import InvalidTransition
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_decide_claims_replays_waits_and_takes_over():
    assert decide(None, "f", NOW) == "claim"
    assert decide(Stored("f", 200, NOW), "f", NOW) == "replay"
    assert decide(Stored("other", 200, NOW), "f", NOW) == "mismatch"
    assert decide(Stored("other", None, NOW), "f", NOW) == "mismatch"
    assert decide(Stored("f", None, NOW - timedelta(seconds=5)), "f", NOW) == "wait"
    assert decide(Stored("f", None, NOW - timedelta(seconds=121)), "f", NOW) == "take_over"
    assert decide(Stored("f", None, NOW - timedelta(seconds=5)), "f", NOW, claim_seconds=3) == "take_over"


def test_digest_separates_accounts_methods_paths_and_keys():
    base = digest("acc", "POST", "/api/v1/x", "k")
    assert base == digest("acc", "POST", "/api/v1/x", "k") and len(base) == 64
    assert len({base, digest("acc2", "POST", "/api/v1/x", "k"), digest("acc", "PUT", "/api/v1/x", "k"),
                digest("acc", "POST", "/api/v1/y", "k"), digest("acc", "POST", "/api/v1/x", "k2")}) == 5


def test_only_successes_are_kept():
    assert keeps(200) and keeps(201)
    assert not keeps(409) and not keeps(422) and not keeps(500) and not keeps(503)


class DatabaseSessions(MemorySessions):
    def __init__(self):
        super().__init__()
        self.engine = create_engine("sqlite://", poolclass=StaticPool,
                                    connect_args={"check_same_thread": False})
        idempotency.idempotency_table.metadata.create_all(self.engine)


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    return fake


@pytest.fixture
def client(rpc):
    client = Client(GatewayApp(rpc, DatabaseSessions(), {"gateway": {}}))
    sign_in_as(client)
    return client


def submit(client, key="k-1", body=None):
    return client.post("/api/v1/permits/applications/app-1/submit", json=body or {"version": 5},
                       headers={"X-CSRF-Token": "t0ken", "X-Idempotency-Key": key})


def submits(rpc):
    return [c for c in rpc.calls if c[1] == "submit"]


def test_the_same_key_answers_the_first_answer_without_running_again(client, rpc):
    answers = iter([{"id": "app-1", "state": "submitted", "n": 1}, InvalidTransition("不应再次办理")])

    def once(*args):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    rpc.behaviour[("permits", "submit")] = once
    first, second = submit(client), submit(client)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data() and second.headers["Idempotent-Replayed"] == "true"
    assert len(submits(rpc)) == 1
    assert submit(client, key="k-2").status_code == 409  # another key is another request


def test_a_refusal_is_not_kept_and_a_different_body_under_a_kept_key_runs_on_its_own(client, rpc):
    rpc.behaviour[("permits", "submit")] = InvalidTransition("只有已确认承诺书的申请可以提交")
    first, second = submit(client), submit(client)
    assert first.status_code == second.status_code == 409 and first.get_data() == second.get_data()
    assert len(submits(rpc)) == 2  # a refusal changed nothing: the retry runs again
    rpc.behaviour[("permits", "submit")] = lambda *args: {"id": "app-1", "state": "submitted"}
    assert submit(client).status_code == 200
    other = submit(client, body={"version": 6})  # not the same request: it runs, unkept
    assert other.status_code == 200 and "Idempotent-Replayed" not in other.headers
    assert len(submits(rpc)) == 4
    assert submit(client).headers["Idempotent-Replayed"] == "true"


def test_a_server_failure_is_not_kept_so_a_retry_runs_again(client, rpc):
    rpc.behaviour[("permits", "submit")] = ServiceUnavailable("permits", "timeout")
    assert submit(client).status_code == 503
    rpc.behaviour[("permits", "submit")] = lambda *args: {"id": "app-1", "state": "submitted"}
    retry = submit(client)
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
    assert len(submits(rpc)) == 2


def test_without_a_key_or_outside_the_api_nothing_is_kept(client, rpc):
    rpc.behaviour[("permits", "submit")] = lambda *args: {"id": "app-1", "state": "submitted"}
    for _ in range(2):
        client.post("/api/v1/permits/applications/app-1/submit", json={"version": 5},
                    headers={"X-CSRF-Token": "t0ken"})
    assert len(submits(rpc)) == 2


def test_a_json_form_key_is_the_key_when_no_header_is_sent(client, rpc):
    rpc.behaviour[("personnel", "report")] = lambda actor, payload: {"results": [], "summary": {}}
    body = {"declaration_ids": ["d1"], "commitment_token": "t", "confirmed": True, "form_key": "fk-1"}
    answers = [client.post("/api/v1/personnel/bulk/report", json=body, headers={"X-CSRF-Token": "t0ken"})
               for _ in range(2)]
    assert answers[0].status_code == 200, answers[0].get_data(as_text=True)
    assert answers[0].get_data() == answers[1].get_data()
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert len([c for c in rpc.calls if c[1] == "report"]) == 1
