"""The login rate limit's pure rules (services/identity/attempt_limits.py) and the per-process
cap on concurrent argon2 work (services/identity/usecases/_support.HashGate), the latter with
green threads that hold a slot until told to finish (no timing)."""

from __future__ import annotations

from datetime import UTC, datetime

import eventlet
import pytest
from eventlet.event import Event

from services.common.errors import Busy
from services.identity import attempt_limits as al
from services.identity.usecases._support import HashGate


def at(h: int, m: int, s: float) -> datetime:
    return datetime(2026, 12, 6, h, m, int(s), int((s % 1) * 1_000_000), tzinfo=UTC)


def test_windows_are_fixed_and_aligned() -> None:
    assert al.window_start(at(23, 10, 45.5), 60) == at(23, 10, 0)
    assert al.window_start(at(23, 10, 0), 60) == at(23, 10, 0)
    assert al.window_start(at(23, 10, 59.9), 60) == at(23, 10, 0)
    assert al.window_start(at(23, 14, 59), 300) == at(23, 10, 0)


def test_retry_after_is_the_rest_of_the_window_in_whole_seconds() -> None:
    assert al.retry_after(at(23, 10, 45), 60) == 15
    assert al.retry_after(at(23, 10, 45.2), 60) == 15  # rounded up: never too early
    assert al.retry_after(at(23, 10, 0), 60) == 60
    assert al.retry_after(at(23, 10, 59.99), 60) == 1  # never 0


def test_the_limit_is_the_last_allowed_attempt() -> None:
    rules = al.Limits(per_ip=20, per_account=10, window_seconds=60)
    assert not al.over_limit({al.SCOPE_IP: 20, al.SCOPE_ACCOUNT: 10}, rules)
    assert al.over_limit({al.SCOPE_IP: 21, al.SCOPE_ACCOUNT: 1}, rules)
    assert al.over_limit({al.SCOPE_IP: 1, al.SCOPE_ACCOUNT: 11}, rules)
    assert not al.over_limit({}, rules)  # no IP and no login: nothing to count


def test_limits_come_from_the_configuration_with_defaults() -> None:
    assert al.limits({}) == al.Limits(per_ip=20, per_account=10, window_seconds=60)
    assert al.limits({"security": {"login_attempts_per_ip": "5", "attempt_window_seconds": 10}}) \
        == al.Limits(per_ip=5, per_account=10, window_seconds=10)
    assert al.hash_limits({}, pool_size=4) == al.HashLimits(slots=4, queue=2, wait_seconds=5.0)
    assert al.hash_limits({"security": {"password_hash_slots": 2, "password_hash_queue": 0}}, 4) \
        == al.HashLimits(slots=2, queue=0, wait_seconds=5.0)


def test_keys_and_message() -> None:
    assert al.ip_key(" 10.0.0.1 ") == "10.0.0.1"
    assert al.ip_key(None) is None and al.ip_key("unknown") is None and al.ip_key("") is None
    assert al.account_key(" Admin01 ") == "admin01"
    assert al.refusal_message(42) == "登录尝试过于频繁，请 42 秒后再试"


def test_a_caller_is_refused_only_when_every_slot_is_busy_and_the_queue_full() -> None:
    rules = al.HashLimits(slots=2, queue=1, wait_seconds=5.0)
    assert not al.must_refuse_hash(busy=1, waiting=5, rules=rules)
    assert not al.must_refuse_hash(busy=2, waiting=0, rules=rules)
    assert al.must_refuse_hash(busy=2, waiting=1, rules=rules)


def test_the_gate_runs_slots_at_once_queues_a_few_and_refuses_the_rest() -> None:
    gate = HashGate(al.HashLimits(slots=2, queue=1, wait_seconds=60.0))
    release = Event()
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        release.wait()
        return n

    threads = [eventlet.spawn(gate.run, work, n) for n in range(3)]
    eventlet.sleep(0)  # let them reach the gate
    eventlet.sleep(0)
    assert sorted(started) == [0, 1] and (gate.busy, gate.waiting) == (2, 1)
    with pytest.raises(Busy) as caught:
        gate.run(work, 99)  # two busy, one waiting: refused at once, no green thread parked
    assert caught.value.code == "busy" and gate.refused == 1
    release.send(None)
    assert [t.wait() for t in threads] == [0, 1, 2]  # the queued one ran when a slot freed
    assert (gate.busy, gate.waiting) == (0, 0)
    assert gate.run(lambda: "again") == "again"


def test_a_queued_caller_gives_up_after_the_wait() -> None:
    gate = HashGate(al.HashLimits(slots=1, queue=1, wait_seconds=0.0))
    release = Event()
    holder = eventlet.spawn(gate.run, release.wait)
    eventlet.sleep(0)
    with pytest.raises(Busy):
        gate.run(lambda: None)  # queue room, but no slot within 0 s
    assert gate.waiting == 0
    release.send(None)
    holder.wait()


def test_a_full_gate_refuses_before_the_attempt_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.identity.usecases import _support

    gate = HashGate(al.HashLimits(slots=1, queue=0, wait_seconds=0.0))
    monkeypatch.setattr(_support, "_gate", gate)
    release = Event()
    holder = eventlet.spawn(gate.run, release.wait)
    eventlet.sleep(0)
    opened: list[str] = []

    class Deps:
        config: dict = {}

        def begin(self) -> None:
            opened.append("transaction")
            raise AssertionError("no database work for a refused caller")

    with pytest.raises(Busy):
        _support.check_attempt_limits(Deps(), ip="10.0.0.1", login="someone")  # type: ignore[arg-type]
    assert opened == []
    release.send(None)
    holder.wait()
