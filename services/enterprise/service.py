"""enterprise's nameko entrypoints: thin, schema in, domain, schema out.

Every RPC that acts for a user takes the actor dict first (docs/contracts.md) and re-checks
it here (``domain.access_refusal``): the gateway's check is only the first door.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from typing import Any

import eventlet
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService
from sqlalchemy.exc import IntegrityError

from services.common import audit
from services.common.access import REGISTRATION_NOT_APPROVED, awaiting_approval, registration_refusal
from services.common.attachments import attachment_view, check_upload, metadata, store_upload
from services.common.base import PlatformService, service_rpc
from services.common.contracts.identity import ENTERPRISE_ACCOUNT_REGISTERED
from services.common.errors import (
    Conflict,
    FieldErrors,
    Forbidden,
    InvalidTransition,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.events import reliable_event_handler
from services.common.import_jobs import ImportJobs
from services.common.renderpool import Renderers
from services.common.rpc import PlatformRpcProxy
from services.common.schema_errors import load_or_fail
from services.common.storage import ObjectStore
from services.enterprise import changes as change_rules
from services.enterprise import domain
from services.enterprise import history as history_rules
from services.enterprise.events import (
    CASE_CLOSED,
    CASE_DECIDED,
    CHANGE_REQUESTED,
    RECORDS_CHANGED,
    REGISTRATION_PROFILE_SUBMITTED,
    REVIEW_REQUESTED,
)
from services.enterprise.models import Attachment, ChangeRequest, Enterprise, Staff
from services.enterprise.repository import SECTION_MODELS, EnterpriseRepository
from services.enterprise.schemas import ChangeRequestSchema, ListQuerySchema, UploadSchema
from services.enterprise.usecases import key_staff, legacy, legacy_import

log = logging.getLogger(__name__)
OPEN_CASE_SERVICES = ("permits", "personnel")
OPEN_CASES_TIMEOUT_SECONDS = 5.0
NOT_FOUND = "企业信息不存在"
RECORD_NOT_FOUND = "记录不存在"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


# ---- row → dict ------------------------------------------------------------------------------
def enterprise_view(row: Enterprise) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(row.id), "enterprise_id": str(row.id), "uscc": row.uscc}
    for name in domain.PROFILE_FIELDS:
        value = getattr(row, name)
        out[name] = _iso(value) if isinstance(value, date) else (
            str(value) if isinstance(value, uuid.UUID) else value)
    out.update({
        "enterprise_type_label": domain.ENTERPRISE_TYPES.get(row.enterprise_type or "", ""),
        "region_label": domain.region_label(row.region_code),
        "profile_status": row.profile_status,
        "profile_submitted_at": _iso(row.profile_submitted_at),
        "records_version": row.records_version,
        "imported": row.imported, "needs_completion": row.needs_completion,
        "updated_at": _iso(row.updated_at),
        "field_kinds": {**{n: "read_only" for n in domain.READ_ONLY_FIELDS},
                        **{n: "locked" for n in domain.LOCKED_FIELDS},
                        **{n: "editable" for n in domain.EDITABLE_FIELDS}},
    })
    return out


def staff_view(row: Staff, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "category": row.category,
            "category_label": domain.STAFF_CATEGORIES.get(row.category, row.category),
            "name": row.name, "id_type": row.id_type, "id_number": row.id_number,
            "gender": row.gender, "education": row.education, "mobile": row.mobile,
            "title": row.title, "title_level": row.title_level, "skill_level": row.skill_level,
            "specialty": row.specialty, "years_experience": row.years_experience,
            "witness_phone": row.witness_phone, "certificates": list(row.certificates or []),
            "work_experience": list(row.work_experience or []),
            "training_history": list(row.training_history or []),
            "imported": row.imported, "needs_completion": row.needs_completion,
            "approval": row.approval, "approval_label": key_staff.APPROVAL_LABELS.get(row.approval or "")}


def project_view(row: Any, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "name": row.name, "client": row.client,
            "category": row.category,
            "category_label": domain.PROJECT_CATEGORIES.get(row.category, row.category),
            "grade": row.grade, "voltage_kv": row.voltage_kv,
            "contract_amount_wan": row.contract_amount_wan, "length_km": row.length_km,
            "started_on": _iso(row.started_on), "completed_on": _iso(row.completed_on)}


def equipment_view(row: Any, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "name": row.name, "kind": row.kind, "model": row.model,
            "quantity": row.quantity}


def shareholder_view(row: Any, position: int | None = None) -> dict[str, Any]:
    return {"id": str(row.id), "row": position, "holder": row.holder, "holder_kind": row.holder_kind,
            "share_percent": row.share_percent}


SECTION_VIEWS = {"staff": staff_view, "projects": project_view, "equipment": equipment_view,
                 "shareholders": shareholder_view}
OWNER_PURPOSE = {"staff": "staff_document", "projects": "project_acceptance",
                 "equipment": "equipment_proof"}


def _history_view(row: Any) -> dict[str, Any]:
    return {"at": _iso(row.at), "actor_id": row.actor_id, "actor_name": row.actor_name,
            "operator": history_rules.operator_label(row.actor_name, row.actor_id, str(row.enterprise_id)),
            "section": row.section,
            "section_label": domain.SECTION_LABELS.get(row.section, row.section),
            "record_id": row.record_id, "action": row.action, "field": row.field,
            "field_label": domain.FIELD_LABELS.get(row.field or "", row.field),
            "old": row.old_value, "new": row.new_value,
            "old_label": domain.value_label(row.field, row.old_value),
            "new_label": domain.value_label(row.field, row.new_value)}


def _change_request_view(row: ChangeRequest) -> dict[str, Any]:
    return {"id": str(row.id), "status": row.status, "changes": row.changes, "reason": row.reason,
            "decision_reason": row.decision_reason,
            "licence_attachment_id": str(row.licence_attachment_id) if row.licence_attachment_id else None,
            "requested_by": row.requested_by, "created_at": _iso(row.created_at),
            "labels": {k: domain.FIELD_LABELS.get(k, k) for k in row.changes},
            "shown": {k: {"old": domain.value_label(k, (v or {}).get("old")),
                          "new": domain.value_label(k, (v or {}).get("new"))}
                      for k, v in row.changes.items()}}


CHANGE_CASE_PREFIX = "enterprise:change:"


class EnterpriseService(PlatformService):
    name = "enterprise"

    identity = PlatformRpcProxy("identity")
    permits = PlatformRpcProxy("permits")
    personnel = PlatformRpcProxy("personnel")
    review = PlatformRpcProxy("review")
    # CIP 旧数据导入 from the admin page: openpyxl in a worker process, the job in the background.
    renderers = Renderers(legacy_import.PARSE_JOB, lazy=True)
    import_jobs = ImportJobs()

    # ---- creation --------------------------------------------------------------------
    @reliable_event_handler("identity", "enterprise_account_registered")
    def on_enterprise_account_registered(self, body: dict) -> None:
        envelope = ENTERPRISE_ACCOUNT_REGISTERED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(envelope["id"], "enterprise.on_enterprise_account_registered"):
                return
            repo = EnterpriseRepository(uow.session)
            self._adopt_imported(repo, data["account_id"], data["uscc"])
            _, created = repo.ensure(data["account_id"], data["uscc"], contact_name=data["contact_name"],
                                     email=data["email"])
            if created:
                audit.record(uow.session, "enterprise.created", actor_id=data["account_id"],
                             subject_id=data["account_id"], uscc=data["uscc"], source="event")
            uow.commit()

    def _adopt_imported(self, repo: EnterpriseRepository, account_id: uuid.UUID, uscc: str) -> None:
        """Legacy records imported before the enterprise registered become its own."""
        imported = repo.by_uscc(uscc)
        if imported is not None and imported.id != account_id:
            from services.enterprise.importer import rekey  # the importer owns the re-keying

            rekey(repo.session, imported.id, account_id)

    def _ensure(self, uow: Any, enterprise_id: uuid.UUID) -> Enterprise:
        """The enterprise row; created from identity's account if the event has not arrived yet."""
        repo = EnterpriseRepository(uow.session)
        row = repo.get(enterprise_id)
        if row is not None:
            return row
        account = self.identity.session_account(str(enterprise_id))
        if account.get("kind") != "enterprise" or not account.get("uscc"):
            raise NotFound(NOT_FOUND)
        self._adopt_imported(repo, enterprise_id, account["uscc"])
        row, created = repo.ensure(enterprise_id, account["uscc"], contact_name=account.get("contact_name"),
                                   email=account.get("email"))
        if created:
            audit.record(uow.session, "enterprise.created", actor_id=str(enterprise_id),
                         subject_id=str(enterprise_id), uscc=account["uscc"], source="on_demand")
        return row

    # ---- access ------------------------------------------------------------------------
    def _authorise(self, actor: dict | None, enterprise_id: object, mode: str, what: str) -> uuid.UUID:
        eid = uuid_or_not_found(enterprise_id, NOT_FOUND)
        if awaiting_approval(actor) and what != "registration_profile" and not what.startswith("attachment:"):
            # Not approved yet: only step 2 and its own scans (defence in depth behind the gateway).
            self.audit_alone("enterprise.access_refused", actor, eid, mode=mode, what=what,
                             reason=REGISTRATION_NOT_APPROVED)
            raise Forbidden(registration_refusal(actor), code=REGISTRATION_NOT_APPROVED)
        refusal = domain.access_refusal(actor, str(eid), mode)
        if refusal:
            self.audit_alone("enterprise.access_refused", actor, eid, mode=mode, what=what,
                             reason=refusal)
            if refusal in ("read_only", "no_module"):
                raise Forbidden("您的账号没有“企业信息”模块的办理权限" if mode == domain.WRITE
                                else "您的账号没有“企业信息”模块的查看权限")
            raise Forbidden("无权访问其他单位的信息")
        if actor is not None and actor.get("kind") == "reviewer" and what != "registration_profile" \
                and not self.review.reviewer_may_read_enterprise(actor, str(eid))["allowed"]:
            # A reviewer sees an enterprise only through a case about it (registration review
            # reads step 2 before any case exists).
            self.audit_alone("enterprise.access_refused", actor, eid, mode=mode, what=what,
                             reason="no_case")
            raise Forbidden("只能通过本辖区的审核案件查看该企业的信息")
        if actor is not None and actor.get("kind") in ("reviewer", "admin"):
            self.audit_alone("enterprise.read_by_staff", actor, eid, what=what)
        return eid

    def _own_record(self, repo: EnterpriseRepository, actor: dict | None, eid: uuid.UUID, section: str,
                    record_id: object, *, for_update: bool = False) -> Any:
        if section not in SECTION_MODELS:
            raise NotFound(RECORD_NOT_FOUND)
        rid = uuid_or_not_found(record_id, RECORD_NOT_FOUND)
        row = repo.record(section, rid, for_update=for_update)
        if row is None:
            raise NotFound(RECORD_NOT_FOUND)
        if row.enterprise_id != eid:  # another enterprise's record: existence must not leak
            self.audit_alone("enterprise.access_refused", actor, eid, what=f"{section}:{rid}",
                             reason="record_of_other_enterprise")
            raise NotFound(RECORD_NOT_FOUND)
        return row

    # ---- change bookkeeping ----------------------------------------------------------------
    def _changed(self, uow: Any, row: Enterprise, actor: dict | None, sections: list[str], section: str,
                 record_id: str | None, action: str, changes: list[tuple[str, Any, Any]] | None) -> None:
        repo = EnterpriseRepository(uow.session)
        repo.add_history(row.id, (actor or {}).get("id"), section, record_id, action, changes,
                         actor_name=(actor or {}).get("history_name"))
        # Incremented in SQL (UPDATE … SET records_version = records_version + 1, under the row
        # lock it takes): two edits at once both count, the version never goes back.
        row.records_version = Enterprise.records_version + 1
        row.updated_at = _now()
        uow.session.flush()
        uow.add_event(RECORDS_CHANGED, {"enterprise_id": row.id, "records_version": row.records_version,
                                        "sections": sections})
        audit.record(uow.session, f"enterprise.{section}.{action}", actor_id=(actor or {}).get("id"),
                     subject_id=str(row.id), record_id=record_id,
                     fields=",".join(c[0] for c in changes or []))

    # ---- basic info -------------------------------------------------------------------------
    @service_rpc
    def get_enterprise(self, actor: dict, enterprise_id: str) -> dict:
        eid = self._authorise(actor, enterprise_id, domain.READ, "basic")
        with self.db.unit_of_work() as uow:
            row = self._ensure(uow, eid) if domain.acting_enterprise(actor) == str(eid) else \
                EnterpriseRepository(uow.session).get(eid)
            if row is None:
                raise NotFound(NOT_FOUND)
            view = self._basic_view(uow, row)
            uow.commit()  # keeps a row created on demand
            return view

    def _basic_view(self, uow: Any, row: Enterprise) -> dict[str, Any]:
        repo = EnterpriseRepository(uow.session)
        view = enterprise_view(row)
        files = {a.purpose: attachment_view(a) for a in repo.attachments_of(row.id)
                 if a.purpose in domain.REQUIRED_PROFILE_FILES and a.id in (
                     row.business_licence_id, row.legal_rep_id_id)}
        view["files"] = files
        pending = repo.pending_change_request(row.id)
        view["pending_change_request"] = _change_request_view(pending) if pending else None
        return view

    @service_rpc
    def update_basic_info(self, actor: dict, enterprise_id: str, payload: dict) -> dict:
        """Directly editable fields (and files); a locked or read-only field is refused."""
        eid = self._authorise(actor, enterprise_id, domain.WRITE, "basic")
        if not isinstance(payload, dict):
            raise ValidationFailed("请求格式不正确", {"_": [field_error("invalid", "请求格式不正确")]})
        with self.db.unit_of_work() as uow:
            row = self._ensure(uow, eid)
            current = enterprise_view(row)
            locked = [n for n in domain.locked_edits(current, {k: payload.get(k) for k in payload
                                                              if k in (*domain.LOCKED_FIELDS, "uscc")})
                      if n == "uscc" or current.get(n)]  # an empty locked field may be filled once
            fields = {k: v for k, v in payload.items() if k in domain.PROFILE_FIELDS}
            cleaned, errors = domain.clean_basic_info(fields)
            errors.update(domain.locked_edit_errors(locked))
            checked = self._check_files(payload.get("files"), errors)
            if errors:
                raise ValidationFailed.from_fields(errors)
            cleaned = {k: v for k, v in cleaned.items() if k not in locked}
            self._apply_basic(uow, row, cleaned, checked, actor, "update")
            view = self._basic_view(uow, row)
            uow.commit()
            return view

    def _check_files(self, files: object, errors: FieldErrors) -> dict[str, Any]:
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

    def _apply_basic(self, uow: Any, row: Enterprise, cleaned: dict[str, Any], checked: dict[str, Any],
                     actor: dict, action: str) -> None:
        if cleaned.get("parent_enterprise_id"):
            parent = EnterpriseRepository(uow.session).get(
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
            attachment = self._store(uow, row, purpose, None, None, upload, actor)
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
            self._changed(uow, row, actor, ["basic"], "basic", str(row.id), action, changes)

    def _store(self, uow: Any, row: Enterprise, purpose: str, section: str | None,
               owner_id: uuid.UUID | None, upload: Any, actor: dict) -> Attachment:
        store = ObjectStore(self.config["PLATFORM"])
        key = store_upload(store, f"enterprise/{purpose}", upload)
        attachment = Attachment(enterprise_id=row.id, purpose=purpose, owner_section=section,
                                owner_id=owner_id, uploaded_by=str(actor.get("id")),
                                **metadata(upload, key))
        try:
            EnterpriseRepository(uow.session).add(attachment)
        except Exception:
            store.delete(key)  # no orphan file when the row cannot be written
            raise
        return attachment

    @service_rpc
    def upload_attachment(self, actor: dict, enterprise_id: str, payload: dict) -> dict:
        """A file of a roster person, project or equipment (or one of the two basic-info PDFs)."""
        eid = self._authorise(actor, enterprise_id, domain.WRITE, "attachments")
        data = load_or_fail(UploadSchema(), payload)
        purpose = data["purpose"]
        if purpose not in domain.ATTACHMENT_PURPOSES:
            raise ValidationFailed.from_fields({"purpose": [field_error("invalid", "附件类别不正确")]})
        kinds, section = domain.ATTACHMENT_PURPOSES[purpose]
        if section is None:
            return self.update_basic_info(actor, enterprise_id, {"files": {purpose: data["file"]}})["files"][
                purpose]
        upload = check_upload(data["file"], "file", kinds)
        with self.db.unit_of_work() as uow:
            row = self._ensure(uow, eid)
            repo = EnterpriseRepository(uow.session)
            owner = self._own_record(repo, actor, eid, section, data["owner_id"])
            attachment = self._store(uow, row, purpose, section, owner.id, upload, actor)
            self._changed(uow, row, actor, [section], section, str(owner.id), "attach",
                          [("attachment", None, attachment.filename)])
            view = attachment_view(attachment)
            uow.commit()
            return view

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        aid = uuid_or_not_found(attachment_id, "附件不存在")
        with self.db.unit_of_work() as uow:
            attachment = EnterpriseRepository(uow.session).attachment(aid)
            if attachment is None:
                uow.session.rollback()
                self.audit_alone("enterprise.access_refused", actor, aid, what="attachment", reason="unknown")
                raise NotFound("附件不存在")
            found = {"enterprise_id": attachment.enterprise_id, "key": attachment.storage_key,
                     "filename": attachment.filename, "content_type": attachment.content_type}
            # Every file, the registration scans too, by the case rule: a reviewer reads it
            # through a case about the enterprise that their desk works on (registration review
            # is one: identity:registration:<id>, province desks), admins always.
            what = f"attachment:{aid}"
        try:
            self._authorise(actor, found["enterprise_id"], domain.READ, what)
        except Forbidden:
            raise NotFound("附件不存在") from None  # someone else's file: do not confirm it exists
        url = ObjectStore(self.config["PLATFORM"]).download_url(found["key"], found["filename"])
        return {"url": url, "filename": found["filename"], "content_type": found["content_type"]}

    # ---- change requests (变更申请) and history --------------------------------------------------
    @service_rpc
    def request_change(self, actor: dict, enterprise_id: str, payload: dict) -> dict:
        eid = self._authorise(actor, enterprise_id, domain.WRITE, "change_request")
        data = load_or_fail(ChangeRequestSchema(), payload)
        with self.db.unit_of_work() as uow:
            row = self._ensure(uow, eid)
            repo = EnterpriseRepository(uow.session)
            current = enterprise_view(row)
            cleaned, errors = domain.clean_basic_info(
                {k: v for k, v in data["changes"].items() if k in domain.LOCKED_FIELDS})
            changes = {k: cleaned.get(k, v) for k, v in data["changes"].items()}
            errors.update(domain.change_request_errors(current, changes))
            files = {k: v for k, v in data["files"].items() if v}
            errors.update(change_rules.file_errors(changes, files))
            checked = {}
            for purpose, upload in files.items():
                if purpose in errors:
                    continue
                try:
                    checked[purpose] = check_upload(upload, purpose, domain.ATTACHMENT_PURPOSES[purpose][0])
                except ValidationFailed as exc:
                    errors.update(exc.fields)
            if errors:
                raise ValidationFailed.from_fields(errors)
            if repo.pending_change_request(eid) is not None:
                raise Conflict("已有待审核的变更申请，审核完成后才能再次申请")
            if "name" in changes:
                cases = self._open_cases(eid)
                if cases:
                    raise InvalidTransition(domain.open_cases_message(cases), {
                        "name": [field_error("open_cases", domain.open_cases_message(cases))]},
                        code="open_cases")
            request = ChangeRequest(enterprise_id=eid, status=domain.CHANGE_PENDING,
                                    changes={k: {"old": current.get(k), "new": v}
                                             for k, v in changes.items()},
                                    reason=data["reason"], requested_by=str(actor["id"]))
            repo.add(request)
            carried = []
            for purpose, upload in checked.items():
                attachment = self._store(uow, row, purpose, None, None, upload, actor)
                request.licence_attachment_id = attachment.id
                carried.append({"id": str(attachment.id), "label": change_rules.FILE_LABELS[purpose],
                                "filename": attachment.filename, "sha256": attachment.sha256})
            uow.add_event(CHANGE_REQUESTED, {
                "change_request_id": request.id, "enterprise_id": eid, "uscc": row.uscc,
                "enterprise_name": row.name, "region_code": row.region_code, "changes": request.changes,
                "reason": request.reason, "requested_by": str(actor["id"]), "requested_at": _now()})
            uow.session.flush()  # the request's id names the review case
            labels = {k: domain.FIELD_LABELS.get(k, k) for k in request.changes}
            # The reviewer checks the change against the enterprise's scans as they stand (an
            # enterprise replaces its 营业执照 scan directly, then asks for the change).
            scans = [{"id": f["id"], "label": domain.FIELD_LABELS.get(purpose, purpose),
                      "filename": f["filename"], "sha256": f["sha256"]}
                     for purpose, f in self._basic_view(uow, row)["files"].items()]
            uow.add_event(REVIEW_REQUESTED, {
                "case_ref": f"{CHANGE_CASE_PREFIX}{request.id}", "case_type": "enterprise.change",
                "lane": "normal", "enterprise_id": str(eid),
                "enterprise_name": row.name or row.uscc, "region_code": row.region_code or "150000",
                "title": f"企业登记事项变更：{'、'.join(labels.values())}", "revision": 1,
                "time_limit_days": None, "attachments": carried + scans, "submitted_at": _now(),
                "fields": {k: {"label": labels[k], "value": f"{v['old'] or '（空）'} → {v['new']}"}
                           for k, v in request.changes.items()}})
            repo.add_history(eid, str(actor["id"]), "basic", str(request.id), "change_requested",
                             [(k, v["old"], v["new"]) for k, v in request.changes.items()])
            audit.record(uow.session, "enterprise.change_requested", actor_id=actor["id"], subject_id=eid,
                         change_request_id=request.id, fields=",".join(changes))
            view = _change_request_view(request)
            view["created_at"] = view["created_at"] or _iso(_now())
            uow.commit()
            return view

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        envelope = CASE_DECIDED.parse(body)
        if key_staff.is_case(envelope["data"]["case_ref"]):  # 人员入职/离职申请 (usecases/key_staff.py)
            return self._settle_staff(envelope["id"], envelope["data"], envelope["data"].get("decision"))
        self._settle_change(envelope["id"], envelope["data"], envelope["data"].get("decision"))

    @reliable_event_handler("review", "case_closed")
    def on_case_closed(self, body: dict) -> None:
        envelope = CASE_CLOSED.parse(body)
        if key_staff.is_case(envelope["data"]["case_ref"]):
            return self._settle_staff(envelope["id"], envelope["data"], "withdrawn")
        self._settle_change(envelope["id"], envelope["data"], "withdrawn")

    def _settle_staff(self, event_id: str, data: dict, decision: str | None) -> None:
        with self.db.unit_of_work() as uow:
            key_staff.settle(uow, event_id, data, decision, self._changed)
            uow.commit()

    def _key_change_holds(self, actor: dict, eid: uuid.UUID, payload: dict) -> bool:
        """A save touching a key staff member (new, or an edit to or from a key category) of a licence
        holder; asked before the transaction (no RPC under a row lock)."""
        if payload.get("id"):
            with self.db.unit_of_work() as uow:
                row = self._own_record(EnterpriseRepository(uow.session), actor, eid, "staff", payload["id"])
                key = key_staff.is_key(row.category) or key_staff.is_key(payload.get("category"))
        else:
            key = key_staff.is_key(payload.get("category"))
        return key and self._holds_licence(eid)

    def _key_leaver_holds(self, actor: dict, eid: uuid.UUID, record_id: str) -> bool:
        """A key staff member of a licence holder (asked before the transaction: no RPC under a lock)."""
        with self.db.unit_of_work() as uow:
            row = self._own_record(EnterpriseRepository(uow.session), actor, eid, "staff", record_id)
            key = key_staff.is_key(row.category)
        return key and self._holds_licence(eid)

    def _holds_licence(self, eid: uuid.UUID) -> bool:
        """permits' answer (fails closed: a key staff change waits until it can be asked)."""
        try:
            return bool(self.permits.holds_licence(str(eid))["holds"])
        except (MethodNotFound, UnknownService, RemoteError) as exc:
            log.warning("permits.holds_licence unavailable: %r", exc)
            raise ServiceError(key_staff.UNKNOWN_MESSAGE, code="licence_unknown") from None

    def _settle_change(self, event_id: str, data: dict, outcome: str | None) -> None:
        """Review's answer about a change request: approved changes apply the locked fields."""
        if not data["case_ref"].startswith(CHANGE_CASE_PREFIX):
            return  # another producer's case
        request_id = uuid_or_not_found(data["case_ref"][len(CHANGE_CASE_PREFIX):], "变更申请不存在")
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(event_id, "enterprise.settle_change"):
                return
            repo = EnterpriseRepository(uow.session)
            request = repo.change_request(request_id, for_update=True)
            if request is None or request.status != domain.CHANGE_PENDING:
                uow.commit()
                return
            row = self._ensure(uow, request.enterprise_id)
            status = domain.change_request_outcome(outcome)
            request.status = status
            request.decision_reason = data.get("reason")
            reviewer = history_rules.decider_actor(data)
            if status == domain.CHANGE_APPROVED:
                cleaned = {k: v["new"] for k, v in request.changes.items() if k in domain.LOCKED_FIELDS}
                self._apply_basic(uow, row, cleaned, {}, reviewer, "change_approved")
                if request.licence_attachment_id is not None:  # the new 营业执照 becomes the record's
                    licence = EnterpriseRepository(uow.session).attachment(request.licence_attachment_id)
                    old_id, row.business_licence_id = row.business_licence_id, request.licence_attachment_id
                    self._changed(uow, row, reviewer, ["basic"], "basic", str(row.id), "change_approved",
                                  [("business_licence", str(old_id) if old_id else None,
                                    licence.filename if licence else None)])
            audit.record(uow.session, f"enterprise.change_{status}", actor_id=None, subject_id=str(row.id),
                         change_request_id=str(request.id), reason=data.get("reason"))
            uow.commit()

    def _open_cases(self, enterprise_id: uuid.UUID) -> list[dict]:
        """Ask permits and personnel for cases in progress (REG: no name change meanwhile).

        Fails closed: if either service cannot answer, the name change is refused for now.
        """
        calls = {name: getattr(self, name).open_cases_of.call_async(str(enterprise_id))
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

    @service_rpc
    def list_change_requests(self, actor: dict, enterprise_id: str) -> list[dict]:
        eid = self._authorise(actor, enterprise_id, domain.READ, "change_requests")
        with self.db.unit_of_work() as uow:
            return [_change_request_view(r) for r in EnterpriseRepository(uow.session).change_requests(eid)]

    @service_rpc
    def change_history(self, actor: dict, enterprise_id: str, query: dict | None = None) -> dict:
        eid = self._authorise(actor, enterprise_id, domain.READ, "history")
        params = load_or_fail(ListQuerySchema(), query or {})
        with self.db.unit_of_work() as uow:
            rows, total = EnterpriseRepository(uow.session).history(
                eid, (params["page"] - 1) * params["per_page"], params["per_page"])
            return {"items": [_history_view(r) for r in rows], "total": total, "page": params["page"],
                    "per_page": params["per_page"]}

    @service_rpc
    def search_organisations(self, actor: dict, query: str) -> list[dict]:
        """上级单位 fuzzy search by name (PFL 选择 → 查询)."""
        if actor is None or actor.get("kind") not in ("enterprise", "sub", "reviewer", "admin"):
            raise Forbidden("请先登录")
        pattern = domain.fuzzy_pattern(str(query or ""))
        if pattern is None:
            return []
        exclude = domain.acting_enterprise(actor)
        with self.db.unit_of_work() as uow:
            found = EnterpriseRepository(uow.session).search_by_name(
                pattern, uuid.UUID(exclude) if exclude else None)
        return [{"id": i, "name": n} for i, n in domain.fuzzy_rank(str(query), found)[:20]]

    @service_rpc
    def reference_data(self) -> dict:
        return {"enterprise_types": domain.ENTERPRISE_TYPES, "regions": domain.region_choices(),
                "staff_categories": domain.STAFF_CATEGORIES, "certificate_kinds": domain.CERTIFICATE_KINDS,
                "id_types": domain.ID_TYPES, "levels": domain.LEVELS,
                "project_categories": domain.PROJECT_CATEGORIES, "field_labels": domain.FIELD_LABELS}

    # ---- section records (staff, projects, equipment, shareholders) --------------------------
    @service_rpc
    def list_records(self, actor: dict, enterprise_id: str, section: str, query: dict | None = None) -> dict:
        if section not in SECTION_MODELS:
            raise NotFound(RECORD_NOT_FOUND)
        eid = self._authorise(actor, enterprise_id, domain.READ, section)
        params = load_or_fail(ListQuerySchema(), query or {})
        offset = (params["page"] - 1) * params["per_page"]
        with self.db.unit_of_work() as uow:
            repo = EnterpriseRepository(uow.session)
            rows, total = repo.list_section(section, eid, category=params["category"], q=params["q"],
                                            offset=offset, limit=params["per_page"])
            view = SECTION_VIEWS[section]
            items = [view(r, offset + i + 1) for i, r in enumerate(rows)]
            owners = [r.id for r in rows]
            if section in OWNER_PURPOSE and owners:
                files: dict[str, list] = {}
                for attachment in repo.attachments_of(eid, owners):
                    files.setdefault(str(attachment.owner_id), []).append(attachment_view(attachment))
                for item in items:
                    item["attachments"] = files.get(item["id"], [])
            return {"items": items, "total": total, "page": params["page"], "per_page": params["per_page"],
                    "summary": self._summary(repo, eid, section)}

    def _summary(self, repo: EnterpriseRepository, eid: uuid.UUID, section: str) -> Any:
        if section == "staff":
            return domain.staff_summary(repo.staff_counts(eid))
        if section == "projects":
            return domain.project_summary([project_view(p) for p in repo.all_of("projects", eid)])
        if section == "shareholders":
            return domain.shareholding_check([s.share_percent for s in repo.all_of("shareholders", eid)])
        if section == "equipment":
            items = repo.all_of("equipment", eid)
            return {"kinds": len(items), "quantity": sum(e.quantity for e in items)}
        return None

    @service_rpc
    def summary(self, actor: dict, enterprise_id: str) -> dict:
        eid = self._authorise(actor, enterprise_id, domain.READ, "summary")
        with self.db.unit_of_work() as uow:
            repo = EnterpriseRepository(uow.session)
            return {section: self._summary(repo, eid, section) for section in SECTION_MODELS}

    @service_rpc
    def get_record(self, actor: dict, enterprise_id: str, section: str, record_id: str) -> dict:
        eid = self._authorise(actor, enterprise_id, domain.READ, section)
        with self.db.unit_of_work() as uow:
            repo = EnterpriseRepository(uow.session)
            row = self._own_record(repo, actor, eid, section, record_id)
            position = repo.staff_row_of(row) if section == "staff" else None
            view = SECTION_VIEWS[section](row, position)
            if section in OWNER_PURPOSE:
                view["attachments"] = [attachment_view(a) for a in repo.attachments_of(eid, [row.id])]
            return view

    @service_rpc
    def save_record(self, actor: dict, enterprise_id: str, section: str, payload: dict) -> dict:
        """Create (no ``id``) or update (``id``) one record of a section."""
        if section not in SECTION_MODELS:
            raise NotFound(RECORD_NOT_FOUND)
        eid = self._authorise(actor, enterprise_id, domain.WRITE, section)
        if not isinstance(payload, dict):
            raise ValidationFailed("请求格式不正确", {"_": [field_error("invalid", "请求格式不正确")]})
        holds = section == "staff" and self._key_change_holds(actor, eid, payload)  # before the transaction
        try:
            return self._save_record(actor, eid, section, payload, holds)
        except IntegrityError:  # two saves of one ID number raced past the check
            with self.db.unit_of_work() as uow:
                repo = EnterpriseRepository(uow.session)
                holder = repo.staff_with_id_number(eid, str(payload.get("id_number", "")).strip().upper())
                if holder is None:
                    raise
                raise ValidationFailed.from_fields(domain.duplicate_id_error(
                    holder.id_number, {"category": holder.category, "name": holder.name,
                                       "row": repo.staff_row_of(holder)})) from None

    def _save_record(self, actor: dict, eid: uuid.UUID, section: str, payload: dict,
                     holds_licence: bool = False) -> dict:
        with self.db.unit_of_work() as uow:
            enterprise = self._ensure(uow, eid)
            repo = EnterpriseRepository(uow.session)
            existing = self._own_record(repo, actor, eid, section, payload["id"], for_update=True) \
                if payload.get("id") else None
            cleaned, errors = self._clean(repo, eid, section, payload, existing)
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
                uow.session.flush()
                changes = domain.diff(before, {k: v for k, v in view(row).items() if k in cleaned})
                action = "update"
            self._changed(uow, enterprise, actor, [section], section, str(row.id), action, changes)
            result = view(row, repo.staff_row_of(row) if section == "staff" else None)
            uow.commit()
            return result

    def _clean(self, repo: EnterpriseRepository, eid: uuid.UUID, section: str, payload: dict,
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

    @service_rpc
    def delete_record(self, actor: dict, enterprise_id: str, section: str, record_id: str) -> dict:
        eid = self._authorise(actor, enterprise_id, domain.WRITE, section)
        holds = section == "staff" and self._key_leaver_holds(actor, eid, record_id)
        with self.db.unit_of_work() as uow:
            enterprise = self._ensure(uow, eid)
            repo = EnterpriseRepository(uow.session)
            row = self._own_record(repo, actor, eid, section, record_id, for_update=True)
            key_staff.check_not_pending(row)
            if holds and key_staff.needs_approval(row.category, holds):  # 人员离职申请, reviewed
                pending = key_staff.request(uow, enterprise, row, key_staff.LEAVE, actor)
                self._changed(uow, enterprise, actor, ["staff"], "staff", str(row.id), "leave_requested",
                              None)
                uow.commit()
                return {"pending": str(row.id), **pending}
            before = SECTION_VIEWS[section](row)
            repo.delete_attachments_of(row.id)  # files stay in S3 for the audit trail
            repo.delete_record(row)
            label = before.get("name") or before.get("holder")
            self._changed(uow, enterprise, actor, [section], section, str(row.id), "delete",
                          [("record", label, None)])
            uow.commit()
            return {"deleted": str(row.id)}

    # ---- CIP 旧数据导入 from the admin page (usecases/legacy_import.py, services/common/import_jobs.py)
    @service_rpc
    def import_legacy_staff(self, actor: dict, payload: dict) -> dict:
        return legacy_import.start(self._imports(), actor, payload)

    @service_rpc
    def import_job(self, actor: dict, job_id: str) -> dict:
        return legacy_import.job(self._imports(), actor, job_id)

    @service_rpc
    def import_report(self, actor: dict, job_id: str) -> dict:
        return legacy_import.report(self._imports(), actor, job_id)

    def _imports(self) -> legacy_import.Context:
        return legacy_import.Context(self.db.unit_of_work, lambda: self.db.unit_of_work().session,
                                     self.renderers.run, self.import_jobs.spawn, self.audit_alone)

    # ---- other services' view (docs/contracts.md) --------------------------------------------
    @service_rpc
    def staff_imported(self, actor_or_none: dict | None, enterprise_id: str, id_number: str) -> dict:
        eid = self._authorise(actor_or_none, enterprise_id, domain.READ, "staff")
        with self.db.unit_of_work() as uow:  # 信息补录's check (usecases/legacy.py)
            return legacy.staff_imported(uow.session, eid, id_number)

    @service_rpc
    def records_for_precheck(self, actor_or_none: dict | None, enterprise_id: str) -> dict:
        eid = self._authorise(actor_or_none, enterprise_id, domain.READ, "precheck")
        with self.db.unit_of_work() as uow:
            repo = EnterpriseRepository(uow.session)
            row = repo.get(eid)
            if row is None:
                raise NotFound(NOT_FOUND)
            staff = [s for s in repo.all_of("staff", eid) if s.approval != "join_pending"]  # not yet approved
            return {
                "enterprise_id": str(row.id), "uscc": row.uscc, "name": row.name or "",
                "enterprise_type": row.enterprise_type or "",
                "enterprise_type_label": domain.ENTERPRISE_TYPES.get(row.enterprise_type or "", ""),
                "region_code": row.region_code or "",
                "records_version": row.records_version,
                # what the enterprise already gave, for the 申报表's prefilled fields (permits)
                "profile": {"legal_representative": row.legal_representative or "",
                            "registered_address": row.registered_address or "",
                            "contact_name": row.contact_name or "", "contact_phone": row.contact_phone or "",
                            "email": row.email or ""},
                "finance": {"registered_capital_wan": row.registered_capital_wan,
                            "net_assets_wan": row.net_assets_wan},
                "staff": [{"id": str(s.id), "category": s.category, "name": s.name, "title": s.title,
                           "title_level": s.title_level, "skill_level": s.skill_level,
                           "specialty": s.specialty, "years_experience": s.years_experience,
                           "certificates": [{"kind": c.get("kind"), "number": c.get("number"),
                                             "specialty": c.get("specialty"),
                                             "valid_until": c.get("valid_until")}
                                            for c in s.certificates or []]} for s in staff],
                "projects": [{"id": str(p.id), "name": p.name, "category": p.category,
                              "category_label": domain.PROJECT_CATEGORIES.get(p.category, p.category),
                              "grade": p.grade,
                              "voltage_kv": p.voltage_kv, "contract_amount_wan": p.contract_amount_wan,
                              "length_km": p.length_km, "completed_on": _iso(p.completed_on)}
                             for p in repo.all_of("projects", eid)],
                "equipment": [{"id": str(e.id), "name": e.name, "kind": e.kind, "model": e.model,
                               "quantity": e.quantity} for e in repo.all_of("equipment", eid)],
            }

    # ---- registration step 2 (HMQ 填写注册企业信息; issue 3 item 1b) -------------------------
    def _registration_actor(self, actor: dict) -> uuid.UUID:
        if not isinstance(actor, dict) or actor.get("kind") != "enterprise":
            self.audit_alone("enterprise.access_refused", actor, (actor or {}).get("id"),
                             what="registration_profile", reason="not_enterprise_main_account")
            raise Forbidden("只有企业主账号可以填写注册企业信息")
        return uuid_or_not_found(domain.acting_enterprise(actor), NOT_FOUND)

    def _registration_open(self, eid: uuid.UUID) -> None:
        account = self.identity.session_account(str(eid))
        if account.get("status") in ("active", "disabled"):
            raise InvalidTransition("注册已审核通过，企业信息请在“企业信息”中维护（关键信息须发起变更申请）")

    @service_rpc
    def save_registration_profile(self, actor: dict, payload: dict) -> dict:
        """Save a draft of registration step 2: partial is fine (continued later)."""
        eid = self._registration_actor(actor)
        if not isinstance(payload, dict):
            raise ValidationFailed("请求格式不正确", {"_": [field_error("invalid", "请求格式不正确")]})
        self._registration_open(eid)
        with self.db.unit_of_work() as uow:
            row = self._ensure(uow, eid)
            cleaned, errors = domain.clean_basic_info(
                {k: v for k, v in payload.items() if k in domain.PROFILE_FIELDS})
            checked = self._check_files(payload.get("files"), errors)
            if errors:
                raise ValidationFailed.from_fields(errors)
            self._apply_basic(uow, row, cleaned, checked, actor, "registration_saved")
            if row.profile_status != domain.PROFILE_DRAFT:
                row.profile_status = domain.PROFILE_DRAFT  # changed after submitting: submit again
            view = self._profile_view(uow, row)
            uow.commit()
            return view

    @service_rpc
    def submit_registration_profile(self, actor: dict) -> dict:
        eid = self._registration_actor(actor)
        self._registration_open(eid)
        with self.db.unit_of_work() as uow:
            row = self._ensure(uow, eid)
            uow.session.refresh(row, with_for_update=True)
            view = self._profile_view(uow, row)
            errors = domain.profile_completeness_errors(view, set(view["files"]))
            if errors:
                raise ValidationFailed("注册企业信息不完整，请按提示补充后再提交。", errors)
            row.profile_status = domain.PROFILE_SUBMITTED
            row.profile_submitted_at = _now()
            uow.add_event(REGISTRATION_PROFILE_SUBMITTED, {
                "enterprise_id": row.id, "uscc": row.uscc, "name": row.name, "region_code": row.region_code,
                "submitted_at": row.profile_submitted_at})
            self._changed(uow, row, actor, ["basic"], "basic", str(row.id), "submitted",
                          [("profile_status", domain.PROFILE_DRAFT, domain.PROFILE_SUBMITTED)])
            view = self._profile_view(uow, row)
            uow.commit()
            return view

    @service_rpc
    def registration_profile(self, actor: dict, enterprise_id: str) -> dict:
        eid = self._authorise(actor, enterprise_id, domain.READ, "registration_profile")
        with self.db.unit_of_work() as uow:
            row = self._ensure(uow, eid) if domain.acting_enterprise(actor) == str(eid) else \
                EnterpriseRepository(uow.session).get(eid)
            if row is None:
                raise NotFound(NOT_FOUND)
            view = self._profile_view(uow, row)
            uow.commit()
            return view

    def _profile_view(self, uow: Any, row: Enterprise) -> dict[str, Any]:
        view = self._basic_view(uow, row)
        view["missing"] = domain.profile_completeness_errors(view, set(view["files"]))
        return view


SERVICE_CLASS = EnterpriseService
