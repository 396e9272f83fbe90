"""personnel's nameko entrypoints (the foundation gives it health, echo, its database and outbox)."""

from __future__ import annotations

from services.common.base import PlatformService


class PersonnelService(PlatformService):
    name = "personnel"


SERVICE_CLASS = PersonnelService
