"""A nameko service that exists only for tests of ReliableEventHandler's retries.

Run as a real process::

    PROBE_ATTEMPTS_FILE=/tmp/attempts.jsonl \\
        python -m services.common.runner tests.support.probe_service:ProbeService

It has no database (it is not a PlatformService). Every attempt at an event appends one
JSON line to the file named by ``PROBE_ATTEMPTS_FILE``; the attempt fails while fewer than
``data.fail_times`` attempts have been recorded for that event (``-1``: always fails).
The attempt is recorded before the envelope is parsed, so malformed events are counted too.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from services.common.envelope import parse_envelope
from services.common.events import reliable_event_handler

ATTEMPTS_FILE_ENV = "PROBE_ATTEMPTS_FILE"  # not QLP_*: that prefix is platform config
CRASH_FILE_ENV = "PROBE_CRASH_FILE"
SOURCE_SERVICE = "probe_source"
EVENT_TYPE = "probe_happened"
PING_EVENT = "probe_crash_ping"
LEGACY_EVENT = "probe_legacy_happened"
CONTAINER_STARTED = "container started"


class ProbeFailure(Exception):
    """The failure the probe was told to produce."""


def attempt_key(body: Any) -> str:
    """What identifies an event across its attempts, even when its envelope is broken."""
    if isinstance(body, dict):
        data = body.get("data")
        if isinstance(data, dict) and data.get("key"):
            return str(data["key"])
        if body.get("id"):
            return str(body["id"])
    return "?"


def record(key: str, extra: dict | None = None) -> int:
    """Append one attempt for key to the attempts file; returns its number."""
    path = os.environ[ATTEMPTS_FILE_ENV]
    attempt = len(read_attempts(path, key)) + 1
    with open(path, "a", encoding="utf-8") as handle:
        line = {"key": key, "attempt": attempt, "at": time.time(), **(extra or {})}
        handle.write(json.dumps(line) + "\n")
    return attempt


def read_attempts(path: str, key: str | None = None) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []
    return [line for line in lines if key is None or line["key"] == key]


class ProbeService:
    name = "probe"

    @reliable_event_handler(SOURCE_SERVICE, EVENT_TYPE)
    def on_probe_happened(self, body: Any) -> None:
        attempt = record(attempt_key(body))
        envelope = parse_envelope(body)  # MalformedEvent: dead-lettered at once
        fail_times = int(envelope["data"].get("fail_times", 0))
        if fail_times == -1 or attempt <= fail_times:
            raise ProbeFailure(f"probe told to fail (attempt {attempt}, fail_times {fail_times})")


class _CrashOnRequest(DependencyProvider):
    """Records each container start, and kills its container once when the file named by
    PROBE_CRASH_FILE appears: a managed thread that dies with an error kills the container,
    as a worker did whose reply met a broken broker connection."""

    def start(self) -> None:
        record(CONTAINER_STARTED, {"pid": os.getpid()})
        path = os.environ[CRASH_FILE_ENV]

        def crash_when_asked() -> None:
            while not os.path.exists(path):
                eventlet.sleep(0.1)
            os.remove(path)  # once: a restarted container must not crash again
            raise ProbeFailure("probe container crashing on purpose")

        self.container.spawn_managed_thread(crash_when_asked, identifier="probe_crash")


class CrashingProbeService:
    """A service whose container dies on request; afterwards it must be serving again (or
    its process gone, non-zero, for a supervisor to restart), never linger dead."""

    name = "probe_crash"
    crash_on_request = _CrashOnRequest()

    @reliable_event_handler(SOURCE_SERVICE, PING_EVENT)
    def on_ping(self, body: Any) -> None:
        record(attempt_key(body))


class LegacyQueueProbeService:
    """A handler whose queue the test declares first, exactly as the release before did
    (nameko's plain EventHandler: durable, no arguments): it must still consume it."""

    name = "probe_legacy"

    @reliable_event_handler(SOURCE_SERVICE, LEGACY_EVENT)
    def on_legacy_happened(self, body: Any) -> None:
        record(attempt_key(body))
