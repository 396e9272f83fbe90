"""What personnel's use cases share: the collaborators they are given (``Deps``), one
transaction over the repository (``Tx``), the access checks, and the state-machine step
with its history, event and audit row.

A use case is a function ``(deps, actor, data...)``: ``deps.begin()`` opens a transaction
(``Tx``: ``repo``, ``add_event``, ``audit``, ``commit``), ``deps.types`` is the catalogue,
``deps.store()`` the object store, ``deps.enterprise_records`` asks the enterprise service,
``deps.audit_alone`` audits a refusal in a transaction of its own. The service builds the real
ones (services/personnel/service.py); tests/unit/test_personnel_usecases.py passes fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from services.common import jurisdiction
from services.common.access import (
    REGISTRATION_NOT_APPROVED,
    awaiting_approval,
    enterprise_of,
    may_use,
    module_refusal,
    registration_refusal,
)
from services.common.attachments import metadata, store_upload
from services.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.storage import ObjectStore
from services.common.transaction import ServiceTx, begin
from services.personnel import declarations as rules
from services.personnel import domain, views
from services.personnel.catalogue import Catalogue
from services.personnel.events import DECLARATION_STATUS_CHANGED, KEY_PERSON_CHANGED_SPEC
from services.personnel.models import Attachment, Certificate, Declaration, Person
from services.personnel.repository import PersonnelRepository

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


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return views.beijing_today()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _uuid(value: object, message: str) -> uuid.UUID:
    return uuid_or_not_found(value, message)


class Tx(ServiceTx):
    """One transaction over personnel's tables: the repository, the outbox, the audit trail
    (services/common/transaction.py). A stale row version is a Conflict."""

    stale_message = STALE

    def __init__(self, uow: Any) -> None:
        super().__init__(uow)
        self.repo = PersonnelRepository(uow.session)


def transaction(db: Any) -> AbstractContextManager[Tx]:
    """``Deps.begin`` over the service's Database provider."""
    return begin(db, Tx)


@dataclass
class Deps:
    """The collaborators a use case is given (the service builds them per worker)."""

    begin: Callable[[], AbstractContextManager[Any]]
    types: Catalogue
    store: Callable[[], ObjectStore]
    enterprise_records: Callable[[str], dict]
    audit_alone: Callable[..., None]
    settings: dict[str, Any] = field(default_factory=dict)
    # render(job, *args): heavy library work in the service's worker processes (renderpool.py)
    render: Callable[..., Any] | None = None
    # may_read_case(actor, case_ref) -> bool: review's answer, whose desks hold a step of the case
    may_read_case: Callable[[dict, str], bool] | None = None
    # spawn(work, *args): run in the background (the service's managed green thread); None: now
    spawn: Callable[..., Any] | None = None
    # staff_imported(enterprise_id, id_number) -> bool: enterprise's legacy import brought them (信息补录)
    staff_imported: Callable[[str, str], bool] | None = None
    # background imports (services/common/import_jobs.py): a raw unit of work
    unit_of_work: Callable[[], AbstractContextManager[Any]] | None = None


def summary(results: list[dict]) -> str:
    ok = sum(1 for r in results if r["ok"])
    return f"成功{ok}条，失败{len(results) - ok}条"


def commitment_seconds(deps: Deps) -> float:
    return float(deps.settings.get("commitment_seconds", rules.COMMITMENT_SECONDS))


def refused(
    deps: Deps, actor: dict | None, subject: object, reason: str, error: ServiceError
) -> ServiceError:
    """Audit a refused access to another party's row; the caller raises the answer."""
    deps.audit_alone("personnel.access_refused", actor, subject, reason=reason)
    return error


def enterprise_for(deps: Deps, actor: dict, write: bool) -> uuid.UUID:
    """The enterprise an enterprise-side actor acts for, if it may use personnel."""
    kind = (actor or {}).get("kind")
    if kind not in ("enterprise", "sub"):
        raise refused(
            deps,
            actor,
            (actor or {}).get("id"),
            "not_enterprise",
            Forbidden("只有企业账号可以办理人员业务", code="forbidden"),
        )
    if awaiting_approval(actor):  # registration review has not approved the account yet
        deps.audit_alone("personnel.access_refused", actor, actor.get("id"), reason=REGISTRATION_NOT_APPROVED)
        raise Forbidden(registration_refusal(actor), code=REGISTRATION_NOT_APPROVED)
    if not may_use(kind, list(actor.get("permissions") or []), "personnel", write):
        deps.audit_alone("personnel.access_refused", actor, actor.get("id"), write=write)
        raise Forbidden(module_refusal("personnel", write))
    return _uuid(enterprise_of(actor), "企业不存在")


def region_prefix(actor: dict) -> str | None:
    """A reviewer's / admin's jurisdiction as a region-code prefix ("" = everywhere)."""
    return jurisdiction.region_prefix(actor or {})


def reads(actor: dict, enterprise_id: object, region_code: str | None, person: Person | None = None) -> bool:
    kind = (actor or {}).get("kind")
    if kind in ("enterprise", "sub"):
        return may_use(kind, list(actor.get("permissions") or []), "personnel", False) and str(
            enterprise_of(actor)
        ) == str(enterprise_id)
    if kind == "person":
        return person is not None and person.id_number == str(actor.get("id_number") or "").upper()
    prefix = region_prefix(actor)
    return prefix is not None and str(region_code or DEFAULT_REGION).startswith(prefix)


def load(
    deps: Deps,
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
    repo = uow.repo
    decl = repo.declaration(did, for_update=lock)
    if decl is None:
        raise NotFound(NOT_FOUND)
    if write and (actor or {}).get("kind") == "person" and not person_may:
        raise refused(
            deps, actor, did, "wrong_actor", Forbidden("该操作只能由申报企业办理", code="wrong_actor")
        )
    if write and (actor or {}).get("kind") != "person":
        if decl.enterprise_id != enterprise_for(deps, actor, write=True):
            deps.audit_alone("personnel.access_refused", actor, did, reason="other_enterprise")
            raise NotFound(NOT_FOUND)
    elif not reads(actor, decl.enterprise_id, decl.region_code, repo.person(decl.person_id)):
        deps.audit_alone("personnel.access_refused", actor, did, reason="read")
        raise NotFound(NOT_FOUND)
    if version is not None and int(version) != decl.version:
        raise Conflict(STALE, code="stale_version")
    return decl


def person_edits_own(deps: Deps, actor: dict, decl: Declaration) -> None:
    """A person edits only a declaration they filed themselves (REG 个人申报)."""
    if (actor or {}).get("kind") == "person" and decl.origin != "person":
        raise refused(
            deps, actor, decl.id, "wrong_actor", Forbidden("企业填写的申报只能由企业修改", code="wrong_actor")
        )


def enterprise_records(deps: Deps, enterprise_id: uuid.UUID) -> dict[str, Any]:
    """The enterprise's records (name, region); the directory of employers is refreshed."""
    recs = dict(deps.enterprise_records(str(enterprise_id)))
    if recs.get("uscc"):
        with deps.begin() as uow:
            uow.repo.remember_employer(
                enterprise_id, recs["uscc"], recs.get("name") or None, recs.get("region_code") or None
            )
            uow.commit()
    return recs


def move(
    deps: Deps,
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
    history(decl, action, role, note)
    decl.updated_at = _now()
    uow.flush()
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
    uow.audit(
        f"personnel.declaration.{action}",
        actor_id=(actor or {}).get("id"),
        subject_id=str(decl.id),
        old=old,
        new=decl.status,
        actor_kind=(actor or {}).get("kind"),
    )
    return decl.status


def history(decl: Declaration, action: str, role: str, note: str | None) -> None:
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


def declaration_view(
    deps: Deps, uow: Any, decl: Declaration, actor: dict | None, detail: bool = True
) -> dict[str, Any]:
    kind = (actor or {}).get("kind")
    role = "person" if kind == "person" else ("enterprise" if kind in ("enterprise", "sub") else "review")
    return views.declaration_view(deps.types, uow.repo, decl, role, detail)


def keep(
    deps: Deps,
    repo: PersonnelRepository,
    checked: Any,
    code: str,
    label: str,
    actor: dict | None,
    **owner: Any,
) -> Attachment:
    store = deps.store()
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


def require_staff(deps: Deps, actor: dict, admin: bool = False) -> None:
    kinds = ("admin",) if admin else ("reviewer", "admin")
    if (actor or {}).get("kind") not in kinds:
        message = "只有管理员可以执行该操作" if admin else "只有审核人员或管理员可以办理"
        raise refused(deps, actor, (actor or {}).get("id"), "staff_only", Forbidden(message))


def each(deps: Deps, actor: dict, ids: list[str], work: Any) -> list[dict]:
    """Run ``work(uow, declaration)`` per id in its own transaction; a result per item."""
    results = []
    for raw in ids:
        try:
            with deps.begin() as uow:
                decl = load(deps, uow, actor, raw, write=True, lock=True)
                work(uow, decl)
                uow.flush()
                status = decl.status
                uow.commit()
            results.append({"id": str(raw), "ok": True, "status": status, "code": None, "message": None})
        except ServiceError as exc:
            results.append(
                {"id": str(raw), "ok": False, "status": None, "code": exc.code, "message": exc.message}
            )
    return results


def key_person(uow: Any, enterprise_id: object, person_id: object, cert: Certificate, change: str) -> None:
    data = domain.key_person_changed(
        str(enterprise_id), str(person_id), cert.certificate_kind, str(cert.id), change, _now()
    )
    uow.add_event(KEY_PERSON_CHANGED_SPEC, {**data, "at": datetime.fromisoformat(data["at"])})


def enterprise_by_uscc(deps: Deps, uscc: str, field: str = "to_uscc") -> dict[str, Any]:
    uscc = str(uscc or "").strip().upper()
    if not uscc:
        message = "请填写企业的统一社会信用代码"
        raise ValidationFailed(message, {field: [field_error("required", message)]})
    with deps.begin() as uow:
        found = uow.repo.employer_by_uscc(uscc)
        if found is None:
            message = "未找到该统一社会信用代码的企业，请核对"
            raise NotFound(message, {field: [field_error("not_found", message)]})
        target = {"enterprise_id": str(found.id), "name": found.name}
    if not target["name"]:
        target["name"] = enterprise_records(deps, uuid.UUID(target["enterprise_id"])).get("name") or uscc
    return target


def person_actor(deps: Deps, actor: dict) -> str:
    if (actor or {}).get("kind") != "person" or not actor.get("id_number"):
        message = "只有个人账号可以办理本人的调动申请"
        raise refused(
            deps, actor, (actor or {}).get("id"), "person_only", Forbidden(message, code="wrong_actor")
        )
    return str(actor["id_number"]).upper()


def search_scope(deps: Deps, actor: dict) -> tuple[uuid.UUID | None, str | None]:
    """(enterprise, region prefix) an actor may search: its own enterprise, or a region."""
    if (actor or {}).get("kind") in ("enterprise", "sub"):
        return enterprise_for(deps, actor, write=False), None
    prefix = region_prefix(actor)
    if prefix is None:
        raise Forbidden("无权查询注册人员")
    return None, prefix
