"""From preview to review and back: preview, the commitment letter (承诺书), submit (with the
容缺 owed items and the review request), 补正 and resubmit, withdraw / terminate / discard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common import review_cases
from services.common.errors import Conflict, InvalidTransition, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.common.wording import joined
from services.permits import adapters, lane_access, lifecycle
from services.permits.events import (
    APPLICATION_SUBMITTED,
    CASE_REF_PREFIX,
    REVIEW_REQUESTED,
    REVIEW_WITHDRAWN,
)
from services.permits.models import Application, OwedMaterial
from services.permits.schemas import CorrectionValuesSchema
from services.permits.usecases import safety, views
from services.permits.usecases._support import (
    DEFAULT_REGION,
    OWED_DAYS,
    Deps,
    _now,
    _today,
    check_version,
    commitment_seconds,
    load,
    missing_materials,
    move,
    require_current,
    time_limit,
    type_of,
    with_records,
)
from services.permits.usecases.prechecks import evaluate


def preview(deps: Deps, actor: dict, application_id: str, version: int | None = None) -> dict:
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=version)
        lifecycle.transition(app.state, "preview", {})
        missing, _ = missing_materials(deps, uow, app)
        if missing:
            raise InvalidTransition(
                "以下申请材料尚未上传：" + "、".join(m["name"] for m in missing) + "。",
                code="materials_missing",
            )
        app.previewed_at = _now()
        move(uow, app, "preview", actor, note="预览全部申请材料")
        uow.commit()
        return views.application_view(deps, uow, app, actor)


def open_commitment(deps: Deps, actor: dict, application_id: str) -> dict:
    """The commitment letter (承诺书) was opened; the confirm waits the configured seconds from now."""
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True)
        if app.state != "previewed":
            lifecycle.transition(app.state, "confirm_commitment", {})  # raises with the rule
        app.commitment_opened_at = _now()
        uow.apps.add_history(app, "open_commitment", app.state, app.state, actor, "打开承诺书")
        uow.flush()
        uow.commit()
        return views.application_view(deps, uow, app, actor)


def confirm_commitment(deps: Deps, actor: dict, application_id: str, version: int | None = None) -> dict:
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=version)
        if app.state != "previewed":
            lifecycle.transition(app.state, "confirm_commitment", {})
        # The configured window (permits.commitment_seconds) is lifecycle's guard.
        context = {
            "opened_at": app.commitment_opened_at,
            "now": _now(),
            "commitment_seconds": commitment_seconds(deps),
        }
        app.committed_at = _now()
        move(uow, app, "confirm_commitment", actor, context, note="确认承诺书")
        uow.commit()
        return views.application_view(deps, uow, app, actor)


def submit(
    deps: Deps,
    actor: dict,
    application_id: str,
    idempotency_key: str | None = None,
    version: int | None = None,
) -> dict:
    """Submit to review. The same key again returns the same application, unchanged.

    The row lock comes first and the key is checked under it: concurrent submits with one
    key queue on the lock, and each one after the first finds the key stored and answers
    the application as submitted (not ``invalid_transition``, issue 13). The enterprise's
    records are asked before the lock (``with_records``: no RPC under a row lock)."""
    key = (idempotency_key or "").strip()[:64] or None

    def step(records: dict) -> dict:
        with deps.begin() as uow:
            app = load(deps, uow, actor, application_id, write=True, lock=True)
            if key:
                existing = uow.apps.submit_key_owner(key)
                if existing is not None:
                    if existing != app.id:
                        raise Conflict("该提交编号已用于另一份申请", code="key_reused")
                    return views.application_view(deps, uow, app, actor)
            check_version(app, version)
            if app.state != "committed":
                lifecycle.transition(app.state, "submit", {"precheck_passed": True})
            require_current(app, records)
            if records.get("records_version") != app.precheck_records_version:
                result = evaluate(deps, app, records)
                app.precheck, app.precheck_records_version = result, records.get("records_version")
                app.prechecked_at = _now()
            passed = bool((app.precheck or {}).get("passed"))
            today = _today()
            if app.lane != "normal":  # the normal lane always goes: no credit record to read
                lane_access.require(type_of(deps, app), app.transaction_kind, app.lane,
                                    lane_access.record_from(uow.credit, app.enterprise_id, today), today)
            safety.require_for_application(uow, app, today)  # 不再审查延期's condition
            app.submit_key = key
            app.submitted_at = _now()
            app.revision = 1
            app.case_ref = f"{CASE_REF_PREFIX}{app.id}"
            move(uow, app, "submit", actor, {"precheck_passed": passed}, note="提交申请")
            owe(deps, uow, app)
            request_review(deps, uow, app, records)
            try:
                uow.commit()
            except IntegrityError:
                uow.rollback()
                raise Conflict("该申请已提交", code="already_submitted") from None
            return views.application_view(deps, uow, app, actor)

    return with_records(deps, actor, application_id, step)


def owe(deps: Deps, uow: Any, app: Application) -> None:
    """容缺: the owable materials not yet uploaded and the standards marked owed, due in OWED_DAYS."""
    if app.lane != "fast_track":
        return
    _, owable = missing_materials(deps, uow, app)
    deadline = _today() + timedelta(days=OWED_DAYS)
    owed = [(spec["code"], spec["name"]) for spec in owable] + [
        (f"standard:{item['key']}", item["label"])
        for item in (app.precheck or {}).get("items") or []
        if item.get("status") == "owed"
    ]
    for code, name in owed:
        uow.apps.add_owed(
            OwedMaterial(
                application_id=app.id,
                enterprise_id=app.enterprise_id,
                code=code,
                name=name,
                deadline=deadline,
            )
        )


def request_review(deps: Deps, uow: Any, app: Application, records: dict) -> None:
    """Ask review for the case (review_requested) and tell who listens (application_submitted)."""
    bt = type_of(deps, app)
    chain = bt.review_chain(app.transaction_kind)
    attachments = review_cases.attachment_refs(
        uow.apps.attachments_of(app.id), lambda a: a.label or a.purpose
    )
    kind_label = bt.transaction(app.transaction_kind)["label"]
    title = (
        f"{app.enterprise_name or records.get('name') or ''} {joined(bt.name, kind_label)}"
        f"（{adapters.selection_text(bt, app.items)}）"
    )
    review_cases.request(
        uow,
        REVIEW_REQUESTED,
        case_ref=app.case_ref,
        case_type=chain["case_type"],
        lane=app.lane,
        enterprise_id=app.enterprise_id,
        enterprise_name=app.enterprise_name
        or records.get("name")
        or str(app.enterprise_uscc)
        or "未命名企业",
        region_code=app.region_code or DEFAULT_REGION,
        title=title,
        revision=app.revision,
        # The catalogue (admin-editable) is the one source of statutory limits per lane.
        time_limit_days=time_limit(bt.transaction(app.transaction_kind), app.lane),
        fields=adapters.form_fields(bt, views.app_dict(uow, app), records),
        attachments=attachments,
        submitted_at=app.submitted_at or _now(),
        owed=lane_access.owed_for_review(uow.apps.owed_of(app.id)),
    )
    uow.add_event(
        APPLICATION_SUBMITTED,
        {
            "application_id": app.id,
            "enterprise_id": app.enterprise_id,
            "number": app.number,
            "type_code": app.type_code,
            "transaction_kind": app.transaction_kind,
            "lane": app.lane,
            "case_ref": app.case_ref,
            "revision": app.revision,
            "submitted_at": app.submitted_at or _now(),
        },
    )


def update_correction(
    deps: Deps, actor: dict, application_id: str, values: dict, version: int | None = None
) -> dict:
    """补正: change only the fields review named (values.<name> of the 申报表)."""
    values = load_or_fail(CorrectionValuesSchema(), {"values": values})["values"]
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=version)
        if app.state != "correction_requested":
            raise InvalidTransition("只有待补正的申请可以修改补正事项。")
        named = [i["name"] for i in app.correction_items or [] if i["target"] == "field"]
        inputs = adapters.correction_inputs(type_of(deps, app), app.transaction_kind, named)
        # Accept review's name (enterprise.legal_representative), the value key
        # (legal_representative) or its source (values.legal_representative).
        accepted = {
            alias: spec["key"]
            for name, spec in inputs.items()
            for alias in (name, spec["key"], f"values.{spec['key']}")
        }
        refused = [k for k in values if k not in accepted]
        if refused:
            raise ValidationFailed(
                "只能修改审核人员要求补正的事项。",
                {k: [field_error("not_reopened", "该项未要求补正，不能修改")] for k in refused},
            )
        values = {accepted[k]: v for k, v in values.items()}
        app.values = {**(app.values or {}), **values}
        uow.apps.add_history(
            app, "correct", app.state, app.state, actor, "修改补正事项：" + "、".join(values)
        )
        uow.flush()
        uow.commit()
        return views.application_view(deps, uow, app, actor)


def resubmit(
    deps: Deps,
    actor: dict,
    application_id: str,
    idempotency_key: str | None = None,
    version: int | None = None,
) -> dict:
    """补正后重新提交. The key (kept in the history row) is checked under the row lock: a
    duplicate with the same key answers the application as resubmitted (issue 13). The records
    are asked before the lock (``with_records``)."""
    key = (idempotency_key or "").strip()[:64] or None

    def step(records: dict) -> dict:
        with deps.begin() as uow:
            app = load(deps, uow, actor, application_id, write=True, lock=True)
            if key and uow.apps.did_with_key(app.id, "resubmit", key):
                return views.application_view(deps, uow, app, actor)
            check_version(app, version)
            require_current(app, records)
            result = evaluate(deps, app, records)
            app.precheck, app.precheck_records_version = result, records.get("records_version")
            move(
                uow,
                app,
                "resubmit",
                actor,
                {"precheck_passed": result["passed"]},
                note="补正后重新提交",
                **({"key": key} if key else {}),
            )
            app.revision += 1
            app.submitted_at = _now()
            app.correction_items = []
            request_review(deps, uow, app, records)
            uow.commit()
            return views.application_view(deps, uow, app, actor)

    return with_records(deps, actor, application_id, step)


def withdraw(deps: Deps, actor: dict, application_id: str, reason: str = "") -> dict:
    return leave(deps, actor, application_id, "withdraw", reason or "企业撤回申请", "withdrawn")


def terminate(deps: Deps, actor: dict, application_id: str, reason: str = "") -> dict:
    if not (reason or "").strip():
        raise ValidationFailed.from_fields({"reason": [field_error("required", "请填写终止办理的原因")]})
    return leave(deps, actor, application_id, "terminate", reason, "terminated")


def leave(deps: Deps, actor: dict, application_id: str, action: str, reason: str, outcome: str) -> dict:
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, lock=True)
        move(uow, app, action, actor, note=reason)
        if app.case_ref:
            review_cases.withdraw(uow, REVIEW_WITHDRAWN, app.case_ref, reason, str(actor.get("id")), outcome)
        uow.commit()
        return views.application_view(deps, uow, app, actor)


def discard(deps: Deps, actor: dict, application_id: str) -> dict:
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, lock=True)
        move(uow, app, "discard", actor, note="申请废弃")
        app.batch_id = None
        uow.commit()
        return views.application_view(deps, uow, app, actor)
