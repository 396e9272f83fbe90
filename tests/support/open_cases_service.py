"""Test doubles of permits and personnel that answer ``open_cases_of(enterprise_id)`` as
docs/contracts.md says: ``{"open": [{"id", "kind", "title", "status"}]}``.

Run as real processes in place of the real services (which do not answer it yet)::

    OPEN_CASES_FILE=/tmp/cases.json python -m services.common.runner \\
        tests.support.open_cases_service:PermitsDouble

The JSON file maps ``"<service>:<enterprise_id>"`` to that service's list of open cases; it
is read on every call, so a test changes the answer by rewriting the file.
"""

from __future__ import annotations

import json
import os
from typing import Any

from services.common.rpc import service_rpc

OPEN_CASES_FILE_ENV = "OPEN_CASES_FILE"


def _open_cases(service: str, enterprise_id: str) -> dict[str, Any]:
    try:
        with open(os.environ[OPEN_CASES_FILE_ENV], encoding="utf-8") as handle:
            table = json.load(handle)
    except FileNotFoundError:
        table = {}
    return {"open": table.get(f"{service}:{enterprise_id}", [])}


class PermitsDouble:
    name = "permits"

    @service_rpc
    def open_cases_of(self, enterprise_id: str) -> dict[str, Any]:
        return _open_cases(self.name, enterprise_id)

    @service_rpc
    def health(self) -> dict[str, Any]:
        return {"service": self.name, "status": "ok", "outbox_pending": 0}


class PersonnelDouble(PermitsDouble):
    name = "personnel"
