"""The application's files: the 申报表 rendered from the application, its signed scan, and
the catalogue's materials (also owed 容缺 materials and corrected attachments)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.common.attachments import check_upload
from services.common.errors import Conflict, InvalidTransition, ValidationFailed, field_error
from services.permits import adapters, lifecycle
from services.permits.models import Application
from services.permits.usecases import views
from services.permits.usecases._support import (
    OWED_DAYS,
    STALE,
    Deps,
    _now,
    _today,
    keep,
    load,
    missing_materials,
    move,
    type_of,
)
from services.permits.usecases.prechecks import apply_precheck


def generate_form(deps: Deps, actor: dict, application_id: str, version: int | None = None) -> dict:
    """Render the 申报表 and store it. Neither the records RPC nor the render runs under the
    row lock: the application is looked at without a lock, the records fetched (a changed
    pre-check is stored first, under the lock), the form rendered, and only then the row is
    locked and its version compared (moved on meanwhile: 409 stale_version) before the
    file is kept and the application moves."""
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=version, hold=False)
        lifecycle.transition(app.state, "generate_form", {})  # refuse early, before rendering
        enterprise_id, judged = app.enterprise_id, app.precheck_records_version
        seen = app.version
    records = deps.records(enterprise_id)
    if records.get("records_version") != judged:
        with deps.begin() as uow:
            app = load(deps, uow, actor, application_id, write=True, version=seen)
            if app.precheck_records_version != judged:  # the re-check judged other records meanwhile
                raise Conflict(STALE, code="stale_version")
            apply_precheck(deps, uow, app, records, actor)
            uow.commit()
            if app.state != "prechecked":
                raise InvalidTransition("企业信息已变更，重新预审未通过，请按预审结果完善后再生成申报表。")
            seen = app.version
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=seen, hold=False)
        bt = type_of(deps, app)
        app_dict = dict(views.app_dict(uow, app), precheck_summary=(app.precheck or {}).get("summary"))
        context = adapters.form_context(bt, app_dict, records, _today(), attachment_list(deps, uow, app))
        title, filename = bt.form["title"], f"{bt.form['title']}-{app.number}.pdf"
    checked = deps.render(adapters.FORM_JOB, context, filename)
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=seen)
        if app.precheck_records_version != records.get("records_version"):
            # the background re-check judged newer records meanwhile: this form shows old ones
            raise Conflict(STALE, code="stale_version")
        row = keep(deps, uow, app, "form", title, checked, actor)
        app.form_attachment_id = row.id
        move(uow, app, "generate_form", actor, note="生成申报表")
        uow.commit()
        return views.application_view(deps, uow, app, actor)


def attachment_list(deps: Deps, uow: Any, app: Application) -> list[dict[str, Any]]:
    """The 申报表's list of materials: uploaded, owed under 容缺, or still missing."""
    missing, owable = missing_materials(deps, uow, app)
    absent = {m["code"] for m in missing + owable}
    owed_until = (_today() + timedelta(days=OWED_DAYS)).isoformat()
    bt = type_of(deps, app)
    specs = bt.required_attachments(app.transaction_kind, app.lane, app.nature, app.submitter)
    return [
        {
            "name": spec["name"],
            "provided": spec["code"] not in absent,
            "owed_until": owed_until if spec["code"] in {o["code"] for o in owable} else None,
        }
        for spec in specs
    ]


def upload_signed_scan(
    deps: Deps, actor: dict, application_id: str, upload: dict, version: int | None = None
) -> dict:
    checked = check_upload(upload, "signed_scan")
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True, version=version)
        lifecycle.transition(app.state, "upload_signed", {})
        form = uow.apps.attachment(app.form_attachment_id) if app.form_attachment_id else None
        if form is not None and checked.sha256 == form.sha256:
            raise ValidationFailed(
                "上传的是系统生成的空白申报表，请上传签字盖章后的扫描件。",
                {"signed_scan": [field_error("unsigned", "上传的是系统生成的申报表原件，未签字盖章")]},
            )
        pages = (checked.report or {}).get("pages")
        if (
            form is not None
            and pages
            and (form.report or {}).get("pages")
            and pages < int(form.report["pages"])
        ):
            raise ValidationFailed(
                "扫描件页数少于申报表页数，请上传完整的签章申报表。",
                {"signed_scan": [field_error("pages", "扫描件页数不完整")]},
            )
        row = keep(deps, uow, app, "signed_scan", "签章申报表扫描件", checked, actor)
        app.signed_scan_id = row.id
        move(uow, app, "upload_signed", actor, note=f"上传签章申报表 {row.filename}")
        uow.commit()
        return views.application_view(deps, uow, app, actor)


def upload_material(deps: Deps, actor: dict, application_id: str, code: str, upload: dict) -> dict:
    """A required attachment of the catalogue (营业执照, 业绩证明 …); also owed materials and
    corrected attachments."""
    checked = check_upload(upload, code or "material")
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=True)
        bt = type_of(deps, app)
        spec = next((a for a in bt.attachments if a["code"] == code), None)
        if spec is None:
            raise ValidationFailed.from_fields({"code": [field_error("unknown", "没有该附件类型")]})
        owed = [o for o in uow.apps.owed_of(app.id) if o.code == code and o.fulfilled_at is None]
        corrected = any(
            i["target"] == "attachment" and code in (i["name"], i.get("code"))
            for i in app.correction_items or []
        )
        if (
            app.state not in lifecycle.DRAFT_STATES
            and not owed
            and not (app.state == "correction_requested" and corrected)
        ):
            raise InvalidTransition("已提交的申请只能补交容缺材料或补正审核人员指出的附件。")
        if app.state in ("previewed", "committed"):
            raise InvalidTransition("已预览确认的材料不能再修改；如需修改请废弃后重新申请。")
        row = keep(deps, uow, app, code, spec["name"], checked, actor)
        for item in owed:
            item.fulfilled_at = _now()
        uow.apps.add_history(
            app,
            "upload_material",
            app.state,
            app.state,
            actor,
            f"上传{spec['name']}",
            attachment_id=str(row.id),
        )
        app.updated_at = _now()
        uow.flush()
        uow.commit()
        return views.application_view(deps, uow, app, actor)
