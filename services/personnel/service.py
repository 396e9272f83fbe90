"""personnel's nameko entrypoints (the foundation gives it health, echo, its database and outbox).

The rules of issue 8 are pure modules here (domain, declarations, windows, catalogue, export);
the declarations table and its RPCs are not built yet.
"""

from __future__ import annotations

from services.common.base import PlatformService, service_rpc
from services.common.errors import uuid_or_not_found


class PersonnelService(PlatformService):
    name = "personnel"

    @service_rpc
    def open_cases_of(self, enterprise_id: str) -> dict:
        """Declarations of the enterprise still in progress (asked by enterprise before a name
        change, docs/contracts.md). No declaration can be filed yet, so there are none."""
        uuid_or_not_found(enterprise_id, "企业不存在")
        return {"open": []}


SERVICE_CLASS = PersonnelService
