"""What permits answers about an application, a licence, a batch, a business type: plain
dicts built from the rows (no access checks here: the callers load what the actor may read)."""

from __future__ import annotations

from typing import Any

from services.common.attachments import attachment_view
from services.permits import adapters, certificate_actions, licences, lifecycle, prefill
from services.permits.catalogue import LANES
from services.permits.models import Application, Batch, Licence
from services.permits.usecases._support import (
    Deps,
    _iso,
    _now,
    _today,
    commitment_seconds,
    domain_licence,
    missing_materials,
    type_of,
)

EXTRA_ACTIONS = {
    "create": "创建申请",
    "update": "修改申请",
    "records_changed": "企业信息变更后重新预审",
    "upload_material": "上传申请材料",
    "open_commitment": "打开承诺书",
    "correct": "修改补正事项",
    "step_changed": "审核环节变更",
    "case_closed": "审核机关确认",
}
PROGRESS = (
    "draft",
    "prechecked",
    "form_generated",
    "signed_uploaded",
    "previewed",
    "committed",
    "submitted",
    "under_review",
    "approved",
    "licence_issued",
)


def progress(state: str) -> dict[str, Any]:
    """我的资质 progress: the step index on the main path (corrections count as under review)."""
    main = {"correction_requested": "under_review", "resubmitted": "under_review"}.get(state, state)
    step = PROGRESS.index(main) + 1 if main in PROGRESS else None
    return {"step": step, "of": len(PROGRESS), "final": state in lifecycle.FINAL_STATES}


def type_view(bt: Any, detail: bool) -> dict:
    view: dict[str, Any] = {
        "code": bt.code,
        "name": bt.name,
        "kind": bt.kind,
        "system": bt.system,
        "authority": bt.authority,
        "multi_category": bt.multi_category,
        "lanes": [{"code": lane, "label": LANES[lane]} for lane in bt.lanes],
        "natures": [{"code": k, "label": v} for k, v in (bt.natures or {}).items()],
        "submitters": [{"code": k, "label": v} for k, v in (bt.submitters or {}).items()],
        "transactions": [
            {
                "code": k,
                "label": t["label"],
                "needs_precheck": t["needs_precheck"],
                "lanes": bt.lanes_for(k),
                "case_type": t["review"]["case_type"],
                "levels": list(t["review"]["levels"]),
                "time_limit_days": dict(t["time_limit_days"]),
            }
            for k, t in bt.transactions.items()
        ],
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "graded": c.graded,
                "grades": [{"code": g.code, "scope": g.scope} for g in c.grades.values()],
            }
            for c in bt.categories.values()
        ],
    }
    if detail:
        view["attachments"] = [dict(a) for a in bt.attachments]
        view["standards"] = {
            f"{c.code}.{g.code}": [dict(s) for s in g.standards]
            for c in bt.categories.values()
            for g in c.grades.values()
        }
    return view


def app_dict(uow: Any, app: Application) -> dict:
    """The application as the adapters (申报表, review's fields) read it."""
    original = None
    if app.original_licence_id:
        lic = uow.licences.get(app.original_licence_id)
        original = lic.number if lic else None
    return {
        "id": str(app.id),
        "number": app.number,
        "type_code": app.type_code,
        "transaction_kind": app.transaction_kind,
        "items": list(app.items or []),
        "lane": app.lane,
        "nature": app.nature,
        "submitter": app.submitter,
        "values": dict(app.values or {}),
        "original_licence_number": original,
        "enterprise_name": app.enterprise_name,
        "enterprise_uscc": app.enterprise_uscc,
        "region_code": app.region_code,
    }


def application_view(
    deps: Deps, uow: Any, app: Application, actor: dict | None, detail: bool = False
) -> dict:
    bt = type_of(deps, app)
    seconds = commitment_seconds(deps)
    remaining = None
    if app.commitment_opened_at is not None and app.state == "previewed":
        remaining = max(0.0, seconds - (_now() - app.commitment_opened_at).total_seconds())
    named = [i["name"] for i in app.correction_items or [] if i["target"] == "field"]
    view: dict[str, Any] = {
        "id": str(app.id),
        "number": app.number,
        "enterprise_id": str(app.enterprise_id),
        "enterprise_name": app.enterprise_name,
        "type_code": app.type_code,
        "type_name": bt.name,
        "transaction_kind": app.transaction_kind,
        "transaction_label": bt.transaction(app.transaction_kind)["label"],
        "items": list(app.items or []),
        "selection": adapters.selection_text(bt, app.items or []),
        "lane": app.lane,
        "lane_label": LANES.get(app.lane, app.lane),
        "nature": app.nature,
        "submitter": app.submitter,
        "state": app.state,
        "state_label": lifecycle.STATES[app.state],
        "version": app.version,
        "revision": app.revision,
        "case_ref": app.case_ref,
        "review_step": app.review_step,
        "batch_id": str(app.batch_id) if app.batch_id else None,
        "precheck": app.precheck,
        "precheck_records_version": app.precheck_records_version,
        "values": dict(app.values or {}),
        "form_inputs": prefill.form_inputs(bt, app.transaction_kind, app.values or {}),
        "owed_standards": list(app.owed_standards or []),
        "correction_items": list(app.correction_items or []),
        "correction_inputs": [
            {"name": name, "label": spec["label"], "value": (app.values or {}).get(spec["key"])}
            for name, spec in adapters.correction_inputs(bt, app.transaction_kind, named).items()
        ]
        if app.state == "correction_requested"
        else [],
        "correction_deadline": _iso(app.correction_deadline),
        "decision": app.decision,
        "decision_reason": app.decision_reason,
        "licence_id": str(app.licence_id) if app.licence_id else None,
        "form_attachment_id": str(app.form_attachment_id) if app.form_attachment_id else None,
        "signed_scan_id": str(app.signed_scan_id) if app.signed_scan_id else None,
        "commitment_seconds": seconds,
        "commitment_opened_at": _iso(app.commitment_opened_at),
        "commitment_remaining_seconds": remaining,
        "submitted_at": _iso(app.submitted_at),
        "created_at": _iso(app.created_at),
        "updated_at": _iso(app.updated_at),
        "allowed_actions": lifecycle.allowed_actions(app.state),
        "progress": progress(app.state),
    }
    if detail:
        view.update(application_detail(deps, uow, app, bt))
    return view


def application_detail(deps: Deps, uow: Any, app: Application, bt: Any) -> dict[str, Any]:
    """The detail page's extras: files, history, owed materials, required attachments."""
    repo = uow.apps
    missing, owable = missing_materials(deps, uow, app)
    absent = {m["code"] for m in missing + owable}
    return {
        "attachments": [
            dict(attachment_view(a), purpose=a.purpose, label=a.label) for a in repo.attachments_of(app.id)
        ],
        "history": [
            {
                "at": _iso(h.at),
                "action": h.action,
                "action_label": lifecycle.ACTIONS.get(h.action, EXTRA_ACTIONS.get(h.action, h.action)),
                "from_state": h.from_state,
                "to_state": h.to_state,
                "to_label": lifecycle.STATES.get(h.to_state or "", h.to_state),
                "actor_id": h.actor_id,
                "actor_kind": h.actor_kind,
                "note": h.note,
                "detail": h.detail,
            }
            for h in repo.history(app.id)
        ],
        "owed_materials": [
            {
                "code": o.code,
                "name": o.name,
                "deadline": o.deadline.isoformat(),
                "fulfilled_at": _iso(o.fulfilled_at),
                "defaulted_at": _iso(o.defaulted_at),
            }
            for o in repo.owed_of(app.id)
        ],
        "required_attachments": [
            dict(spec, uploaded=spec["code"] not in absent)
            for spec in bt.required_attachments(app.transaction_kind, app.lane, app.nature, app.submitter)
        ],
    }


def licence_view(deps: Deps, lic: Licence) -> dict:
    bt = deps.catalogue.type(lic.type_code)
    today = _today()
    public = licences.public_fields(domain_licence(lic), bt, today)
    return {
        **public,
        "id": str(lic.id),
        "type_code": lic.type_code,
        "items_raw": list(lic.items or []),
        "enterprise_id": str(lic.enterprise_id),
        "verify_token": lic.verify_token,
        "verify_path": f"/verify/{lic.verify_token}",
        "at_risk": lic.at_risk,
        "certificate_attachment_id": str(lic.certificate_attachment_id)
        if lic.certificate_attachment_id
        else None,
        "application_id": str(lic.application_id) if lic.application_id else None,
        "actions": certificate_actions.offered(bt, domain_licence(lic), str(lic.id), today),
    }


def batch_view(deps: Deps, uow: Any, batch: Batch, actor: dict) -> dict:
    apps = uow.apps.in_batch(batch.id)
    return {
        "id": str(batch.id),
        "name": batch.name,
        "status": batch.status,
        "status_label": "已上报" if batch.status == "submitted" else "待上报",
        "created_at": _iso(batch.created_at),
        "submitted_at": _iso(batch.submitted_at),
        "applications": [application_view(deps, uow, a, actor) for a in apps],
    }
