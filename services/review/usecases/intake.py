"""The producers' side: a ``<producer>.review_requested`` becomes a case (or its next
revision, or reopens a rejected case); ``review_withdrawn`` closes it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from services.common.envelope import EventSpec, MalformedEvent
from services.review import clock, domain, owed
from services.review.events import CASE_CLOSED
from services.review.models import Case, Revision
from services.review.usecases._support import (
    BEIJING,
    Deps,
    _calendar,
    _event_base,
    _now,
    _opinion,
    _recompute_due,
    _resume,
    _today,
)

log = logging.getLogger(__name__)


def review_requested(deps: Deps, spec: EventSpec, body: dict) -> None:
    envelope = spec.parse(body)
    data = envelope["data"]
    if data["case_ref"].split(":", 1)[0] != spec.producer:
        raise MalformedEvent(f"{spec.producer} cannot request a review of {data['case_ref']}")
    case_type = domain.registry().resolve(data["case_type"])
    if case_type is None:
        raise MalformedEvent(f"unknown case type {data['case_type']}")
    with deps.begin() as uow:
        if not uow.claim_event(envelope["id"], "review.on_review_requested"):
            return
        _intake(uow, spec.producer, case_type, data)
        uow.commit()


def _intake(uow: Any, producer: str, case_type: domain.CaseType, data: dict) -> Case | None:
    cases = uow.cases
    now, today = _now(), _today()
    case = cases.by_ref(data["case_ref"], for_update=True)
    if case is None:
        first = case_type.steps[0]
        status = domain.SUBMITTED if "accept" in first.actions else domain.IN_REVIEW
        limit = data.get("time_limit_days")
        if limit is None:
            limit = case_type.limit_for(data["lane"])
        received_on = data["submitted_at"].astimezone(BEIJING).date()
        case = Case(
            id=uuid.uuid4(), case_ref=data["case_ref"], producer=producer, case_type=data["case_type"],
            lane=data["lane"], enterprise_id=str(data["enterprise_id"]),
            enterprise_name=data["enterprise_name"], region_code=data["region_code"],
            title=data["title"], status=status, queue=domain.queue_of(status), step_index=0,
            step_key=first.key, level=first.level,
            desk_region=domain.route_region(first.level, data["region_code"]),
            revision=data["revision"], accepted=False, received_at=data["submitted_at"],
            acceptance_due=clock.acceptance_deadline(received_on, _calendar())
            if status == domain.SUBMITTED else None, deemed_accepted=False,
            clock_started_on=received_on, limit_days=limit,
            extension_days=0, paused_days=0, overdue=False, updated_at=now, version=1,
            due_date=today, owed=owed.stored(data.get("owed") or []),
        )
        _recompute_due(case, today)
        cases.add(case)
        cases.add(Revision(case_id=case.id, revision=data["revision"], fields=data["fields"],
                           attachments=data["attachments"], submitted_at=data["submitted_at"]))
        uow.audit("case.received", subject_id=case.id, case_ref=case.case_ref,
                  case_type=case.case_type, desk=f"{case.level}:{case.desk_region}")
        log.info("case %s (%s) received for %s:%s", case.id, case.case_ref, case.level,
                 case.desk_region)
        return case
    reopen = domain.reopens(case_type, case.decision, case.queue)
    if data["revision"] <= case.revision or (case.queue == "done" and not reopen):
        log.info("review_requested %s revision %s ignored (case at revision %s, %s)",
                 data["case_ref"], data["revision"], case.revision, case.status)
        return None
    if reopen:
        _reopen(uow, case, case_type, data)
        return case
    cases.add(Revision(case_id=case.id, revision=data["revision"], fields=data["fields"],
                       attachments=data["attachments"], submitted_at=data["submitted_at"]))
    case.revision = data["revision"]
    case.owed = owed.stored(data.get("owed") or [])
    case.enterprise_name = data["enterprise_name"]
    case.title = data["title"]
    correction = cases.open_correction(case.id)
    if case.status == domain.CORRECTION:
        if correction is not None:
            correction.resolved_revision = data["revision"]
        case.status = domain.IN_REVIEW if case.accepted else domain.SUBMITTED
        case.queue = "active"
        if not case.accepted:  # corrected materials received: 5 working days to accept them
            case.acceptance_due = clock.acceptance_deadline(
                data["submitted_at"].astimezone(BEIJING).date(), _calendar())
        _resume(case, today)
    case.updated_at = now
    case.version += 1
    uow.audit("case.resubmitted", subject_id=case.id, revision=case.revision)
    return case


def _reopen(uow: Any, case: Case, case_type: domain.CaseType, data: dict) -> None:
    """A rejected case resubmitted (前往修改): the next revision starts the chain again, with a
    new clock from its receipt; the history and the earlier revisions stay (diff, 审核历史)."""
    today = _today()
    received_on = data["submitted_at"].astimezone(BEIJING).date()
    first = case_type.steps[0]
    status = domain.SUBMITTED if "accept" in first.actions else domain.IN_REVIEW
    uow.cases.add(Revision(
        case_id=case.id, revision=data["revision"], fields=data["fields"],
        attachments=data["attachments"], submitted_at=data["submitted_at"]))
    case.revision, case.title = data["revision"], data["title"]
    case.enterprise_name = data["enterprise_name"]
    case.status, case.queue = status, domain.queue_of(status)
    case.step_index, case.step_key, case.level = 0, first.key, first.level
    case.desk_region = domain.route_region(first.level, data["region_code"])
    case.region_code = data["region_code"]
    case.claimed_by = case.claimed_name = case.claimed_at = None
    case.decision = case.decision_reason = case.decided_at = None
    case.accepted = case.deemed_accepted = False
    case.acceptance_due = clock.acceptance_deadline(received_on, _calendar()) \
        if status == domain.SUBMITTED else None
    case.received_at, case.clock_started_on = data["submitted_at"], received_on
    case.extension_days, case.extension_reason, case.paused_days = 0, None, 0
    case.paused_since = case.pause_reason = None
    _recompute_due(case, today)
    case.updated_at = _now()
    case.version += 1
    uow.audit("case.reopened", subject_id=case.id, revision=case.revision)


def review_withdrawn(deps: Deps, spec: EventSpec, body: dict) -> None:
    envelope = spec.parse(body)
    data = envelope["data"]
    with deps.begin() as uow:
        if not uow.claim_event(envelope["id"], "review.on_review_withdrawn"):
            return
        case = uow.cases.by_ref(data["case_ref"], for_update=True)
        if case is None:  # the request has not arrived yet: retried with back-off
            raise LookupError(f"no case {data['case_ref']} to withdraw yet")
        if case.queue == "done":
            uow.commit()
            return
        outcome = data["outcome"]
        case.status = domain.WITHDRAWN if outcome == "withdrawn" else domain.TERMINATED
        case.queue = "done"
        case.closed_outcome = outcome
        case.closed_reason = data["reason"]
        case.paused_since = None
        case.overdue = False
        case.updated_at = _now()
        case.version += 1
        _opinion(uow, case, "withdraw", "企业撤回" if outcome == "withdrawn" else "业务终止",
                 "案件关闭", data["reason"] or "", None, data["by"] or "企业")
        uow.add_event(CASE_CLOSED, {**_event_base(case), "outcome": outcome})
        uow.audit("case.closed", subject_id=case.id, outcome=outcome)
        uow.commit()
