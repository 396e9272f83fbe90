"""review's events (and the producers' review requests): every step of a case is one
message to its enterprise, to-dos for corrections and ratings, mails for decisions."""

from __future__ import annotations

from typing import Any

from services.notify import domain
from services.notify import events as ev
from services.notify.repository import ProjectionRepository
from services.notify.usecases._support import Deps, _case, _email_of, _handle, _remember_case


def _on_review_requested(deps: Deps, producer: str, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        projection = ProjectionRepository(session)
        known = projection.case(data["case_ref"])
        # Earlier revisions' names stay known: a correction names items of its revision.
        labels = {**((known.labels or {}) if known is not None else {}),
                  **domain.review_labels(data["form_fields"], data["attachments"])}
        projection.upsert_case(
            data["case_ref"], case_type=data["case_type"], title=data["title"],
            enterprise_id=str(data["enterprise_id"]), labels=labels)
        return domain.effects_of_resubmission(data)

    _handle(deps, ev.REVIEW_REQUESTED[producer], body, f"notify.on_{producer}_review_requested", react)


def on_permits_review_requested(deps: Deps, body: dict) -> None:
    _on_review_requested(deps, "permits", body)


def on_personnel_review_requested(deps: Deps, body: dict) -> None:
    _on_review_requested(deps, "personnel", body)


def on_identity_review_requested(deps: Deps, body: dict) -> None:
    _on_review_requested(deps, "identity", body)


def on_enterprise_review_requested(deps: Deps, body: dict) -> None:
    _on_review_requested(deps, "enterprise", body)


def on_case_accepted(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _remember_case(session, data)
        return domain.effects_of_accepted(data, _case(session, data["case_ref"]))

    _handle(deps, ev.CASE_ACCEPTED, body, "notify.on_case_accepted", react)


def on_case_step_changed(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _remember_case(session, data)
        return domain.effects_of_step_changed(data, _case(session, data["case_ref"]))

    _handle(deps, ev.CASE_STEP_CHANGED, body, "notify.on_case_step_changed", react)


def on_correction_requested(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _remember_case(session, data)
        return domain.effects_of_correction(data, _case(session, data["case_ref"]),
                                            _email_of(session, data["enterprise_id"]))

    _handle(deps, ev.CORRECTION_REQUESTED, body, "notify.on_correction_requested", react)


def on_case_decided(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        ProjectionRepository(session).upsert_case(
            data["case_ref"], case_id=data["case_id"], enterprise_id=str(data["enterprise_id"]),
            decision=data["decision"], decided_by=data.get("decided_by"), decided_at=data["at"])
        return domain.effects_of_decision(data, _case(session, data["case_ref"]),
                                          _email_of(session, data["enterprise_id"]))

    _handle(deps, ev.CASE_DECIDED, body, "notify.on_case_decided", react)


def on_case_closed(deps: Deps, body: dict) -> None:
    _handle(deps, ev.CASE_CLOSED, body, "notify.on_case_closed",
                 lambda session, data, envelope: domain.effects_of_closed(
                     data, _case(session, data["case_ref"])))


def on_case_overdue(deps: Deps, body: dict) -> None:
    def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
        _remember_case(session, data)
        return domain.effects_of_overdue(data, _case(session, data["case_ref"]))

    _handle(deps, ev.CASE_OVERDUE, body, "notify.on_case_overdue", react)


def on_self_inspection_started(deps: Deps, body: dict) -> None:
    _handle(deps, ev.SELF_INSPECTION_STARTED, body, "notify.on_self_inspection_started",
                 lambda session, data, envelope: domain.effects_of_self_inspection(data))
