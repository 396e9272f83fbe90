"""A nameko service for the poison-message and expired-RPC chaos tests.

Run as a real process::

    PROBE_ATTEMPTS_FILE=/tmp/attempts.jsonl \\
        python -m services.common.runner tests.support.poison_probe:PoisonProbeService

Every delivery of an event appends one line to ``PROBE_ATTEMPTS_FILE`` (see
tests/support/probe_service.py) *before* anything else; an event whose ``data.poison`` is
true then kills the whole process on the spot (``os._exit``: no ack, no clean-up, as a
segfaulting library or the OOM killer would). ``remember(key)`` is an RPC that records
``key`` the same way, so a test can tell whether a request was ever run.
"""

from __future__ import annotations

import os
from typing import Any

from services.common.envelope import parse_envelope
from services.common.events import reliable_event_handler
from services.common.rpc import service_rpc
from tests.support.probe_service import SOURCE_SERVICE, attempt_key, record

POISON_EVENT = "probe_poison_happened"
DIED_EXIT_CODE = 3


class PoisonProbeService:
    name = "probe_poison"

    @reliable_event_handler(SOURCE_SERVICE, POISON_EVENT)
    def on_poison_happened(self, body: Any) -> None:
        record(attempt_key(body), {"pid": os.getpid()})
        if parse_envelope(body)["data"].get("poison"):
            os._exit(DIED_EXIT_CODE)

    @service_rpc
    def remember(self, key: str) -> str:
        record(key, {"pid": os.getpid(), "rpc": True})
        return key
