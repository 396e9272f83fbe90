"""容缺受理 credit: the register staff keep, the eligibility rule (services/permits/credit.py)
fed from it, and the sweep that records a missed owed-materials deadline as a default."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.common.errors import NotFound, uuid_or_not_found
from services.common.schema_errors import load_or_fail
from services.permits import credit, lane_access
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
        row = uow.credit.put(
            data["enterprise_id"],
            data["rating"],
            data.get("note"),
            actor.get("id"),
            free_trade_zone=data.get("free_trade_zone"),
        )
        uow.audit(
            "permits.credit.set",
            actor_id=actor.get("id"),
            subject_id=str(data["enterprise_id"]),
            rating=data["rating"],
            free_trade_zone=row.free_trade_zone,
        )
        uow.commit()
        return {
            "enterprise_id": str(row.enterprise_id),
            "rating": row.rating,
            "note": row.note,
            "free_trade_zone": row.free_trade_zone,
        }


def lane_options(deps: Deps, actor: dict, type_code: str, kind: str = "new") -> list[dict]:
    """The lanes this enterprise may use for ``kind`` of ``type_code``, and why not (asked
    before it starts: issue 15 item 7)."""
    eid = enterprise_for(deps, actor, write=False)
    try:
        bt = deps.catalogue.type(str(type_code))
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None
    with deps.begin() as uow:
        today = _today()
        return lane_access.options(bt, kind, lane_access.record_from(uow.credit, eid, today), today)


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
