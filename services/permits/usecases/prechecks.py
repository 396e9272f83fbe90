"""资质标准预审: the pure rule (services/permits/precheck.py) fed with the enterprise's records,
stored on the application, and the 重新预审 a user asks for."""

from __future__ import annotations

from typing import Any

from services.permits import lifecycle
from services.permits.models import Application
from services.permits.precheck import evaluate_selection
from services.permits.usecases import views
from services.permits.usecases._support import (
    Deps,
    _now,
    _today,
    load,
    move,
    require_current,
    type_of,
    with_records,
)


def evaluate(deps: Deps, app: Application, records: dict) -> dict:
    """The pre-check of the application's selection on these records (a dict to store)."""
    bt = type_of(deps, app)
    today = _today()
    if not bt.transaction(app.transaction_kind)["needs_precheck"]:
        return {
            "passed": True,
            "accepted_with_owed": False,
            "summary": "该业务无需资质标准预审",
            "evaluated_on": today.isoformat(),
            "records_version": records.get("records_version"),
            "items": [],
        }
    result = evaluate_selection(
        bt,
        [(i["category"], i["grade"]) for i in app.items],
        records,
        today=today,
        owed=app.owed_standards or [],
    )
    return result.to_dict()


def apply_precheck(
    deps: Deps, uow: Any, app: Application, records: dict, actor: dict | None, initial: bool = False
) -> None:
    """Store the pre-check; past creation it is the lifecycle's ``run_precheck`` step."""
    result = evaluate(deps, app, records)
    app.precheck = result
    app.precheck_records_version = records.get("records_version")
    app.prechecked_at = _now()
    if initial:
        return
    move(uow, app, "run_precheck", actor, {"precheck_passed": result["passed"]}, note=result["summary"])


def run_precheck(deps: Deps, actor: dict, application_id: str, version: int | None = None) -> dict:
    """重新预审 on the records asked before the row is locked (``with_records``)."""

    def step(records: dict) -> dict:
        with deps.begin() as uow:
            app = load(deps, uow, actor, application_id, write=True, version=version)
            if app.state not in ("draft", "prechecked"):
                lifecycle.transition(app.state, "run_precheck", {})  # raises with the rule
            require_current(app, records)
            apply_precheck(deps, uow, app, records, actor)
            uow.commit()
            return views.application_view(deps, uow, app, actor)

    return with_records(deps, actor, application_id, step)
