"""permits' reads: the catalogue, applications, files, licences, batches, the credit register,
open cases. Each checks who may read what (``_support.may_read``) before it answers."""

from __future__ import annotations

from typing import Any

from services.common import jurisdiction
from services.common.errors import NotFound, uuid_or_not_found
from services.common.wording import joined
from services.permits import licences, lifecycle
from services.permits.usecases import views
from services.permits.usecases._support import (
    LICENCE_NOT_FOUND,
    Deps,
    _iso,
    _today,
    domain_licence,
    enterprise_for,
    load,
    may_read,
    require_staff,
    type_of,
)
from services.permits.usecases.batches import batch


def catalogue_types(deps: Deps, actor: dict) -> list[dict]:
    return [views.type_view(bt, detail=False) for bt in deps.catalogue.types.values()]


def catalogue_type(deps: Deps, actor: dict, type_code: str) -> dict:
    try:
        bt = deps.catalogue.type(type_code)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None
    return views.type_view(bt, detail=True)


def get_application(deps: Deps, actor: dict, application_id: str) -> dict:
    with deps.begin() as uow:
        app = load(deps, uow, actor, application_id, write=False)
        return views.application_view(deps, uow, app, actor, detail=True)


def list_applications(deps: Deps, actor: dict, query: dict | None = None) -> list[dict]:
    """我的资质 / 申报批次: ``query.state_group`` pending (待上报) | submitted (已上报) | all,
    ``query.batched`` true / false / absent."""
    query = query or {}
    eid = enterprise_for(deps, actor, write=False)
    group = query.get("state_group") or "all"
    with deps.begin() as uow:
        result = []
        for app in uow.apps.of_enterprise(eid):
            if app.state == "discarded" and group != "all":
                continue
            pending = app.state in lifecycle.DRAFT_STATES
            if group == "pending" and not pending or group == "submitted" and pending:
                continue
            if (
                "batched" in query
                and query["batched"] is not None
                and bool(app.batch_id) != bool(query["batched"])
            ):
                continue
            result.append(views.application_view(deps, uow, app, actor))
        return result


def attachment_url(deps: Deps, actor: dict, attachment_id: str) -> dict:
    """A short-lived download link of an application's file (申报表, signed scan, material,
    licence PDF) for whoever may read the application; anyone else: 404 and an audit row."""
    aid = uuid_or_not_found(attachment_id, "附件不存在")
    with deps.begin() as uow:
        row = uow.apps.attachment(aid)
        app = uow.apps.get(row.application_id) if row is not None and row.application_id else None
        found = (
            None
            if row is None
            else (
                row.enterprise_id,
                app.case_ref if app else None,
                row.storage_key,
                row.filename,
                row.content_type,
            )
        )
    if found is None or not may_read(deps, actor, found[0], found[1]):
        deps.audit_alone("permits.access_refused", actor, aid, reason="attachment")
        raise NotFound("附件不存在")
    _, _, key, filename, content_type = found
    url = deps.store().download_url(key, filename)
    return {"url": url, "filename": filename, "content_type": content_type}


# ---- licences ---------------------------------------------------------------------------------
def my_licences(deps: Deps, actor: dict) -> list[dict]:
    eid = enterprise_for(deps, actor, write=False)
    with deps.begin() as uow:
        return [views.licence_view(deps, lic) for lic in uow.licences.of_enterprise(eid)]


def get_licence(deps: Deps, actor: dict, licence_id: str) -> dict:
    with deps.begin() as uow:
        lic = uow.licences.get(uuid_or_not_found(licence_id, LICENCE_NOT_FOUND))
        app = uow.apps.get(lic.application_id) if lic is not None and lic.application_id else None
        if lic is None or not may_read(deps, actor, lic.enterprise_id, app.case_ref if app else None):
            uow.rollback()
            deps.audit_alone("permits.access_refused", actor, licence_id, reason="licence")
            raise NotFound(LICENCE_NOT_FOUND)
        return views.licence_view(deps, lic)


def find_licences(deps: Deps, actor: dict, number: str = "", at_risk: bool = False) -> list[dict]:
    """Staff look licences up by (part of) their number, newest first; ``at_risk``: only
    those flagged because their standards are no longer met. A reviewer sees only the
    licences of enterprises in their desk's jurisdiction, admins and the ministry all."""
    require_staff(actor)
    prefix = jurisdiction.region_prefix(actor)
    if prefix is None:  # a reviewer without a desk (level and region) has no jurisdiction
        return []
    with deps.begin() as uow:
        return [
            views.licence_view(deps, lic)
            for lic in uow.licences.search(
                str(number or "").strip()[:60], at_risk=bool(at_risk), region_prefix=prefix
            )
        ]


def verify_licence(deps: Deps, token: str) -> dict:
    """Public: non-sensitive fields and the live status of the licence behind a QR code."""
    with deps.begin() as uow:
        lic = uow.licences.by_token(str(token or "")[:64]) if token else None
        if lic is None:
            raise NotFound("未查询到该证书，请核对二维码或证书编号。")
        bt = deps.catalogue.type(lic.type_code)
        return licences.public_fields(domain_licence(lic), bt, _today())


# ---- for enterprise's name-change check ---------------------------------------------------------
def open_cases_of(deps: Deps, enterprise_id: str) -> dict:
    eid = uuid_or_not_found(enterprise_id, "企业不存在")
    with deps.begin() as uow:
        result = []
        for app in uow.apps.of_enterprise(eid, lifecycle.OPEN_STATES):
            bt = type_of(deps, app)
            result.append(
                {
                    "id": str(app.id),
                    "kind": "permits_application",
                    "title": joined(bt.name, bt.transaction(app.transaction_kind)["label"])
                    + f" {app.number}",
                    "status": lifecycle.STATES[app.state],
                }
            )
        return {"open": result}


# ---- batches and the credit register --------------------------------------------------------------
def list_batches(deps: Deps, actor: dict) -> list[dict]:
    eid = enterprise_for(deps, actor, write=False)
    with deps.begin() as uow:
        return [views.batch_view(deps, uow, b, actor) for b in uow.batches.of_enterprise(eid)]


def get_batch(deps: Deps, actor: dict, batch_id: str) -> dict:
    with deps.begin() as uow:
        return views.batch_view(deps, uow, batch(deps, uow, actor, batch_id, write=False), actor)


def credit_register(deps: Deps, actor: dict) -> list[dict[str, Any]]:
    require_staff(actor)
    with deps.begin() as uow:
        return [
            {
                "enterprise_id": str(r.enterprise_id),
                "rating": r.rating,
                "free_trade_zone": r.free_trade_zone,
                "note": r.note,
                "updated_by": r.updated_by,
                "updated_at": _iso(r.updated_at),
            }
            for r in uow.credit.all()
        ]


def holds_licence(deps: Deps, enterprise_id: str) -> dict:
    """Whether the enterprise holds a licence now (valid or suspended): a 持证企业, whose key staff
    join and leave through approval (seed 003 人员变更申请; enterprise usecases/key_staff.py)."""
    eid = uuid_or_not_found(enterprise_id, "企业不存在")
    with deps.begin() as uow:
        return {"holds": any(lic.status in ("valid", "suspended") for lic in uow.licences.of_enterprise(eid))}
