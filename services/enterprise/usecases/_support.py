"""What enterprise's use cases share: the collaborators they are given (``Deps``), one
transaction over the repository (``Tx``), the access check (``_authorise``: the actor re-checked,
reviewers only through a case about the enterprise), the enterprise row created on demand, the
change bookkeeping (history row, ``records_changed`` event, audit) and keep-file-then-row.

A use case is a function ``(deps, actor, data...)``: ``deps.begin()`` opens a transaction
(``Tx``: ``repo``, ``add_event``, ``claim_event``, ``audit``, ``commit``). The service builds
the real ones (services/enterprise/service.py); tests/unit/test_enterprise_usecases.py passes
fakes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService

from services.common.access import REGISTRATION_NOT_APPROVED, awaiting_approval, registration_refusal
from services.common.attachments import attachment_view, check_upload, metadata, store_upload
from services.common.errors import (
    FieldErrors,
    Forbidden,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.storage import ObjectStore
from services.common.transaction import ServiceTx, begin
from services.enterprise import domain
from services.enterprise.events import RECORDS_CHANGED
from services.enterprise.models import Attachment, Enterprise
from services.enterprise.repository import SECTION_MODELS, EnterpriseRepository
from services.enterprise.usecases.views import _change_request_view, enterprise_view

log = logging.getLogger(__name__)
OPEN_CASE_SERVICES = ("permits", "personnel")
OPEN_CASES_TIMEOUT_SECONDS = 5.0
NOT_FOUND = "企业信息不存在"
RECORD_NOT_FOUND = "记录不存在"


class Tx(ServiceTx):
    """One transaction over enterprise's tables: the repository, the outbox, the audit trail
    (services/common/transaction.py)."""

    def __init__(self, uow: Any) -> None:
        super().__init__(uow)
        self.repo = EnterpriseRepository(uow.session)

    def refresh_for_update(self, row: object) -> None:
        """Read the row again under its lock (FOR UPDATE)."""
        self._uow.session.refresh(row, with_for_update=True)


def transaction(db: Any) -> AbstractContextManager[Tx]:
    """``Deps.begin`` over the service's Database provider."""
    return begin(db, Tx)


@dataclass
class Deps:
    """The collaborators a use case is given (the service builds them per worker)."""

    begin: Callable[[], AbstractContextManager[Any]]
    store: Callable[[], ObjectStore]
    # session_account(account_id) -> identity's account
    session_account: Callable[[str], dict]
    # reviewer_may_read_enterprise(actor, enterprise_id) -> review's {"allowed": bool}
    reviewer_may_read_enterprise: Callable[[dict, str], dict]
    # open_cases_call(service, enterprise_id) -> an async reply of <service>.open_cases_of
    open_cases_call: Callable[[str, str], Any]
    audit_alone: Callable[..., None]
    # holds_licence(enterprise_id) -> permits' {"holds": bool} (key staff changes need approval then)
    holds_licence: Callable[[str], dict] | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _adopt_imported(repo: EnterpriseRepository, account_id: uuid.UUID, uscc: str) -> None:
    """Legacy records imported before the enterprise registered become its own."""
    imported = repo.by_uscc(uscc)
    if imported is not None and imported.id != account_id:
        from services.enterprise.importer import rekey  # the importer owns the re-keying

        rekey(repo.session, imported.id, account_id)


def _ensure(deps: Deps, uow: Any, enterprise_id: uuid.UUID) -> Enterprise:
    """The enterprise row; created from identity's account if the event has not arrived yet."""
    repo = uow.repo
    row = repo.get(enterprise_id)
    if row is not None:
        return row
    account = deps.session_account(str(enterprise_id))
    if account.get("kind") != "enterprise" or not account.get("uscc"):
        raise NotFound(NOT_FOUND)
    _adopt_imported(repo, enterprise_id, account["uscc"])
    row, created = repo.ensure(enterprise_id, account["uscc"], contact_name=account.get("contact_name"),
                               email=account.get("email"))
    if created:
        uow.audit("enterprise.created", actor_id=str(enterprise_id),
                  subject_id=str(enterprise_id), uscc=account["uscc"], source="on_demand")
    return row


def _authorise(deps: Deps, actor: dict | None, enterprise_id: object, mode: str, what: str) -> uuid.UUID:
    eid = uuid_or_not_found(enterprise_id, NOT_FOUND)
    if awaiting_approval(actor) and what != "registration_profile" and not what.startswith("attachment:"):
        # Not approved yet: only step 2 and its own scans (defence in depth behind the gateway).
        deps.audit_alone("enterprise.access_refused", actor, eid, mode=mode, what=what,
                         reason=REGISTRATION_NOT_APPROVED)
        raise Forbidden(registration_refusal(actor), code=REGISTRATION_NOT_APPROVED)
    refusal = domain.access_refusal(actor, str(eid), mode)
    if refusal:
        deps.audit_alone("enterprise.access_refused", actor, eid, mode=mode, what=what,
                         reason=refusal)
        if refusal in ("read_only", "no_module"):
            raise Forbidden("您的账号没有“企业信息”模块的办理权限" if mode == domain.WRITE
                            else "您的账号没有“企业信息”模块的查看权限")
        raise Forbidden("无权访问其他单位的信息")
    if actor is not None and actor.get("kind") == "reviewer" and what != "registration_profile" \
            and not deps.reviewer_may_read_enterprise(actor, str(eid))["allowed"]:
        # A reviewer sees an enterprise only through a case about it (registration review
        # reads step 2 before any case exists).
        deps.audit_alone("enterprise.access_refused", actor, eid, mode=mode, what=what,
                         reason="no_case")
        raise Forbidden("只能通过本辖区的审核案件查看该企业的信息")
    if actor is not None and actor.get("kind") in ("reviewer", "admin"):
        deps.audit_alone("enterprise.read_by_staff", actor, eid, what=what)
    return eid


def _own_record(deps: Deps, repo: EnterpriseRepository, actor: dict | None, eid: uuid.UUID, section: str,
                record_id: object, *, for_update: bool = False) -> Any:
    if section not in SECTION_MODELS:
        raise NotFound(RECORD_NOT_FOUND)
    rid = uuid_or_not_found(record_id, RECORD_NOT_FOUND)
    row = repo.record(section, rid, for_update=for_update)
    if row is None:
        raise NotFound(RECORD_NOT_FOUND)
    if row.enterprise_id != eid:  # another enterprise's record: existence must not leak
        deps.audit_alone("enterprise.access_refused", actor, eid, what=f"{section}:{rid}",
                         reason="record_of_other_enterprise")
        raise NotFound(RECORD_NOT_FOUND)
    return row


def _changed(uow: Any, row: Enterprise, actor: dict | None, sections: list[str], section: str,
             record_id: str | None, action: str, changes: list[tuple[str, Any, Any]] | None) -> None:
    repo = uow.repo
    repo.add_history(row.id, (actor or {}).get("id"), section, record_id, action, changes,
                     actor_name=(actor or {}).get("history_name"))
    # Incremented in SQL (UPDATE … SET records_version = records_version + 1, under the row
    # lock it takes): two edits at once both count, the version never goes back.
    row.records_version = Enterprise.records_version + 1
    row.updated_at = _now()
    uow.flush()
    uow.add_event(RECORDS_CHANGED, {"enterprise_id": row.id, "records_version": row.records_version,
                                    "sections": sections})
    uow.audit(f"enterprise.{section}.{action}", actor_id=(actor or {}).get("id"),
              subject_id=str(row.id), record_id=record_id,
              fields=",".join(c[0] for c in changes or []))


def _basic_view(uow: Any, row: Enterprise) -> dict[str, Any]:
    repo = uow.repo
    view = enterprise_view(row)
    files = {a.purpose: attachment_view(a) for a in repo.attachments_of(row.id)
             if a.purpose in domain.REQUIRED_PROFILE_FILES and a.id in (
                 row.business_licence_id, row.legal_rep_id_id)}
    view["files"] = files
    pending = repo.pending_change_request(row.id)
    view["pending_change_request"] = _change_request_view(pending) if pending else None
    return view


def _check_files(files: object, errors: FieldErrors) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    if not isinstance(files, dict):
        return checked
    for purpose, upload in files.items():
        if purpose not in domain.REQUIRED_PROFILE_FILES or not upload:
            continue
        try:
            checked[purpose] = check_upload(upload, purpose, domain.ATTACHMENT_PURPOSES[purpose][0])
        except ValidationFailed as exc:
            errors.update(exc.fields)
    return checked


def _apply_basic(deps: Deps, uow: Any, row: Enterprise, cleaned: dict[str, Any], checked: dict[str, Any],
                 actor: dict, action: str) -> None:
    if cleaned.get("parent_enterprise_id"):
        parent = uow.repo.get(
            uuid_or_not_found(cleaned["parent_enterprise_id"], "上级单位不存在"))
        if parent is None or parent.id == row.id:
            raise ValidationFailed.from_fields(
                {"parent_name": [field_error("invalid", "请从查询结果中选择上级单位")]})
        cleaned["parent_enterprise_id"] = parent.id
        cleaned["parent_name"] = parent.name
    changes = domain.diff(enterprise_view(row), {k: (str(v) if isinstance(v, uuid.UUID) else v)
                                                 for k, v in cleaned.items()})
    for name, value in cleaned.items():
        setattr(row, name, value)
    for purpose, upload in checked.items():
        attachment = _store(deps, uow, row, purpose, None, None, upload, actor)
        old_id = row.business_licence_id if purpose == "business_licence" else row.legal_rep_id_id
        setattr(row, "business_licence_id" if purpose == "business_licence" else "legal_rep_id_id",
                attachment.id)
        changes.append((purpose, str(old_id) if old_id else None, attachment.filename))
    if row.needs_completion and not domain.profile_completeness_errors(
            enterprise_view(row), {p for p in domain.REQUIRED_PROFILE_FILES
                                   if getattr(row, "business_licence_id" if p == "business_licence"
                                              else "legal_rep_id_id")}):
        row.needs_completion = False
    if changes:
        _changed(uow, row, actor, ["basic"], "basic", str(row.id), action, changes)


def _store(deps: Deps, uow: Any, row: Enterprise, purpose: str, section: str | None,
           owner_id: uuid.UUID | None, upload: Any, actor: dict) -> Attachment:
    store = deps.store()
    key = store_upload(store, f"enterprise/{purpose}", upload)
    attachment = Attachment(enterprise_id=row.id, purpose=purpose, owner_section=section,
                            owner_id=owner_id, uploaded_by=str(actor.get("id")),
                            **metadata(upload, key))
    try:
        uow.repo.add(attachment)
    except Exception:
        store.delete(key)  # no orphan file when the row cannot be written
        raise
    return attachment


def _open_cases(deps: Deps, enterprise_id: uuid.UUID) -> list[dict]:
    """Ask permits and personnel for cases in progress (REG: no name change meanwhile).

    Fails closed: if either service cannot answer, the name change is refused for now.
    """
    calls = {name: deps.open_cases_call(name, str(enterprise_id))
             for name in OPEN_CASE_SERVICES}
    cases: list[dict] = []
    for name, reply in calls.items():
        try:
            with eventlet.Timeout(OPEN_CASES_TIMEOUT_SECONDS):
                answer = reply.result()
        except (eventlet.Timeout, MethodNotFound, UnknownService, RemoteError) as exc:
            log.warning("%s.open_cases_of unavailable: %r", name, exc)
            raise ServiceError("暂时无法确认本单位是否有在办业务，请稍后再申请企业名称变更",
                               code="open_cases_unknown") from None
        cases.extend({**case, "service": name} for case in (answer or {}).get("open", []))
    return cases


def _profile_view(uow: Any, row: Enterprise) -> dict[str, Any]:
    view = _basic_view(uow, row)
    view["missing"] = domain.profile_completeness_errors(view, set(view["files"]))
    return view
