"""ReliableEventHandler through the real broker: retry queues with back-off, then dead letters.

A probe service (tests/support/probe_service.py) runs as a real process with the test
profile's nameko config; it records every attempt in a file and fails as the event asks.
Events are published with pika to the probe source's topic exchange, as nameko would.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from deploy import processes
from services.common.envelope import make_envelope
from tests.support.platform import amqp_parameters
from tests.support.probe_service import (
    ATTEMPTS_FILE_ENV,
    EVENT_TYPE,
    LEGACY_EVENT,
    SOURCE_SERVICE,
    read_attempts,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

PROBE = "probe"
PROBE_QUEUE = f"evt-{SOURCE_SERVICE}-{EVENT_TYPE}--{PROBE}.on_probe_happened"
DEAD_LETTER_QUEUE = f"{PROBE}.dead-letters"
EXCHANGE = f"{SOURCE_SERVICE}.events"
# A dead letter or a further attempt that was going to happen has happened within this.
QUIET_SECONDS = 1.5


class Broker:
    """A pika connection to the test broker, as a test client would use it."""

    def __init__(self, config):
        self.params = amqp_parameters(config, heartbeat=0, blocked_connection_timeout=30)
        self.connection = pika.BlockingConnection(self.params)

    def channel(self):
        return self.connection.channel()

    def consumers(self, queue):
        """The queue's consumer count, or None while it does not exist."""
        channel = self.channel()
        try:
            return channel.queue_declare(queue, passive=True).method.consumer_count
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return None
            raise
        finally:
            if channel.is_open:
                channel.close()

    def messages(self, queue):
        """The queue's ready message count (None while it does not exist)."""
        channel = self.channel()
        try:
            return channel.queue_declare(queue, passive=True).method.message_count
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return None
            raise
        finally:
            if channel.is_open:
                channel.close()

    def delete(self, queue):
        channel = self.channel()
        try:
            channel.queue_delete(queue)
        finally:
            if channel.is_open:
                channel.close()

    def purge(self, queue):
        channel = self.channel()
        try:
            channel.queue_purge(queue)
        except ChannelClosedByBroker as exc:
            if exc.reply_code != 404:
                raise
        finally:
            if channel.is_open:
                channel.close()

    def publish(self, body, content_type="application/json", routing_key=EVENT_TYPE):
        channel = self.channel()
        try:
            channel.confirm_delivery()
            # Declared as nameko declares an event exchange (get_event_exchange).
            channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            channel.basic_publish(
                EXCHANGE, routing_key, payload, mandatory=True,
                properties=pika.BasicProperties(
                    content_type=content_type, content_encoding="utf-8", delivery_mode=2,
                    message_id=str(uuid.uuid4()),
                ),
            )
        finally:
            channel.close()

    def drain(self, queue):
        """Every message now in queue (acked, so gone), as (headers, body bytes)."""
        channel = self.channel()
        taken = []
        try:
            while True:
                method, properties, body = channel.basic_get(queue, auto_ack=False)
                if method is None:
                    return taken
                taken.append((dict(properties.headers or {}), body))
                channel.basic_ack(method.delivery_tag)
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 404:  # not declared yet: nothing was ever dead-lettered
                return taken
            raise
        finally:
            if channel.is_open:
                channel.close()

    def close(self):
        if self.connection.is_open:
            self.connection.close()


@pytest.fixture(scope="module")
def broker(config):
    client = Broker(config)
    yield client
    client.close()


@pytest.fixture(scope="module")
def probe(config, broker, tmp_path_factory):
    """The probe service as a real process; yields the path of its attempts file."""
    attempts = tmp_path_factory.mktemp("probe") / "attempts.jsonl"
    attempts.touch()
    processes.stop_process(PROBE, config)  # a leftover of an interrupted run
    broker.delete(PROBE_QUEUE)  # and its queue, as whichever release declared it
    env = {**os.environ, ATTEMPTS_FILE_ENV: str(attempts)}
    argv = [sys.executable, "-m", "services.common.runner",
            "tests.support.probe_service:ProbeService"]
    processes.start_process(PROBE, argv, config, env=env)
    try:
        try:
            wait_for(lambda: (broker.consumers(PROBE_QUEUE) or 0) >= 1, 60,
                     "the probe to consume its queue")
        except AssertionError as exc:
            log = processes.tail(processes.log_path(PROBE, config))
            raise AssertionError(f"{exc}\n--- probe log:\n{log}") from None
        broker.purge(PROBE_QUEUE)
        broker.purge(DEAD_LETTER_QUEUE)
        yield str(attempts)
    finally:
        processes.stop_process(PROBE, config, timeout=15)


@pytest.fixture
def dead_letters(broker):
    """Dead letters seen so far (drained from probe.dead-letters), filtered by event key."""
    seen = []

    def for_key(key):
        seen.extend(broker.drain(DEAD_LETTER_QUEUE))
        return [(headers, json.loads(body)) for headers, body in seen
                if _key_of(body) == key]

    return for_key


def _key_of(body):
    try:
        return json.loads(body)["data"]["key"]
    except (ValueError, KeyError, TypeError):
        return None


def probe_event(fail_times):
    key = uuid.uuid4().hex
    return key, make_envelope(SOURCE_SERVICE, EVENT_TYPE, 1, {"key": key, "fail_times": fail_times})


def assert_spaced_by_delays(attempts, delays_ms):
    """Attempt n+1 starts no sooner than delay n after attempt n (generous tolerance)."""
    for earlier, later, delay_ms in zip(attempts, attempts[1:], delays_ms, strict=False):
        gap = later["at"] - earlier["at"]
        # The delay runs from the republish, after the attempt: the gap can only be longer.
        assert gap >= delay_ms / 1000 * 0.9 - 0.05, (
            f"attempt {later['attempt']} came {gap:.3f} s after attempt {earlier['attempt']}, "
            f"before its retry delay of {delay_ms} ms"
        )


def test_fails_twice_then_succeeds_with_three_attempts(config, broker, probe, dead_letters):
    delays = config["events"]["retry_delays_ms"]
    assert len(delays) >= 2, "the test profile must allow at least two retries"
    key, envelope = probe_event(fail_times=2)
    broker.publish(envelope)

    wait_for(lambda: len(read_attempts(probe, key)) >= 3, 30, "the third attempt")
    time.sleep(QUIET_SECONDS)
    attempts = read_attempts(probe, key)
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert_spaced_by_delays(attempts, delays)
    assert dead_letters(key) == []


def test_always_failing_event_is_retried_then_dead_lettered(config, broker, probe, dead_letters):
    delays = config["events"]["retry_delays_ms"]
    key, envelope = probe_event(fail_times=-1)
    broker.publish(envelope)

    parked = wait_for(lambda: dead_letters(key), 30 + sum(delays) / 1000, "the dead letter")
    time.sleep(QUIET_SECONDS)
    attempts = read_attempts(probe, key)
    assert len(attempts) == 1 + len(delays), attempts
    assert_spaced_by_delays(attempts, delays)

    assert len(parked) == 1, parked
    headers, body = parked[0]
    assert body == envelope
    assert headers["x-qlp-original-queue"] == PROBE_QUEUE
    assert headers["x-qlp-error"].startswith("ProbeFailure: probe told to fail")
    assert headers["x-qlp-attempts"] == 1 + len(delays)
    assert dead_letters(key) == parked, "dead-lettered more than once"


def test_malformed_event_is_dead_lettered_at_once(config, broker, probe, dead_letters):
    key, envelope = probe_event(fail_times=0)
    del envelope["id"]
    broker.publish(envelope)

    parked = wait_for(lambda: dead_letters(key), 30, "the dead letter")
    # Had it been retried, the first retry would have come within the first delay.
    time.sleep(config["events"]["retry_delays_ms"][0] / 1000 + QUIET_SECONDS)
    assert len(read_attempts(probe, key)) == 1
    assert len(parked) == 1, parked
    headers, body = parked[0]
    assert body == envelope
    assert headers["x-qlp-original-queue"] == PROBE_QUEUE
    assert headers["x-qlp-error"].startswith("MalformedEvent:")
    assert "id" in headers["x-qlp-error"]
    assert headers["x-qlp-attempts"] == 1


def test_undecodable_body_is_dead_lettered_not_dropped(config, broker, probe):
    """A body that is not JSON never reaches the handler: it must still not be lost.

    It can never be handled, so like a MalformedEvent it belongs in the dead letters at
    once; the service must survive it and go on handling events.
    """
    marker = uuid.uuid4().hex
    broker.publish(f'{{"not json {marker}'.encode())
    found = []

    def parked():
        found.extend((h, b) for h, b in broker.drain(DEAD_LETTER_QUEUE) if marker.encode() in b)
        return found

    try:
        wait_for(parked, 10, "the undecodable message in the dead letters")
    except AssertionError:
        still_queued = broker.messages(PROBE_QUEUE)
        log = processes.tail(processes.log_path(PROBE, config), 200)
        decode_errors = [line for line in log.splitlines() if marker in line]
        pytest.fail(
            f"the undecodable message is gone: not in {DEAD_LETTER_QUEUE}, and {still_queued} "
            f"message(s) left in {PROBE_QUEUE}; the probe logged only:\n"
            + "\n".join(decode_errors)
        )
    assert processes.is_running(PROBE, config)
    headers, _ = found[0]
    assert headers["x-qlp-original-queue"] == PROBE_QUEUE
    assert headers["x-qlp-error"].startswith("MalformedEvent:")

    key, envelope = probe_event(fail_times=0)  # and the service still handles events
    broker.publish(envelope)
    wait_for(lambda: read_attempts(probe, key), 15, "the next event to be handled")


def test_handler_consumes_a_queue_declared_by_the_release_before(config, broker, tmp_path):
    """Every broker that ran the platform before already holds the handlers' durable queues,
    declared as nameko's EventHandler declares them: no arguments. A new release must go on
    consuming them (re-declaring a queue with other arguments fails: PRECONDITION_FAILED)."""
    name = "probe_legacy"
    queue = f"evt-{SOURCE_SERVICE}-{LEGACY_EVENT}--{name}.on_legacy_happened"
    attempts = tmp_path / "attempts.jsonl"
    processes.stop_process(name, config)
    broker.delete(queue)
    channel = broker.channel()
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=True)  # as the release before declared it
    channel.queue_bind(queue, EXCHANGE, routing_key=LEGACY_EVENT)
    channel.close()
    argv = [sys.executable, "-m", "services.common.runner",
            "tests.support.probe_service:LegacyQueueProbeService"]
    processes.start_process(name, argv, config, env={**os.environ,
                                                     ATTEMPTS_FILE_ENV: str(attempts)})
    try:
        try:
            wait_for(lambda: (broker.consumers(queue) or 0) >= 1, 60,
                     f"{name} to consume its existing queue")
        except AssertionError as exc:
            log = processes.tail(processes.log_path(name, config), 200)
            refused = re.findall(r"PRECONDITION_FAILED - [^\\\"]+", log)
            raise AssertionError(f"{exc}; the broker refused: {refused[-1:]}") from None
        key, envelope = probe_event(fail_times=0)
        broker.publish(envelope, routing_key=LEGACY_EVENT)
        wait_for(lambda: read_attempts(str(attempts), key), 15, "the event to be handled")
    finally:
        processes.stop_process(name, config, timeout=15)
        broker.delete(queue)
