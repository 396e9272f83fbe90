"""What permits' use cases share: the collaborators they are given (``Deps``), one
transaction over the repositories (``Tx``), the access checks, and the lifecycle step with
its history, event and audit row.

A use case is a function ``(deps, actor, data...)``: ``deps.begin()`` opens a transaction
(``Tx``: ``apps``, ``licences``, ``batches``, ``credit``, ``add_event``, ``audit``,
``commit``), ``deps.catalogue`` is the active catalogue (new drafts), ``type_of(deps, app)`` an
application's type as its catalogue version defines it, ``deps.store()`` the object store,
``deps.records`` asks the enterprise service for its records, ``deps.audit_alone`` audits a
refusal in a transaction of its own. The service builds the real ones
(services/permits/service.py); tests/unit/test_permits_usecases.py passes fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from services.common.access import (
    REGISTRATION_NOT_APPROVED,
    awaiting_approval,
    enterprise_of,
    may_use,
    module_refusal,
    registration_refusal,
)
from services.common.attachments import metadata, store_upload
from services.common.errors import Conflict, Forbidden, NotFound, uuid_or_not_found
from services.common.storage import ObjectStore
from services.common.transaction import ServiceTx, begin
from services.permits import adapters, licences, lifecycle
from services.permits.catalogue import BusinessType, Catalogue
from services.permits.events import APPLICATION_STATE_CHANGED
from services.permits.models import Application, Attachment, Licence
from services.permits.repository import (
    ApplicationRepository,
    BatchRepository,
    CreditRepository,
    LicenceRepository,
)

NOT_FOUND = "申请不存在"
LICENCE_NOT_FOUND = "证书不存在"
BATCH_NOT_FOUND = "申报批次不存在"
STALE = "该申请已被他人修改（或在另一窗口中已办理），请刷新页面后重试。"
OWED_DAYS = 30  # 容缺: owed materials are due this many days after submission (PFL: plausible)
DEFAULT_REGION = "150000"


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return adapters.today_in_beijing(_now())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class Tx(ServiceTx):
    """One transaction over permits' tables: the repositories, the outbox, the audit trail
    (services/common/transaction.py); a stale application version is a Conflict."""

    stale_message = STALE

    def __init__(self, uow: Any) -> None:
        super().__init__(uow)
        session = uow.session
        self.apps = ApplicationRepository(session)
        self.licences = LicenceRepository(session)
        self.batches = BatchRepository(session)
        self.credit = CreditRepository(session)


def transaction(db: Any) -> AbstractContextManager[Tx]:
    """``Deps.begin`` over the service's Database provider."""
    return begin(db, Tx)


@dataclass
class Deps:
    """The collaborators a use case is given (the service builds them per worker)."""

    begin: Callable[[], AbstractContextManager[Any]]
    catalogue: Catalogue
    store: Callable[[], ObjectStore]
    # records(enterprise_id) -> enterprise's records_for_precheck answer
    records: Callable[[uuid.UUID], dict]
    audit_alone: Callable[..., None]
    # may_read_case(actor, case_ref) -> bool: review's answer, whose desks hold a step of the case
    may_read_case: Callable[[dict, str], bool]
    # render(job, *args): heavy library work in the service's worker processes (renderpool.py)
    render: Callable[..., Any]
    settings: dict[str, Any] = field(default_factory=dict)
    public_url: str = ""
    # type_at(catalogue_version_id, type_code) -> the type as that catalogue version defines it
    # (services/permits/catalogue_store.py); None: the catalogue above (unit tests' fakes)
    type_at: Callable[[int | None, str], BusinessType] | None = None


def type_of(deps: Deps, app: Application) -> BusinessType:
    """An application's business type as the catalogue version its draft was made under
    defines it: an admin's later version never changes a submitted application's form,
    materials, pre-check, time limit or review chain (services/permits/catalogue_versions.py)."""
    if deps.type_at is None:
        return deps.catalogue.type(app.type_code)
    return deps.type_at(app.catalogue_version_id, app.type_code)


def commitment_seconds(deps: Deps) -> float:
    return float(deps.settings.get("commitment_seconds", lifecycle.COMMITMENT_SECONDS))


# ---- access ---------------------------------------------------------------------------------
def enterprise_for(deps: Deps, actor: dict, write: bool) -> uuid.UUID:
    """The enterprise an enterprise-side actor acts for, if it may use permits."""
    kind = (actor or {}).get("kind")
    if kind not in ("enterprise", "sub"):
        raise Forbidden("只有企业账号可以办理资质许可")
    if awaiting_approval(actor):  # registration review has not approved the account yet
        deps.audit_alone("permits.access_refused", actor, actor.get("id"), reason=REGISTRATION_NOT_APPROVED)
        raise Forbidden(registration_refusal(actor), code=REGISTRATION_NOT_APPROVED)
    if not may_use(kind, list(actor.get("permissions") or []), "permits", write):
        deps.audit_alone("permits.access_refused", actor, actor.get("id"), write=write)
        raise Forbidden(module_refusal("permits", write))
    return uuid_or_not_found(enterprise_of(actor), "企业不存在")


def may_read(deps: Deps, actor: dict, enterprise_id: uuid.UUID, case_ref: str | None) -> bool:
    """The same rule as the case (docs/contracts.md, "Case documents"): the enterprise
    (with the 资质许可 module), admins, and reviewers whose desk holds a step of the
    application's review case, which review answers (its chains are the authority: this
    catalogue's ``levels`` are what is sent, review resolves the chain). No case yet: owner only."""
    kind = (actor or {}).get("kind")
    if kind == "admin":
        return True
    if kind == "reviewer":
        return bool(case_ref) and bool(deps.may_read_case(actor, case_ref))
    if kind in ("enterprise", "sub"):
        return may_use(kind, list(actor.get("permissions") or []), "permits", False) and str(
            enterprise_of(actor)
        ) == str(enterprise_id)
    return False


def require_staff(actor: dict, admin: bool = False) -> None:
    kinds = ("admin",) if admin else ("reviewer", "admin")
    if (actor or {}).get("kind") not in kinds:
        raise Forbidden("只有管理员可以执行该操作" if admin else "只有审核人员或管理员可以查看")


def load(
    deps: Deps,
    uow: Any,
    actor: dict,
    application_id: object,
    *,
    write: bool,
    version: int | None = None,
    lock: bool = False,
    hold: bool = True,
) -> Application:
    """The application, if the actor may read it (or write it: its enterprise's). A write
    locks the row (``hold=False``: a look before a write that comes later, without a lock):
    it sees the background re-check's state, which never bumps the version
    (services/permits/recheck.py), and the re-check waits for it."""
    aid = uuid_or_not_found(application_id, NOT_FOUND)
    app = uow.apps.get(aid, for_update=lock or (write and hold))
    if app is None:
        raise NotFound(NOT_FOUND)
    if write:
        eid = enterprise_for(deps, actor, write=True)
        if app.enterprise_id != eid:
            deps.audit_alone("permits.access_refused", actor, aid, reason="other_enterprise")
            raise NotFound(NOT_FOUND)
    elif not may_read(deps, actor, app.enterprise_id, app.case_ref):
        deps.audit_alone("permits.access_refused", actor, aid, reason="read")
        raise NotFound(NOT_FOUND)
    if version is not None and int(version) != app.version:
        raise Conflict(STALE, code="stale_version")
    return app


def check_version(app: Application, version: int | None) -> None:
    if version is not None and int(version) != app.version:
        raise Conflict(STALE, code="stale_version")



class RecordsMovedOn(Exception):
    """The records fetched before the lock are older than those the application was judged on
    meanwhile (the background re-check): fetch again (``with_records``)."""


def writing_enterprise(actor: dict) -> uuid.UUID | None:
    """The enterprise an actor that may write permits acts for (``enterprise_for`` without its
    refusals and audits); None when it may not, or names no enterprise."""
    kind = (actor or {}).get("kind")
    if kind not in ("enterprise", "sub") or awaiting_approval(actor):
        return None
    if not may_use(kind, list(actor.get("permissions") or []), "permits", True):
        return None
    try:
        return uuid.UUID(str(enterprise_of(actor)))
    except ValueError:
        return None


def records_before_lock(deps: Deps, actor: dict, application_id: object) -> dict:
    """The enterprise's records, asked with no row lock held (never an RPC under a lock). An
    actor that may write asks for its own enterprise's straight away: the step's ``load``
    under the lock refuses another enterprise's application (NotFound, audited) as before.
    Anyone else: a look at the application without a lock (access checked, refusals
    audited), then the records RPC."""
    uuid_or_not_found(application_id, NOT_FOUND)
    enterprise_id = writing_enterprise(actor)
    if enterprise_id is None:
        with deps.begin() as uow:
            enterprise_id = load(deps, uow, actor, application_id, write=True, hold=False).enterprise_id
    return deps.records(enterprise_id)


def require_current(app: Application, records: dict) -> None:
    """Under the row lock: records older than the ones the application was judged on (the
    re-check ran between the RPC and the lock) raise RecordsMovedOn."""
    fresh, judged = records.get("records_version"), app.precheck_records_version
    if fresh is not None and judged is not None and fresh < judged:
        raise RecordsMovedOn


RECORDS_ATTEMPTS = 3


def with_records(deps: Deps, actor: dict, application_id: object, step: Callable[[dict], Any]) -> Any:
    """``step(records)`` with records fetched before it locks the row; the step calls
    ``require_current`` under the lock, and records that moved on meanwhile are fetched
    again (a few times, then the user is asked to refresh: 409 stale_version)."""
    for _ in range(RECORDS_ATTEMPTS):
        records = records_before_lock(deps, actor, application_id)
        try:
            return step(records)
        except RecordsMovedOn:
            continue
    raise Conflict(STALE, code="stale_version")

# ---- the lifecycle step ---------------------------------------------------------------------
def move(
    uow: Any,
    app: Application,
    action: str,
    actor: dict | None,
    context: dict | None = None,
    note: str | None = None,
    **detail: object,
) -> str:
    old = app.state
    new = lifecycle.transition(old, action, context or {})
    app.state = new
    app.updated_at = _now()
    uow.apps.add_history(app, action, old, new, actor, note, **detail)
    uow.flush()  # bumps the version (optimistic lock), StaleDataError if moved on
    uow.add_event(
        APPLICATION_STATE_CHANGED,
        {
            "application_id": app.id,
            "enterprise_id": app.enterprise_id,
            "action": action,
            "from_state": old,
            "to_state": new,
            "version": app.version,
            "at": _now(),
        },
    )
    uow.audit(
        f"permits.application.{action}",
        actor_id=(actor or {}).get("id"),
        subject_id=str(app.id),
        old=old,
        new=new,
    )
    return new


def keep(
    deps: Deps, uow: Any, app: Application, purpose: str, label: str, checked: Any, actor: dict | None
) -> Attachment:
    """Store the checked file, then its row (superseding the purpose's previous file); the
    stored file is deleted again when the row cannot be added."""
    store = deps.store()
    key = store_upload(store, f"permits/{purpose}", checked)
    uow.apps.supersede(app.id, purpose, _now())
    row = Attachment(
        application_id=app.id,
        enterprise_id=app.enterprise_id,
        purpose=purpose,
        label=label,
        uploaded_by=(actor or {}).get("id"),
        **metadata(checked, key),
    )
    try:
        uow.apps.add_attachment(row)
    except Exception:
        store.delete(key)
        raise
    return row


def missing_materials(deps: Deps, uow: Any, app: Application) -> tuple[list[dict], list[dict]]:
    """(missing and blocking, missing but owable under 容缺)."""
    bt = type_of(deps, app)
    have = {a.purpose for a in uow.apps.attachments_of(app.id)}
    missing, owable = [], []
    for spec in bt.required_attachments(app.transaction_kind, app.lane, app.nature, app.submitter):
        if not spec.get("required", True) or spec["code"] in have:
            continue
        if app.lane == "fast_track" and spec.get("owable"):
            owable.append(spec)
        else:
            missing.append(spec)
    return missing, owable


def domain_licence(lic: Licence) -> licences.Licence:
    return licences.Licence(
        number=lic.number,
        type_code=lic.type_code,
        holder_id=str(lic.enterprise_id),
        holder_name=lic.holder_name,
        holder_uscc=lic.holder_uscc,
        items=tuple(licences.LicenceItem(i["category"], i["grade"]) for i in lic.items),
        issued_on=lic.issued_on,
        valid_from=lic.valid_from,
        valid_until=lic.valid_until,
        status=lic.status,
        edition=lic.edition,
        first_issued_on=lic.first_issued_on,
        details=dict(lic.details or {}),
    )


def licence_details(values: dict[str, Any]) -> dict[str, Any]:
    """Registration items printed on the certificate (not shown by the public verify page)."""
    return {key: values[key] for key in ("legal_representative", "address") if values.get(key)}


def time_limit(transaction: dict, lane: str) -> int | None:
    """Working days for this transaction in this lane (the normal lane's when not listed)."""
    limits = transaction.get("time_limit_days") or {}
    return limits.get(lane, limits.get("normal"))
