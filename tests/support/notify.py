"""notify on its own for integration tests that play the producers themselves: start and stop it
(independent of the other services' state of work), and publish events as the producers'
outbox relays do."""

from __future__ import annotations

import json
from typing import Any

from nameko.standalone.events import event_dispatcher

from services.common.config import nameko_config
from services.common.envelope import make_envelope
from services.common.migrations import upgrade
from tests.support import platform


def start_notify(config: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """Only notify (and what a test adds) as real processes, healthy."""
    upgrade(("notify", "gateway") if "gateway" in extra else ("notify",), config=config)
    platform.start_for_test(("notify", *extra), config)
    platform.wait_rpc_healthy(config, ("notify",))


def stop_notify(config: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    platform.stop_for_test(("notify", *extra), config)


class Bus:
    """Publishes events as the producers' outbox relays do: their exchange, routing key = type."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.dispatch = event_dispatcher(nameko_config(config, "tests"))

    def emit(self, producer: str, event_type: str, data: dict[str, Any], version: int = 1) -> dict:
        envelope = make_envelope(producer, event_type, version, json.loads(json.dumps(data, default=str)))
        self.dispatch(producer, event_type, envelope)
        return envelope

    def emit_raw(self, producer: str, event_type: str, envelope: dict) -> None:
        self.dispatch(producer, event_type, envelope)
