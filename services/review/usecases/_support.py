"""What review's use cases share: the collaborators they are given (``Deps``), one transaction
over the repositories (``Tx``), the reviewer's desk and the refusal audit, the legal clock's
steps on a case, the opinion row, the step move with its event, keep-file-then-row.

A use case is a function ``(deps, actor, data...)``: ``deps.begin()`` opens a transaction
(``Tx``: ``cases``, ``delegations``, ``campaigns``, ``add_event``, ``claim_event``, ``audit``,
``commit``), ``deps.store()`` is the object store, ``deps.session_account`` asks identity about
an account. The service builds the real ones (services/review/service.py);
tests/unit/test_review_usecases.py passes fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.common import jurisdiction
from services.common.access import enterprise_of
from services.common.attachments import IMAGE, PDF, CheckedUpload, check_upload, metadata, store_upload
from services.common.errors import (
    Forbidden,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.storage import ObjectStore
from services.common.transaction import ServiceTx, begin
from services.review import clock, domain
from services.review.events import CASE_STEP_CHANGED
from services.review.models import Attachment, Case, Opinion
from services.review.repository import CampaignRepository, CaseRepository, DelegationRepository

BEIJING = ZoneInfo("Asia/Shanghai")
RESULT_LABELS = {"accept": "受理", "approve": "同意", "forward": "同意", "reject": "不同意",
                 "correction": "补正", "rectification": "整改", "return": "退回"}
DEEMED_HANDLING = "逾期未受理视为受理"
CORRECTION_DAYS = 10       # working days the enterprise has for a correction unless told otherwise
RECTIFICATION_DAYS = 20


class Tx(ServiceTx):
    """One transaction over review's tables: the repositories, the outbox, the audit trail
    (services/common/transaction.py)."""

    stale_message = "该案件已被更新，请刷新后重试"

    def __init__(self, uow: Any) -> None:
        super().__init__(uow)
        session = uow.session
        self.cases = CaseRepository(session)
        self.delegations = DelegationRepository(session)
        self.campaigns = CampaignRepository(session)

    def add_all(self, rows: list[Any]) -> None:
        self._uow.session.add_all(rows)


def transaction(db: Any) -> AbstractContextManager[Tx]:
    """``Deps.begin`` over the service's Database provider."""
    return begin(db, Tx)


@dataclass
class Deps:
    """The collaborators a use case is given (the service builds them per worker)."""

    begin: Callable[[], AbstractContextManager[Any]]
    store: Callable[[], ObjectStore]
    # session_account(account_id) -> identity's account (raises NotFound)
    session_account: Callable[[str], dict]


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    """Working days are counted on Beijing dates."""
    return datetime.now(BEIJING).date()


def _calendar() -> clock.Calendar:
    return clock.default_calendar()


def _named_action(payload: object) -> str:
    """The action a refused ``act`` is audited under, read before the body is validated."""
    action = payload.get("action") if isinstance(payload, dict) else None
    return action if isinstance(action, str) and action in domain.ACTIONS else "act"


def _name(actor: dict[str, Any]) -> str:
    return str(actor.get("name") or actor.get("login") or str(actor.get("id", ""))[:8])


def _case_type(case: Case) -> domain.CaseType:
    spec = domain.registry().resolve(case.case_type)
    if spec is None:  # the data file lost a type that has cases: an operator error
        raise ServiceError(f"案件类型 {case.case_type} 未配置")
    return spec


def _recompute_due(case: Case, today: date) -> None:
    start = clock.reckoning_start(case.clock_started_on, case.acceptance_due, case.accepted)
    case.due_date = clock.due_date(start, case.limit_days, case.extension_days, case.paused_days,
                                   _calendar())
    case.overdue = case.queue == "active" and today > case.due_date


def _pause(case: Case, today: date, reason: str) -> None:
    case.paused_since = today
    case.pause_reason = reason


def _resume(case: Case, today: date) -> None:
    if case.paused_since is not None:
        case.paused_days += _calendar().working_days_between(case.paused_since, today)
    case.paused_since = None
    case.pause_reason = None
    _recompute_due(case, today)


def _start_decision_clock(case: Case, start: date, today: date) -> None:
    """受理: the 20 working days run from ``start``; pauses before it (a 补正 before 受理) do not
    count against it (行政许可法 第三十二条、第四十二条)."""
    case.clock_started_on = start
    if not case.deemed_accepted:
        case.paused_days = 0
    case.acceptance_due = None
    _recompute_due(case, today)


def _event_base(case: Case) -> dict[str, Any]:
    return {"case_ref": case.case_ref, "case_id": case.id, "enterprise_id": case.enterprise_id,
            "at": _now()}


def _desk(actor: dict) -> tuple[str, str]:
    desk = domain.desk_of(actor or {})
    if desk is None:
        raise Forbidden("只有审核人员可以使用审核工作台")
    return desk


def _refuse(deps: Deps, actor: dict, action: str, case_id: object, message: str,
            error: type[ServiceError] = Forbidden, **detail: object) -> None:
    """Audit a refused attempt in its own transaction (it must survive the refusal)."""
    with deps.begin() as uow:
        uow.audit(f"case.refused.{action}", actor_id=(actor or {}).get("id"),
                  subject_id=str(case_id), reason=message, **detail)
        uow.commit()
    raise error(message)


def _case_for_reviewer(deps: Deps, uow: Any, actor: dict, case_id: str, action: str,
                       for_update: bool = False) -> Case:
    cases = uow.cases
    case = cases.by_ref(case_id, for_update=for_update) if ":" in str(case_id) else \
        cases.get(uuid_or_not_found(case_id, "案件不存在"), for_update=for_update)
    if case is None:
        raise NotFound("案件不存在")
    if actor.get("kind") == "admin":
        return case
    level, desk = _desk(actor)
    if (case.level, case.desk_region) != (level, desk):
        uow.rollback()
        _refuse(deps, actor, action, case.id, "该案件不在您所在层级和地区的审核队列中",
                desk=f"{level}:{desk}", case_desk=f"{case.level}:{case.desk_region}")
    return case


def _holds(uow: Any, case: Case, actor: dict) -> bool:
    if case.claimed_by is None:
        return False
    if case.claimed_by == str(actor["id"]):
        return True
    return case.claimed_by in uow.delegations.delegators_of(str(actor["id"]), _today())


def _opinion(uow: Any, case: Case, action: str, result: str, handling: str, comment: str,
             actor: dict | None, name: str | None = None, step: domain.Step | None = None) -> Opinion:
    spec = domain.registry().resolve(case.case_type)
    step = step or (spec.steps[case.step_index] if spec else None)
    opinion = Opinion(case_id=case.id, step_key=step.key if step else case.step_key,
                      step_label=step.label if step else case.step_key, level=case.level,
                      action=action, result=result, handling=handling, comment=comment or "",
                      reviewer_id=str(actor["id"]) if actor else None,
                      reviewer_name=name or (_name(actor) if actor else "系统"),
                      revision=case.revision, at=_now())
    uow.cases.add(opinion)
    return opinion


def _staff(deps: Deps, reviewer_id: str) -> dict:
    try:
        account = deps.session_account(reviewer_id)
    except NotFound:
        raise ValidationFailed.from_fields(
            {"reviewer_id": [field_error("not_found", "审核人员不存在")]}) from None
    if account.get("kind") not in ("reviewer", "admin") or account.get("status") == "disabled":
        raise ValidationFailed.from_fields(
            {"reviewer_id": [field_error("not_reviewer", "该账号不是可用的审核人员")]})
    return account


def _move_to(uow: Any, case: Case, spec: domain.CaseType, index: int) -> domain.Step:
    """Put the case at another step: that step's desk for the enterprise's region, unclaimed."""
    following = spec.steps[index]
    case.step_index, case.step_key, case.level = index, following.key, following.level
    case.desk_region = domain.route_region(following.level, case.region_code)
    case.claimed_by = case.claimed_name = case.claimed_at = None  # the next desk claims it
    uow.add_event(CASE_STEP_CHANGED, {**_event_base(case), "step": following.key,
                                      "step_label": following.label, "level": following.level,
                                      "region_code": case.desk_region})
    return following


def _checked(upload: dict, field_name: str) -> CheckedUpload:
    """An enterprise's evidence: a PDF, or a jpg/png photo of it, judged by its bytes."""
    return check_upload(upload, field_name, kinds=(PDF, IMAGE))


def _may_read_attachment(actor: dict[str, Any], row: Attachment, case: Case | None) -> bool:
    """The enterprise that uploaded it, admins, and reviewers whose desk holds a step of its case."""
    if actor.get("kind") in ("enterprise", "sub"):
        return enterprise_of(actor) == row.enterprise_id
    if actor.get("kind") == "admin":
        return True
    return case is not None and jurisdiction.may_read_case(
        actor, case.region_code, domain.chain_levels(domain.registry().resolve(case.case_type)))


def _case_for_enterprise(deps: Deps, uow: Any, actor: dict, case_key: str) -> Case:
    enterprise_id = enterprise_of(actor or {})
    cases = uow.cases
    case = cases.by_ref(case_key) if ":" in str(case_key) else cases.get(
        uuid_or_not_found(case_key, "案件不存在"))
    if case is None:
        raise NotFound("案件不存在")
    if enterprise_id is None or case.enterprise_id != enterprise_id:
        staff = (actor or {}).get("kind") in ("reviewer", "admin")
        if staff and (actor.get("kind") == "admin"
                      or domain.desk_of(actor) == (case.level, case.desk_region)):
            return case
        uow.rollback()
        _refuse(deps, actor, "history", case.id, "案件不存在", NotFound)
    return case


def _keep_files(deps: Deps, uow: Any, checked: list[tuple[str, CheckedUpload]], actor: dict,
                enterprise_id: str, purpose: str, owner_ref: str,
                case_id: uuid.UUID | None) -> list[Attachment]:
    """Store checked uploads under server-generated keys and add their rows; if anything fails
    the files already stored are removed again."""
    store = deps.store()
    rows: list[Attachment] = []
    try:
        for label, upload in checked:
            key = store_upload(store, f"review/{purpose}", upload)
            rows.append(Attachment(id=uuid.uuid4(), enterprise_id=enterprise_id, case_id=case_id,
                                   purpose=purpose, owner_ref=owner_ref, label=label,
                                   uploaded_by=str(actor.get("id")), **metadata(upload, key)))
        uow.add_all(rows)
        uow.flush()
    except Exception:
        for row in rows:
            store.delete(row.storage_key)
        raise
    return rows
