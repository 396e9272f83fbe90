"""Declarations (申报): kinds and the state machine. Pure Python. Who may declare what is in
``eligibility.py``, the pre-filled forms in ``prefill.py``.

A declaration is one certificate operation for one person (CIP 初始注册 … 注销注册, 安管人员 新增 …
证书注销, TSA 延续/调动, REG 注册申报, PFL 人员入职/离职); the operation kinds and their review
chains are catalogue data (``catalogue.py``). Every declaration that goes to review becomes a
review case (docs/contracts.md, ``review_requested`` with ``case_type`` ``personnel.*``).

Eligibility — :func:`check_eligibility` (all problems of one declaration, Chinese messages,
stable codes) with :class:`DeclarationContext` holding what the rule needs: the certificate
record acted on, the person's registrations everywhere (one employer), the person's other
declarations (one open declaration per certificate), the register of passed exams
(:class:`ExamRegister`, "校验人社厅考试合格数据") and the form input.
:func:`prefill` gives the form's fields from the record ("基本信息自动填充") in the
``{name: {label, value}}`` shape review_requested carries. :func:`find_for_re_registration`
finds a cancelled person by name + ID number (重新注册). :func:`check_supplement` guards 信息补录.

State machine — table-driven (:data:`TRANSITIONS`), statuses in :data:`STATUSES`::

    draft (未上报) --report [enterprise, after the 60-second commitment letter]--> <level>_unaccepted
    draft --return [enterprise; a person's declaration]--> returned --redeclare [person]--> draft
    draft|returned --delete--> deleted
    <level>_unaccepted (盟市/省级/部级未受理) --accept [review]--> under_review
    under_review --forward [review, to the next level]--> <next level>_unaccepted
    <level>_unaccepted|under_review --request_correction [review]--> correction --resubmit--> (back)
    <level>_unaccepted|under_review --approve|reject [review]--> approved | rejected
    rejected --revise [enterprise]--> draft      (TSA: 按驳回原因修改后重新提交)
    <level>_unaccepted --request_withdrawal [person; REG]--> withdrawal_requested
    withdrawal_requested --agree_withdrawal [enterprise]--> withdrawn
    withdrawal_requested --refuse_withdrawal [enterprise]--> (back to <level>_unaccepted)
    withdrawal_requested --accept|approve|reject|request_correction [review]--> as above (the
                          request lapses: the case was accepted first)
    <level>_unaccepted|under_review|correction --cancel [enterprise; TSA 取消申请]--> withdrawn
    any open status --terminate [review: case_closed]--> terminated

Every other (status, action) pair is refused with InvalidTransition and a Chinese message;
the wrong party gets Forbidden. :func:`apply_batch` runs one action over many declarations and
reports a result per item (批量上报 / 批量退回 / 批量删除 / 批量同意).

The commitment letter (REG 企业承诺书: "60秒完成后，勾选……点击确认"): the server records when
it showed the letter (``opened_at``) and :func:`check_commitment` refuses a confirmation earlier
than 60 seconds after that, whatever the browser says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from services.common.contracts.personnel import (
    ACTIONS,
    ACTORS,
    APPROVED,
    CORRECTION,
    DELETED,
    DRAFT,
    LEVEL_LABELS,
    REJECTED,
    RETURNED,
    STATUSES,
    TERMINATED,
    UNACCEPTED,
    UNDER_REVIEW,
    WITHDRAWAL_REQUESTED,
    WITHDRAWN,
)
from services.common.errors import (
    Forbidden,
    InvalidTransition,
    ServiceError,
    ValidationFailed,
    field_error,
)
from services.personnel.catalogue import CertificateType
from services.personnel.windows import (
    _as_date,
    add_months,
    renewed_until,
)

# ---------------------------------------------------------------- statuses and actions


FINAL_STATUSES = (APPROVED, REJECTED, WITHDRAWN, DELETED, TERMINATED)
REPORTED_STATUSES = (*UNACCEPTED, UNDER_REVIEW, CORRECTION, WITHDRAWAL_REQUESTED, APPROVED, REJECTED,
                     WITHDRAWN, TERMINATED)
_OPEN_REVIEW = (*UNACCEPTED, UNDER_REVIEW)
# (status, action) -> (target, actors). Targets starting with "@" are computed:
# @first_level: <first level of the chain>_unaccepted; @next_level: the next level's; @resume: back.
TRANSITIONS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    (DRAFT, "save"): (DRAFT, ("enterprise", "person")),
    (DRAFT, "report"): ("@first_level", ("enterprise",)),
    (DRAFT, "return"): (RETURNED, ("enterprise",)),
    (DRAFT, "delete"): (DELETED, ("enterprise", "person")),
    (RETURNED, "redeclare"): (DRAFT, ("person",)),
    (RETURNED, "delete"): (DELETED, ("person",)),
    **{(s, "accept"): (UNDER_REVIEW, ("review",)) for s in (*UNACCEPTED, WITHDRAWAL_REQUESTED)},
    (UNDER_REVIEW, "forward"): ("@next_level", ("review",)),
    **{(s, "request_correction"): (CORRECTION, ("review",)) for s in (*_OPEN_REVIEW, WITHDRAWAL_REQUESTED)},
    (CORRECTION, "resubmit"): ("@resume", ("enterprise",)),
    **{(s, "approve"): (APPROVED, ("review",)) for s in (*_OPEN_REVIEW, WITHDRAWAL_REQUESTED)},
    **{(s, "reject"): (REJECTED, ("review",)) for s in (*_OPEN_REVIEW, WITHDRAWAL_REQUESTED)},
    (REJECTED, "revise"): (DRAFT, ("enterprise",)),
    **{(s, "request_withdrawal"): (WITHDRAWAL_REQUESTED, ("person",)) for s in UNACCEPTED},
    (WITHDRAWAL_REQUESTED, "agree_withdrawal"): (WITHDRAWN, ("enterprise",)),
    (WITHDRAWAL_REQUESTED, "refuse_withdrawal"): ("@resume", ("enterprise",)),
    **{(s, "cancel"): (WITHDRAWN, ("enterprise",)) for s in (*_OPEN_REVIEW, CORRECTION)},
    **{(s, "terminate"): (TERMINATED, ("review",))
       for s in (*_OPEN_REVIEW, CORRECTION, WITHDRAWAL_REQUESTED)},
}

# Refusals clearer than the generic one (seed 004: "已经上报过的再次点击上报，会出现提示弹窗").
SPECIAL_REFUSALS: dict[tuple[str, str], tuple[str, str]] = {
    **{(s, "report"): ("already_reported", "该申报已上报，请勿重复上报") for s in REPORTED_STATUSES
       if s not in (REJECTED,)},
    **{(s, "return"): ("already_reported", "该申报已上报，不能退回；如需停止申报，请由本人申请撤回")
       for s in REPORTED_STATUSES},
    **{(s, "request_withdrawal"): ("withdrawal_not_allowed",
                                   "只有“省级未受理”或“部级未受理”（尚未受理）的申报可以申请撤回")
       for s in (UNDER_REVIEW, CORRECTION, APPROVED, REJECTED)},
    (WITHDRAWAL_REQUESTED, "request_withdrawal"): ("withdrawal_pending", "已申请撤回，请等待企业处理"),
}


@dataclass(frozen=True)
class DeclarationState:
    """Where one declaration stands. ``levels``: its review chain (from the catalogue)."""

    status: str = DRAFT
    origin: str = "enterprise"  # who drafted it: enterprise (CIP) or person (REG 个人申报)
    levels: tuple[str, ...] = ()
    level: str | None = None  # the review level the case sits at once reported
    resume: str | None = None  # where correction / a refused withdrawal returns to
    personal_withdrawal: bool = False  # the operation allows 个人申请撤回 (catalogue flag)
    history: tuple[tuple[str, str, str], ...] = ()  # (action, actor, new status)

    @property
    def label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES


def new_declaration(certificate_type: CertificateType, kind: str,
                    origin: str = "enterprise") -> DeclarationState:
    """A fresh draft for an operation of a type (its review chain and withdrawal flag from the catalogue)."""
    if origin not in ("enterprise", "person"):
        raise ValueError("origin must be enterprise or person")
    op = certificate_type.operation(kind)
    if not op.review:
        raise ValueError(f"{certificate_type.name}{op.label}不经过审核，不是申报")
    return DeclarationState(DRAFT, origin, tuple(op.levels), personal_withdrawal=op.personal_withdrawal)


def _vf(name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {name: [field_error(code, message)]})


def _refuse(state: DeclarationState, action: str) -> InvalidTransition:
    special = SPECIAL_REFUSALS.get((state.status, action))
    if special:
        return InvalidTransition(special[1], code=special[0])
    return InvalidTransition(f"申报状态为“{state.label}”，不能{ACTIONS.get(action, action)}",
                             code="invalid_transition")


def transition(state: DeclarationState, action: str, *, actor: str,
               level: str | None = None) -> DeclarationState:
    """Apply one action by one party (``enterprise`` / ``person`` / ``review``).

    ``level`` is only for ``forward``: the level the case goes to (default: the next in the
    chain). Raises InvalidTransition (code ``invalid_transition`` or a specific one) when the
    action is not allowed in this status, Forbidden (``wrong_actor``) for the wrong party.
    """
    if action not in ACTIONS:
        raise InvalidTransition(f"未知操作“{action}”", code="unknown_action")
    key = (state.status, action)
    if key not in TRANSITIONS:
        raise _refuse(state, action)
    target, actors = TRANSITIONS[key]
    if actor not in actors:
        who = "或".join(ACTORS[a] for a in actors)
        raise Forbidden(f"“{ACTIONS[action]}”只能由{who}办理", code="wrong_actor")
    if action == "delete" and actor == "person" and state.origin != "person":
        raise Forbidden("企业填写的申报只能由企业删除", code="wrong_actor")
    if action == "return" and state.origin != "person":
        raise InvalidTransition("企业自行填写的申报不能退回，如不再申报请删除", code="not_returnable")
    if action == "request_withdrawal" and not state.personal_withdrawal:
        raise InvalidTransition("该类申报不支持个人申请撤回", code="withdrawal_not_offered")

    new_level, resume = state.level, None
    if target == "@first_level":
        if not state.levels:
            raise InvalidTransition("该申报没有审核流程，不能上报", code="no_review")
        new_level = state.levels[0]
        target = f"{new_level}_unaccepted"
    elif target == "@next_level":
        chain = list(state.levels)
        if level is None:
            index = chain.index(state.level) if state.level in chain else -1
            if index + 1 >= len(chain):
                raise InvalidTransition("已是最后一级审核，不能再报上级", code="last_level")
            level = chain[index + 1]
        if level not in LEVEL_LABELS:
            raise InvalidTransition(f"审核层级“{level}”不正确", code="invalid_level")
        new_level, target = level, f"{level}_unaccepted"
    elif target == "@resume":
        target = state.resume or (f"{state.level}_unaccepted" if state.level else UNDER_REVIEW)
    if target in (CORRECTION, WITHDRAWAL_REQUESTED):
        resume = state.status
    if target == DRAFT:
        new_level = None
    return replace(state, status=target, level=new_level, resume=resume,
                   history=state.history + ((action, actor, target),))


def allowed_actions(state: DeclarationState, actor: str) -> list[str]:
    """Actions this party may try now (for the buttons on a page)."""
    out = []
    for (status, action), (_, actors) in TRANSITIONS.items():
        if status != state.status or actor not in actors:
            continue
        if action == "return" and state.origin != "person":
            continue
        if action == "request_withdrawal" and not state.personal_withdrawal:
            continue
        if action == "delete" and actor == "person" and state.origin != "person":
            continue
        out.append(action)
    return out


# ---------------------------------------------------------------- commitment letter

COMMITMENT_SECONDS = 60


def check_commitment(opened_at: datetime | None, now: datetime, confirmed: bool,
                     seconds: int = COMMITMENT_SECONDS) -> None:
    """Refuse a report confirmed earlier than ``seconds`` after the server showed the letter.

    Codes: ``commitment_unchecked`` (the box "本公司作出上述承诺" not ticked), ``commitment_not_read``
    (no letter was shown), ``commitment_too_soon`` (less than 60 seconds, or a time in the future).
    """
    if not confirmed:
        raise _vf("commitment", "commitment_unchecked", "请勾选“本公司作出上述承诺”后再确认上报")
    if opened_at is None:
        message = "请先阅读企业承诺书"
        raise _vf("commitment", "commitment_not_read", message)
    elapsed = (now - opened_at).total_seconds()
    if elapsed < seconds:
        remaining = int(seconds - max(0, int(elapsed)) + 0.999)  # whole seconds, never "3.0秒"
        message = f"请仔细阅读企业承诺书，{seconds:g}秒后方可确认上报（还需{remaining}秒）"
        raise _vf("commitment", "commitment_too_soon", message)


# ---------------------------------------------------------------- batches

@dataclass(frozen=True)
class ItemResult:
    id: str
    ok: bool
    status: str | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class BatchResult:
    items: list[ItemResult] = field(default_factory=list)
    states: dict[str, DeclarationState] = field(default_factory=dict)  # the new states of the ok items

    @property
    def ok_ids(self) -> list[str]:
        return [i.id for i in self.items if i.ok]

    @property
    def failed(self) -> list[ItemResult]:
        return [i for i in self.items if not i.ok]

    def summary(self) -> str:
        return f"成功{len(self.ok_ids)}条，失败{len(self.failed)}条"


def apply_batch(states: Mapping[str, DeclarationState], action: str, *, actor: str,
                check: Callable[[str, DeclarationState], None] | None = None) -> BatchResult:
    """Apply ``action`` to every declaration independently; one item's refusal does not stop others.

    ``check(id, state)`` runs before each item's transition (e.g. missing attachments, the one
    employer rule) and may raise a ServiceError, which becomes that item's result.
    """
    result = BatchResult()
    for item_id, state in states.items():
        try:
            if check is not None:
                check(item_id, state)
            new = transition(state, action, actor=actor)
        except ServiceError as exc:
            result.items.append(ItemResult(str(item_id), False, state.status, exc.code, exc.message))
            continue
        result.states[str(item_id)] = new
        result.items.append(ItemResult(str(item_id), True, new.status))
    return result


def report_batch(states: Mapping[str, DeclarationState], *, opened_at: datetime | None, now: datetime,
                 confirmed: bool,
                 check: Callable[[str, DeclarationState], None] | None = None) -> BatchResult:
    """批量上报: one commitment letter for the batch (refused as a whole), then a result per item."""
    check_commitment(opened_at, now, confirmed)
    return apply_batch(states, "report", actor="enterprise", check=check)


def attachments_check(certificate_type: CertificateType, kind: str,
                      present_codes: Iterable[str]) -> None:
    """Raise ValidationFailed (code ``missing_attachments``) naming every missing required file."""
    missing = certificate_type.missing_attachments(kind, present_codes)
    if missing:
        names = "、".join(a["name"] for a in missing)
        message = f"请先上传附件：{names}"
        raise ValidationFailed(message, {"attachments": [field_error("missing_attachments", message)]},
                               code="missing_attachments")



# ---------------------------------------------------------------- shared with eligibility.py

_ONE_DAY = timedelta(days=1)
NEEDS_NO_RECORD = ("initial", "new", "join")  # kinds that create the certificate record


def _get(item: Any, name: str, default: Any = None) -> Any:
    """A field of a record given as a mapping or an object (row, dataclass)."""
    if item is None:
        return default
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


# ---------------------------------------------------------------- review answers and approval effects

def action_for_review_event(event_type: str, payload: Mapping[str, Any],
                            state: DeclarationState) -> tuple[str, str | None] | None:
    """Map review's answer (docs/contracts.md) to ``(action, level)`` for :func:`transition`.

    ``case_accepted`` → accept; ``case_step_changed`` to another level → forward to it (the same
    level: None, nothing to do); ``correction_requested`` → request_correction; ``case_decided`` →
    approve / reject; ``case_closed`` → terminate (None when the declaration is already final,
    e.g. withdrawn by the enterprise first).
    """
    if event_type == "case_accepted":
        return ("accept", None) if state.status in (*UNACCEPTED, WITHDRAWAL_REQUESTED) else None
    if event_type == "case_step_changed":
        level = payload.get("level")
        return ("forward", level) if level and level != state.level else None
    if event_type == "correction_requested":
        return ("request_correction", None)
    if event_type == "case_decided":
        return ("approve" if payload.get("decision") == "approved" else "reject", None)
    if event_type == "case_closed":
        return None if state.status in FINAL_STATUSES else ("terminate", None)
    raise ValueError(f"unknown review event {event_type}")


def approval_effects(certificate_type: CertificateType, kind: str, record: Mapping[str, Any] | None,
                     form: Mapping[str, Any], decided_on: date,
                     declaring_enterprise: Mapping[str, Any]) -> dict[str, Any]:
    """What an approved declaration changes on the certificate record (pure; the service stores it).

    Returns ``{"record": {field: new value}, "key_person_change": None | "cancelled" |
    "transferred_out"}``; for a new registration the record dict is the new record's fields.
    The certificate moves to the new employer only here, at the last approval. A new validity
    period ends the day before the same date ``validity_years`` later (seed 001 已办证书: 发证
    2014-11-20, 有效期至 2017-11-19).
    """
    years = certificate_type.validity_years
    changes: dict[str, Any] = {}
    key_change = None
    if kind in NEEDS_NO_RECORD:
        changes = {"enterprise_id": str(declaring_enterprise["id"]),
                   "enterprise_name": declaring_enterprise.get("name"), "status": "valid",
                   "issued_on": decided_on, "valid_until": add_months(decided_on, 12 * years) - _ONE_DAY}
        for name in ("class_code", "qualification_number", "certificate_number"):
            if form.get(name):
                changes[name] = form[name]
        if form.get("specialties"):
            changes["specialties"] = list(form["specialties"])
    elif certificate_type.operation(kind).window:
        until = _as_date(_get(record, "valid_until"))
        changes = {"valid_until": renewed_until(until, certificate_type.renewal_rule()), "status": "valid"}
    elif kind == "add_item":
        changes = {"specialties": [*(_get(record, "specialties") or []), form["specialty"]]}
    elif kind == "re_registration":
        changes = {"status": "valid", "enterprise_id": str(declaring_enterprise["id"]),
                   "enterprise_name": declaring_enterprise.get("name"), "issued_on": decided_on,
                   "valid_until": add_months(decided_on, 12 * years) - _ONE_DAY, "cancelled_on": None}
    elif kind == "change":
        item = form["change_item"]
        if item == "enterprise_name":
            changes = {"enterprise_name": declaring_enterprise.get("name")}
        elif item == "name":
            changes = {"person.name": str(form["new_name"]).strip()}
        else:
            changes = {"person.id_number": str(form["new_id_number"]).strip().upper()}
    elif kind == "reissue":
        changes = {"reissued_on": decided_on}
    elif kind in ("transfer_in",) or (kind == "transfer_out" and certificate_type.operation(kind).consent):
        if kind == "transfer_in":
            changes = {"enterprise_id": str(declaring_enterprise["id"]), "transfer_to": None,
                       "enterprise_name": declaring_enterprise.get("name"), "status": "valid"}
        else:
            changes = {"enterprise_id": None, "enterprise_name": None, "status": "valid"}
        key_change = "transferred_out"
    elif kind in ("cancellation", "leave"):
        changes = {"status": "cancelled", "cancelled_on": decided_on}
        key_change = "cancelled"
    return {"record": changes, "key_person_change": key_change}
