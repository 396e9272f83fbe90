"""personnel's nameko entrypoints: people, certificate records, declarations through review,
batches and the commitment letter, transfers, withdrawals, expiry warnings, search, appeals.

Every RPC that acts for a user takes the actor dict first (docs/contracts.md, "Personnel") and
re-checks it: enterprise main accounts and sub-accounts with the ``personnel`` module act for
their enterprise (read-only sub-accounts only read); a ``person`` actor acts on what belongs to
the person with its ID number; reviewers and admins read within their region. The rules are
the pure modules (domain, declarations, windows, catalogue, export; records bridges rows to
them); this file loads rows, calls the rules, stores the outcome with its audit row and events
in one transaction.
"""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.common import audit, jurisdiction
from services.common.access import enterprise_of, may_use, module_refusal
from services.common.attachments import metadata, store_upload
from services.common.base import PlatformService, service_rpc
from services.common.config import load_config
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.events import reliable_event_handler
from services.common.renderpool import Renderers
from services.common.rpc import PlatformRpcProxy
from services.common.schema_errors import load_or_fail
from services.common.storage import ObjectStore
from services.personnel import declarations as rules
from services.personnel import domain, export, records, views, windows
from services.personnel.catalogue import OPERATION_KINDS, Catalogue, default_catalogue
from services.personnel.events import (
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_REF_PREFIX,
    CASE_STEP_CHANGED,
    CERTIFICATE_CANCELLED,
    CERTIFICATE_ISSUED,
    CERTIFICATE_TRANSFERRED,
    CORRECTION_REQUESTED,
    DECLARATION_STATUS_CHANGED,
    ENTERPRISE_ACCOUNT_REGISTERED,
    KEY_PERSON_CHANGED_SPEC,
    REVIEW_REQUESTED,
    REVIEW_WITHDRAWN,
    TRANSFER_REQUESTED,
)
from services.personnel.models import (
    Appeal,
    Attachment,
    Batch,
    Certificate,
    Commitment,
    Declaration,
    ExamPass,
    Person,
    ReportKey,
    Transfer,
)
from services.personnel.repository import PersonnelRepository, next_cursor
from services.personnel.schemas import (
    AnomalySchema,
    BatchSchema,
    CertificateRecordSchema,
    ExamPassesSchema,
    ExpiringSchema,
    IdsSchema,
    ListDeclarationsSchema,
    NewDeclarationSchema,
    PeopleQuerySchema,
    ReportSchema,
    ScopeSchema,
    SearchSchema,
    UpdateDeclarationSchema,
    UploadSchema,
)

log = logging.getLogger(__name__)

NOT_FOUND = "申报不存在"
PERSON_NOT_FOUND = "人员不存在"
CERT_NOT_FOUND = "证书不存在"
BATCH_NOT_FOUND = "申报批次不存在"
TRANSFER_NOT_FOUND = "调转记录不存在"
STALE = "该申报已被他人修改（或在另一窗口中已办理），请刷新页面后重试。"
DEFAULT_REGION = "150000"
DRAFTS = (rules.DRAFT, rules.RETURNED)
COMMITMENT_TEXT = (
    "本单位承诺：所申报人员与本单位存在真实的劳动（聘用）关系，所填信息及上传的附件真实、准确、完整、有效；"
    "如有虚假，本单位及申报人员愿承担由此产生的一切法律责任。"
)


def _sweep_seconds() -> float:
    """config ``personnel.expiry_sweep_seconds`` (a timer's interval is fixed when the class is made)."""
    try:
        return float((load_config().get("personnel") or {}).get("expiry_sweep_seconds", 3600))
    except Exception:  # no config at import (a unit test importing the module): the default
        return 3600.0


SWEEP_SECONDS = _sweep_seconds()


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return views.beijing_today()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _uuid(value: object, message: str) -> uuid.UUID:
    return uuid_or_not_found(value, message)


def _commit(uow: Any) -> None:
    try:
        uow.commit()
    except StaleDataError as exc:
        raise Conflict(STALE, code="stale_version") from exc


def _flush(uow: Any) -> None:
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise Conflict(STALE, code="stale_version") from exc


class _RepoExamRegister:
    """The register of passed exams (declarations.ExamRegister) over personnel's table."""

    def __init__(self, repo: PersonnelRepository) -> None:
        self.repo = repo

    def passes_of(self, id_number: str) -> list[rules.ExamPass]:
        return [
            rules.ExamPass(p.id_number, p.specialty, p.certificate_number, p.name, p.passed_on)
            for p in self.repo.exam_passes(id_number)
        ]


EXPORT_JOB = "services.personnel.export:export_people"


class PersonnelService(PlatformService):
    name = "personnel"

    enterprise = PlatformRpcProxy("enterprise")
    # openpyxl (up to 5,000 rows) runs in a worker process, started on the first export.
    renderers = Renderers(EXPORT_JOB, lazy=True)
    review = PlatformRpcProxy("review")  # may_read_case: who reads a declaration's files

    # ---- configuration ------------------------------------------------------------------
    @cached_property
    def types(self) -> Catalogue:
        return default_catalogue()

    def _settings(self) -> dict[str, Any]:
        return dict(self.config["PLATFORM"].get("personnel") or {})

    def _commitment_seconds(self) -> float:
        return float(self._settings().get("commitment_seconds", rules.COMMITMENT_SECONDS))

    def _store(self) -> ObjectStore:
        return ObjectStore(self.config["PLATFORM"])

    # ---- access ---------------------------------------------------------------------------
    def _refused(self, actor: dict | None, subject: object, reason: str, error: ServiceError) -> ServiceError:
        """Audit a refused access to another party's row; the caller raises the answer."""
        self.audit_alone("personnel.access_refused", actor, subject, reason=reason)
        return error

    def _enterprise_for(self, actor: dict, write: bool) -> uuid.UUID:
        """The enterprise an enterprise-side actor acts for, if it may use personnel."""
        kind = (actor or {}).get("kind")
        if kind not in ("enterprise", "sub"):
            raise self._refused(
                actor,
                (actor or {}).get("id"),
                "not_enterprise",
                Forbidden("只有企业账号可以办理人员业务", code="forbidden"),
            )
        if not may_use(kind, list(actor.get("permissions") or []), "personnel", write):
            self.audit_alone("personnel.access_refused", actor, actor.get("id"), write=write)
            raise Forbidden(module_refusal("personnel", write))
        return _uuid(enterprise_of(actor), "企业不存在")

    @staticmethod
    def _region_prefix(actor: dict) -> str | None:
        """A reviewer's / admin's jurisdiction as a region-code prefix ("" = everywhere)."""
        return jurisdiction.region_prefix(actor or {})

    def _reads(
        self, actor: dict, enterprise_id: object, region_code: str | None, person: Person | None = None
    ) -> bool:
        kind = (actor or {}).get("kind")
        if kind in ("enterprise", "sub"):
            return may_use(kind, list(actor.get("permissions") or []), "personnel", False) and str(
                enterprise_of(actor)
            ) == str(enterprise_id)
        if kind == "person":
            return person is not None and person.id_number == str(actor.get("id_number") or "").upper()
        prefix = self._region_prefix(actor)
        return prefix is not None and str(region_code or DEFAULT_REGION).startswith(prefix)

    def _load(
        self,
        uow: Any,
        actor: dict,
        declaration_id: object,
        *,
        write: bool,
        lock: bool = False,
        version: int | None = None,
        person_may: bool = False,
    ) -> Declaration:
        """The declaration, if the actor may read it (or write: its enterprise; a person only
        where ``person_may`` and only their own personal declaration)."""
        did = _uuid(declaration_id, NOT_FOUND)
        repo = PersonnelRepository(uow.session)
        decl = repo.declaration(did, for_update=lock)
        if decl is None:
            raise NotFound(NOT_FOUND)
        if write and (actor or {}).get("kind") == "person" and not person_may:
            raise self._refused(
                actor, did, "wrong_actor", Forbidden("该操作只能由申报企业办理", code="wrong_actor")
            )
        if write and (actor or {}).get("kind") != "person":
            if decl.enterprise_id != self._enterprise_for(actor, write=True):
                self.audit_alone("personnel.access_refused", actor, did, reason="other_enterprise")
                raise NotFound(NOT_FOUND)
        elif not self._reads(actor, decl.enterprise_id, decl.region_code, repo.person(decl.person_id)):
            self.audit_alone("personnel.access_refused", actor, did, reason="read")
            raise NotFound(NOT_FOUND)
        if version is not None and int(version) != decl.version:
            raise Conflict(STALE, code="stale_version")
        return decl

    def _person_edits_own(self, actor: dict, decl: Declaration) -> None:
        """A person edits only a declaration they filed themselves (REG 个人申报)."""
        if (actor or {}).get("kind") == "person" and decl.origin != "person":
            raise self._refused(
                actor, decl.id, "wrong_actor", Forbidden("企业填写的申报只能由企业修改", code="wrong_actor")
            )

    def _records(self, enterprise_id: uuid.UUID) -> dict[str, Any]:
        """The enterprise's records (name, region); the directory of employers is refreshed."""
        recs = dict(self.enterprise.records_for_precheck(None, str(enterprise_id)))
        if recs.get("uscc"):
            with self.db.unit_of_work() as uow:
                PersonnelRepository(uow.session).remember_employer(
                    enterprise_id, recs["uscc"], recs.get("name") or None, recs.get("region_code") or None
                )
                uow.commit()
        return recs

    @reliable_event_handler("identity", "enterprise_account_registered")
    def on_enterprise_account_registered(self, body: dict) -> None:
        envelope = ENTERPRISE_ACCOUNT_REGISTERED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            if uow.claim_event(envelope["id"], "personnel.on_enterprise_account_registered"):
                PersonnelRepository(uow.session).remember_employer(
                    uuid.UUID(str(data["account_id"])), data["uscc"], None, None
                )
            uow.commit()

    # ---- state changes --------------------------------------------------------------------
    def _move(
        self,
        uow: Any,
        decl: Declaration,
        action: str,
        role: str,
        actor: dict | None,
        note: str | None = None,
        level: str | None = None,
    ) -> str:
        """Apply one transition of the state machine, with history, event and audit row."""
        old = decl.status
        new = rules.transition(views.state_of(decl), action, actor=role, level=level)
        decl.status, decl.level, decl.resume = new.status, new.level, new.resume
        self._history(decl, action, role, note)
        decl.updated_at = _now()
        _flush(uow)
        uow.add_event(
            DECLARATION_STATUS_CHANGED,
            {
                "declaration_id": decl.id,
                "enterprise_id": decl.enterprise_id,
                "person_id": decl.person_id,
                "type_code": decl.type_code,
                "kind": decl.kind,
                "from_status": old,
                "to_status": decl.status,
                "at": _now(),
            },
        )
        audit.record(
            uow.session,
            f"personnel.declaration.{action}",
            actor_id=(actor or {}).get("id"),
            subject_id=str(decl.id),
            old=old,
            new=decl.status,
            actor_kind=(actor or {}).get("kind"),
        )
        return decl.status

    @staticmethod
    def _history(decl: Declaration, action: str, role: str, note: str | None) -> None:
        decl.history = [
            *(decl.history or []),
            {
                "at": _now().isoformat(),
                "action": action,
                "action_label": rules.ACTIONS.get(action, action),
                "actor": role,
                "status": decl.status,
                "note": note,
            },
        ]

    def _view(self, uow: Any, decl: Declaration, actor: dict | None, detail: bool = True) -> dict[str, Any]:
        kind = (actor or {}).get("kind")
        role = "person" if kind == "person" else ("enterprise" if kind in ("enterprise", "sub") else "review")
        return views.declaration_view(self.types, PersonnelRepository(uow.session), decl, role, detail)

    # ---- catalogue ------------------------------------------------------------------------
    @service_rpc
    def catalogue(self, actor: dict) -> dict:
        return views.catalogue_view(self.types)

    # ---- people ---------------------------------------------------------------------------
    def _person_for_enterprise(
        self,
        repo: PersonnelRepository,
        eid: uuid.UUID,
        person_id: object,
        actor: dict,
        *,
        lock: bool = False,
    ) -> Person:
        """A person the enterprise holds a record of, is declaring, or created while nobody else
        holds them (a person who moved on is the new employer's); NotFound otherwise (no leak)."""
        pid = _uuid(person_id, PERSON_NOT_FOUND)
        person = repo.person(pid, for_update=lock)
        if person is None:
            raise NotFound(PERSON_NOT_FOUND)
        if self._holds_person(repo, eid, person):
            return person
        raise self._refused(actor, pid, "person", NotFound(PERSON_NOT_FOUND))

    @staticmethod
    def _holds_person(repo: PersonnelRepository, eid: uuid.UUID, person: Person) -> bool:
        certs = repo.certificates_of_person(person.id)
        if any(c.enterprise_id == eid or c.transfer_to == eid for c in certs):
            return True
        if any(
            d.enterprise_id == eid and d.status not in rules.FINAL_STATUSES
            for d in repo.declarations_of_person(person.id)
        ):
            return True
        return person.created_by_enterprise_id == eid and all(c.enterprise_id in (None, eid) for c in certs)

    def _find_or_create_person(
        self, uow: Any, repo: PersonnelRepository, eid: uuid.UUID, data: dict, actor: dict
    ) -> Person:
        cleaned = domain.validate_person(data or {}, _today())
        existing = repo.person_by_number(cleaned["id_type"], cleaned["id_number"], for_update=True)
        if existing is not None:
            if existing.name != cleaned["name"]:
                message = "该证件号码已登记为其他姓名的人员，请核对姓名和证件号码"
                raise ValidationFailed(message, {"id_number": [field_error("name_mismatch", message)]})
            if self._holds_person(repo, eid, existing):
                return existing  # the enterprise's own person: adding again is harmless
            return self._take_on_person(uow, repo, eid, existing, cleaned, actor)
        person = Person(created_by_enterprise_id=eid, **cleaned)
        try:
            with uow.session.begin_nested():
                repo.add(person)
        except IntegrityError:  # created meanwhile by another request: use that one
            found = repo.person_by_number(cleaned["id_type"], cleaned["id_number"], for_update=True)
            if found is None:
                raise
            return found
        audit.record(
            uow.session, "personnel.person.create", actor_id=actor.get("id"), subject_id=str(person.id)
        )
        return person

    def _take_on_person(
        self, uow: Any, repo: PersonnelRepository, eid: uuid.UUID, person: Person, cleaned: dict, actor: dict
    ) -> Person:
        """Another enterprise's person: refused naming the holder while they are registered or
        declared there (one employer); else (only cancelled records, or a roster entry the other
        enterprise made) the new employer takes them on with what it typed, not the old
        employer's contact details or photo."""
        live = [
            c for c in repo.certificates_of_person(person.id)
            if c.status in ("valid", "expired", "transferring") and c.enterprise_id not in (None, eid)
        ]
        declared = [
            d for d in repo.declarations_of_person(person.id)
            if d.enterprise_id != eid and d.status not in rules.FINAL_STATUSES
        ]
        if live or declared:
            holder = live[0].enterprise_name if live else declared[0].enterprise_name
            message = (f"该人员已在“{holder or '其他单位'}”注册或申报，一人只能在一家单位注册；"
                       "如需调入，请由原单位办理调出")
            conflict = Conflict(message, {"id_number": [field_error("employed_elsewhere", message)]},
                                code="employed_elsewhere")
            raise self._refused(actor, person.id, "held_elsewhere", conflict)
        for key, value in cleaned.items():
            setattr(person, key, value)
        person.photo_id = None
        person.created_by_enterprise_id = eid
        person.updated_at = _now()
        audit.record(
            uow.session, "personnel.person.take_on", actor_id=actor.get("id"), subject_id=str(person.id),
            enterprise_id=str(eid),
        )
        return person

    @service_rpc
    def create_person(self, actor: dict, data: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            person = self._find_or_create_person(uow, repo, eid, data, actor)
            view = views.person_view(person, repo)
            uow.commit()
            return view

    @service_rpc
    def update_person(self, actor: dict, person_id: str, data: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            person = self._person_for_enterprise(repo, eid, person_id, actor, lock=True)
            open_reported = [
                d
                for d in repo.declarations_of_person(person.id)
                if d.status in rules.REPORTED_STATUSES and d.status not in rules.FINAL_STATUSES
            ]
            if open_reported:
                raise InvalidTransition(
                    "该人员有已上报未办结的申报，基本信息不能修改；如需修改请办理变更",
                    code="open_declaration",
                )
            cleaned = domain.validate_person({**records.person_dict(person), **(data or {})}, _today())
            if (cleaned["id_type"], cleaned["id_number"]) != (person.id_type, person.id_number) or cleaned[
                "name"
            ] != person.name:
                if any(
                    c.status in ("valid", "expired", "transferring")
                    for c in repo.certificates_of_person(person.id)
                ):
                    raise InvalidTransition(
                        "已注册人员的姓名、证件号码只能通过变更申报修改", code="use_change"
                    )
            for key, value in cleaned.items():
                setattr(person, key, value)
            person.updated_at = _now()
            audit.record(
                uow.session, "personnel.person.update", actor_id=actor.get("id"), subject_id=str(person.id)
            )
            try:
                uow.session.flush()
            except IntegrityError as exc:
                raise Conflict("该证件号码已登记为其他人员", code="duplicate_person") from exc
            view = views.person_view(person, repo)
            uow.commit()
            return view

    @service_rpc
    def upload_photo(self, actor: dict, person_id: str, upload: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        payload = load_or_fail(UploadSchema(), upload)
        checked = domain.check_attachment(payload, "photo")
        report = domain.check_person_photo(checked.data)
        checked.warnings = list(report.warnings)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            person = self._person_for_enterprise(repo, eid, person_id, actor, lock=True)
            row = self._keep(
                repo, checked, "photo", "个人照片", actor, enterprise_id=eid, person_id=person.id
            )
            person.photo_id = row.id
            audit.record(
                uow.session,
                "personnel.person.photo",
                actor_id=actor.get("id"),
                subject_id=str(person.id),
                attachment_id=str(row.id),
            )
            view = views.person_view(person, repo)
            uow.commit()
            return view

    def _keep(
        self, repo: PersonnelRepository, checked: Any, code: str, label: str, actor: dict | None, **owner: Any
    ) -> Attachment:
        store = self._store()
        key = store_upload(store, f"personnel/{code}", checked)
        row = Attachment(
            code=code, label=label, uploaded_by=(actor or {}).get("id"), **owner, **metadata(checked, key)
        )
        try:
            repo.add(row)
        except Exception:
            store.delete(key)
            raise
        return row

    @service_rpc
    def list_people(self, actor: dict, query: dict | None = None) -> dict:
        eid = self._enterprise_for(actor, write=False)
        q = load_or_fail(PeopleQuerySchema(), query or {})
        limit = q["limit"] or 50
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            rows = repo.people_of_enterprise(
                eid, q.get("q"), q.get("type_code"), q.get("status"), limit, q.get("cursor")
            )
            people = rows[:limit]
            certs = repo.certificates_of_people(p.id for p in people)
            items = []
            for person in people:
                view = views.person_view(person)
                view["certificates"] = [
                    views.certificate_view(self.types, c)
                    for c in certs
                    if c.person_id == person.id and c.enterprise_id == eid
                ]
                items.append(view)
            return {"items": items, "next_cursor": next_cursor(rows, limit)}

    @service_rpc
    def get_person(self, actor: dict, person_id: str) -> dict:
        eid = self._enterprise_for(actor, write=False)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            person = self._person_for_enterprise(repo, eid, person_id, actor)
            view = views.person_view(person, repo)
            view["certificates"] = [
                views.certificate_view(self.types, c)
                for c in repo.certificates_of_person(person.id)
                if c.enterprise_id == eid or c.transfer_to == eid
            ]
            view["declarations"] = [
                self._view(uow, d, actor, detail=False)
                for d in repo.declarations_of_person(person.id)
                if d.enterprise_id == eid and d.status not in rules.FINAL_STATUSES
            ]
            view["transfers"] = [
                views.transfer_view(self.types, repo, t)
                for t in repo.transfers_of_person(person.id)
                if eid in (t.from_enterprise_id, t.to_enterprise_id)
            ]
            return view

    # ---- certificate records (信息补录) --------------------------------------------------------
    def _check_record_data(self, data: dict) -> dict[str, Any]:
        t = self.types.type(data["type_code"])
        errors: dict[str, list] = {}
        out: dict[str, Any] = {"type_code": t.code}
        try:
            out["class_code"] = t.check_class(data.get("class_code"))
            out["certificate_kind"] = t.kind_for_class(out["class_code"])
        except ValidationFailed as exc:
            errors.update(exc.fields)
        for name in t.numbers:
            value = data.get(name)
            if value:
                try:
                    out[name] = t.check_number(name, value)
                except ValidationFailed as exc:
                    errors.update(exc.fields)
        if t.specialties:
            try:
                out["specialties"] = t.check_specialties(data.get("specialties") or [])
            except ValidationFailed as exc:
                errors.update(exc.fields)
        else:
            out["specialties"] = []
        out["issued_on"], out["valid_until"] = data.get("issued_on"), data["valid_until"]
        if errors:
            raise ValidationFailed.from_fields(errors)
        return out

    @service_rpc
    def add_certificate_record(self, actor: dict, person_id: str, data: dict) -> dict:
        """信息补录 of a certificate the enterprise already holds (imported from the old systems)."""
        eid = self._enterprise_for(actor, write=True)
        cleaned = self._check_record_data(load_or_fail(CertificateRecordSchema(), data))
        records_ = self._records(eid)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            person = self._person_for_enterprise(repo, eid, person_id, actor, lock=True)
            regs = records.registrations(
                repo.certificates_of_person(person.id),
                repo.declarations_of_person(person.id),
                self.types.types,
                _today(),
                str(eid),
            )
            domain.check_one_employer(regs, str(eid))
            cert = Certificate(
                person_id=person.id,
                enterprise_id=eid,
                imported=True,
                status="valid",
                enterprise_name=records_.get("name") or "",
                region_code=records_.get("region_code") or DEFAULT_REGION,
                history=[{"at": _now().isoformat(), "action": "supplement", "note": "信息补录"}],
                **cleaned,
            )
            try:
                with uow.session.begin_nested():
                    repo.add(cert)
            except IntegrityError as exc:
                raise Conflict("该人员已有同类有效证书记录", code="already_registered") from exc
            audit.record(
                uow.session,
                "personnel.certificate.supplement",
                actor_id=actor.get("id"),
                subject_id=str(cert.id),
            )
            view = views.certificate_view(self.types, cert, person)
            uow.commit()
            return view

    @service_rpc
    def update_certificate_record(self, actor: dict, certificate_id: str, data: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            cert = repo.certificate(_uuid(certificate_id, CERT_NOT_FOUND), for_update=True)
            if cert is None:
                raise NotFound(CERT_NOT_FOUND)
            if cert.enterprise_id != eid:
                raise self._refused(actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
            payload = load_or_fail(CertificateRecordSchema(), {"type_code": cert.type_code, **(data or {})})
            if payload.get("expected_version") is not None and payload["expected_version"] != cert.version:
                raise Conflict(STALE, code="stale_version")
            rules.check_supplement(
                records.record_dict(cert),
                [
                    {"certificate_id": str(d.certificate_id), "status": d.status}
                    for d in repo.declarations_of_person(cert.person_id)
                ],
            )
            cleaned = self._check_record_data({**payload, "type_code": cert.type_code})
            for key, value in cleaned.items():
                setattr(cert, key, value)
            if cert.status == "lapsed":  # corrected dates decide again (record_status reads them)
                cert.status = "valid"
            cert.updated_at = _now()
            audit.record(
                uow.session,
                "personnel.certificate.supplement_edit",
                actor_id=actor.get("id"),
                subject_id=str(cert.id),
            )
            _flush(uow)
            view = views.certificate_view(self.types, cert, repo.person(cert.person_id))
            _commit(uow)
            return view

    @service_rpc
    def certificate(self, actor: dict, certificate_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            cert = repo.certificate(_uuid(certificate_id, CERT_NOT_FOUND))
            person = repo.person(cert.person_id) if cert else None
            if cert is None:
                raise NotFound(CERT_NOT_FOUND)
            if not (
                self._reads(actor, cert.enterprise_id, cert.region_code, person)
                or (cert.transfer_to and self._reads(actor, cert.transfer_to, cert.region_code))
            ):
                raise self._refused(actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
            view = views.certificate_view(self.types, cert, person)
            view["history"] = list(cert.history or [])
            return view

    # ---- the register of passed exams --------------------------------------------------------
    def _require_staff(self, actor: dict, admin: bool = False) -> None:
        kinds = ("admin",) if admin else ("reviewer", "admin")
        if (actor or {}).get("kind") not in kinds:
            message = "只有管理员可以执行该操作" if admin else "只有审核人员或管理员可以办理"
            raise self._refused(actor, (actor or {}).get("id"), "staff_only", Forbidden(message))

    @service_rpc
    def record_exam_passes(self, actor: dict, payload: dict) -> dict:
        self._require_staff(actor, admin=True)
        data = load_or_fail(ExamPassesSchema(), payload)
        added = 0
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            for item in data["passes"]:
                number = item["id_number"].strip().upper()
                if repo.has_exam_pass(number, item["specialty"], item["certificate_number"].strip().upper()):
                    continue
                repo.add(
                    ExamPass(
                        id_number=number,
                        specialty=item["specialty"],
                        certificate_number=item["certificate_number"].strip().upper(),
                        name=item.get("name"),
                        passed_on=item.get("passed_on"),
                    )
                )
                added += 1
            audit.record(uow.session, "personnel.exam_passes.record", actor_id=actor.get("id"), added=added)
            uow.commit()
        return {"added": added}

    @service_rpc
    def exam_passes(self, actor: dict, id_number: str) -> list[dict]:
        self._require_staff(actor)
        with self.db.unit_of_work() as uow:
            return [
                {
                    "id_number": p.id_number,
                    "specialty": p.specialty,
                    "certificate_number": p.certificate_number,
                    "name": p.name,
                    "passed_on": _iso(p.passed_on),
                }
                for p in PersonnelRepository(uow.session).exam_passes(str(id_number or ""))
            ]

    # ---- declarations ---------------------------------------------------------------------
    def _context(
        self,
        repo: PersonnelRepository,
        t: Any,
        kind: str,
        eid: uuid.UUID,
        person: Person,
        cert: Certificate | None,
        form: dict,
        enterprise_name: str | None,
    ) -> rules.DeclarationContext:
        # The declarations the one-open-declaration rule looks at: those on a certificate, and
        # this enterprise's new registrations of the same type (another type is another register).
        own = [
            d
            for d in repo.declarations_of_person(person.id)
            if d.certificate_id is not None or (d.enterprise_id == eid and d.type_code == t.code)
        ]
        return rules.DeclarationContext(
            certificate_type=t,
            kind=kind,
            enterprise_id=str(eid),
            today=_today(),
            record=records.record_dict(cert, person) if cert is not None else None,
            person=records.person_dict(person),
            registrations=records.registrations(
                repo.certificates_of_person(person.id),
                repo.declarations_of_person(person.id),
                self.types.types,
                _today(),
                str(eid),
            ),
            declarations=[
                {
                    "id": str(d.id),
                    "certificate_id": str(d.certificate_id) if d.certificate_id else None,
                    "kind": d.kind,
                    "status": d.status,
                }
                for d in own
            ],
            exam_register=_RepoExamRegister(repo),
            form=form,
            enterprise_name=enterprise_name,
        )

    def _clean_form(self, t: Any, kind: str, form: dict) -> dict:
        """Normalise what the rules normalise (numbers upper-case, specialties de-duplicated)."""
        out = dict(form)
        if kind in rules.NEEDS_NO_RECORD:
            for name in ("qualification_number", "certificate_number"):
                if out.get(name) and name in t.numbers:
                    out[name] = t.normalise_number(name, str(out[name]))
            if t.specialties and out.get("specialties"):
                out["specialties"] = t.check_specialties(out["specialties"])
        return out

    @service_rpc
    def new_declaration(self, actor: dict, payload: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        data = load_or_fail(NewDeclarationSchema(), payload)
        t = self.types.type(data["type_code"])
        op = t.operation(data["kind"])
        if data["kind"] in ("transfer_out", "transfer_in") or not op.review:
            message = f"“{op.label}”请在人员调转或信息补录中办理"
            raise ValidationFailed(message, {"kind": [field_error("not_a_declaration", message)]})
        recs = self._records(eid)
        return self._create_declaration(actor, eid, t, data["kind"], data, recs)

    def _create_declaration(
        self,
        actor: dict,
        eid: uuid.UUID,
        t: Any,
        kind: str,
        data: dict,
        recs: dict,
        transfer: Transfer | None = None,
        origin: str = "enterprise",
    ) -> dict:
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            cert = None
            own_number = str(actor.get("id_number") or "").upper() if origin == "person" else None
            if kind in rules.NEEDS_NO_RECORD and origin == "person":
                person = self._own_person(uow, repo, eid, own_number, data.get("person"), actor)
            elif kind in rules.NEEDS_NO_RECORD:
                if data.get("person_id"):
                    person = self._person_for_enterprise(repo, eid, data["person_id"], actor, lock=True)
                elif data.get("person"):
                    person = self._find_or_create_person(uow, repo, eid, data["person"], actor)
                else:
                    raise ValidationFailed(
                        "请填写人员基本信息", {"person": [field_error("required", "请填写人员基本信息")]}
                    )
            else:
                if not data.get("certificate_id"):
                    raise NotFound(f"请选择要办理{t.operation(kind).label}的证书", code="record_required")
                cert = repo.certificate(_uuid(data["certificate_id"], CERT_NOT_FOUND), for_update=True)
                if cert is None or cert.type_code != t.code:
                    raise NotFound(CERT_NOT_FOUND)
                person = repo.person(cert.person_id, for_update=True)
                if (own_number is not None and person.id_number != own_number) or not (
                    cert.enterprise_id == eid
                    or cert.transfer_to == eid
                    or (transfer is not None and transfer.certificate_id == cert.id)
                    or kind == "re_registration"  # a cancelled person, found by name + ID number
                ):
                    raise self._refused(actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
            form = dict(data.get("form") or {})
            rules.check_eligibility(self._context(repo, t, kind, eid, person, cert, form, recs.get("name")))
            form = self._clean_form(t, kind, form)
            state = rules.new_declaration(t, kind, origin)
            did = uuid.uuid4()
            decl = Declaration(
                id=did,
                enterprise_id=eid,
                enterprise_name=recs.get("name") or "",
                region_code=recs.get("region_code") or DEFAULT_REGION,
                person_id=person.id,
                certificate_id=cert.id if cert else None,
                type_code=t.code,
                kind=kind,
                case_type=t.review_chain(kind)["case_type"],
                origin=state.origin,
                status=state.status,
                levels=list(state.levels),
                personal_withdrawal=state.personal_withdrawal,
                form=form,
                case_ref=f"{CASE_REF_PREFIX}{did}",
                created_by=actor.get("id"),
                transfer_id=transfer.id if transfer else None,
                history=[],
            )
            decl.pre_registered = bool(form.get("pre_registered"))
            self._history(decl, "create", origin, f"新建{t.operation(kind).label}申报")
            try:
                with uow.session.begin_nested():
                    repo.add(decl)
            except IntegrityError as exc:
                raise Conflict(
                    "该人员已有未办结的同类申报，请办结或删除后再申报", code="open_declaration"
                ) from exc
            if transfer is not None:
                transfer.declaration_id = decl.id
            audit.record(
                uow.session,
                "personnel.declaration.create",
                actor_id=actor.get("id"),
                subject_id=str(decl.id),
                kind=kind,
                type_code=t.code,
            )
            view = self._view(uow, decl, actor)
            uow.commit()
            return view

    def _own_person(
        self,
        uow: Any,
        repo: PersonnelRepository,
        eid: uuid.UUID,
        number: str | None,
        data: dict | None,
        actor: dict,
    ) -> Person:
        """A person actor's own person record: found by the account's ID number, or created
        from the form when the ID number is the account's."""
        found = [p for p in repo.people_by_number(number or "")]
        if found:
            person = repo.person(found[0].id, for_update=True)
            return person
        if not data or str(data.get("id_number") or "").strip().upper() != number:
            message = "请填写本人基本信息（证件号码须与登录账号一致）"
            raise ValidationFailed(message, {"person": [field_error("required", message)]})
        return self._find_or_create_person(uow, repo, eid, data, actor)

    @service_rpc
    def new_personal_declaration(self, actor: dict, payload: dict) -> dict:
        """REG 个人申报: the person files, the chosen enterprise reports it (or returns it)."""
        self._person_actor(actor)
        data = load_or_fail(NewDeclarationSchema(), payload)
        t = self.types.type(data["type_code"])
        op = t.operation(data["kind"])
        if t.system != "REG" or not op.review:
            message = f"{t.name}{op.label}由企业申报"
            raise ValidationFailed(message, {"kind": [field_error("not_personal", message)]})
        target = self._enterprise_by_uscc((payload or {}).get("enterprise_uscc"), "enterprise_uscc")
        eid = uuid.UUID(target["enterprise_id"])
        return self._create_declaration(
            actor, eid, t, data["kind"], data, self._records(eid), origin="person"
        )

    @service_rpc
    def redeclare_declaration(self, actor: dict, declaration_id: str) -> dict:
        """A returned personal declaration back to draft (修改后重新申报)."""
        self._person_actor(actor)
        with self.db.unit_of_work() as uow:
            decl = self._load(uow, actor, declaration_id, write=True, lock=True, person_may=True)
            self._move(uow, decl, "redeclare", "person", actor, note="本人修改后重新申报")
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    @service_rpc
    def correct_qualification(self, actor: dict, declaration_id: str, payload: dict) -> dict:
        """补正资质: a pre-registered person's declaration gets the enterprise's qualification
        number (typed, with a copy of the qualification certificate uploaded)."""
        data = dict(payload or {})
        checked = None
        if data.get("copy"):
            checked = domain.check_attachment(
                load_or_fail(UploadSchema(), data["copy"]), "qualification_copy"
            )
        with self.db.unit_of_work() as uow:
            decl = self._load(uow, actor, declaration_id, write=True, lock=True)
            repo = PersonnelRepository(uow.session)
            copy_id = None
            if checked is not None:
                copy_id = str(
                    self._keep(
                        repo,
                        checked,
                        "qualification_copy",
                        "企业资质副本",
                        actor,
                        enterprise_id=decl.enterprise_id,
                        declaration_id=decl.id,
                    ).id
                )
            result = rules.qualification_correction(
                pre_registered=decl.pre_registered,
                status=decl.status,
                detected_number=None,
                entered_number=data.get("qualification_number"),
                copy_attachment_id=copy_id,
            )
            decl.qualification = result
            decl.form = {
                **(decl.form or {}),
                "qualification_certificate_number": result["qualification_number"],
            }
            self._history(
                decl, "correct_qualification", "enterprise", f"补正资质：{result['qualification_number']}"
            )
            audit.record(
                uow.session,
                "personnel.declaration.correct_qualification",
                actor_id=actor.get("id"),
                subject_id=str(decl.id),
                number=result["qualification_number"],
            )
            _flush(uow)
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    @service_rpc
    def get_declaration(self, actor: dict, declaration_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return self._view(uow, self._load(uow, actor, declaration_id, write=False), actor)

    @service_rpc
    def update_declaration(self, actor: dict, declaration_id: str, payload: dict) -> dict:
        data = load_or_fail(UpdateDeclarationSchema(), payload)
        with self.db.unit_of_work() as uow:
            decl = self._load(
                uow,
                actor,
                declaration_id,
                write=True,
                lock=True,
                version=data.get("expected_version"),
                person_may=True,
            )
            self._person_edits_own(actor, decl)
            repo = PersonnelRepository(uow.session)
            t = self.types.type(decl.type_code)
            changes = dict(data["form"])
            if decl.status == rules.CORRECTION:
                named = {
                    i["name"].removeprefix("form.")
                    for i in decl.correction_items or []
                    if i.get("target") == "field"
                }
                refused = [k for k in changes if k.removeprefix("form.") not in named]
                if refused:
                    raise ValidationFailed(
                        "只能修改审核人员要求补正的事项。",
                        {k: [field_error("not_reopened", "该项未要求补正，不能修改")] for k in refused},
                    )
                changes = {k.removeprefix("form."): v for k, v in changes.items()}
            elif decl.status not in DRAFTS:
                raise InvalidTransition(
                    f"申报状态为“{rules.STATUSES.get(decl.status)}”，不能修改", code="invalid_transition"
                )
            form = {**(decl.form or {}), **changes}
            person = repo.person(decl.person_id, for_update=True)
            cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
            ctx = self._context(
                repo, t, decl.kind, decl.enterprise_id, person, cert, form, decl.enterprise_name
            )
            others = [d for d in ctx.declarations if d["id"] != str(decl.id)]
            rules.check_eligibility(rules.DeclarationContext(**{**ctx.__dict__, "declarations": others}))
            decl.form = self._clean_form(t, decl.kind, form)
            decl.updated_at = _now()
            self._history(
                decl, "save", "enterprise", "修改" + "、".join(records.FORM_LABELS.get(k, k) for k in changes)
            )
            audit.record(
                uow.session,
                "personnel.declaration.save",
                actor_id=actor.get("id"),
                subject_id=str(decl.id),
                fields=",".join(changes),
            )
            _flush(uow)
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    @service_rpc
    def upload_declaration_attachment(
        self, actor: dict, declaration_id: str, code: str, upload: dict
    ) -> dict:
        payload = load_or_fail(UploadSchema(), upload)
        checked = domain.check_attachment(payload, code or "attachment")
        with self.db.unit_of_work() as uow:
            decl = self._load(uow, actor, declaration_id, write=True, lock=True, person_may=True)
            self._person_edits_own(actor, decl)
            t = self.types.type(decl.type_code)
            spec = next((a for a in t.operation(decl.kind).attachments if a["code"] == code), None)
            if spec is None:
                raise ValidationFailed.from_fields({"code": [field_error("unknown", "该申报没有此附件类型")]})
            if spec.get("photo"):
                if not checked.content_type.startswith("image/"):
                    message = "个人照片须为jpg或png图片"
                    raise ValidationFailed(message, {code: [field_error("not_image", message)]})
                checked.warnings = list(domain.check_person_photo(checked.data).warnings)
            named = any(
                i.get("target") == "attachment" and code in (i.get("name"), i.get("code"))
                for i in decl.correction_items or []
            )
            if decl.status not in DRAFTS and not (decl.status == rules.CORRECTION and named):
                raise InvalidTransition("已上报的申报只能补正审核人员指出的附件", code="not_reopened")
            repo = PersonnelRepository(uow.session)
            repo.supersede(decl.id, code, _now())
            row = self._keep(
                repo,
                checked,
                code,
                spec["name"],
                actor,
                enterprise_id=decl.enterprise_id,
                declaration_id=decl.id,
            )
            decl.updated_at = _now()
            self._history(decl, "upload", "enterprise", f"上传{spec['name']} {row.filename}")
            audit.record(
                uow.session,
                "personnel.declaration.upload",
                actor_id=actor.get("id"),
                subject_id=str(decl.id),
                attachment_id=str(row.id),
                code=code,
            )
            _flush(uow)
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        aid = _uuid(attachment_id, "附件不存在")
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            row = repo.attachment(aid)
            allowed = False
            case_ref = None
            if row is not None and row.declaration_id:
                decl = repo.declaration(row.declaration_id)
                if decl is not None and decl.case_ref and (actor or {}).get("kind") == "reviewer":
                    case_ref = decl.case_ref  # a declaration's file: the same rule as its case
                else:
                    allowed = decl is not None and self._reads(
                        actor, decl.enterprise_id, decl.region_code, repo.person(decl.person_id)
                    )
            elif row is not None and row.person_id:  # a photo: whoever reads the person
                person = repo.person(row.person_id)
                kind = (actor or {}).get("kind")
                if kind in ("enterprise", "sub") and person is not None:
                    own = enterprise_of(actor)
                    allowed = self._reads(actor, own, None) and self._holds_person(
                        repo, uuid.UUID(str(own)), person
                    )
                else:
                    allowed = self._reads(actor, row.enterprise_id, None, person)
            elif row is not None:  # appeal evidence: the enterprise's, and its appeal's region
                appeal = repo.appeal(row.appeal_id) if row.appeal_id else None
                allowed = self._reads(actor, row.enterprise_id, appeal.region_code if appeal else None)
            if row is not None:
                key, filename, content_type = row.storage_key, row.filename, row.content_type
        if case_ref:  # reviewers whose desk holds a step of the case (review's chains decide)
            allowed = bool(self.review.may_read_case(actor, case_ref)["allowed"])
        if not allowed:
            self.audit_alone("personnel.access_refused", actor, aid, reason="attachment")
            raise NotFound("附件不存在")
        return {
            "url": self._store().download_url(key, filename),
            "filename": filename,
            "content_type": content_type,
        }

    def _each(self, actor: dict, ids: list[str], work: Any) -> list[dict]:
        """Run ``work(uow, declaration)`` per id in its own transaction; a result per item."""
        results = []
        for raw in ids:
            try:
                with self.db.unit_of_work() as uow:
                    decl = self._load(uow, actor, raw, write=True, lock=True)
                    work(uow, decl)
                    _flush(uow)
                    status = decl.status
                    _commit(uow)
                results.append({"id": str(raw), "ok": True, "status": status, "code": None, "message": None})
            except ServiceError as exc:
                results.append(
                    {"id": str(raw), "ok": False, "status": None, "code": exc.code, "message": exc.message}
                )
        return results

    @service_rpc
    def delete_declarations(self, actor: dict, payload: dict) -> dict:
        data = load_or_fail(IdsSchema(), payload)

        def delete(uow: Any, decl: Declaration) -> None:
            self._move(uow, decl, "delete", "enterprise", actor, note="删除申报")
            decl.batch_id = None
            self._transfer_follows(uow, decl, "in_drafted", "delete_draft", actor)
            decl.transfer_id = None

        results = self._each(actor, data["ids"], delete)
        return {"results": results, "summary": _summary(results)}

    @service_rpc
    def return_declarations(self, actor: dict, payload: dict) -> dict:
        """REG 退回: a person's declaration goes back to the person (before it is reported)."""
        data = load_or_fail(IdsSchema(), payload)
        reason = data["reason"].strip() or "企业退回"
        results = self._each(
            actor,
            data["ids"],
            lambda uow, decl: self._move(uow, decl, "return", "enterprise", actor, note=reason),
        )
        return {"results": results, "summary": _summary(results)}

    @service_rpc
    def list_declarations(self, actor: dict, query: dict | None = None) -> dict:
        f = load_or_fail(ListDeclarationsSchema(), query or {})
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            if f["batch_id"]:
                f["batch_id"] = _uuid(f["batch_id"], BATCH_NOT_FOUND)
            if (actor or {}).get("kind") == "person":
                people = repo.people_by_number(str(actor.get("id_number") or "").upper())
                rows = repo.list_declarations(None, f, [p.id for p in people])
            else:
                rows = repo.list_declarations(self._enterprise_for(actor, write=False), f)
            limit = f["limit"]
            return {
                "items": [self._view(uow, d, actor, detail=False) for d in rows[:limit]],
                "next_cursor": next_cursor(rows, limit),
            }

    @service_rpc
    def my_declarations(self, actor: dict) -> dict:
        if (actor or {}).get("kind") != "person":
            raise Forbidden("只有个人账号可以查看本人申报")
        return self.list_declarations(actor, {"limit": 200})

    @service_rpc
    def find_for_re_registration(self, actor: dict, query: dict) -> dict:
        eid = self._enterprise_for(actor, write=False)
        q = dict(query or {})
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            number = str(q.get("id_number") or "").strip().upper()
            candidates = []
            for person in repo.people_by_number(number):
                for cert in repo.certificates_of_person(person.id):
                    if not q.get("type_code") or cert.type_code == q["type_code"]:
                        candidates.append(records.record_dict(cert, person))
            found = rules.find_for_re_registration(candidates, str(q.get("name") or ""), number)
            cert = repo.certificate(uuid.UUID(found["id"]))
            audit.record(
                uow.session,
                "personnel.re_registration.lookup",
                actor_id=actor.get("id"),
                subject_id=found["id"],
                enterprise_id=str(eid),
            )
            view = views.certificate_view(self.types, cert, repo.person(cert.person_id))
            uow.commit()
            return view

    # ---- batches --------------------------------------------------------------------------
    def _batch(self, uow: Any, actor: dict, batch_id: object, write: bool) -> Batch:
        eid = self._enterprise_for(actor, write=write)
        batch = PersonnelRepository(uow.session).batch(_uuid(batch_id, BATCH_NOT_FOUND))
        if batch is None:
            raise NotFound(BATCH_NOT_FOUND)
        if batch.enterprise_id != eid:
            raise self._refused(actor, batch.id, "batch", NotFound(BATCH_NOT_FOUND))
        return batch

    def _batch_view(self, uow: Any, batch: Batch, actor: dict) -> dict:
        items = PersonnelRepository(uow.session).in_batch(batch.id)
        return {
            "id": str(batch.id),
            "title": batch.title,
            "reported": batch.reported_at is not None,
            "reported_at": _iso(batch.reported_at),
            "created_at": _iso(batch.created_at),
            "count": len(items),
            "declarations": [self._view(uow, d, actor, detail=False) for d in items],
        }

    def _put_in_batch(self, uow: Any, actor: dict, batch: Batch, ids: list[str]) -> None:
        for raw in ids:
            decl = self._load(uow, actor, raw, write=True, lock=True)
            if decl.status not in DRAFTS:
                raise InvalidTransition("只有未上报的申报可以加入批次", code="already_reported")
            decl.batch_id = batch.id
            self._history(decl, "batch", "enterprise", f"加入批次“{batch.title}”")

    @service_rpc
    def create_batch(self, actor: dict, payload: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        data = load_or_fail(BatchSchema(), payload)
        with self.db.unit_of_work() as uow:
            batch = Batch(enterprise_id=eid, title=data["title"].strip(), created_by=actor.get("id"))
            PersonnelRepository(uow.session).add(batch)
            self._put_in_batch(uow, actor, batch, data["declaration_ids"])
            audit.record(
                uow.session, "personnel.batch.create", actor_id=actor.get("id"), subject_id=str(batch.id)
            )
            _flush(uow)
            view = self._batch_view(uow, batch, actor)
            _commit(uow)
            return view

    @service_rpc
    def add_to_batch(self, actor: dict, batch_id: str, payload: dict) -> dict:
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            if batch.reported_at is not None:
                raise InvalidTransition("已上报的批次不能再加入申报", code="already_reported")
            ids = load_or_fail(ScopeSchema(), payload or {})["declaration_ids"] or []
            self._put_in_batch(uow, actor, batch, ids)
            audit.record(
                uow.session, "personnel.batch.add", actor_id=actor.get("id"), subject_id=str(batch.id)
            )
            _flush(uow)
            view = self._batch_view(uow, batch, actor)
            _commit(uow)
            return view

    @service_rpc
    def remove_from_batch(self, actor: dict, batch_id: str, payload: dict) -> dict:
        with self.db.unit_of_work() as uow:
            batch = self._batch(uow, actor, batch_id, write=True)
            for raw in load_or_fail(ScopeSchema(), payload or {})["declaration_ids"] or []:
                decl = self._load(uow, actor, raw, write=True, lock=True)
                if decl.batch_id == batch.id and decl.status in DRAFTS:
                    decl.batch_id = None
            audit.record(
                uow.session, "personnel.batch.remove", actor_id=actor.get("id"), subject_id=str(batch.id)
            )
            _flush(uow)
            view = self._batch_view(uow, batch, actor)
            _commit(uow)
            return view

    @service_rpc
    def list_batches(self, actor: dict, query: dict | None = None) -> dict:
        eid = self._enterprise_for(actor, write=False)
        with self.db.unit_of_work() as uow:
            rows = PersonnelRepository(uow.session).batches_of(eid, (query or {}).get("reported"))
            return {"items": [self._batch_view(uow, b, actor) for b in rows]}

    @service_rpc
    def get_batch(self, actor: dict, batch_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return self._batch_view(uow, self._batch(uow, actor, batch_id, write=False), actor)

    # ---- commitment letter and report -------------------------------------------------------
    def _scope_ids(self, uow: Any, actor: dict, scope: dict) -> tuple[list[str], Batch | None]:
        if scope.get("batch_id"):
            batch = self._batch(uow, actor, scope["batch_id"], write=True)
            ids = [
                str(d.id) for d in PersonnelRepository(uow.session).in_batch(batch.id) if d.status in DRAFTS
            ]
            if not ids:
                raise InvalidTransition("该批次没有待上报的申报", code="nothing_to_report")
            return ids, batch
        ids = [str(_uuid(i, NOT_FOUND)) for i in scope.get("declaration_ids") or []]
        if not ids:
            raise ValidationFailed(
                "请选择要上报的申报", {"declaration_ids": [field_error("required", "请选择要上报的申报")]}
            )
        return ids, None

    @service_rpc
    def open_commitment(self, actor: dict, payload: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        scope = load_or_fail(ScopeSchema(), payload)
        with self.db.unit_of_work() as uow:
            ids, batch = self._scope_ids(uow, actor, scope)
            for raw in ids:
                self._load(uow, actor, raw, write=True)
            row = Commitment(
                enterprise_id=eid, declaration_ids=ids, batch_id=batch.id if batch else None, opened_at=_now()
            )
            PersonnelRepository(uow.session).add(row)
            audit.record(
                uow.session,
                "personnel.commitment.open",
                actor_id=actor.get("id"),
                subject_id=str(row.id),
                count=len(ids),
            )
            uow.commit()
            return {
                "token": str(row.id),
                "opened_at": _iso(row.opened_at),
                "seconds_required": self._commitment_seconds(),
                "text": COMMITMENT_TEXT,
                "declaration_ids": ids,
            }

    @service_rpc
    def report(self, actor: dict, payload: dict) -> dict:
        """上报 (single or batch): one commitment letter, then a result per declaration."""
        eid = self._enterprise_for(actor, write=True)
        data = load_or_fail(ReportSchema(), payload)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            done = repo.report_key(eid, data["form_key"])
            if done is not None:
                return dict(done.results)
            ids, batch = self._scope_ids(uow, actor, data)
            commitment = None
            try:
                commitment = repo.commitment(uuid.UUID(str(data.get("commitment_token"))))
            except ValueError:
                commitment = None
            if commitment is not None and (
                commitment.enterprise_id != eid
                or commitment.used_at is not None
                or not set(ids) <= set(commitment.declaration_ids or [])
            ):
                commitment = None
            rules.check_commitment(
                commitment.opened_at if commitment else None,
                _now(),
                data["confirmed"],
                self._commitment_seconds(),
            )
            # Plain values: the rows do not outlive this transaction.
            commitment_id = commitment.id if commitment is not None else None
            batch_id = batch.id if batch is not None else None
        recs = self._records(eid)
        results = []
        for raw in ids:
            try:
                with self.db.unit_of_work() as uow:
                    decl = self._load(uow, actor, raw, write=True, lock=True)
                    self._report_one(uow, decl, recs, actor)
                    status = decl.status
                    _commit(uow)
                results.append({"id": raw, "ok": True, "status": status, "code": None, "message": None})
            except ServiceError as exc:
                results.append(
                    {"id": raw, "ok": False, "status": None, "code": exc.code, "message": exc.message}
                )
        answer = {"results": results, "summary": _summary(results)}
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            try:
                with uow.session.begin_nested():
                    repo.add(ReportKey(enterprise_id=eid, form_key=data["form_key"], results=answer))
            except IntegrityError:
                return dict(repo.report_key(eid, data["form_key"]).results)
            if commitment_id is not None:
                repo.commitment(commitment_id).used_at = _now()
            if batch_id is not None and all(d.status not in DRAFTS for d in repo.in_batch(batch_id)):
                repo.batch(batch_id).reported_at = _now()
            audit.record(
                uow.session,
                "personnel.report",
                actor_id=actor.get("id"),
                subject_id=str(batch_id) if batch_id else None,
                ok=sum(r["ok"] for r in results),
                failed=sum(not r["ok"] for r in results),
            )
            uow.commit()
        return answer

    def _report_one(self, uow: Any, decl: Declaration, recs: dict, actor: dict) -> None:
        repo = PersonnelRepository(uow.session)
        t = self.types.type(decl.type_code)
        if decl.status not in DRAFTS:
            raise rules._refuse(views.state_of(decl), "report")
        rules.attachments_check(t, decl.kind, [a.code for a in repo.attachments_of(decl.id)])
        person = repo.person(decl.person_id, for_update=True)
        cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
        ctx = self._context(
            repo, t, decl.kind, decl.enterprise_id, person, cert, decl.form or {}, recs.get("name")
        )
        others = [d for d in ctx.declarations if d["id"] != str(decl.id)]
        rules.check_eligibility(rules.DeclarationContext(**{**ctx.__dict__, "declarations": others}))
        decl.enterprise_name = recs.get("name") or decl.enterprise_name
        decl.region_code = recs.get("region_code") or decl.region_code or DEFAULT_REGION
        self._move(uow, decl, "report", "enterprise", actor, note="确认承诺书后上报")
        decl.reported_at = _now()
        decl.revision += 1
        self._transfer_follows(uow, decl, "in_drafted", "submit", actor)
        self._request_review(uow, decl)

    def _transfer_follows(self, uow: Any, decl: Declaration, when: str, action: str, actor: dict) -> None:
        """CIP 调入: the transfer follows its declaration (reported: in review; deleted: back)."""
        if decl.transfer_id is None:
            return
        transfer = PersonnelRepository(uow.session).transfer(decl.transfer_id, for_update=True)
        if transfer is not None and transfer.status == when:
            self._transfer_move(uow, transfer, action, actor_enterprise_id=decl.enterprise_id, actor=actor)
            if action == "delete_draft":
                transfer.declaration_id = None

    def _request_review(self, uow: Any, decl: Declaration) -> None:
        repo = PersonnelRepository(uow.session)
        t = self.types.type(decl.type_code)
        person = repo.person(decl.person_id)
        cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
        filled = records.review_fields(
            t,
            decl.kind,
            person=person,
            cert=cert,
            form=decl.form or {},
            enterprise=views.enterprise_fields(decl),
        )
        label = t.operation(decl.kind).label
        uow.add_event(
            REVIEW_REQUESTED,
            {
                "case_ref": decl.case_ref,
                "case_type": decl.case_type,
                "lane": "normal",
                "enterprise_id": str(decl.enterprise_id),
                "enterprise_name": decl.enterprise_name or "未命名企业",
                "region_code": decl.region_code or DEFAULT_REGION,
                "title": f"{decl.enterprise_name} {person.name} {t.name}{label}".strip()[:300],
                "revision": decl.revision,
                "time_limit_days": None,
                "fields": filled["fields"],
                "attachments": [
                    {"id": str(a.id), "label": a.label, "filename": a.filename, "sha256": a.sha256}
                    for a in repo.attachments_of(decl.id)
                ],
                "submitted_at": _now(),
            },
        )

    @service_rpc
    def resubmit_declaration(self, actor: dict, declaration_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            decl = self._load(uow, actor, declaration_id, write=True, lock=True)
            self._move(uow, decl, "resubmit", "enterprise", actor, note="补正后重新提交")
            decl.revision += 1
            decl.correction_items = []
            decl.correction_deadline = None
            self._request_review(uow, decl)
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    @service_rpc
    def cancel_declaration(self, actor: dict, declaration_id: str, reason: str = "") -> dict:
        with self.db.unit_of_work() as uow:
            decl = self._load(uow, actor, declaration_id, write=True, lock=True)
            accepted = decl.status not in rules.UNACCEPTED
            self._move(uow, decl, "cancel", "enterprise", actor, note=reason or "企业取消申请")
            self._withdraw_case(uow, decl, reason or "企业取消申请", "企业", accepted)
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    def _withdraw_case(self, uow: Any, decl: Declaration, reason: str, by: str, accepted: bool) -> None:
        uow.add_event(
            REVIEW_WITHDRAWN,
            {
                "case_ref": decl.case_ref,
                "reason": reason,
                "by": by,
                "outcome": "terminated" if accepted else "withdrawn",
            },
        )
        self._release_transfer(uow, decl, "cancelled")

    # ---- person withdrawal (REG 个人申请撤回) -------------------------------------------------
    @service_rpc
    def request_withdrawal(self, actor: dict, declaration_id: str, reason: str = "") -> dict:
        if (actor or {}).get("kind") != "person":
            message = "只有申报人本人可以申请撤回"
            raise self._refused(actor, declaration_id, "person_only", Forbidden(message, code="wrong_actor"))
        if not str(reason or "").strip():
            raise ValidationFailed("请填写撤回原因", {"reason": [field_error("required", "请填写撤回原因")]})
        with self.db.unit_of_work() as uow:
            decl = self._load(uow, actor, declaration_id, write=True, lock=True, person_may=True)
            self._move(uow, decl, "request_withdrawal", "person", actor, note=reason)
            decl.withdrawal = {
                "requested_at": _now().isoformat(),
                "reason": str(reason).strip(),
                "by": actor.get("id"),
                "decision": None,
            }
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    @service_rpc
    def decide_withdrawal(self, actor: dict, declaration_id: str, payload: dict) -> dict:
        agree = bool((payload or {}).get("agree"))
        reason = str((payload or {}).get("reason") or "").strip()
        with self.db.unit_of_work() as uow:
            decl = self._load(uow, actor, declaration_id, write=True, lock=True)
            action = "agree_withdrawal" if agree else "refuse_withdrawal"
            self._move(uow, decl, action, "enterprise", actor, note=reason or None)
            decl.withdrawal = {
                **(decl.withdrawal or {}),
                "decision": "agreed" if agree else "refused",
                "decided_at": _now().isoformat(),
                "decision_reason": reason,
            }
            if agree:
                self._withdraw_case(uow, decl, reason or "申报人申请撤回，企业同意", "申报人", False)
            view = self._view(uow, decl, actor)
            _commit(uow)
            return view

    # ---- review's answers -------------------------------------------------------------------
    def _case_declaration(self, uow: Any, envelope: dict, consumer: str) -> Declaration | None:
        case_ref = envelope["data"]["case_ref"]
        if not case_ref.startswith(CASE_REF_PREFIX):
            return None  # another producer's case
        if not uow.claim_event(envelope["id"], consumer):
            return None
        decl = PersonnelRepository(uow.session).by_case_ref(case_ref)
        if decl is None:
            log.warning("review answered for unknown case %s", case_ref)
        return decl

    def _answer(self, uow: Any, decl: Declaration, event_type: str, data: dict, note: str) -> str | None:
        """Apply the action review's event maps to; None when nothing is to be done."""
        mapped = rules.action_for_review_event(event_type, data, views.state_of(decl))
        if mapped is None:
            return None
        action, level = mapped
        try:
            return self._move(uow, decl, action, "review", None, note=note, level=level)
        except (InvalidTransition, Forbidden) as exc:
            # Review is the authority on the case; a state the declaration cannot follow is
            # recorded (and logged) rather than retried for ever.
            log.warning(
                "declaration %s: review's %s not applicable in %s: %s",
                decl.id,
                event_type,
                decl.status,
                exc.message,
            )
            self._history(decl, f"review_{event_type}", "review", f"未能处理：{exc.message}")
            return None

    @reliable_event_handler("review", "case_accepted")
    def on_case_accepted(self, body: dict) -> None:
        envelope = CASE_ACCEPTED.parse(body)
        with self.db.unit_of_work() as uow:
            decl = self._case_declaration(uow, envelope, "personnel.on_case_accepted")
            if decl is not None:
                decl.case_id = envelope["data"]["case_id"]
                decl.review_step = envelope["data"].get("step") or decl.review_step
                self._answer(uow, decl, "case_accepted", envelope["data"], "审核部门已受理")
            uow.commit()

    @reliable_event_handler("review", "case_step_changed")
    def on_case_step_changed(self, body: dict) -> None:
        envelope = CASE_STEP_CHANGED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            decl = self._case_declaration(uow, envelope, "personnel.on_case_step_changed")
            if decl is not None:
                decl.case_id = data["case_id"]
                decl.review_step = data.get("step_label") or data.get("step")
                if self._answer(uow, decl, "case_step_changed", data, f"进入{decl.review_step}") is None:
                    self._history(decl, "step_changed", "review", f"进入{decl.review_step}")
            uow.commit()

    @reliable_event_handler("review", "correction_requested")
    def on_correction_requested(self, body: dict) -> None:
        envelope = CORRECTION_REQUESTED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            decl = self._case_declaration(uow, envelope, "personnel.on_correction_requested")
            if decl is not None:
                decl.case_id = data["case_id"]
                items = self._labelled_items(uow, decl, data["items"])
                reasons = "；".join(f"{i.get('label') or i['name']}：{i['reason']}" for i in items)
                if self._answer(uow, decl, "correction_requested", data, f"要求补正：{reasons}"):
                    decl.correction_items = items
                    decl.correction_deadline = data.get("deadline")
            uow.commit()

    def _labelled_items(self, uow: Any, decl: Declaration, items: list[dict]) -> list[dict]:
        """Review names fields by their key and attachments by the id it was sent: each item gets
        the label the enterprise knows, and attachments their catalogue code (to re-upload)."""
        repo = PersonnelRepository(uow.session)
        t = self.types.type(decl.type_code)
        person = repo.person(decl.person_id)
        cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
        fields = records.review_fields(
            t,
            decl.kind,
            person=person,
            cert=cert,
            form=decl.form or {},
            enterprise=views.enterprise_fields(decl),
        )["fields"]
        out = []
        for item in items:
            item = dict(item)
            if item.get("target") == "attachment":
                try:
                    found = repo.attachment(uuid.UUID(str(item["name"])))
                except ValueError:
                    found = None
                if found is not None and found.declaration_id == decl.id:
                    item["code"], item["label"] = found.code, found.label
                else:
                    spec = next(
                        (a for a in t.operation(decl.kind).attachments if a["code"] == item["name"]), None
                    )
                    item["code"], item["label"] = item["name"], spec["name"] if spec else item["name"]
            else:
                item["label"] = (fields.get(item["name"]) or {}).get("label") or records.FORM_LABELS.get(
                    item["name"].removeprefix("form."), item["name"]
                )
            out.append(item)
        return out

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        envelope = CASE_DECIDED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            decl = self._case_declaration(uow, envelope, "personnel.on_case_decided")
            if decl is not None:
                decl.case_id = data["case_id"]
                approved = data["decision"] == "approved"
                note = data.get("reason") or ("审核通过" if approved else "审核不通过")
                if self._answer(uow, decl, "case_decided", data, note):
                    decl.decided_at = _now()
                    decl.decision_reason = data.get("reason")
                    if approved:
                        self._apply_approval(uow, decl)
                    else:
                        self._release_transfer(uow, decl, "rejected")
            uow.commit()

    @reliable_event_handler("review", "case_closed")
    def on_case_closed(self, body: dict) -> None:
        envelope = CASE_CLOSED.parse(body)
        with self.db.unit_of_work() as uow:
            decl = self._case_declaration(uow, envelope, "personnel.on_case_closed")
            if decl is not None:
                outcome = envelope["data"].get("outcome")
                if self._answer(
                    uow,
                    decl,
                    "case_closed",
                    envelope["data"],
                    "审核部门已终止办理" if outcome == "terminated" else "审核部门已确认撤回",
                ):
                    self._release_transfer(uow, decl, "cancelled")
                else:
                    self._history(decl, "case_closed", "review", "审核部门已确认撤回")
            uow.commit()

    # ---- approval effects -------------------------------------------------------------------
    def _apply_approval(self, uow: Any, decl: Declaration) -> None:
        """What an approved declaration changes (declarations.approval_effects), with its events."""
        repo = PersonnelRepository(uow.session)
        t = self.types.type(decl.type_code)
        person = repo.person(decl.person_id, for_update=True)
        cert = repo.certificate(decl.certificate_id, for_update=True) if decl.certificate_id else None
        today = _today()
        before = records.record_dict(cert, person) if cert is not None else None
        effects = rules.approval_effects(
            t,
            decl.kind,
            before,
            decl.form or {},
            today,
            {"id": str(decl.enterprise_id), "name": decl.enterprise_name},
        )
        person_changes, changes = records.split_changes(effects["record"])
        for key, value in person_changes.items():
            setattr(person, key, value)
        if "enterprise_id" in changes:
            changes["enterprise_id"] = (
                uuid.UUID(changes["enterprise_id"]) if changes["enterprise_id"] else None
            )
        if cert is None:
            class_code = (decl.form or {}).get("class_code")
            serial = int(decl.id.int % 10**7)
            numbers = {
                k: v
                for k, v in records.new_number(t, class_code, today, serial).items()
                if not changes.get(k)
            }
            cert = Certificate(
                person_id=person.id,
                type_code=t.code,
                certificate_kind=t.kind_for_class(class_code),
                region_code=decl.region_code,
                imported=False,
                history=[],
                **numbers,
                **changes,
            )
            try:
                with uow.session.begin_nested():
                    repo.add(cert)
            except IntegrityError:
                log.warning("declaration %s approved but the person already holds a live %s", decl.id, t.code)
                self._history(decl, "issue_failed", "review", "该人员已持有同类有效证书，未重复发证")
                return
            decl.certificate_id = cert.id
        else:
            for key, value in changes.items():
                setattr(cert, key, value)
            if "enterprise_id" in changes:
                cert.region_code = decl.region_code
        cert.updated_at = _now()
        cert.history = [
            *(cert.history or []),
            {
                "at": _now().isoformat(),
                "action": decl.kind,
                "note": f"{t.operation(decl.kind).label}审核通过",
                "declaration_id": str(decl.id),
            },
        ]
        _flush(uow)
        self._release_transfer(uow, decl, "completed")
        _flush(uow)
        self._certificate_events(uow, decl, cert, person, before, effects["key_person_change"])
        audit.record(
            uow.session,
            "personnel.certificate.apply",
            subject_id=str(cert.id),
            declaration_id=str(decl.id),
            kind=decl.kind,
        )

    def _certificate_events(
        self,
        uow: Any,
        decl: Declaration,
        cert: Certificate,
        person: Person,
        before: dict | None,
        key_change: str | None,
    ) -> None:
        number = records.number_of(cert)
        old_holder = (before or {}).get("enterprise_id")
        if key_change == "cancelled":
            uow.add_event(
                CERTIFICATE_CANCELLED,
                {
                    "certificate_id": cert.id,
                    "enterprise_id": cert.enterprise_id,
                    "person_id": person.id,
                    "kind": cert.certificate_kind,
                    "number": number,
                    "reason": "cancelled",
                },
            )
            self._key_person(uow, cert.enterprise_id, person.id, cert, "cancelled")
        elif key_change == "transferred_out":
            if old_holder and cert.enterprise_id:
                uow.add_event(
                    CERTIFICATE_TRANSFERRED,
                    {
                        "certificate_id": cert.id,
                        "from_enterprise_id": old_holder,
                        "to_enterprise_id": cert.enterprise_id,
                        "person_id": person.id,
                        "holder_name": person.name,
                        "kind": cert.certificate_kind,
                        "number": number,
                        "valid_until": cert.valid_until,
                    },
                )
            if old_holder:
                self._key_person(uow, old_holder, person.id, cert, "transferred_out")
        elif (
            decl.kind in (*rules.NEEDS_NO_RECORD, "re_registration", "reissue")
            or self.types.type(decl.type_code).operation(decl.kind).window
        ):
            uow.add_event(
                CERTIFICATE_ISSUED,
                {
                    "certificate_id": cert.id,
                    "enterprise_id": cert.enterprise_id,
                    "person_id": person.id,
                    "holder_name": person.name,
                    "kind": cert.certificate_kind,
                    "type_code": cert.type_code,
                    "number": number,
                    "valid_until": cert.valid_until,
                    "status": cert.status,
                },
            )

    @staticmethod
    def _key_person(
        uow: Any, enterprise_id: object, person_id: object, cert: Certificate, change: str
    ) -> None:
        data = domain.key_person_changed(
            str(enterprise_id), str(person_id), cert.certificate_kind, str(cert.id), change, _now()
        )
        uow.add_event(KEY_PERSON_CHANGED_SPEC, {**data, "at": datetime.fromisoformat(data["at"])})

    def _release_transfer(self, uow: Any, decl: Declaration, outcome: str) -> None:
        """The transfer a declaration carries ends with it (completed / rejected / cancelled)."""
        if decl.transfer_id is None:
            return
        repo = PersonnelRepository(uow.session)
        transfer = repo.transfer(decl.transfer_id, for_update=True)
        if transfer is None or transfer.status in domain.TRANSFER_FINAL:
            return
        action = {"completed": "approve", "rejected": "reject"}.get(outcome)
        if action and transfer.status == "in_review":
            self._transfer_move(uow, transfer, action, by="review")
        else:
            transfer.status = "cancelled"
            transfer.history = [
                *(transfer.history or []),
                {"at": _now().isoformat(), "action": "cancel", "by": "review", "status": "cancelled"},
            ]
            audit.record(
                uow.session,
                "personnel.transfer.cancel",
                subject_id=str(transfer.id),
                declaration_id=str(decl.id),
                outcome=outcome,
            )
        cert = repo.certificate(transfer.certificate_id, for_update=True)
        if cert is None:
            return
        if transfer.status == "completed":
            # TSA 调出 approved: the certificate goes to the named new employer (domain rule).
            holder = domain.transfer_record_changes(self._domain_transfer(transfer))["enterprise_id"]
            if holder and str(cert.enterprise_id or "") != holder:
                cert.enterprise_id = uuid.UUID(holder)
                cert.enterprise_name = transfer.to_enterprise_name
            cert.status, cert.transfer_to = "valid", None
        else:
            cert.status, cert.transfer_to = "valid", None

    # ---- transfers --------------------------------------------------------------------------
    def _domain_transfer(self, row: Transfer) -> domain.Transfer:
        return domain.Transfer(
            str(row.certificate_id),
            str(row.person_id),
            row.direction,
            str(row.from_enterprise_id) if row.from_enterprise_id else None,
            str(row.to_enterprise_id) if row.to_enterprise_id else None,
            row.status,
        )

    def _transfer_move(
        self,
        uow: Any,
        row: Transfer,
        action: str,
        *,
        actor_enterprise_id: object = None,
        by: str = "review",
        actor: dict | None = None,
        note: str | None = None,
    ) -> None:
        new = domain.transfer_step(
            self._domain_transfer(row),
            action,
            actor_enterprise_id=str(actor_enterprise_id) if actor_enterprise_id else None,
            by=by,
        )
        old = row.status
        row.status = new.status
        row.updated_at = _now()
        row.history = [
            *(row.history or []),
            {
                "at": _now().isoformat(),
                "action": action,
                "action_label": domain.TRANSFER_ACTIONS.get(action, action),
                "by": by if actor_enterprise_id is None else str(actor_enterprise_id),
                "status": new.status,
                "note": note,
            },
        ]
        audit.record(
            uow.session,
            f"personnel.transfer.{action}",
            actor_id=(actor or {}).get("id"),
            subject_id=str(row.id),
            old=old,
            new=new.status,
        )

    def _enterprise_by_uscc(self, uscc: str, field: str = "to_uscc") -> dict[str, Any]:
        uscc = str(uscc or "").strip().upper()
        if not uscc:
            message = "请填写企业的统一社会信用代码"
            raise ValidationFailed(message, {field: [field_error("required", message)]})
        with self.db.unit_of_work() as uow:
            found = PersonnelRepository(uow.session).employer_by_uscc(uscc)
            if found is None:
                message = "未找到该统一社会信用代码的企业，请核对"
                raise NotFound(message, {field: [field_error("not_found", message)]})
            target = {"enterprise_id": str(found.id), "name": found.name}
        if not target["name"]:
            target["name"] = self._records(uuid.UUID(target["enterprise_id"])).get("name") or uscc
        return target

    @service_rpc
    def transfer_out(self, actor: dict, payload: dict) -> dict:
        """CIP 人员调出: the old employer names the new one by its USCC; 调转中 until it decides."""
        eid = self._enterprise_for(actor, write=True)
        target = self._enterprise_by_uscc((payload or {}).get("to_uscc"))
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            cert = repo.certificate(
                _uuid((payload or {}).get("certificate_id"), CERT_NOT_FOUND), for_update=True
            )
            if cert is None:
                raise NotFound(CERT_NOT_FOUND)
            if cert.enterprise_id != eid:
                raise self._refused(actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
            t = self.types.type(cert.type_code)
            if "transfer_out" not in t.operations or t.operation("transfer_out").consent:
                raise InvalidTransition(f"{t.name}的调转须由本人申请，企业同意后办理", code="not_offered")
            status = rules.record_status(records.record_dict(cert), _today(), t)
            if status != "valid":
                raise InvalidTransition(
                    f"证书状态为“{views.CERT_STATUS_LABELS.get(status, status)}”，不能调出", code=status
                )
            if any(
                d.certificate_id == cert.id and d.status not in rules.FINAL_STATUSES
                for d in repo.declarations_of_person(cert.person_id)
            ):
                raise Conflict("该证书有未办结的申报，请办结后再调出", code="open_declaration")
            moved = domain.declare_transfer_out(
                str(cert.id), str(cert.person_id), str(eid), target["enterprise_id"]
            )
            row = Transfer(
                certificate_id=cert.id,
                person_id=cert.person_id,
                direction="out",
                mode="two_sided",
                from_enterprise_id=eid,
                from_enterprise_name=cert.enterprise_name,
                to_enterprise_id=uuid.UUID(moved.to_enterprise_id),
                to_enterprise_name=target.get("name"),
                status=moved.status,
                history=[
                    {
                        "at": _now().isoformat(),
                        "action": "declare_out",
                        "by": str(eid),
                        "status": moved.status,
                        "note": f"调往“{target.get('name')}”",
                    }
                ],
            )
            try:
                with uow.session.begin_nested():
                    repo.add(row)
            except IntegrityError as exc:
                raise Conflict("该证书已在调转中", code="transferring") from exc
            cert.status, cert.transfer_to = "transferring", row.to_enterprise_id
            person = repo.person(cert.person_id)
            uow.add_event(
                TRANSFER_REQUESTED,
                {
                    "transfer_id": row.id,
                    "certificate_id": cert.id,
                    "holder_name": person.name,
                    "from_enterprise_id": eid,
                    "to_enterprise_id": row.to_enterprise_id,
                    "awaiting_enterprise_id": row.to_enterprise_id,  # CIP: the new employer accepts
                },
            )
            audit.record(
                uow.session,
                "personnel.transfer.declare_out",
                actor_id=actor.get("id"),
                subject_id=str(row.id),
                to=str(row.to_enterprise_id),
            )
            _flush(uow)
            view = views.transfer_view(self.types, repo, row)
            _commit(uow)
            return view

    @service_rpc
    def list_transfers(self, actor: dict, query: dict | None = None) -> dict:
        eid = self._enterprise_for(actor, write=False)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            return {
                "items": [
                    views.transfer_view(self.types, repo, t)
                    for t in repo.transfers_of_enterprise(eid, (query or {}).get("direction"))
                ]
            }

    def _own_transfer(self, uow: Any, actor: dict, transfer_id: object) -> tuple[uuid.UUID, Transfer]:
        eid = self._enterprise_for(actor, write=True)
        row = PersonnelRepository(uow.session).transfer(
            _uuid(transfer_id, TRANSFER_NOT_FOUND), for_update=True
        )
        if row is None:
            raise NotFound(TRANSFER_NOT_FOUND)
        if eid not in (row.from_enterprise_id, row.to_enterprise_id):
            raise self._refused(actor, row.id, "transfer", NotFound(TRANSFER_NOT_FOUND))
        return eid, row

    @service_rpc
    def accept_transfer(self, actor: dict, transfer_id: str) -> dict:
        """CIP 调入: the new employer accepts; its 人员调入 declaration is drafted (then reported)."""
        eid = self._enterprise_for(actor, write=True)
        recs = self._records(eid)
        with self.db.unit_of_work() as uow:
            _, row = self._own_transfer(uow, actor, transfer_id)
            self._transfer_move(uow, row, "accept", actor_enterprise_id=eid, actor=actor)
            cert_id = row.certificate_id
            _flush(uow)
            t = self.types.type(PersonnelRepository(uow.session).certificate(cert_id).type_code)
            uow.commit()
        try:
            return self._create_declaration(
                actor,
                eid,
                t,
                "transfer_in",
                {"certificate_id": str(cert_id), "form": {}},
                recs,
                transfer=self._transfer_row(transfer_id),
            )
        except ServiceError:
            with self.db.unit_of_work() as uow:  # undo the acceptance: the draft could not be made
                row = PersonnelRepository(uow.session).transfer(uuid.UUID(str(transfer_id)), for_update=True)
                self._transfer_move(uow, row, "delete_draft", actor_enterprise_id=eid, actor=actor)
                uow.commit()
            raise

    def _transfer_row(self, transfer_id: object) -> Transfer:
        with self.db.unit_of_work() as uow:
            row = PersonnelRepository(uow.session).transfer(uuid.UUID(str(transfer_id)))
            uow.session.expunge(row)
            return row

    @service_rpc
    def return_transfer(self, actor: dict, transfer_id: str, reason: str = "") -> dict:
        with self.db.unit_of_work() as uow:
            eid, row = self._own_transfer(uow, actor, transfer_id)
            repo = PersonnelRepository(uow.session)
            if row.status == "in_drafted" and row.declaration_id:
                decl = repo.declaration(row.declaration_id, for_update=True)
                if decl is not None and decl.status not in DRAFTS:
                    raise InvalidTransition("调入申报已上报，不能再退回", code="in_review")
            self._transfer_move(uow, row, "return", actor_enterprise_id=eid, actor=actor, note=reason or None)
            row.reason = reason or None
            cert = repo.certificate(row.certificate_id, for_update=True)
            cert.status, cert.transfer_to = "valid", None
            _flush(uow)
            view = views.transfer_view(self.types, repo, row)
            uow.commit()
            return view

    @service_rpc
    def cancel_transfer(self, actor: dict, transfer_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            eid, row = self._own_transfer(uow, actor, transfer_id)
            repo = PersonnelRepository(uow.session)
            self._transfer_move(uow, row, "cancel", actor_enterprise_id=eid, actor=actor)
            cert = repo.certificate(row.certificate_id, for_update=True)
            cert.status, cert.transfer_to = "valid", None
            _flush(uow)
            view = views.transfer_view(self.types, repo, row)
            uow.commit()
            return view

    # ---- TSA 人员调动 (the person asks, the enterprise consents, then review) ---------------------
    def _person_actor(self, actor: dict) -> str:
        if (actor or {}).get("kind") != "person" or not actor.get("id_number"):
            message = "只有个人账号可以办理本人的调动申请"
            raise self._refused(
                actor, (actor or {}).get("id"), "person_only", Forbidden(message, code="wrong_actor")
            )
        return str(actor["id_number"]).upper()

    @service_rpc
    def request_transfer(self, actor: dict, payload: dict) -> dict:
        """TSA 人员调出/调入申请 by the holder; the consenting enterprise decides next."""
        number = self._person_actor(actor)
        data = dict(payload or {})
        direction = str(data.get("direction") or "")
        if direction not in ("out", "in"):
            raise ValidationFailed(
                "请选择调出或调入", {"direction": [field_error("required", "请选择调出或调入")]}
            )
        target = self._enterprise_by_uscc(data.get("to_uscc"))
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            cert = repo.certificate(_uuid(data.get("certificate_id"), CERT_NOT_FOUND), for_update=True)
            person = repo.person(cert.person_id) if cert else None
            if cert is None or person is None:
                raise NotFound(CERT_NOT_FOUND)
            if person.id_number != number:
                raise self._refused(actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
            t = self.types.type(cert.type_code)
            if (
                not t.operations.get(f"transfer_{direction}")
                or not t.operation(f"transfer_{direction}").consent
            ):
                raise InvalidTransition(f"{t.name}不办理本人调动申请", code="not_offered")
            status = rules.record_status(records.record_dict(cert), _today(), t)
            if status not in ("valid", "expired"):
                raise InvalidTransition(
                    f"证书状态为“{views.CERT_STATUS_LABELS.get(status, status)}”，不能申请调动",
                    code=str(status),
                )
            moved = domain.request_transfer(
                str(cert.id),
                str(person.id),
                direction,
                str(cert.enterprise_id) if cert.enterprise_id else None,
                target["enterprise_id"],
            )
            row = Transfer(
                certificate_id=cert.id,
                person_id=person.id,
                direction=direction,
                mode="consent",
                from_enterprise_id=cert.enterprise_id,
                from_enterprise_name=cert.enterprise_name,
                to_enterprise_id=uuid.UUID(target["enterprise_id"]),
                to_enterprise_name=target["name"],
                status=moved.status,
                history=[
                    {"at": _now().isoformat(), "action": "request", "by": "person", "status": moved.status}
                ],
            )
            try:
                with uow.session.begin_nested():
                    repo.add(row)
            except IntegrityError as exc:
                raise Conflict("该证书已有未办结的调动申请", code="transferring") from exc
            if row.from_enterprise_id:
                uow.add_event(
                    TRANSFER_REQUESTED,
                    {
                        "transfer_id": row.id,
                        "certificate_id": cert.id,
                        "holder_name": person.name,
                        "from_enterprise_id": row.from_enterprise_id,
                        "to_enterprise_id": row.to_enterprise_id,
                        "awaiting_enterprise_id": moved.consenting_enterprise_id,
                    },
                )
            audit.record(
                uow.session,
                "personnel.transfer.request",
                actor_id=actor.get("id"),
                subject_id=str(row.id),
                direction=direction,
            )
            view = views.transfer_view(self.types, repo, row)
            uow.commit()
            return view

    @service_rpc
    def my_certificates(self, actor: dict) -> dict:
        number = self._person_actor(actor)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            return {
                "items": [
                    views.certificate_view(self.types, c, p)
                    for p in repo.people_by_number(number)
                    for c in repo.certificates_of_person(p.id)
                ]
            }

    @service_rpc
    def my_transfers(self, actor: dict) -> dict:
        number = self._person_actor(actor)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            return {
                "items": [
                    views.transfer_view(self.types, repo, t)
                    for p in repo.people_by_number(number)
                    for t in repo.transfers_of_person(p.id)
                ]
            }

    @service_rpc
    def decide_transfers(self, actor: dict, payload: dict) -> dict:
        """TSA 同意/不同意 (one by one or in batch): consent opens the review declaration (draft,
        reported like any other), refusal ends the request."""
        eid = self._enterprise_for(actor, write=True)
        data = load_or_fail(IdsSchema(), payload)
        decision = str((payload or {}).get("decision") or "")
        if decision not in ("consent", "refuse"):
            raise ValidationFailed(
                "请选择同意或不同意", {"decision": [field_error("required", "请选择同意或不同意")]}
            )
        recs = self._records(eid) if decision == "consent" else {}
        results = []
        for raw in data["ids"]:
            try:
                with self.db.unit_of_work() as uow:
                    _, row = self._own_transfer(uow, actor, raw)
                    self._transfer_move(
                        uow, row, decision, actor_enterprise_id=eid, actor=actor, note=data["reason"] or None
                    )
                    if decision == "refuse":
                        row.reason = data["reason"] or None
                    cert_id, kind, status = row.certificate_id, f"transfer_{row.direction}", row.status
                    t = self.types.type(PersonnelRepository(uow.session).certificate(cert_id).type_code)
                    uow.commit()
                declaration_id = None
                if decision == "consent":
                    view = self._create_declaration(
                        actor,
                        eid,
                        t,
                        kind,
                        {"certificate_id": str(cert_id), "form": {}},
                        recs,
                        transfer=self._transfer_row(raw),
                    )
                    declaration_id = view["id"]
                results.append(
                    {
                        "id": str(raw),
                        "ok": True,
                        "status": status,
                        "code": None,
                        "message": None,
                        "declaration_id": declaration_id,
                    }
                )
            except ServiceError as exc:
                results.append(
                    {"id": str(raw), "ok": False, "status": None, "code": exc.code, "message": exc.message}
                )
        return {"results": results, "summary": _summary(results)}

    # ---- expiry warnings and the daily sweep -------------------------------------------------------
    @service_rpc
    def expiring(self, actor: dict, query: dict | None = None) -> dict:
        q = load_or_fail(ExpiringSchema(), query or {})
        within = int(q["within_days"] or self._settings().get("expiry_warning_days", 90))
        today = q["today"] or _today()
        eid, region = self._scope(actor)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            rows = repo.expiring(eid, region, today, today + timedelta(days=within), q.get("type_code"))
            items = []
            for found in windows.expiring(rows, today, within):
                cert = found["certificate"]
                items.append(
                    {
                        **views.certificate_view(self.types, cert, repo.person(cert.person_id), today),
                        "days_left": found["days_left"],
                    }
                )
            return {"items": items, "today": today.isoformat(), "within_days": within}

    def _scope(self, actor: dict) -> tuple[uuid.UUID | None, str | None]:
        """(enterprise, region prefix) an actor may search: its own enterprise, or a region."""
        if (actor or {}).get("kind") in ("enterprise", "sub"):
            return self._enterprise_for(actor, write=False), None
        prefix = self._region_prefix(actor)
        if prefix is None:
            raise Forbidden("无权查询注册人员")
        return None, prefix

    @timer(interval=SWEEP_SECONDS)
    def sweep_daily(self) -> None:
        self._sweep(_today())

    @service_rpc
    def run_expiry_sweep(self, today: str | None = None) -> dict:
        """Mark lapsed certificates as on ``today`` (YYYY-MM-DD; default: the Beijing date)."""
        try:
            day = date.fromisoformat(today) if today else _today()
        except ValueError as exc:
            raise ValidationFailed.from_fields(
                {"today": [field_error("invalid", "日期格式应为 YYYY-MM-DD")]}
            ) from exc
        return self._sweep(day)

    def _sweep(self, today: date) -> dict:
        lapsed = 0
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            for cert in repo.live_until(today):
                t = self.types.types.get(cert.type_code)
                if (
                    t is None
                    or windows.validity_status(cert.valid_until, today, t.renewal_rule()) != "lapsed"
                ):
                    continue
                cert.status = "lapsed"
                cert.updated_at = _now()
                cert.history = [
                    *(cert.history or []),
                    {"at": _now().isoformat(), "action": "lapse", "note": "超过延续期限，证书失效"},
                ]
                if cert.enterprise_id:
                    uow.add_event(
                        CERTIFICATE_CANCELLED,
                        {
                            "certificate_id": cert.id,
                            "enterprise_id": cert.enterprise_id,
                            "person_id": cert.person_id,
                            "kind": cert.certificate_kind,
                            "number": records.number_of(cert),
                            "reason": "lapsed",
                        },
                    )
                    self._key_person(uow, cert.enterprise_id, cert.person_id, cert, "lapsed")
                audit.record(uow.session, "personnel.certificate.lapse", subject_id=str(cert.id))
                lapsed += 1
            uow.commit()
        return {"lapsed": lapsed, "today": today.isoformat()}

    # ---- registered-staff search and export ------------------------------------------------------
    @service_rpc
    def search_registered(self, actor: dict, filters: dict | None = None) -> dict:
        f = load_or_fail(SearchSchema(), filters or {})
        eid, region = self._scope(actor)
        with self.db.unit_of_work() as uow:
            rows = PersonnelRepository(uow.session).search(f, eid, region)
            limit = f["limit"]
            items = [views.certificate_view(self.types, c, p) for c, p in rows[:limit]]
            cursor = None
            if len(rows) > limit:
                last = rows[limit - 1][0]
                cursor = f"{last.created_at.isoformat()}|{last.id}"
            return {"items": items, "next_cursor": cursor}

    @service_rpc
    def export_registered(self, actor: dict, filters: dict | None = None) -> dict:
        f = load_or_fail(SearchSchema(), {**(filters or {}), "limit": 5000})
        eid, region = self._scope(actor)
        today = _today()
        with self.db.unit_of_work() as uow:
            rows = PersonnelRepository(uow.session).search(f, eid, region)[:5000]
            out = []
            for cert, person in rows:
                view = views.certificate_view(self.types, cert, person, today)
                out.append(
                    {
                        **records.person_dict(person),
                        "gender": person.gender,
                        "id_type": person.id_type,
                        "certificate_type": view["type_name"],
                        "class_code": cert.class_code,
                        "registration_number": cert.registration_number,
                        "qualification_number": cert.qualification_number,
                        "certificate_number": cert.certificate_number,
                        "specialties": cert.specialties,
                        "issued_on": cert.issued_on,
                        "valid_until": cert.valid_until,
                        "status": view["status"],
                        "enterprise_name": cert.enterprise_name,
                        "mobile": person.mobile,
                    }
                )
            audit.record(uow.session, "personnel.export", actor_id=(actor or {}).get("id"), rows=len(out))
            uow.commit()
        data = self.renderers.run(EXPORT_JOB, out)
        return {
            "filename": export.export_filename(today),
            "content_type": export.XLSX_CONTENT_TYPE,
            "content_b64": base64.b64encode(data).decode(),
            "rows": len(out),
        }

    # ---- appeals (申辩管理) -------------------------------------------------------------------
    @staticmethod
    def _domain_appeal(row: Appeal) -> domain.Appeal:
        return domain.Appeal(
            str(row.enterprise_id),
            str(row.person_id),
            row.kind,
            row.detail,
            row.status,
            row.deadline,
            row.explanation,
            tuple(row.evidence or ()),
            row.opinion,
        )

    @service_rpc
    def raise_anomaly(self, actor: dict, payload: dict) -> dict:
        self._require_staff(actor)
        data = load_or_fail(AnomalySchema(), payload or {})
        eid = _uuid(data["enterprise_id"], "企业不存在")
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            person = repo.person(_uuid(data["person_id"], PERSON_NOT_FOUND))
            if person is None:
                raise NotFound(PERSON_NOT_FOUND)
            # The region is the enterprise's, as its records or declarations of this person say:
            # a person the enterprise neither holds nor declared is not its anomaly to answer.
            regions = [
                c.region_code for c in repo.certificates_of_person(person.id) if c.enterprise_id == eid
            ]
            regions += [
                d.region_code
                for d in repo.declarations_of_person(person.id)
                if d.enterprise_id == eid and d.status != "deleted"
            ]
            if not regions or not self._reads(actor, None, regions[0]):
                raise self._refused(actor, person.id, "anomaly", NotFound(PERSON_NOT_FOUND))
            region = regions[0] or DEFAULT_REGION
            deadline = data["deadline"]
            appeal = domain.raise_anomaly(
                str(eid), str(person.id), data["kind"], data["detail"] or "", deadline
            )
            row = Appeal(
                enterprise_id=eid,
                person_id=person.id,
                region_code=region,
                kind=appeal.kind,
                detail=appeal.detail,
                status=appeal.status,
                deadline=deadline,
                raised_by=actor.get("id"),
                history=[{"at": _now().isoformat(), "action": "raise", "by": "reviewer", "status": "open"}],
            )
            repo.add(row)
            audit.record(
                uow.session, "personnel.appeal.raise", actor_id=actor.get("id"), subject_id=str(row.id)
            )
            view = views.appeal_view(repo, row)
            uow.commit()
            return view

    @service_rpc
    def list_appeals(self, actor: dict, query: dict | None = None) -> dict:
        eid, region = self._scope(actor)
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            return {
                "items": [
                    views.appeal_view(repo, a) for a in repo.appeals(eid, region, (query or {}).get("status"))
                ]
            }

    def _appeal_step(self, uow: Any, row: Appeal, action: str, by: str, actor: dict, **kwargs: Any) -> None:
        new = domain.appeal_step(self._domain_appeal(row), action, by=by, today=_today(), **kwargs)
        row.status, row.explanation, row.evidence, row.opinion = (
            new.status,
            new.explanation,
            list(new.evidence),
            new.opinion,
        )
        row.updated_at = _now()
        row.history = [
            *(row.history or []),
            {"at": _now().isoformat(), "action": action, "by": by, "status": new.status},
        ]
        audit.record(
            uow.session, f"personnel.appeal.{action}", actor_id=actor.get("id"), subject_id=str(row.id)
        )

    @service_rpc
    def answer_appeal(self, actor: dict, appeal_id: str, payload: dict) -> dict:
        eid = self._enterprise_for(actor, write=True)
        data = dict(payload or {})
        checked = [
            domain.check_attachment(load_or_fail(UploadSchema(), e), "evidence")
            for e in data.get("evidence") or []
        ]
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            row = repo.appeal(_uuid(appeal_id, "申辩不存在"))
            if row is None:
                raise NotFound("申辩不存在")
            if row.enterprise_id != eid:
                raise self._refused(actor, row.id, "appeal", NotFound("申辩不存在"))
            ids = [
                str(
                    self._keep(
                        repo, c, "evidence", "申辩证明材料", actor, enterprise_id=eid, appeal_id=row.id
                    ).id
                )
                for c in checked
            ]
            self._appeal_step(
                uow, row, "answer", "enterprise", actor, explanation=data.get("explanation"), evidence=ids
            )
            view = views.appeal_view(repo, row)
            uow.commit()
            return view

    @service_rpc
    def close_appeal(self, actor: dict, appeal_id: str, payload: dict) -> dict:
        self._require_staff(actor)
        data = dict(payload or {})
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            row = repo.appeal(_uuid(appeal_id, "申辩不存在"))
            if row is None:
                raise NotFound("申辩不存在")
            if not self._reads(actor, None, row.region_code):
                raise self._refused(actor, row.id, "appeal", NotFound("申辩不存在"))
            outcome = str(data.get("outcome") or "")
            if outcome not in ("uphold", "dismiss", "ask_more"):
                raise ValidationFailed(
                    "请选择审核结论", {"outcome": [field_error("required", "请选择审核结论")]}
                )
            self._appeal_step(uow, row, outcome, "reviewer", actor, opinion=data.get("opinion"))
            view = views.appeal_view(repo, row)
            uow.commit()
            return view

    # ---- for the enterprise service ----------------------------------------------------------
    @service_rpc
    def open_cases_of(self, enterprise_id: str) -> dict:
        """Reported, undecided declarations of the enterprise (asked by enterprise before a name
        change, docs/contracts.md)."""
        eid = uuid_or_not_found(enterprise_id, "企业不存在")
        with self.db.unit_of_work() as uow:
            repo = PersonnelRepository(uow.session)
            out = []
            for decl in repo.open_of_enterprise(eid):
                person = repo.person(decl.person_id)
                label = OPERATION_KINDS.get(decl.kind, decl.kind)
                out.append(
                    {
                        "id": str(decl.id),
                        "kind": "personnel_declaration",
                        "title": f"{person.name if person else ''} {label}".strip(),
                        "status": rules.STATUSES.get(decl.status, decl.status),
                    }
                )
            return {"open": out}


def _summary(results: list[dict]) -> str:
    ok = sum(1 for r in results if r["ok"])
    return f"成功{ok}条，失败{len(results) - ok}条"


SERVICE_CLASS = PersonnelService
