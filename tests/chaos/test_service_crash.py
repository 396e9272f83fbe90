"""A service whose nameko container dies while the broker is away must not linger dead.

nameko kills a container when one of its threads fails (the broker-outage test saw an RPC
reply to a vanished broker do it to identity); the kill then waits for the broker, and the
process stayed up for minutes serving nothing, alive to its pidfile and to any supervisor.
Either recovery is fine: the process exits non-zero (a supervisor restarts it), or it
starts a new container itself and serves again once the broker is back.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

import pika
import pytest
from pika.exceptions import AMQPError

from deploy import processes, servers
from services.common.envelope import make_envelope
from tests.chaos.conftest import broker_up
from tests.support.probe_service import (
    ATTEMPTS_FILE_ENV,
    CONTAINER_STARTED,
    CRASH_FILE_ENV,
    PING_EVENT,
    SOURCE_SERVICE,
    read_attempts,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.chaos

PROBE = "probe_crash"
DECIDE_SECONDS = 30  # to exit, or to start a new container, after the crash


def ping(config) -> str:
    """Publish a ping event the probe records; returns its key."""
    amqp = config["amqp"]
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        host=amqp["host"], port=amqp["port"], virtual_host=amqp["vhost"],
        credentials=pika.PlainCredentials(amqp["user"], amqp["password"]),
    ))
    key = uuid.uuid4().hex
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.exchange_declare(f"{SOURCE_SERVICE}.events", exchange_type="topic", durable=True)
        channel.basic_publish(  # mandatory: raises if the probe's queue is not there
            f"{SOURCE_SERVICE}.events", PING_EVENT,
            json.dumps(make_envelope(SOURCE_SERVICE, PING_EVENT, 1, {"key": key})).encode(),
            properties=pika.BasicProperties(content_type="application/json",
                                            content_encoding="utf-8", delivery_mode=2),
            mandatory=True,
        )
    finally:
        connection.close()
    return key


def test_container_crash_while_broker_is_down_does_not_leave_a_dead_process(
    platform_restored, tmp_path
):
    config = platform_restored
    attempts, crash_file = tmp_path / "attempts.jsonl", tmp_path / "crash-now"
    processes.stop_process(PROBE, config)
    argv = [sys.executable, "-m", "services.common.runner",
            "tests.support.probe_service:CrashingProbeService"]
    env = {**os.environ, ATTEMPTS_FILE_ENV: str(attempts), CRASH_FILE_ENV: str(crash_file)}
    pid = processes.start_process(PROBE, argv, config, env=env)

    def starts() -> int:
        return len(read_attempts(str(attempts), CONTAINER_STARTED))

    def exit_status():
        try:
            done, raw = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped by subprocess's own clean-up: gone, code unknown
            return "unknown"
        return os.waitstatus_to_exitcode(raw) if done else None

    def handled(key) -> bool:
        return bool(read_attempts(str(attempts), key))

    try:
        wait_for(lambda: starts() == 1, 60, "the probe to start")
        key = wait_for(lambda: _try(ping, config), 30, "the probe's queue to exist")
        wait_for(lambda: handled(key), 30, "the probe to handle a ping")

        servers.stop(config, ["rabbitmq"])
        assert not broker_up(config)
        crash_file.touch()
        wait_for(lambda: not crash_file.exists(), 30, "the probe's container to crash")

        deadline = time.monotonic() + DECIDE_SECONDS
        status = exit_status()
        while status is None and starts() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            status = exit_status()
        log = processes.tail(processes.log_path(PROBE, config), 6)
        assert status is not None or starts() >= 2, (
            f"{DECIDE_SECONDS} s after its container died the process (pid {pid}) neither "
            f"exited nor started a new container; it lingers, serving nothing:\n{log}"
        )
        servers.start(config, ["rabbitmq"])
        if status is not None:
            assert status != 0, "a crashed service must exit non-zero, to be restarted"
            return
        key = ping(config)  # the queue is durable: the ping waits for the new container
        wait_for(lambda: handled(key), 90, "the restarted container to handle a ping")
        assert exit_status() is None
    finally:
        processes.stop_process(PROBE, config, timeout=5)
        if not broker_up(config):
            servers.start(config, ["rabbitmq"])


def _try(function, *args):
    try:
        return function(*args)
    except AMQPError:
        return None
