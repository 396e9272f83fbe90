"""Key staff changes of a licence holder go through approval (issue 15 item 15, seed 003
人员变更申请: "持证企业人员变动，入职或离职，需在此做申请 … 确定后该次人员离职进入审批阶段").

An enterprise that holds a licence (permits.holds_licence: valid or suspended) cannot simply add
or delete its 技术负责人 or 安全负责人: adding one files a 人员入职申请, deleting one a
人员离职申请, each a review case (``enterprise.staff_change``, case_ref
``enterprise:staff_change:<approval_ref>``). While the case runs the row is marked
``join_pending`` (not yet counted for other services: records_for_precheck leaves it out) or
``leave_pending`` (still employed), and cannot be edited or deleted. Approved: the joiner
counts, the leaver's row goes. Refused or withdrawn: the joiner's row goes, the leaver stays.
An enterprise without a licence keeps editing its roster directly (its application is what is
reviewed). Other staff categories are never held up."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from nameko.exceptions import MethodNotFound, RemoteError, UnknownService
from sqlalchemy import select

from services.common import audit
from services.common.errors import InvalidTransition, ServiceError
from services.common.wording import mask_id
from services.enterprise import domain
from services.enterprise import history as history_rules
from services.enterprise.events import CASE_CLOSED, CASE_DECIDED, REVIEW_REQUESTED
from services.enterprise.models import Enterprise, Staff
from services.enterprise.usecases._support import _changed, _own_record

KEY_CATEGORIES = ("technical_lead", "safety_lead")
CASE_PREFIX = "enterprise:staff_change:"
CASE_TYPE = "enterprise.staff_change"
JOIN, LEAVE = "join", "leave"
PENDING = {JOIN: domain.STAFF_JOIN_PENDING, LEAVE: domain.STAFF_LEAVE_PENDING}
ACTION_LABELS = {JOIN: "人员入职申请", LEAVE: "人员离职申请"}
PENDING_MESSAGE = "该人员的入职/离职申请正在审核中，审核完成前不能修改或删除"
VIA_REQUEST_MESSAGE = ("持证企业的技术负责人、安全负责人变动须经审核：请通过新增人员（人员入职申请）"
                       "或删除人员（人员离职申请）办理，不能直接修改人员类别或证件号码")
UNKNOWN_MESSAGE = "暂时无法确认本单位的持证情况，请稍后再办理技术负责人、安全负责人的变动"


log = logging.getLogger(__name__)


def is_key(category: object) -> bool:
    return category in KEY_CATEGORIES


def needs_approval(category: object, holds_licence: bool) -> bool:
    """A key category (技术负责人 / 安全负责人) of an enterprise holding a licence."""
    return is_key(category) and bool(holds_licence)


def check_not_pending(row: Any) -> None:
    """A row whose join or leave is under review is neither edited nor deleted meanwhile."""
    if getattr(row, "approval", None):
        raise InvalidTransition(PENDING_MESSAGE, code="staff_change_pending")


def check_update(row: Any, cleaned: dict[str, Any], holds_licence: bool) -> None:
    """A licence holder's edit may not swap a key person in or out past review: moving a row into or
    out of 技术负责人 / 安全负责人, or giving a key person another ID number, is refused (code
    ``key_staff_via_request``): the change is a 人员入职申请 (add the person) or 人员离职申请 (delete)."""
    if not holds_licence:
        return
    category = cleaned.get("category", row.category)
    crossing = is_key(category) != is_key(row.category) or (is_key(row.category) and category != row.category)
    other_person = is_key(row.category) and cleaned.get("id_number", row.id_number) != row.id_number
    if crossing or other_person:
        raise InvalidTransition(VIA_REQUEST_MESSAGE, code="key_staff_via_request")


def is_case(case_ref: str) -> bool:
    return str(case_ref or "").startswith(CASE_PREFIX)


def request(uow: Any, enterprise: Enterprise, row: Staff, action: str, actor: dict) -> dict[str, Any]:
    """Mark the row pending and ask review for the case (in the caller's transaction)."""
    ref = uuid.uuid4()
    row.approval, row.approval_ref = PENDING[action], ref
    label = domain.STAFF_CATEGORIES.get(row.category, row.category)
    uow.add_event(REVIEW_REQUESTED, {
        "case_ref": f"{CASE_PREFIX}{ref}", "case_type": CASE_TYPE, "lane": "normal",
        "enterprise_id": str(enterprise.id), "enterprise_name": enterprise.name or enterprise.uscc,
        "region_code": enterprise.region_code or "150000",
        "title": f"{ACTION_LABELS[action]}：{label} {row.name}", "revision": 1, "time_limit_days": None,
        "attachments": [], "submitted_at": datetime.now(UTC),
        "fields": {"action": {"label": "申请事项", "value": ACTION_LABELS[action]},
                   "category": {"label": "人员类别", "value": label},
                   "name": {"label": "姓名", "value": row.name},
                   "id_number": {"label": "证件号码", "value": mask_id(row.id_number)},
                   "title": {"label": "职称", "value": row.title or "无"}}})
    audit.record(uow.session, f"enterprise.staff_{action}_requested", actor_id=actor.get("id"),
                 subject_id=str(enterprise.id), record_id=str(row.id), approval_ref=str(ref))
    return {"approval": row.approval, "approval_label": domain.APPROVAL_LABELS[row.approval],
            "case_ref": f"{CASE_PREFIX}{ref}"}


# the service's _changed(uow, enterprise, actor, sections, section, record_id, action, changes)
Changed = Callable[..., None]


def settle(uow: Any, event_id: str, data: dict[str, Any], decision: str | None, changed: Changed) -> None:
    """Review's answer (case_decided / case_closed) about a staff change case."""
    if not uow.claim_event(event_id, "enterprise.settle_staff_change"):
        return
    try:
        ref = uuid.UUID(data["case_ref"][len(CASE_PREFIX):])
    except ValueError:
        return
    row = uow.session.scalars(select(Staff).where(Staff.approval_ref == ref).with_for_update()).first()
    if row is None or not row.approval:
        return
    enterprise = uow.session.get(Enterprise, row.enterprise_id, with_for_update=True)
    action = JOIN if row.approval == PENDING[JOIN] else LEAVE
    approved = decision == "approved"
    reviewer = history_rules.decider_actor(data)
    outcome = f"{action}_{'approved' if approved else 'refused'}"
    gone = (action == JOIN) != approved   # a refused joiner, an approved leaver
    row.approval, row.approval_ref = None, None
    if gone:
        uow.session.delete(row)
    uow.session.flush()
    changed(uow, enterprise, reviewer, ["staff"], "staff", str(row.id), outcome,
            [("record", None if (action == JOIN and approved) else row.name, None if gone else row.name)])
    audit.record(uow.session, f"enterprise.staff_{outcome}", actor_id=None, subject_id=str(enterprise.id),
                 record_id=str(row.id), reason=data.get("reason"))


# ---- use cases over Deps (service.py's entrypoints; no RPC while a row is locked) ----------------

def answer(deps: Any, body: dict[str, Any], closed: bool = False) -> bool:
    """Review's answer about a 人员入职/离职申请; False when the case is not one (a change request)."""
    envelope = (CASE_CLOSED if closed else CASE_DECIDED).parse(body)
    data = envelope["data"]
    if not is_case(data["case_ref"]):
        return False
    with deps.begin() as uow:
        settle(uow, envelope["id"], data, "withdrawn" if closed else data.get("decision"), _changed)
        uow.commit()
    return True


def holds_licence(deps: Any, eid: uuid.UUID) -> bool:
    """permits' answer (fails closed: a key staff change waits until it can be asked)."""
    try:
        return bool(deps.holds_licence(str(eid))["holds"])
    except (MethodNotFound, UnknownService, RemoteError) as exc:
        log.warning("permits.holds_licence unavailable: %r", exc)
        raise ServiceError(UNKNOWN_MESSAGE, code="licence_unknown") from None


def change_holds(deps: Any, actor: dict, eid: uuid.UUID, payload: dict) -> bool:
    """A save touching a key staff member (new, or an edit to or from a key category) of a
    licence holder; asked before the transaction."""
    if payload.get("id"):
        with deps.begin() as uow:
            row = _own_record(deps, uow.repo, actor, eid, "staff", payload["id"])
            key = is_key(row.category) or is_key(payload.get("category"))
    else:
        key = is_key(payload.get("category"))
    return key and holds_licence(deps, eid)


def leaver_holds(deps: Any, actor: dict, eid: uuid.UUID, record_id: str) -> bool:
    """A key staff member of a licence holder (asked before the transaction)."""
    with deps.begin() as uow:
        row = _own_record(deps, uow.repo, actor, eid, "staff", record_id)
        key = is_key(row.category)
    return key and holds_licence(deps, eid)
