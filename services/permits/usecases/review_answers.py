"""review's answers about an application's case (the on_case_* handlers): accepted, step
changed, correction requested, decided (an approval issues the licence), closed."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from services.permits.events import (
    APPLICATION_DECIDED,
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_REF_PREFIX,
    CASE_STEP_CHANGED,
    CORRECTION_REQUESTED,
)
from services.permits.models import Application
from services.permits.usecases._support import Deps, _now, move
from services.permits.usecases.issuing import issue

log = logging.getLogger(__name__)


def case_app(uow: Any, envelope: dict, consumer: str) -> Application | None:
    case_ref = envelope["data"]["case_ref"]
    if not case_ref.startswith(CASE_REF_PREFIX):
        return None  # another producer's case
    if not uow.claim_event(envelope["id"], consumer):
        return None
    app = uow.apps.by_case_ref(case_ref)
    if app is None:
        log.warning("review answered for unknown case %s", case_ref)
    return app


def on_case_accepted(deps: Deps, body: dict) -> None:
    envelope = CASE_ACCEPTED.parse(body)
    with deps.begin() as uow:
        app = case_app(uow, envelope, "permits.on_case_accepted")
        if app is not None:
            app.case_id = envelope["data"]["case_id"]
            app.review_step = envelope["data"].get("step") or app.review_step
            if app.state in ("submitted", "resubmitted"):
                move(uow, app, "accept", None, note="审核机关已受理")
        uow.commit()


def on_case_step_changed(deps: Deps, body: dict) -> None:
    envelope = CASE_STEP_CHANGED.parse(body)
    data = envelope["data"]
    with deps.begin() as uow:
        app = case_app(uow, envelope, "permits.on_case_step_changed")
        if app is not None:
            app.case_id = data["case_id"]
            app.review_step = data.get("step_label") or data.get("step")
            if app.state in ("submitted", "resubmitted"):
                move(uow, app, "accept", None, note=f"进入{app.review_step}")
            else:
                uow.apps.add_history(
                    app,
                    "step_changed",
                    app.state,
                    app.state,
                    None,
                    f"进入{app.review_step}",
                    level=data.get("level"),
                )
            uow.commit()


def with_material_codes(deps: Deps, uow: Any, app: Application, items: list[dict]) -> list[dict]:
    """Review names an attachment by the id it was sent with; the upload that replaces it
    is matched by its material code, so each attachment item also carries ``code``. Every
    item gets the ``label`` the enterprise knows it by."""
    bt = deps.catalogue.type(app.type_code)
    labels = {
        f"{section['code']}.{field['name']}": field["label"]
        for section in bt.form_sections(app.transaction_kind)
        for field in section.get("fields") or []
    }
    result = []
    for item in items:
        item = dict(item)
        if item.get("target") == "attachment":
            try:
                found = uow.apps.attachment(uuid.UUID(str(item["name"])))
            except ValueError:
                found = None
            if found is not None and found.application_id == app.id:
                item["code"] = found.purpose
                item["label"] = found.label
        else:
            item["label"] = labels.get(item["name"], item["name"])
        result.append(item)
    return result


def on_correction_requested(deps: Deps, body: dict) -> None:
    envelope = CORRECTION_REQUESTED.parse(body)
    data = envelope["data"]
    with deps.begin() as uow:
        app = case_app(uow, envelope, "permits.on_correction_requested")
        if app is not None:
            app.case_id = data["case_id"]
            app.correction_items = with_material_codes(deps, uow, app, data["items"])
            app.correction_deadline = data.get("deadline")
            reasons = "；".join(f"{i['name']}：{i['reason']}" for i in data["items"])
            move(
                uow,
                app,
                "request_correction",
                None,
                note=f"要求补正：{reasons}",
                items=[dict(i) for i in data["items"]],
            )
        uow.commit()


def on_case_decided(deps: Deps, body: dict) -> None:
    envelope = CASE_DECIDED.parse(body)
    data = envelope["data"]
    with deps.begin() as uow:
        app = case_app(uow, envelope, "permits.on_case_decided")
        if app is not None:
            app.case_id = data["case_id"]
            if app.state in ("submitted", "resubmitted") and data["decision"] == "approved":
                move(uow, app, "accept", None, note="审核机关已受理")
            action = "approve" if data["decision"] == "approved" else "reject"
            app.decision, app.decision_reason = data["decision"], data.get("reason")
            move(
                uow,
                app,
                action,
                None,
                note=data.get("reason") or ("审批通过" if action == "approve" else "不予许可"),
                decided_by=data.get("decided_by"),
            )
            uow.add_event(
                APPLICATION_DECIDED,
                {
                    "application_id": app.id,
                    "enterprise_id": app.enterprise_id,
                    "decision": data["decision"],
                    "reason": data.get("reason"),
                    "at": _now(),
                },
            )
            if action == "approve":
                issue(deps, uow, app)
        uow.commit()


def on_case_closed(deps: Deps, body: dict) -> None:
    envelope = CASE_CLOSED.parse(body)
    with deps.begin() as uow:
        app = case_app(uow, envelope, "permits.on_case_closed")
        if app is not None:
            outcome = "撤回" if envelope["data"]["outcome"] == "withdrawn" else "终止办理"
            uow.apps.add_history(app, "case_closed", app.state, app.state, None, f"审核机关已确认{outcome}")
        uow.commit()
