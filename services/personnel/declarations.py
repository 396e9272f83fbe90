"""Declarations (申报): kinds, eligibility, pre-filled forms and the state machine. Pure Python.

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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

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
    Conflict,
    FieldErrors,
    Forbidden,
    InvalidTransition,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
)
from services.personnel.catalogue import CHANGE_ITEMS, OPERATION_KINDS, CertificateType
from services.personnel.domain import (
    GENDERS,
    ID_TYPES,
    RESIDENT_ID,
    employment_conflict,
    id_number_problem,
    normalise_id_number,
)
from services.personnel.windows import (
    _as_date,
    add_months,
    check_renewal_window,
    renewed_until,
    validity_status,
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


# ---------------------------------------------------------------- exam register

@dataclass(frozen=True)
class ExamPass:
    id_number: str
    specialty: str
    certificate_number: str  # NMG + 7 digits for 二级建造师
    name: str | None = None
    passed_on: date | None = None


class ExamRegister(Protocol):
    """The register of passed exams (人社厅考试合格数据), queried by ID number."""

    def passes_of(self, id_number: str) -> Iterable[ExamPass]: ...


class InMemoryExamRegister:
    def __init__(self, passes: Iterable[ExamPass]) -> None:
        self._by_id: dict[str, list[ExamPass]] = {}
        for p in passes:
            self._by_id.setdefault(p.id_number.upper(), []).append(p)

    def passes_of(self, id_number: str) -> list[ExamPass]:
        return list(self._by_id.get(id_number.upper(), []))


def check_exam_pass(register: ExamRegister, id_number: str, specialty: str,
                    certificate_number: str | None = None, field_name: str = "specialty") -> ExamPass:
    """The pass for this person and specialty (and certificate number when given), else refuse.

    Codes: ``exam_not_passed`` (no pass in that specialty), ``exam_number_mismatch`` (a pass exists
    but under another certificate number).
    """
    passes = [p for p in register.passes_of(id_number) if p.specialty == specialty]
    if not passes:
        message = f"人社厅考试合格数据中没有该人员“{specialty}”专业的合格记录，不能申报该专业"
        raise ValidationFailed(message, {field_name: [field_error("exam_not_passed", message)]})
    if certificate_number:
        for p in passes:
            if p.certificate_number.upper() == certificate_number.upper():
                return p
        message = f"资格证书编号{certificate_number}与人社厅考试合格数据不一致，请核对"
        raise _vf("qualification_number", "exam_number_mismatch", message)
    return passes[0]


# ---------------------------------------------------------------- eligibility

_ONE_DAY = timedelta(days=1)
ACTIVE = ("valid", "expired")  # a record someone can operate on (dates re-checked)


def _get(item: Any, name: str, default: Any = None) -> Any:
    if item is None:
        return default
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def record_status(record: Any, today: date, certificate_type: CertificateType | None = None) -> str:
    """The record's status with the dates applied: cancelled / transferring / lapsed kept as stored;
    otherwise valid / expired / lapsed from ``valid_until`` and the type's renewal rule."""
    stored = _get(record, "status") or "valid"
    if stored in ("cancelled", "transferring", "lapsed"):
        return stored
    until = _as_date(_get(record, "valid_until"))
    if until is None:
        return stored
    rule = certificate_type.renewal_rule() if certificate_type else None
    return validity_status(until, today, rule) if rule else validity_status(until, today)


@dataclass(frozen=True)
class DeclarationContext:
    """What eligibility needs. Records and declarations are mappings or objects.

    record: ``{id, person_id, enterprise_id, enterprise_name, status, valid_until, class_code,
    specialties: [str], imported, transfer_to, registration_number, qualification_number,
    certificate_number, person: {name, id_type, id_number, birth_date, ...}}``.
    declarations: the person's declarations ``{id, certificate_id, kind, status}``.
    """

    certificate_type: CertificateType
    kind: str
    enterprise_id: str
    today: date
    record: Any = None
    person: Any = None  # the person (for new registrations; defaults to record["person"])
    registrations: Sequence[Any] = ()
    declarations: Sequence[Any] = ()
    exam_register: ExamRegister | None = None
    form: Mapping[str, Any] = field(default_factory=dict)
    enterprise_name: str | None = None  # the declaring enterprise's current name


NEEDS_NO_RECORD = ("initial", "new", "join")


def check_eligibility(ctx: DeclarationContext) -> None:
    """Raise the first blocking problem (Conflict / InvalidTransition / NotFound) or, for form
    input, ValidationFailed with every field problem. Returns None when the declaration may be filed.
    """
    t, kind = ctx.certificate_type, ctx.kind
    op = t.operation(kind)
    label = op.label
    record = ctx.record
    if kind not in NEEDS_NO_RECORD and record is None:
        raise NotFound(f"请选择要办理{label}的证书", code="record_required")
    person = ctx.person if ctx.person is not None else _get(record, "person", {})
    status = record_status(record, ctx.today, t) if record is not None else None

    # one open declaration per certificate (per person for new registrations)
    for other in ctx.declarations:
        if _get(other, "status") in FINAL_STATUSES:
            continue
        same_cert = record is not None and str(_get(other, "certificate_id")) == str(_get(record, "id"))
        if same_cert or (record is None and _get(other, "kind") == kind):
            other_label = OPERATION_KINDS.get(_get(other, "kind"), _get(other, "kind"))
            other_status = STATUSES.get(_get(other, "status"), "")
            raise Conflict(f"该人员已有未办结的“{other_label}”申报（{other_status}），请办结或删除后再申报",
                           code="open_declaration")

    owner = str(_get(record, "enterprise_id")) if record is not None else None
    if kind in ("initial", "new", "join", "re_registration"):
        conflict = employment_conflict(ctx.registrations, ctx.enterprise_id)
        if conflict:
            raise Conflict(conflict.message, code="employed_elsewhere")
        birth = _as_date(_get(person, "birth_date"))
        if t.max_age and birth and ctx.today > add_months(birth, 12 * t.max_age):
            raise InvalidTransition(f"年龄超过{t.max_age}周岁，不予注册", code="over_age")
    if kind in ("initial", "new", "join"):
        held = [r for r in ctx.registrations
                if _get(r, "certificate_type") == t.code and _get(r, "status") in (*ACTIVE, "transferring")
                and (not t.classes or _get(r, "class_code") == ctx.form.get("class_code"))]
        if held:
            raise Conflict(f"该人员已持有有效的{t.name}证书，请办理变更、增项或延续",
                           code="already_registered")
        _check_new_registration(ctx)
        return
    if kind == "re_registration":
        if status != "cancelled":
            raise Conflict(f"该人员的{t.name}注册仍为“{_status_label(status)}”，"
                           f"只有已注销的人员才能办理重新注册", code="still_registered")
        return
    if kind == "transfer_in" and op.consent:
        # TSA 人员调入申请: the person asks the new employer; the certificate must still be live
        if status in ("cancelled", "lapsed"):
            raise InvalidTransition(f"该证书已{_status_label(status)}，不能办理调入", code=str(status))
        holders = [r for r in ctx.registrations if str(_get(r, "enterprise_id")) != owner]
        conflict = employment_conflict(holders, ctx.enterprise_id)
        if conflict:
            raise Conflict(conflict.message, code="employed_elsewhere")
        return
    if kind == "transfer_in":
        if status != "transferring" or str(_get(record, "transfer_to")) != str(ctx.enterprise_id):
            raise InvalidTransition("该人员不在调往本企业的调转中，不能办理调入",
                                    code="not_transferring_here")
        return
    if owner != str(ctx.enterprise_id):
        raise Forbidden("该证书不属于本企业，不能办理", code="not_your_record")
    if kind == "supplement":
        check_supplement(record, ctx.declarations)
        return
    if status == "cancelled":
        raise InvalidTransition(f"该证书已注销，不能办理{label}", code="cancelled")
    if status == "transferring":
        raise InvalidTransition(f"该人员正在调转中，不能办理{label}", code="transferring")
    if op.window:  # before the lapsed check: the window's own message names the rule
        check_renewal_window(_as_date(_get(record, "valid_until")), ctx.today, t.renewal_rule())
        return
    if status == "lapsed":
        if kind == "cancellation":
            return _check_cancellation(ctx)
        raise InvalidTransition(f"该证书已超过延续期限而失效，不能办理{label}；需重新报名考试", code="lapsed")
    if kind in ("reissue", "add_item", "change", "transfer_out") and status != "valid":
        raise InvalidTransition(f"该证书已过期，请先办理延续后再办理{label}", code="expired")
    if kind == "add_item":
        return _check_add_item(ctx)
    if kind == "change":
        return _check_change(ctx)
    if kind == "reissue":
        return _require_text(ctx.form, "reason", "请填写补办原因")
    if kind == "cancellation":
        return _check_cancellation(ctx)
    if kind == "transfer_out":
        target = str(ctx.form.get("to_enterprise_id") or "")
        if op.consent:
            return None
        if not target:
            raise _vf("to_enterprise_id", "required", "请选择调入企业")
        if target == str(ctx.enterprise_id):
            message = "调入企业不能是本企业"
            raise _vf("to_enterprise_id", "same_enterprise", message)
    return None


def _status_label(status: str | None) -> str:
    return {"valid": "有效", "expired": "已过期", "lapsed": "已失效", "cancelled": "已注销",
            "transferring": "调转中"}.get(status or "", status or "")


def _require_text(form: Mapping[str, Any], name: str, message: str) -> None:
    if not str(form.get(name) or "").strip():
        raise ValidationFailed(message, {name: [field_error("required", message)]})


def _check_new_registration(ctx: DeclarationContext) -> None:
    t, form = ctx.certificate_type, ctx.form
    errors: FieldErrors = {}
    if t.classes:
        try:
            t.check_class(form.get("class_code"))
        except ValidationFailed as exc:
            errors.update(exc.fields)
    number_field = "qualification_number" if "qualification_number" in t.numbers else None
    if ctx.kind == "join" and "certificate_number" in t.numbers:
        number_field = "certificate_number"  # PFL 人员入职: the electrician's own certificate
    qual = None
    if number_field:
        try:
            qual = t.check_number(number_field, str(form.get(number_field) or ""))
        except ValidationFailed as exc:
            errors.update(exc.fields)
    specialties: list[str] = []
    if t.specialties:
        try:
            specialties = t.check_specialties(form.get("specialties") or [])
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed.from_fields(errors)
    if t.operation(ctx.kind).exam_check:
        if ctx.exam_register is None:
            raise ValueError("this operation checks the exam register: pass exam_register")
        id_number = str(_get(ctx.person, "id_number") or "")
        for specialty in specialties:
            check_exam_pass(ctx.exam_register, id_number, specialty, qual, field_name="specialties")


def _renamed(exc: ValidationFailed, name: str) -> ValidationFailed:
    return ValidationFailed(exc.message, {name: exc.fields["qualification_number"]})


def _check_add_item(ctx: DeclarationContext) -> None:
    t, form, record = ctx.certificate_type, ctx.form, ctx.record
    chosen = t.check_specialties([str(form.get("specialty") or "")], name="specialty")[0]
    registered = list(_get(record, "specialties") or [])
    if chosen in registered:
        message = f"该人员已注册“{chosen}”专业，不能重复增项"
        raise _vf("specialty", "already_registered", message)
    exam_number = str(form.get("exam_certificate_number") or "")
    if "qualification_number" in t.numbers:
        try:
            exam_number = t.check_number("qualification_number", exam_number)
        except ValidationFailed as exc:
            raise _renamed(exc, "exam_certificate_number") from exc
    if ctx.exam_register is None:
        raise ValueError("add_item checks the exam register: pass exam_register")
    person = _get(record, "person", {})
    try:
        check_exam_pass(ctx.exam_register, str(_get(person, "id_number") or ""), chosen, exam_number,
                        field_name="specialty")
    except ValidationFailed as exc:
        if "qualification_number" in exc.fields:
            raise _renamed(exc, "exam_certificate_number") from exc
        raise


def _check_change(ctx: DeclarationContext) -> None:
    op = ctx.certificate_type.operation("change")
    item = str(ctx.form.get("change_item") or "")
    if item not in op.change_items:
        choices = "、".join(CHANGE_ITEMS[i] for i in op.change_items)
        message = f"请选择变更事项：{choices}"
        raise _vf("change_item", "required" if not item else "invalid", message)
    person = _get(ctx.record, "person", {})
    if item == "enterprise_name":
        new = (ctx.enterprise_name or "").strip()
        if not new or new == str(_get(ctx.record, "enterprise_name") or ""):
            raise InvalidTransition("企业名称未发生变化；请先在企业信息中完成企业名称变更",
                                    code="nothing_to_change")
    elif item == "name":
        new = str(ctx.form.get("new_name") or "").strip()
        if not new:
            raise _vf("new_name", "required", "请填写变更后姓名")
        if new == str(_get(person, "name") or ""):
            message = "变更后姓名与原姓名相同"
            raise _vf("new_name", "unchanged", message)
    else:
        id_type = str(_get(person, "id_type") or RESIDENT_ID)
        new = normalise_id_number(id_type, str(ctx.form.get("new_id_number") or ""))
        problem = id_number_problem(id_type, new, ctx.today)
        if problem:
            raise ValidationFailed(problem[1], {"new_id_number": [field_error(*problem)]})
        if new == normalise_id_number(id_type, str(_get(person, "id_number") or "")):
            message = "变更后证件号码与原号码相同"
            raise _vf("new_id_number", "unchanged", message)


def _check_cancellation(ctx: DeclarationContext) -> None:
    op = ctx.certificate_type.operation("cancellation")
    if op.reasons:
        chosen = [r for r in (ctx.form.get("reasons") or []) if r]
        if not chosen:
            message = "请选择注销原因"
            raise _vf("reasons", "required", message)
        bad = [r for r in chosen if r not in op.reasons]
        if bad:
            message = f"注销原因“{'、'.join(bad)}”不在可选范围内"
            raise _vf("reasons", "invalid", message)
        if op.applicants and ctx.form.get("applicant") not in op.applicants:
            message = f"请选择申请注销注册人或机构：{'、'.join(op.applicants)}"
            raise _vf("applicant", "required", message)
    else:
        _require_text(ctx.form, "reason", "请填写注销原因")


def check_supplement(record: Any, declarations: Iterable[Any]) -> None:
    """信息补录: only imported records, only while no declaration is open, and never after one was
    reported ("当前人员无申报时可修改补录的信息，提交申报后只能'变更'")."""
    if not _get(record, "imported"):
        raise InvalidTransition("仅旧系统导入的人员需要补录信息", code="not_imported")
    for other in declarations:
        if str(_get(other, "certificate_id")) != str(_get(record, "id")):
            continue
        status = _get(other, "status")
        if status in REPORTED_STATUSES:
            raise InvalidTransition("该人员已提交过申报，补录信息不能再修改，请办理变更",
                                    code="supplement_closed")
        if status in (DRAFT, RETURNED):
            raise InvalidTransition("该人员有未上报的申报，请先删除该申报后再补录信息",
                                    code="open_declaration")


def find_for_re_registration(records: Iterable[Any], name: str, id_number: str) -> Any:
    """重新注册: find the person's record by name + ID number ("需通过名字身份证号码查询").

    NotFound when nobody matches both; Conflict (``still_registered``) when the match is not
    cancelled (only cancelled people may re-register). Among several cancelled records the most
    recently cancelled one is returned.
    """
    name = (name or "").strip()
    wanted = (id_number or "").strip().upper()
    if not name or not wanted:
        raise ValidationFailed("请输入姓名和身份证号码查询", {"name": [field_error("required", "请输入姓名")]}
                               if not name else {"id_number": [field_error("required", "请输入身份证号码")]})
    matches = [r for r in records
               if str(_get(_get(r, "person", {}), "name") or "").strip() == name
               and str(_get(_get(r, "person", {}), "id_number") or "").upper() == wanted]
    if not matches:
        raise NotFound("未查询到该姓名和证件号码的注册记录，请核对", code="not_found")
    active = [r for r in matches if _get(r, "status") != "cancelled"]
    if active:
        raise Conflict("该人员仍处于注册状态，只有已注销的人员才能办理重新注册", code="still_registered")
    return max(matches, key=lambda r: str(_get(r, "cancelled_on") or ""))


# ---------------------------------------------------------------- pre-filled forms

PERSON_FIELDS = {"name": "姓名", "gender": "性别", "id_type": "证件类型", "id_number": "证件号码",
                 "birth_date": "出生日期", "mobile": "手机号码"}
RECORD_FIELDS = {"registration_number": "注册编号", "qualification_number": "资格证书编号",
                 "certificate_number": "证书编号", "class_code": "人员类别", "specialties": "注册专业",
                 "issued_on": "发证日期", "valid_until": "有效期至"}

ENTERPRISE_FIELDS = {"name": "聘用企业", "uscc": "统一社会信用代码", "region_code": "所在地区",
                     "address": "通讯地址", "contact_name": "联系人", "contact_mobile": "联系电话"}


def _display(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


def prefill(certificate_type: CertificateType, kind: str, *, record: Any = None, person: Any = None,
            enterprise: Mapping[str, Any] | None = None, today: date | None = None) -> dict[str, Any]:
    """The form's fields filled from the record, as ``{"fields": {name: {label, value}}, "inputs": [...]}``.

    ``fields`` is the shape of review_requested's ``fields``; ``inputs`` names what the user still
    has to fill for this kind (e.g. ``reasons`` for a cancellation, ``specialty`` for an add-item).
    For a renewal the new expiry is shown; for a re-registration the original registration number
    and specialties are kept ("原注册证编号、注册专业不变").
    """
    op = certificate_type.operation(kind)
    who = person if person is not None else _get(record, "person", {})
    fields: dict[str, dict[str, Any]] = {
        "certificate_type": {"label": "证书类型", "value": certificate_type.name},
        "operation": {"label": "业务类型", "value": op.label},
    }
    for name, label in PERSON_FIELDS.items():
        value = _get(who, name)
        if name == "gender":
            value = GENDERS.get(value, value)
        elif name == "id_type":
            value = ID_TYPES.get(value, value)
        if value not in (None, ""):
            fields[f"person.{name}"] = {"label": label, "value": _display(value)}
    if record is not None:
        for name, label in RECORD_FIELDS.items():
            value = _get(record, name)
            if name == "class_code" and value:
                value = f"{value}（{certificate_type.classes.get(value, '')}）"
            if value not in (None, "", []):
                fields[f"record.{name}"] = {"label": label, "value": _display(value)}
        if _get(record, "enterprise_name"):
            fields["record.enterprise_name"] = {"label": "原聘用企业",
                                                "value": _get(record, "enterprise_name")}
    if enterprise:
        for name, label in ENTERPRISE_FIELDS.items():
            if enterprise.get(name):
                fields[f"enterprise.{name}"] = {"label": label, "value": enterprise[name]}
    inputs: list[str] = []
    if kind in NEEDS_NO_RECORD:
        inputs += ["person", *(["class_code"] if certificate_type.classes else []),
                   *[n for n in certificate_type.numbers if n == "qualification_number"],
                   *(["specialties"] if certificate_type.specialties else [])]
    if op.window and record is not None:
        until = _as_date(_get(record, "valid_until"))
        if until:
            new_until = renewed_until(until, certificate_type.renewal_rule())
            fields["renewal.new_valid_until"] = {"label": "延续后有效期至", "value": new_until.isoformat()}
        if len(_get(record, "specialties") or []) > 1:
            inputs.append("renew_specialties")
    if kind == "add_item":
        inputs += ["specialty", "exam_certificate_number"]
    if kind == "change":
        inputs += ["change_item", "new_name", "new_id_number"]
    if kind == "reissue" or (kind == "cancellation" and op.reason_text):
        inputs.append("reason")
    if kind == "cancellation" and op.reasons:
        inputs += ["reasons", *(["applicant"] if op.applicants else [])]
    if kind == "transfer_out" and not op.consent:
        inputs.append("to_enterprise_id")
    if kind == "re_registration" and record is not None:
        fields["re_registration.cancelled_on"] = {"label": "失效或被注销注册日期",
                                                  "value": _display(_get(record, "cancelled_on"))}
    return {"fields": fields, "inputs": inputs}


# ---------------------------------------------------------------- REG 待办资质 / 补正资质

def qualification_correction(*, pre_registered: bool, status: str, detected_number: str | None,
                             entered_number: str | None, copy_attachment_id: str | None) -> dict[str, Any]:
    """补正资质 for a pre-registered person once the enterprise holds its qualification.

    Allowed on a reported, still-open declaration of a pre-registered person. The qualification
    number found in the enterprise records is used; when none is detected the enterprise types the
    number and uploads a copy of the qualification certificate (企业资质副本). Returns the fields to
    store: ``{"qualification_number", "qualification_copy"}``.
    """
    if not pre_registered:
        raise InvalidTransition("该申报不是预注册人员申报，无需补正资质", code="not_pre_registered")
    if status not in (*UNACCEPTED, UNDER_REVIEW, CORRECTION, WITHDRAWAL_REQUESTED):
        raise InvalidTransition(f"申报状态为“{STATUSES.get(status, status)}”，不能补正资质",
                                code="invalid_transition")
    if detected_number:
        return {"qualification_number": detected_number.strip(), "qualification_copy": None}
    errors: FieldErrors = {}
    if not (entered_number or "").strip():
        errors["qualification_number"] = [
            field_error("required", "未检测到企业资质证书号，请手工输入资质证书号")]
    if not copy_attachment_id:
        errors["qualification_copy"] = [field_error("required", "未检测到企业资质证书号，请上传企业资质副本")]
    if errors:
        raise ValidationFailed.from_fields(errors)
    return {"qualification_number": str(entered_number).strip(), "qualification_copy": copy_attachment_id}


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
