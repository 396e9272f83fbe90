"""What every platform service has: database + outbox, telemetry, and a health RPC."""

from __future__ import annotations

import logging

from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from nameko.dependency_providers import Config
from nameko.rpc import Rpc

from services.common import audit
from services.common.database import Database
from services.common.errors import EXPECTED_ERRORS
from services.common.metrics import Telemetry

log = logging.getLogger(__name__)


class PlatformRpc(Rpc):
    """nameko's RPC entrypoint, except that a reply the broker cannot take (it went away
    mid-call) is logged and dropped instead of killing the whole service container: the
    caller times out, and the service is still there when the broker comes back."""

    def handle_result(self, message: object, worker_ctx: object, result: object,
                      exc_info: tuple | None) -> tuple:
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (OSError, KombuError, AMQPError) as exc:
            log.warning("reply to %s lost, the broker is unreachable: %s",
                        worker_ctx.call_id, exc)  # type: ignore[attr-defined]
            return result, exc_info


def service_rpc(method: object) -> object:
    """An RPC entrypoint whose ServiceErrors are expected outcomes, not crashes."""
    return PlatformRpc.decorator(expected_exceptions=EXPECTED_ERRORS)(method)


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
