"""Which lanes (一般程序 / 容缺受理 / 自贸区) an enterprise may use, asked before it starts and
enforced when it creates, changes and submits an application (issue 15 items 7 and 9).

The rules are credit.py's (fast_track_eligibility, free_trade_zone_eligibility); this module
feeds them the enterprise's record from the local credit register (rating, 自贸区 pilot-zone
membership, owed-material defaults of the last two years) and words the answer for the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from services.common.errors import InvalidTransition
from services.permits import credit
from services.permits.catalogue import LANES, BusinessType
from services.permits.repository import CreditRepository, two_years_before


def credit_record(session: Session, enterprise_id: uuid.UUID, today: date) -> credit.CreditRecord:
    """The register's record of the enterprise as credit.py's rules read it."""
    return record_from(CreditRepository(session), enterprise_id, today)


def record_from(register: Any, enterprise_id: uuid.UUID, today: date) -> credit.CreditRecord:
    """The same from the register itself (a CreditRepository: ``get``, ``defaults_since``),
    as a use case's transaction holds it (``uow.credit``)."""
    row = register.get(enterprise_id)
    defaults = tuple(
        credit.OwedDefault(str(d.application_id), d.what, d.what, d.deadline)
        for d in register.defaults_since(enterprise_id, two_years_before(today))
    )
    return credit.CreditRecord(
        str(enterprise_id),
        rating=row.rating if row else "unknown",
        free_trade_zone=bool(row.free_trade_zone) if row else False,
        defaults=defaults,
    )


def options(business_type: BusinessType, kind: str, record: credit.CreditRecord,
            today: date) -> list[dict[str, Any]]:
    """Each lane the type offers for ``kind``: code, label, available, reasons (why not)."""
    lanes = business_type.lanes_for(kind) if kind in business_type.transactions else business_type.lanes
    verdicts = credit.lane_options(record, today, offered_lanes=list(lanes), kind=kind,
                                   holds_live_licence=False)
    return [
        {"code": lane, "label": LANES[lane], "available": verdicts[lane].ok,
         "reasons": list(verdicts[lane].reasons)}
        for lane in lanes
        if lane in verdicts
    ]


def require(business_type: BusinessType, kind: str, lane: str, record: credit.CreditRecord,
            today: date) -> None:
    """Refuse a lane this enterprise may not use, with the reasons (the normal lane always goes)."""
    for option in options(business_type, kind, record, today):
        if option["code"] == lane and not option["available"]:
            raise InvalidTransition(
                f"不符合{option['label']}条件：{'；'.join(option['reasons'])}。请改为一般程序办理。",
                code="credit_refused",
            )


def owed_for_review(owed: Iterable[Any]) -> list[dict[str, Any]]:
    """What a 容缺受理 application still owes (not yet delivered, overdue or not), for review_requested
    (issue 15 item 8): code, name, deadline."""
    return [
        {"code": o.code, "name": o.name, "deadline": o.deadline}
        for o in owed
        if o.fulfilled_at is None
    ]
