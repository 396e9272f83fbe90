"""What other services ask about 旧数据导入 (services/enterprise/importer.py): whether a person
came to an enterprise from the old system. Personnel's 信息补录 is only for such people (seed 001);
anyone else is declared and reviewed."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.enterprise.models import Staff


def staff_imported(session: Session, enterprise_id: uuid.UUID, id_number: str) -> dict:
    """{"imported": bool}: the enterprise's staff list has this ID number from the legacy import."""
    number = str(id_number or "").strip().upper()
    found = session.scalar(
        select(Staff.id).where(Staff.enterprise_id == enterprise_id, Staff.imported.is_(True),
                               func.upper(Staff.id_number) == number).limit(1))
    return {"imported": bool(number) and found is not None}
