"""The enterprise's basic information: created from identity's event (or on demand), read,
edited (locked fields only through a change request), its files."""

from __future__ import annotations

from services.common.attachments import attachment_view, check_upload
from services.common.contracts.identity import ENTERPRISE_ACCOUNT_REGISTERED
from services.common.errors import Forbidden, NotFound, ValidationFailed, field_error, uuid_or_not_found
from services.common.schema_errors import load_or_fail
from services.enterprise import domain
from services.enterprise.schemas import UploadSchema
from services.enterprise.usecases._support import (
    NOT_FOUND,
    Deps,
    _adopt_imported,
    _apply_basic,
    _authorise,
    _basic_view,
    _changed,
    _check_files,
    _ensure,
    _own_record,
    _store,
)
from services.enterprise.usecases.views import enterprise_view


def on_enterprise_account_registered(deps: Deps, body: dict) -> None:
    envelope = ENTERPRISE_ACCOUNT_REGISTERED.parse(body)
    data = envelope["data"]
    with deps.begin() as uow:
        if not uow.claim_event(envelope["id"], "enterprise.on_enterprise_account_registered"):
            return
        repo = uow.repo
        _adopt_imported(repo, data["account_id"], data["uscc"])
        _, created = repo.ensure(data["account_id"], data["uscc"], contact_name=data["contact_name"],
                                 email=data["email"])
        if created:
            uow.audit("enterprise.created", actor_id=data["account_id"],
                      subject_id=data["account_id"], uscc=data["uscc"], source="event")
        uow.commit()


def get_enterprise(deps: Deps, actor: dict, enterprise_id: str) -> dict:
    eid = _authorise(deps, actor, enterprise_id, domain.READ, "basic")
    with deps.begin() as uow:
        row = _ensure(deps, uow, eid) if domain.acting_enterprise(actor) == str(eid) else \
            uow.repo.get(eid)
        if row is None:
            raise NotFound(NOT_FOUND)
        view = _basic_view(uow, row)
        uow.commit()  # keeps a row created on demand
        return view


def update_basic_info(deps: Deps, actor: dict, enterprise_id: str, payload: dict) -> dict:
    """Directly editable fields (and files); a locked or read-only field is refused."""
    eid = _authorise(deps, actor, enterprise_id, domain.WRITE, "basic")
    if not isinstance(payload, dict):
        raise ValidationFailed("请求格式不正确", {"_": [field_error("invalid", "请求格式不正确")]})
    with deps.begin() as uow:
        row = _ensure(deps, uow, eid)
        current = enterprise_view(row)
        locked = [n for n in domain.locked_edits(current, {k: payload.get(k) for k in payload
                                                          if k in (*domain.LOCKED_FIELDS, "uscc")})
                  if n == "uscc" or current.get(n)]  # an empty locked field may be filled once
        fields = {k: v for k, v in payload.items() if k in domain.PROFILE_FIELDS}
        cleaned, errors = domain.clean_basic_info(fields)
        errors.update(domain.locked_edit_errors(locked))
        checked = _check_files(payload.get("files"), errors)
        if errors:
            raise ValidationFailed.from_fields(errors)
        cleaned = {k: v for k, v in cleaned.items() if k not in locked}
        _apply_basic(deps, uow, row, cleaned, checked, actor, "update")
        view = _basic_view(uow, row)
        uow.commit()
        return view


def upload_attachment(deps: Deps, actor: dict, enterprise_id: str, payload: dict) -> dict:
    """A file of a roster person, project or equipment (or one of the two basic-info PDFs)."""
    eid = _authorise(deps, actor, enterprise_id, domain.WRITE, "attachments")
    data = load_or_fail(UploadSchema(), payload)
    purpose = data["purpose"]
    if purpose not in domain.ATTACHMENT_PURPOSES:
        raise ValidationFailed.from_fields({"purpose": [field_error("invalid", "附件类别不正确")]})
    kinds, section = domain.ATTACHMENT_PURPOSES[purpose]
    if section is None:
        return update_basic_info(deps, actor, enterprise_id, {"files": {purpose: data["file"]}})["files"][
            purpose]
    upload = check_upload(data["file"], "file", kinds)
    with deps.begin() as uow:
        row = _ensure(deps, uow, eid)
        repo = uow.repo
        owner = _own_record(deps, repo, actor, eid, section, data["owner_id"])
        attachment = _store(deps, uow, row, purpose, section, owner.id, upload, actor)
        _changed(uow, row, actor, [section], section, str(owner.id), "attach",
                 [("attachment", None, attachment.filename)])
        view = attachment_view(attachment)
        uow.commit()
        return view


def attachment_url(deps: Deps, actor: dict, attachment_id: str) -> dict:
    aid = uuid_or_not_found(attachment_id, "附件不存在")
    with deps.begin() as uow:
        attachment = uow.repo.attachment(aid)
        if attachment is None:
            uow.rollback()
            deps.audit_alone("enterprise.access_refused", actor, aid, what="attachment", reason="unknown")
            raise NotFound("附件不存在")
        found = {"enterprise_id": attachment.enterprise_id, "key": attachment.storage_key,
                 "filename": attachment.filename, "content_type": attachment.content_type}
        # Every file, the registration scans too, by the case rule: a reviewer reads it
        # through a case about the enterprise that their desk works on (registration review
        # is one: identity:registration:<id>, province desks), admins always.
        what = f"attachment:{aid}"
    try:
        _authorise(deps, actor, found["enterprise_id"], domain.READ, what)
    except Forbidden:
        raise NotFound("附件不存在") from None  # someone else's file: do not confirm it exists
    url = deps.store().download_url(found["key"], found["filename"])
    return {"url": url, "filename": found["filename"], "content_type": found["content_type"]}
