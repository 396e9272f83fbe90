"""How review answers a case, its legal clock, corrections, rectifications, delegations and
campaigns (the dicts the RPCs return)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.review import clock, domain
from services.review.models import Attachment, Campaign, Case, Correction, Delegation, Rectification
from services.review.schemas import CaseSummarySchema
from services.review.usecases._support import BEIJING, _calendar, _today


def clock_view(case: Case, today: date | None = None) -> dict[str, Any]:
    today = today or _today()
    if clock.awaiting_acceptance(case.accepted, case.acceptance_due) and case.queue != "done":
        # 受理 not yet given: only the 5-working-day window runs; the decision clock waits for it
        return {
            "started_on": None, "limit_days": case.limit_days, "extension_days": 0,
            "extension_reason": None, "used_days": 0, "remaining_days": case.limit_days,
            "paused": case.paused_since is not None, "pause_reason": case.pause_reason,
            "expected_decision_date": None, "overdue": False, "decision_clock_started": False,
            "received_on": case.received_at.astimezone(BEIJING).date().isoformat(),
            "acceptance_due": case.acceptance_due.isoformat()
            if case.acceptance_due and case.status == domain.SUBMITTED else None,
            "deemed_accepted": False, "accepted_from": None,
        }
    view = clock.evaluate_totals(case.clock_started_on, case.limit_days, case.extension_days,
                                 case.paused_days, case.paused_since, case.pause_reason, today, _calendar())
    final = case.queue == "done"
    return {
        "started_on": case.clock_started_on.isoformat(), "limit_days": view.limit_days,
        "extension_days": view.extension_days, "extension_reason": case.extension_reason,
        "used_days": view.used_days, "remaining_days": view.remaining_days,
        "paused": view.paused and not final, "pause_reason": view.pause_reason,
        "expected_decision_date": None if final else view.due_date.isoformat(),
        "overdue": view.overdue and not final, "decision_clock_started": True,
        "received_on": case.received_at.astimezone(BEIJING).date().isoformat(),
        # 行政许可法 第三十二条: accept or ask for 补正 by this day, or the case is accepted by law
        "acceptance_due": case.acceptance_due.isoformat()
        if case.acceptance_due and case.status == domain.SUBMITTED else None,
        "deemed_accepted": case.deemed_accepted,
        "accepted_from": case.received_at.astimezone(BEIJING).date().isoformat()
        if case.deemed_accepted else None,
    }


def summary(case: Case) -> dict[str, Any]:
    data = CaseSummarySchema().dump(case)
    spec = domain.registry().resolve(case.case_type)
    step = spec.steps[case.step_index] if spec else None
    data.update(
        type_label=spec.label if spec else case.case_type,
        step_label=step.label if step else case.step_key,
        stage=step.stage if step else None,  # accept / form_review / review / approval / issue
        level_label=domain.LEVELS.get(case.level, case.level),
        status_label=domain.STATUS_LABELS.get(case.status, case.status),
    )
    return data


def _correction_view(correction: Correction) -> dict[str, Any]:
    return {"id": correction.id, "revision": correction.revision, "items": correction.items,
            "deadline": correction.deadline.isoformat() if correction.deadline else None,
            "requested_at": correction.requested_at.isoformat() if correction.requested_at else None,
            "resolved_revision": correction.resolved_revision}


def _rectification_view(rect: Rectification) -> dict[str, Any]:
    return {"id": rect.id, "items": rect.items, "deadline": rect.deadline.isoformat(), "status": rect.status,
            "evidence": rect.evidence, "statement": rect.statement,
            "submitted_at": rect.submitted_at.isoformat() if rect.submitted_at else None}


def _attachment_ref(row: Attachment) -> dict[str, Any]:
    """The attachment as a revision / rectification keeps it (the shape of AttachmentRef)."""
    return {"id": str(row.id), "label": row.label, "filename": row.filename, "sha256": row.sha256,
            "content_type": row.content_type, "size_bytes": row.size_bytes}


def _delegation_view(d: Delegation) -> dict[str, Any]:
    today = _today()
    return {"id": d.id, "from_reviewer": d.from_reviewer, "to_reviewer": d.to_reviewer, "to_name": d.to_name,
            "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat(), "reason": d.reason,
            "revoked": d.revoked_at is not None,
            "in_force": d.revoked_at is None and d.starts_on <= today <= d.ends_on}


def _campaign_view(c: Campaign) -> dict[str, Any]:
    return {"id": str(c.id), "business_type": c.business_type, "title": c.title, "form": c.form,
            "deadline": c.deadline.isoformat()}
