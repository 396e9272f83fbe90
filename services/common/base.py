"""What every platform service has: database + outbox, telemetry, and a health RPC."""

from __future__ import annotations

import logging

from nameko.dependency_providers import Config

from services.common import audit
from services.common.database import Database
from services.common.metrics import Telemetry
from services.common.rpc import PlatformRpc, PlatformRpcProxy, service_rpc

log = logging.getLogger(__name__)

# The RPC parts live in services/common/rpc.py (quorum request queues, expiring requests).
__all__ = ["PlatformRpc", "PlatformRpcProxy", "PlatformService", "service_rpc"]


class PlatformService:
    name = "platform"

    config = Config()
    db = Database()
    telemetry = Telemetry()

    @service_rpc
    def health(self) -> dict:
        self.db.ping()
        return {"service": self.name, "status": "ok", "outbox_pending": self.db.outbox_pending()}

    def audit_alone(self, action: str, actor: dict | None, subject: object, **detail: object) -> None:
        """Audit in a transaction of its own, for refusals: the refused call's transaction rolls
        back, its audit row must not (services whose migrations create audit_log)."""
        with self.db.unit_of_work() as uow:
            audit.record(uow.session, action, actor_id=(actor or {}).get("id"), subject_id=str(subject),
                         actor_kind=(actor or {}).get("kind"), **detail)
            uow.commit()

    @service_rpc
    def echo(self, payload: object) -> object:
        """The cheapest possible round trip: the baseline the benchmarks divide by."""
        return payload
