"""RabbitMQ stops while identity commits registrations, and comes back.

Events committed while the broker is away wait in identity's outbox; once the broker is
back the relay publishes them and notify handles each exactly once. No process is
restarted: every service, and the gateway, must reconnect by itself.
"""

from __future__ import annotations

import time

import pytest
import requests

from deploy import servers
from tests.chaos.conftest import (
    LogWatch,
    assert_exactly_once,
    assert_survived,
    broker_up,
    component_pids,
    pending_outbox,
    wait_for,
)
from tests.support import platform
from tests.support.data import registration

pytestmark = pytest.mark.chaos

RECOVERY_SECONDS = 120


def test_events_committed_while_broker_is_down_are_delivered_once_it_is_back(
    platform_restored, engines, registrar
):
    config = platform_restored
    started = time.monotonic()
    pids = component_pids(config)
    assert all(pids.values()), pids
    watch = LogWatch(config)
    producer = registrar(threads=4, timeout=20)

    # Keep identity saturated: at any moment several registrations are between "consumed"
    # and "committed" (argon2 takes a while), so commits keep landing after the broker goes.
    producer.flood()
    wait_for(lambda: producer.ok() >= 8, 90, "registrations to flow")
    servers.stop(config, ["rabbitmq"])
    assert not broker_up(config)
    down_at = time.monotonic()

    # In-flight registrations committed, but their events could not be published.
    stranded = wait_for(lambda: pending_outbox(engines, producer.tag), 20,
                        "an event committed but unpublished while the broker is down")
    producer.stop_flood()
    time.sleep(1.0)  # let the last in-flight commits land
    stranded = max(stranded, pending_outbox(engines, producer.tag))
    assert not broker_up(config)
    answered_before_restart = dict(producer.statuses)

    servers.start(config, ["rabbitmq"])
    back_at = time.monotonic()
    assert_survived(config, pids, watch, "the broker outage")

    # The relay publishes what waited; notify handles each event exactly once.
    try:
        wait_for(lambda: pending_outbox(engines) == 0, RECOVERY_SECONDS,
                 "identity's outbox to drain after the broker came back")
        drained_at = time.monotonic()
        accounts = assert_exactly_once(engines, producer.tag, timeout=RECOVERY_SECONDS)
    except AssertionError:
        assert_survived(config, pids, watch, "the broker outage")  # the likelier cause
        raise
    delivered_at = time.monotonic()

    # The whole path works again without a restart: gateway -> identity -> notify.
    platform.wait_healthy(config, timeout=RECOVERY_SECONDS)
    after = registrar(threads=2)
    for future in after.submit(6):
        future.result(timeout=60)
    assert after.statuses == {201: 6}, (
        f"registrations after the broker came back: {dict(after.statuses)}"
    )
    assert_exactly_once(engines, after.tag, timeout=60)
    assert_survived(config, pids, watch, "the broker outage and the recovery")

    print(f"\n{len(accounts)} accounts; {stranded} events stranded in the outbox while the "
          f"broker was down ({back_at - down_at:.1f} s); outbox drained "
          f"{drained_at - back_at:.1f} s and all delivered {delivered_at - back_at:.1f} s "
          f"after the restart; answers before restart {answered_before_restart}; "
          f"total {time.monotonic() - started:.1f} s")


def test_api_answers_503_not_500_while_the_broker_is_down(platform_restored, gateway, registrar):
    """Without the broker the gateway cannot reach any service: that is "service unavailable,
    try again" (503), whichever step of the RPC call notices it, never an internal error."""
    config = platform_restored
    warm = registrar(threads=4)
    for future in warm.submit(8):  # the gateway's pool now holds connected proxies
        future.result(timeout=60)
    assert warm.statuses == {201: 8}, dict(warm.statuses)

    servers.stop(config, ["rabbitmq"])
    answers = []
    for _ in range(8):
        response = requests.post(gateway + "/api/v1/accounts", json=registration(), timeout=60)
        answers.append((response.status_code, response.json()["error"]["code"]))
    servers.start(config, ["rabbitmq"])

    assert set(answers) == {(503, "service_unavailable")}, answers
