"""notify dies (kill -9) while registration events flow: nothing lost, nothing twice.

Events consumed but not yet acked go back to the queue when notify's connection dies;
claim_event (processed_events, committed with the message and the mail) makes a
redelivery of an already handled event a no-op.
"""

from __future__ import annotations

import time

import pytest

from deploy import processes
from tests.chaos.conftest import (
    NOTIFY_QUEUE,
    LogWatch,
    assert_exactly_once,
    assert_survived,
    component_pids,
    queue_depth,
    tagged_accounts,
    wait_for,
)
from tests.support import platform

pytestmark = pytest.mark.chaos

BEFORE_KILL = 20
WHILE_DOWN = 40


def test_notify_killed_mid_stream_loses_and_duplicates_nothing(
    platform_restored, engines, registrar
):
    config = platform_restored
    started = time.monotonic()
    others = {c: pid for c, pid in component_pids(config).items() if c != "notify"}
    watch = LogWatch(config)
    producer = registrar(threads=4)

    # Registrations (and so events) flowing; kill notify once some have been answered,
    # while the rest are still being registered, published and handled.
    first = producer.submit(BEFORE_KILL)
    wait_for(lambda: producer.ok() >= BEFORE_KILL // 2, 60, "the first registrations")
    notify_pid = processes.read_pid("notify", config)
    platform.kill("notify", config)
    assert not processes.is_running("notify", config)

    rest = producer.submit(WHILE_DOWN)
    for future in [*first, *rest]:
        future.result(timeout=120)
    # notify's death does not stop registration (a 503 here is only the loaded machine's
    # RPC timeout: identity still commits, and such accounts are checked like the rest).
    assert producer.statuses[201] >= (BEFORE_KILL + WHILE_DOWN) // 2, producer.statuses

    # With notify dead the events wait, durable, in its queue: they were in flight.
    waiting = queue_depth(config, NOTIFY_QUEUE)
    assert waiting and waiting > 0, f"no event waited for notify (queue depth {waiting})"

    platform.start("notify", config)
    assert processes.read_pid("notify", config) != notify_pid
    platform.wait_healthy(config)
    accounts = assert_exactly_once(engines, producer.tag, timeout=90)

    assert set(producer.created) <= set(accounts)
    assert len(accounts) >= producer.statuses[201]
    assert tagged_accounts(engines, producer.tag) == accounts
    assert_survived(config, others, watch, "notify's crash")
    print(f"{len(accounts)} accounts, {waiting} events queued while notify was dead, "
          f"statuses {dict(producer.statuses)}, {time.monotonic() - started:.1f} s")
