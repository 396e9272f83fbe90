"""What every platform service has: database + outbox, telemetry, and a health RPC."""

from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.common.database import Database
from services.common.metrics import Telemetry


class PlatformService:
    name = "platform"

    config = Config()
    db = Database()
    telemetry = Telemetry()

    @rpc
    def health(self) -> dict:
        self.db.ping()
        return {"service": self.name, "status": "ok", "outbox_pending": self.db.outbox_pending()}

    @rpc
    def echo(self, payload: object) -> object:
        """The cheapest possible round trip: the baseline the benchmarks divide by."""
        return payload


def service_rpc(method: object) -> object:
    """An RPC entrypoint whose ServiceErrors are expected outcomes, not crashes."""
    from services.common.errors import EXPECTED_ERRORS

    return rpc(expected_exceptions=EXPECTED_ERRORS)(method)
