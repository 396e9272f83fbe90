"""Who may declare what (申报资格), pure Python: :func:`check_eligibility` (all problems of one
declaration, Chinese messages, stable codes) with :class:`DeclarationContext` holding what the
rule needs — the certificate record acted on, the person's registrations everywhere (one
employer), the person's other declarations (one open declaration per certificate), the register
of passed exams (:class:`ExamRegister`, "校验人社厅考试合格数据") and the form input.
:func:`find_for_re_registration` finds a cancelled person by name + ID number (重新注册);
:func:`check_supplement` guards 信息补录. The state machine is in ``declarations.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from services.common.contracts.personnel import (
    DRAFT,
    RETURNED,
    STATUSES,
)
from services.common.errors import (
    Conflict,
    FieldErrors,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    field_error,
)
from services.personnel.catalogue import CHANGE_ITEMS, OPERATION_KINDS, CertificateType
from services.personnel.declarations import (
    FINAL_STATUSES,
    NEEDS_NO_RECORD,
    REPORTED_STATUSES,
    _get,
    _vf,
)
from services.personnel.domain import (
    RESIDENT_ID,
    employment_conflict,
    id_number_problem,
    normalise_id_number,
)
from services.personnel.windows import (
    _as_date,
    add_months,
    check_renewal_window,
    validity_status,
)

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

ACTIVE = ("valid", "expired")  # a record someone can operate on (dates re-checked)


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
