"""The section records (staff, projects, equipment, shareholders): create, update, delete."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import FieldErrors, NotFound, ValidationFailed, field_error
from services.enterprise import domain
from services.enterprise.repository import SECTION_MODELS, EnterpriseRepository
from services.enterprise.usecases import key_staff
from services.enterprise.usecases._support import (
    RECORD_NOT_FOUND,
    Deps,
    _authorise,
    _changed,
    _ensure,
    _own_record,
)
from services.enterprise.usecases.views import SECTION_VIEWS


def save_record(deps: Deps, actor: dict, enterprise_id: str, section: str, payload: dict) -> dict:
    """Create (no ``id``) or update (``id``) one record of a section."""
    if section not in SECTION_MODELS:
        raise NotFound(RECORD_NOT_FOUND)
    eid = _authorise(deps, actor, enterprise_id, domain.WRITE, section)
    if not isinstance(payload, dict):
        raise ValidationFailed("请求格式不正确", {"_": [field_error("invalid", "请求格式不正确")]})
    holds = section == "staff" and key_staff.change_holds(deps, actor, eid, payload)  # before the lock
    try:
        return _save_record(deps, actor, eid, section, payload, holds)
    except IntegrityError:  # two saves of one ID number raced past the check
        with deps.begin() as uow:
            repo = uow.repo
            holder = repo.staff_with_id_number(eid, str(payload.get("id_number", "")).strip().upper())
            if holder is None:
                raise
            raise ValidationFailed.from_fields(domain.duplicate_id_error(
                holder.id_number, {"category": holder.category, "name": holder.name,
                                   "row": repo.staff_row_of(holder)})) from None


def _save_record(deps: Deps, actor: dict, eid: uuid.UUID, section: str, payload: dict,
                 holds_licence: bool = False) -> dict:
    with deps.begin() as uow:
        enterprise = _ensure(deps, uow, eid)
        repo = uow.repo
        existing = _own_record(deps, repo, actor, eid, section, payload["id"], for_update=True) \
            if payload.get("id") else None
        cleaned, errors = _clean(repo, eid, section, payload, existing)
        if errors:
            raise ValidationFailed.from_fields(errors)
        model = SECTION_MODELS[section]
        view = SECTION_VIEWS[section]
        if existing is None:
            row = model(enterprise_id=eid, **cleaned)
            if section == "staff":
                row.row_no = repo.next_row_no(eid, cleaned["category"])
                row.imported, row.needs_completion = False, False
            repo.add(row)
            changes = None
            action = "create"
            if section == "staff" and key_staff.needs_approval(row.category, holds_licence):
                key_staff.request(uow, enterprise, row, key_staff.JOIN, actor)
                action = "join_requested"
        else:
            row = existing
            key_staff.check_not_pending(row)
            if section == "staff":
                key_staff.check_update(row, cleaned, holds_licence)
            before = view(row)
            if section == "staff" and cleaned["category"] != row.category:
                row.row_no = repo.next_row_no(eid, cleaned["category"])
            for name, value in cleaned.items():
                setattr(row, name, value)
            if section == "staff" and row.needs_completion:
                row.needs_completion = False
            uow.flush()
            changes = domain.diff(before, {k: v for k, v in view(row).items() if k in cleaned})
            action = "update"
        _changed(uow, enterprise, actor, [section], section, str(row.id), action, changes)
        result = view(row, repo.staff_row_of(row) if section == "staff" else None)
        uow.commit()
        return result


def _clean(repo: EnterpriseRepository, eid: uuid.UUID, section: str, payload: dict,
           existing: Any) -> tuple[dict[str, Any], FieldErrors]:
    if section == "staff":
        cleaned, errors = domain.clean_staff(payload)
        if cleaned.get("id_number") and "id_number" not in errors:
            holder = repo.staff_with_id_number(eid, cleaned["id_number"])
            if holder is not None and (existing is None or holder.id != existing.id):
                errors.update(domain.duplicate_id_error(cleaned["id_number"], {
                    "category": holder.category, "name": holder.name,
                    "row": repo.staff_row_of(holder)}))
        return cleaned, errors
    if section == "projects":
        return domain.clean_project(payload)
    if section == "equipment":
        return domain.clean_equipment(payload)
    others = repo.shares_total(eid, exclude=existing.id if existing is not None else None)
    return domain.clean_shareholder(payload, others)


def delete_record(deps: Deps, actor: dict, enterprise_id: str, section: str, record_id: str) -> dict:
    eid = _authorise(deps, actor, enterprise_id, domain.WRITE, section)
    holds = section == "staff" and key_staff.leaver_holds(deps, actor, eid, record_id)  # before the lock
    with deps.begin() as uow:
        enterprise = _ensure(deps, uow, eid)
        repo = uow.repo
        row = _own_record(deps, repo, actor, eid, section, record_id, for_update=True)
        key_staff.check_not_pending(row)
        if holds and key_staff.needs_approval(row.category, holds):  # 人员离职申请, reviewed
            pending = key_staff.request(uow, enterprise, row, key_staff.LEAVE, actor)
            _changed(uow, enterprise, actor, ["staff"], "staff", str(row.id), "leave_requested", None)
            uow.commit()
            return {"pending": str(row.id), **pending}
        before = SECTION_VIEWS[section](row)
        repo.delete_attachments_of(row.id)  # files stay in S3 for the audit trail
        repo.delete_record(row)
        label = before.get("name") or before.get("holder")
        _changed(uow, enterprise, actor, [section], section, str(row.id), "delete",
                 [("record", label, None)])
        uow.commit()
        return {"deleted": str(row.id)}
