"""The legal clock's sweeps: cases deemed accepted after 5 working days, cases past their
deadline flagged overdue, the overdue gauge."""

from __future__ import annotations

import logging
from datetime import date

from services.common.metrics import record_overdue
from services.review import clock, domain
from services.review.events import CASE_ACCEPTED, CASE_OVERDUE
from services.review.usecases._support import (
    BEIJING,
    DEEMED_HANDLING,
    Deps,
    _case_type,
    _event_base,
    _now,
    _opinion,
    _start_decision_clock,
    _today,
)

log = logging.getLogger(__name__)


def measure_overdue(deps: Deps) -> dict[str, int]:
    """The ``qlp_review_cases_overdue`` gauge (alert: cases past their legal deadline)."""
    with deps.begin() as uow:
        counts = uow.cases.overdue_by_level()
    record_overdue(counts)
    return counts


def sweep_acceptance_once(deps: Deps, today: date | None = None) -> int:
    """Cases neither accepted nor sent back for 补正 within 5 working days of receipt are
    accepted by law from the day of receipt (行政许可法 第三十二条); producers follow the
    ``case_accepted`` event as if a reviewer had accepted them."""
    today = today or _today()
    accepted = 0
    with deps.begin() as uow:
        for case in uow.cases.due_for_acceptance(today):
            spec = _case_type(case)
            step = spec.steps[case.step_index]
            received_on = case.received_at.astimezone(BEIJING).date()
            due = case.acceptance_due
            case.accepted = case.deemed_accepted = True
            _start_decision_clock(case, clock.decision_clock_start(received_on, today, deemed=True),
                                  today)
            case.status = domain.IN_REVIEW
            case.queue = domain.queue_of(case.status)
            case.overdue = today > case.due_date
            case.updated_at = _now()
            case.version += 1
            _opinion(uow, case, "deemed_accept", "受理", DEEMED_HANDLING,
                     f"收到申请材料后{clock.ACCEPTANCE_DAYS}个工作日内（至{due.isoformat()}）"
                     f"未受理也未告知补正，依《行政许可法》第三十二条，"
                     f"自收到申请材料之日（{received_on.isoformat()}）起视为受理",
                     None, "系统", step=step)
            uow.add_event(CASE_ACCEPTED, {**_event_base(case), "step": step.key, "deemed": True,
                                          "accepted_from": received_on})
            uow.audit("case.deemed_accepted", subject_id=case.id,
                      acceptance_due=due.isoformat(), received_on=received_on.isoformat())
            accepted += 1
        uow.commit()
    if accepted:
        log.info("%d case(s) deemed accepted (not accepted within %d working days)", accepted,
                 clock.ACCEPTANCE_DAYS)
    return accepted


def sweep_overdue_once(deps: Deps) -> int:
    """Flag active cases past their date; each instance takes rows the others have not locked."""
    flagged = 0
    with deps.begin() as uow:
        for case in uow.cases.due_for_overdue(_today()):
            case.overdue = True
            uow.add_event(CASE_OVERDUE, {**_event_base(case), "level": case.level,
                                         "desk_region": case.desk_region, "due_date": case.due_date,
                                         "claimed_by": case.claimed_by})
            uow.audit("case.overdue", subject_id=case.id,
                      due_date=case.due_date.isoformat())
            flagged += 1
        uow.commit()
    if flagged:
        log.info("flagged %d overdue case(s)", flagged)
    return flagged
