"""The outbox half of the fake unit of work the service-layer tests share
(tests/unit/test_permits_usecases.py, tests/unit/test_personnel_usecases.py): events and audit
rows count only once the transaction commits, and an event must fit its schema, as the real
outbox insists. The world it commits into has ``outbox``, ``audit_log`` and ``claimed``."""

from __future__ import annotations

from typing import Any


class FakeOutboxTx:
    """One transaction's events, audit rows and event claims."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.events: list[tuple[str, dict]] = []
        self.audits: list[tuple[str, dict]] = []

    def add_event(self, spec: Any, data: dict) -> dict:
        spec.serialise(data)
        self.events.append((spec.type, data))
        return {}

    def claim_event(self, event_id: str, consumer: str) -> bool:
        key = (event_id, consumer)
        if key in self.world.claimed:
            return False
        self.world.claimed.add(key)
        return True

    def audit(self, action: str, **detail: Any) -> None:
        self.audits.append((action, detail))

    def flush(self) -> None:
        pass

    def commit(self) -> None:
        self.world.outbox += self.events
        self.world.audit_log += self.audits
        self.events, self.audits = [], []
