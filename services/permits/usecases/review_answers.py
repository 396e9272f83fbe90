"""review's answers about an application's case (the on_case_* handlers), through the common
kit (services/common/review_cases.py) and permits' table (lifecycle.review_steps): accepted,
step changed, correction requested, decided (an approval issues the licence), closed."""

from __future__ import annotations

from typing import Any

from services.common.review_cases import CaseDesk, follow, named_attachment
from services.permits import lifecycle
from services.permits.events import APPLICATION_DECIDED, CASE_REF_PREFIX
from services.permits.models import Application
from services.permits.usecases._support import Deps, _now, move, type_of
from services.permits.usecases.issuing import issue

DESK = CaseDesk("permits", CASE_REF_PREFIX, lambda uow, case_ref: uow.apps.by_case_ref(case_ref))


def steps(uow: Any, app: Application, event_type: str, data: dict, note: str, **detail: object) -> bool:
    """Move the application as permits' table maps review's answer; False when nothing moved."""

    def step(action: str, level: str | None) -> None:
        move(uow, app, action, None, note=note, **detail)

    return follow(lifecycle.review_steps, event_type, data, app.state, step)


def on_case_accepted(deps: Deps, body: dict) -> None:
    def apply(uow: Any, app: Application, data: dict) -> None:
        app.case_id = data["case_id"]
        app.review_step = data.get("step") or app.review_step
        steps(uow, app, "case_accepted", data, "审核机关已受理")

    DESK.answer(deps.begin, "case_accepted", body, apply)


def on_case_step_changed(deps: Deps, body: dict) -> None:
    def apply(uow: Any, app: Application, data: dict) -> None:
        app.case_id = data["case_id"]
        app.review_step = data.get("step_label") or data.get("step")
        note = f"进入{app.review_step}"
        if not steps(uow, app, "case_step_changed", data, note):
            uow.apps.add_history(
                app, "step_changed", app.state, app.state, None, note, level=data.get("level")
            )

    DESK.answer(deps.begin, "case_step_changed", body, apply)


def with_material_codes(deps: Deps, uow: Any, app: Application, items: list[dict]) -> list[dict]:
    """Review names an attachment by the id it was sent with; the upload that replaces it
    is matched by its material code, so each attachment item also carries ``code``. Every
    item gets the ``label`` the enterprise knows it by."""
    bt = type_of(deps, app)
    labels = {
        f"{section['code']}.{field['name']}": field["label"]
        for section in bt.form_sections(app.transaction_kind)
        for field in section.get("fields") or []
    }
    result = []
    for item in items:
        item = dict(item)
        if item.get("target") == "attachment":
            found = named_attachment(item, uow.apps.attachment, lambda row: row.application_id == app.id)
            if found is not None:
                item["code"] = found.purpose
                item["label"] = found.label
        else:
            item["label"] = labels.get(item["name"], item["name"])
        result.append(item)
    return result


def on_correction_requested(deps: Deps, body: dict) -> None:
    def apply(uow: Any, app: Application, data: dict) -> None:
        app.case_id = data["case_id"]
        app.correction_items = with_material_codes(deps, uow, app, data["items"])
        app.correction_deadline = data.get("deadline")
        reasons = "；".join(f"{i['name']}：{i['reason']}" for i in data["items"])
        items = [dict(i) for i in data["items"]]
        steps(uow, app, "correction_requested", data, f"要求补正：{reasons}", items=items)

    DESK.answer(deps.begin, "correction_requested", body, apply)


def on_case_decided(deps: Deps, body: dict) -> None:
    def apply(uow: Any, app: Application, data: dict) -> None:
        app.case_id = data["case_id"]
        approved = data["decision"] == "approved"
        app.decision, app.decision_reason = data["decision"], data.get("reason")

        def step(action: str, level: str | None) -> None:
            if action == "accept":  # approved before it was ever accepted
                move(uow, app, "accept", None, note="审核机关已受理")
                return
            note = data.get("reason") or ("审批通过" if approved else "不予许可")
            move(uow, app, action, None, note=note, decided_by=data.get("decided_by"))

        follow(lifecycle.review_steps, "case_decided", data, app.state, step)
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
        if approved:
            issue(deps, uow, app)

    DESK.answer(deps.begin, "case_decided", body, apply)


def on_case_closed(deps: Deps, body: dict) -> None:
    def apply(uow: Any, app: Application, data: dict) -> None:
        outcome = "撤回" if data["outcome"] == "withdrawn" else "终止办理"
        uow.apps.add_history(app, "case_closed", app.state, app.state, None, f"审核机关已确认{outcome}")

    DESK.answer(deps.begin, "case_closed", body, apply)
