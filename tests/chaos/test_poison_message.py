"""Poison messages stop; RPC requests nobody waits for are never run (issue 13, items 3 and 7).

A probe service (tests/support/poison_probe.py) runs as a real process on the real broker.

* An event that kills its consumer (``os._exit`` on delivery: no ack) comes back each time
  the process is restarted. The handler's queue is a quorum queue with a delivery limit, so
  after ``events.delivery_limit + 1`` deliveries the *broker* moves it to the service's
  dead-letter queue with its reason; the events published around it are handled, once each.
* An RPC request published while the service is hung (SIGSTOP: the request sits,
  prefetched, in its socket) or stopped (it waits in ``rpc-<service>``) is not run when the
  service comes back after its caller timed out: the service checks the request's deadline,
  and the broker expires the queued one (AMQP ``expiration`` = the caller's timeout).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid

import pytest
from nameko.exceptions import RpcTimeout

from deploy import processes
from services.common.config import nameko_config
from services.common.envelope import make_envelope
from services.common.queues import retry_queue_name
from services.common.rpc import ExpiringClusterRpcProxy
from tests.integration.test_event_retries import Broker
from tests.support.poison_probe import POISON_EVENT, PoisonProbeService
from tests.support.probe_service import ATTEMPTS_FILE_ENV, SOURCE_SERVICE, read_attempts
from tests.support.waiting import wait_for

pytestmark = pytest.mark.chaos

PROBE = PoisonProbeService.name
PROBE_QUEUE = f"evt-{SOURCE_SERVICE}-{POISON_EVENT}--{PROBE}.on_poison_happened"
DEAD_LETTERS = f"{PROBE}.dead-letters"
RPC_QUEUE = f"rpc-{PROBE}"
RPC_DEAD_LETTERS = f"{PROBE}.rpc-dead-letters"
INNOCENT_EACH_SIDE = 5
QUIET_SECONDS = 2.0  # a redelivery that was going to happen has happened within this


class Probe:
    def __init__(self, config, attempts: str) -> None:
        self.config = config
        self.attempts = attempts
        self.argv = [sys.executable, "-m", "services.common.runner",
                     f"tests.support.poison_probe:{PoisonProbeService.__name__}"]
        self.starts = 0

    def start(self) -> int:
        self.starts += 1
        return processes.start_process(PROBE, self.argv, self.config,
                                       env={**os.environ, ATTEMPTS_FILE_ENV: self.attempts})

    def running(self) -> bool:
        return processes.is_running(PROBE, self.config)

    def log(self, lines: int = 40) -> str:
        return processes.tail(processes.log_path(PROBE, self.config), lines)

    def tried(self, key: str) -> list[dict]:
        return read_attempts(self.attempts, key)


@pytest.fixture(scope="module")
def broker(config):
    client = Broker(config)
    yield client
    client.close()


@pytest.fixture
def probe(config, broker, tmp_path):
    """The probe as a real process, on queues declared afresh by it (quorum, this config)."""
    processes.stop_process(PROBE, config)  # a leftover of an interrupted run
    retries = [retry_queue_name(PROBE_QUEUE, n)
               for n in range(1, len(config["events"]["retry_delays_ms"]) + 1)]
    for queue in (PROBE_QUEUE, *retries, DEAD_LETTERS, RPC_QUEUE, RPC_DEAD_LETTERS):
        broker.delete(queue)
    attempts = tmp_path / "attempts.jsonl"
    attempts.touch()
    probe = Probe(config, str(attempts))
    probe.start()
    try:
        try:
            wait_for(lambda: (broker.consumers(PROBE_QUEUE) or 0) >= 1
                     and (broker.consumers(RPC_QUEUE) or 0) >= 1, 60, "the probe to consume")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- probe log:\n{probe.log()}") from None
        yield probe
    finally:
        processes.stop_process(PROBE, config, timeout=15)


def event(poison: bool = False) -> tuple[str, dict]:
    key = uuid.uuid4().hex
    return key, make_envelope(SOURCE_SERVICE, POISON_EVENT, 1, {"key": key, "poison": poison})


def test_event_that_kills_its_consumer_is_dead_lettered_by_the_broker_while_others_flow(
    config, broker, probe
):
    limit = config["events"]["delivery_limit"]
    before = [event() for _ in range(INNOCENT_EACH_SIDE)]
    poison_key, poison = event(poison=True)
    after = [event() for _ in range(INNOCENT_EACH_SIDE)]
    for _, envelope in [*before, (poison_key, poison), *after]:
        broker.publish(envelope, routing_key=POISON_EVENT)

    # A supervisor's part: start the probe again each time it died, until the broker gave up
    # on the poison (bounded: a broker that never gives up fails the test here).
    parked: list[tuple[dict, bytes]] = []
    deadline = time.monotonic() + 60 + 15 * (limit + 1)
    while not parked:
        if not probe.running():
            probe.start()
        parked = [(h, b) for h, b in broker.drain(DEAD_LETTERS) if poison_key.encode() in b]
        assert time.monotonic() < deadline, (
            f"the poison event was not dead-lettered: {len(probe.tried(poison_key))} "
            f"deliveries, {probe.starts} starts\n--- probe log:\n{probe.log()}")
        time.sleep(0.2)

    innocent = [key for key, _ in [*before, *after]]
    wait_for(lambda: all(probe.tried(key) for key in innocent), 60,
             "the events published around the poison to be handled")
    time.sleep(QUIET_SECONDS)

    deliveries = probe.tried(poison_key)
    assert len(deliveries) == limit + 1, deliveries
    # Each delivery killed a process of its own: no hand-written counter, the broker's count.
    assert len({d["pid"] for d in deliveries}) == limit + 1
    assert len(parked) == 1, parked
    headers, body = parked[0]
    assert json.loads(body) == poison
    assert headers["x-first-death-reason"] == "delivery_limit"
    assert headers["x-first-death-queue"] == PROBE_QUEUE
    assert [d["reason"] for d in headers["x-death"]] == ["delivery_limit"]
    handled = {key: len(probe.tried(key)) for key in innocent}
    assert handled == dict.fromkeys(innocent, 1), f"not exactly once: {handled}"
    assert broker.messages(PROBE_QUEUE) == 0
    assert probe.running(), "the probe died without a poison message\n" + probe.log()
    assert broker.drain(DEAD_LETTERS) == [], "something else was dead-lettered"


def test_rpc_request_whose_caller_gave_up_is_not_run_when_the_service_is_back(
    config, broker, probe
):
    cluster_config = nameko_config(config, "tests")
    impatient = 2.0

    def call(key: str, timeout: float) -> str:
        with ExpiringClusterRpcProxy(cluster_config, timeout=timeout) as cluster:
            return cluster[PROBE].remember(key)

    def call_times_out(key: str) -> None:
        with pytest.raises(RpcTimeout):
            call(key, impatient)

    first = uuid.uuid4().hex
    assert call(first, 15) == first and probe.tried(first)

    # Hung: the request is handed to the stopped process (prefetched into its socket), where
    # the broker's expiration no longer applies; the service must see the deadline itself.
    pid = processes.read_pid(PROBE, config)
    hung = uuid.uuid4().hex
    os.kill(pid, signal.SIGSTOP)
    try:
        call_times_out(hung)
    finally:
        os.kill(pid, signal.SIGCONT)
    later = uuid.uuid4().hex
    assert call(later, 15) == later  # one queue, in order: the hung request came first
    assert probe.tried(hung) == [], "a request whose caller had timed out was run"
    assert "remember dropped unrun" in probe.log(200)

    # Stopped: the request waits in rpc-<service>; the broker drops it once it expires.
    processes.stop_process(PROBE, config, timeout=15)
    stopped = uuid.uuid4().hex
    call_times_out(stopped)
    expired: list[tuple[dict, bytes]] = []

    def dead_lettered() -> list:
        expired.extend((h, b) for h, b in broker.drain(RPC_DEAD_LETTERS) if stopped.encode() in b)
        return expired

    wait_for(dead_lettered, 30, "the broker to expire the request")
    assert broker.messages(RPC_QUEUE) == 0
    assert len(expired) == 1, expired
    headers, _ = expired[0]
    assert headers["x-first-death-reason"] == "expired"
    assert headers["x-death"][0]["original-expiration"] == str(int(impatient * 1000))

    probe.start()
    back = uuid.uuid4().hex
    assert wait_for(lambda: _try_call(call, back), 60, "the restarted probe to answer") == back
    assert probe.tried(stopped) == [], "a request whose caller had timed out was run"
    assert probe.tried(hung) == []


def _try_call(call, key: str) -> str | None:
    try:
        return call(key, 5)
    except RpcTimeout:
        return None


def test_rpc_queue_declared_classic_by_the_release_before_is_still_served(config, broker, tmp_path):
    """A broker upgraded while a classic ``rpc-<service>`` still held requests: the service
    consumes it as it is (redeclaring it as a quorum queue would fail, PRECONDITION_FAILED,
    and the service would never answer again)."""
    processes.stop_process(PROBE, config)
    broker.delete(RPC_QUEUE)
    channel = broker.channel()
    channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    channel.queue_declare(RPC_QUEUE, durable=True)  # as nameko's RpcConsumer declared it
    channel.queue_bind(RPC_QUEUE, "nameko-rpc", routing_key=f"{PROBE}.*")
    channel.close()
    attempts = tmp_path / "attempts.jsonl"
    probe = Probe(config, str(attempts))
    probe.start()
    try:
        wait_for(lambda: (broker.consumers(RPC_QUEUE) or 0) >= 1, 60,
                 f"the probe to consume the classic {RPC_QUEUE}\n{probe.log()}")
        key = uuid.uuid4().hex
        with ExpiringClusterRpcProxy(nameko_config(config, "tests"), timeout=15) as cluster:
            assert cluster[PROBE].remember(key) == key
        assert probe.tried(key)
    finally:
        processes.stop_process(PROBE, config, timeout=15)
        broker.delete(RPC_QUEUE)
