"""permits's nameko entrypoints (the foundation gives it health, echo, its database and outbox)."""

from __future__ import annotations

from services.common.base import PlatformService


class PermitsService(PlatformService):
    name = "permits"


SERVICE_CLASS = PermitsService
