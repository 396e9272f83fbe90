"""What other services ask about 旧数据导入 (services/enterprise/importer.py): whether a person
came to an enterprise from the old system. Personnel's 信息补录 is only for such people (seed 001);
anyone else is declared and reviewed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.enterprise import domain
from services.enterprise.models import Staff
from services.enterprise.usecases._support import _authorise


def staff_imported(session: Session, enterprise_id: uuid.UUID, id_number: str) -> dict:
    """{"imported": bool}: the enterprise's staff list has this ID number from the legacy import."""
    number = str(id_number or "").strip().upper()
    found = session.scalar(
        select(Staff.id).where(Staff.enterprise_id == enterprise_id, Staff.imported.is_(True),
                               func.upper(Staff.id_number) == number).limit(1))
    return {"imported": bool(number) and found is not None}


def staff_imported_for(deps: Any, actor_or_none: dict | None, enterprise_id: str, id_number: str) -> dict:
    """The ``staff_imported`` RPC: personnel's 信息补录 check."""
    eid = _authorise(deps, actor_or_none, enterprise_id, domain.READ, "staff")
    with deps.begin() as uow:
        return staff_imported(uow.session, eid, id_number)
