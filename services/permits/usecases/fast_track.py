"""容缺受理 credit: the register staff keep, the eligibility rule (services/permits/credit.py)
fed from it, and the sweep that records a missed owed-materials deadline as a default."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.common.errors import InvalidTransition, uuid_or_not_found
from services.common.schema_errors import load_or_fail
from services.permits import credit
from services.permits.models import CreditDefault
from services.permits.repository import two_years_before
from services.permits.schemas import CreditSchema
from services.permits.usecases._support import Deps, _now, _today, enterprise_for, require_staff


def eligibility(uow: Any, enterprise_id: uuid.UUID) -> tuple[bool, str]:
    """容缺受理 through credit.py's rule, fed from the local credit register (the CreditProvider)."""
    register = uow.credit
    row = register.get(enterprise_id)
    today = _today()
    defaults = tuple(
        credit.OwedDefault(str(d.application_id), d.what, d.what, d.deadline)
        for d in register.defaults_since(enterprise_id, two_years_before(today))
    )
    record = credit.CreditRecord(
        str(enterprise_id), rating=row.rating if row else "unknown", defaults=defaults
    )
    result = credit.fast_track_eligibility(record, today)
    return result.ok, "；".join(
        result.reasons
    ) or f"信用情况{credit.RATINGS[record.rating]}，近两年无容缺失信记录"


def require_credit(uow: Any, enterprise_id: uuid.UUID) -> None:
    ok, reason = eligibility(uow, enterprise_id)
    if not ok:
        raise InvalidTransition(f"不符合容缺受理条件：{reason}。请改为一般程序办理。", code="credit_refused")


def credit_eligibility(deps: Deps, actor: dict, enterprise_id: str | None = None) -> dict:
    if (actor or {}).get("kind") in ("reviewer", "admin"):
        eid = uuid_or_not_found(enterprise_id, "企业不存在")
    else:
        eid = enterprise_for(deps, actor, write=False)
    with deps.begin() as uow:
        ok, reason = eligibility(uow, eid)
        return {"eligible": ok, "reason": reason}


def set_credit(deps: Deps, actor: dict, payload: dict) -> dict:
    require_staff(actor, admin=True)
    data = load_or_fail(CreditSchema(), payload)
    with deps.begin() as uow:
        row = uow.credit.put(data["enterprise_id"], data["rating"], data.get("note"), actor.get("id"))
        uow.audit(
            "permits.credit.set",
            actor_id=actor.get("id"),
            subject_id=str(data["enterprise_id"]),
            rating=data["rating"],
        )
        uow.commit()
        return {"enterprise_id": str(row.enterprise_id), "rating": row.rating, "note": row.note}


def record_defaults(deps: Deps, today: date | None = None) -> int:
    """A missed owed-materials deadline is recorded as a default (blocks 容缺 for two years)."""
    today = today or _today()
    with deps.begin() as uow:
        overdue = uow.apps.overdue_owed(today)
        for owed in overdue:
            owed.defaulted_at = _now()
            uow.credit.add_default(
                CreditDefault(
                    enterprise_id=owed.enterprise_id,
                    application_id=owed.application_id,
                    owed_material_id=owed.id,
                    what=owed.name,
                    deadline=owed.deadline,
                )
            )
            uow.audit("permits.credit.default", subject_id=str(owed.enterprise_id), what=owed.name)
        uow.commit()
        return len(overdue)
