"""Licences: issue (or change, or cancel) on approval with the certificate PDF, and the
status an admin sets (暂扣 / 撤销 / 恢复)."""

from __future__ import annotations

import secrets
from typing import Any

from services.common.errors import (
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.permits import adapters, licences, renewal_window, transactions
from services.permits.events import LICENCE_ISSUED, LICENCE_STATUS_CHANGED
from services.permits.models import Application, Licence
from services.permits.usecases import views
from services.permits.usecases._support import (
    DEFAULT_REGION,
    LICENCE_NOT_FOUND,
    Deps,
    _today,
    domain_licence,
    keep,
    licence_details,
    move,
    require_staff,
    type_of,
)


def issue(deps: Deps, uow: Any, app: Application) -> Licence | None:
    """What the approved application changes (transactions.licence_after), with its events."""
    bt = type_of(deps, app)
    repo = uow.licences
    today = _today()
    original = repo.get(app.original_licence_id, for_update=True) if app.original_licence_id else None
    number = None
    if app.transaction_kind == "new":
        number = licences.next_number(
            bt, app.region_code or DEFAULT_REGION, today.year, repo.next_sequence(bt.code, today.year)
        )
    outcome = transactions.licence_after(
        app.transaction_kind,
        domain_licence(original) if original else None,
        {
            "items": [(i["category"], i["grade"]) for i in app.items or []],
            "number": number,
            "holder_id": str(app.enterprise_id),
            "holder_name": app.enterprise_name or "",
            "holder_uscc": app.enterprise_uscc or "",
            "details": licence_details(app.values or {}),
        },
        today,
        business_type=bt,
    )
    if original is not None and outcome.previous is not None:
        set_status(uow, original, outcome.previous.status, None, renewal=bt.renewal)
    if outcome.licence is None:  # 注销: nothing new to issue
        move(uow, app, "issue_licence", None, note=f"证书{original.number if original else ''}已注销")
        return None
    new = outcome.licence
    licence = Licence(
        number=new.number,
        type_code=new.type_code,
        items=[{"category": i.category, "grade": i.grade} for i in new.items],
        enterprise_id=app.enterprise_id,
        holder_name=new.holder_name,
        holder_uscc=new.holder_uscc,
        issued_on=new.issued_on,
        first_issued_on=new.first_issued_on,
        valid_from=new.valid_from,
        valid_until=new.valid_until,
        edition=new.edition,
        status=new.status,
        verify_token=secrets.token_urlsafe(24),
        application_id=app.id,
        details=dict(new.details),
    )
    repo.add(licence)
    if original is not None:
        original.replaced_by = licence.id
    number, valid_from, valid_until = licence.number, licence.valid_from, licence.valid_until
    verify_url = f"{deps.public_url}/verify/{licence.verify_token}"
    context = adapters.certificate_context(bt, domain_licence(licence))
    name = bt.licence["certificate_name"]
    checked = deps.render(adapters.CERTIFICATE_JOB, context, verify_url, f"{name}-{number}.pdf")
    cert = keep(deps, uow, app, "certificate", name, checked, None)
    cert.licence_id = licence.id
    licence.certificate_attachment_id = cert.id
    app.licence_id = licence.id
    move(uow, app, "issue_licence", None, note=f"核发证书 {number}", licence_number=number)
    uow.add_event(
        LICENCE_ISSUED,
        {
            "licence_id": licence.id,
            "enterprise_id": licence.enterprise_id,
            "application_id": app.id,
            "number": number,
            "type_code": licence.type_code,
            "items": licence.items,
            "valid_from": valid_from,
            "valid_until": valid_until,
            **renewal_window.event_fields(bt.renewal, valid_until),
        },
    )
    uow.audit("permits.licence.issued", subject_id=str(licence.id), number=number, application_id=str(app.id))
    return licence


def set_status(
    uow: Any,
    licence: Licence,
    status: str,
    actor: dict | None,
    reason: str | None = None,
    renewal: dict | None = None,
) -> None:
    """``renewal``: the type's renewal rules (catalogue), for the window the event carries."""
    if status not in licences.STORED_STATUSES:
        raise ValidationFailed.from_fields({"status": [field_error("unknown", "证书状态不正确")]})
    old = licence.status
    licence.status = status
    uow.add_event(
        LICENCE_STATUS_CHANGED,
        {
            "licence_id": licence.id,
            "enterprise_id": licence.enterprise_id,
            "number": licence.number,
            "type_code": licence.type_code,
            "status": status,
            "valid_until": licence.valid_until,
            **renewal_window.event_fields(renewal or {}, licence.valid_until),
        },
    )
    uow.audit(
        "permits.licence.status_changed",
        actor_id=(actor or {}).get("id"),
        subject_id=str(licence.id),
        old=old,
        new=status,
        reason=reason,
    )


def set_licence_status(deps: Deps, actor: dict, licence_id: str, status: str, reason: str = "") -> dict:
    """暂扣 / 撤销 / 恢复 by an admin (the public verify page shows it at once)."""
    require_staff(actor, admin=True)
    if status in ("suspended", "revoked") and not (reason or "").strip():
        raise ValidationFailed.from_fields({"reason": [field_error("required", "暂扣或撤销证书须填写原因")]})
    if status not in ("valid", "suspended", "revoked"):
        raise ValidationFailed.from_fields(
            {"status": [field_error("unknown", "只能将证书设为有效、暂扣或撤销")]}
        )
    with deps.begin() as uow:
        lic = uow.licences.get(uuid_or_not_found(licence_id, LICENCE_NOT_FOUND), for_update=True)
        if lic is None:
            raise NotFound(LICENCE_NOT_FOUND)
        if lic.status in ("replaced", "cancelled"):
            raise InvalidTransition("已换发或注销的证书不能再变更状态")
        set_status(uow, lic, status, actor, reason=(reason or "").strip() or None,
                   renewal=getattr(deps.catalogue.types.get(lic.type_code), "renewal", None))
        uow.commit()
        return views.licence_view(deps, lic)
