"""Personnel rules as plain Python: people, ID types, photos, one employer, transfers, appeals.

No nameko, no SQLAlchemy: every function takes plain values (mappings, dataclasses, dates)
and either returns a result or raises a ``services.common.errors`` error with a stable code
and a Chinese message naming the rule. The personnel service (models, repository, RPCs) is
built on top of these; declarations live in ``declarations.py``, validity dates in
``windows.py``, certificate types in ``catalogue.py``, the Excel export in ``export.py``.

People (CIP 初始注册 / 新增申报 forms; domain.md §3)
    name, gender, birth date, ID type (身份证 with the GB 11643-1999 check / 军官证 / 警官证 /
    护照), education, title, mobile. For a resident ID the birth date and the gender are read
    from the number and an entered value that disagrees is refused. See :func:`validate_person`.

Photos and attachments (CIP: "个人照片（小于1兆；单一底色）", "附件均为图片（jpg、png）；附件图片应小于
    2兆", "pdf是文本格式")
    :func:`check_person_photo` (jpg/png under 1 MB; a background that is not one colour is a
    warning, or a refusal with ``strict_background=True``) and :func:`check_attachment`
    (jpg/png under 2 MB or a PDF, judged by content).

One employer per person
    :func:`employment_conflict` / :func:`check_one_employer`: active registrations of a person
    sit with one enterprise; a second enterprise's declaration is refused naming the holder.

Transfers (CIP 人员调出/调入, TSA 人员调动) — :class:`Transfer` and :func:`transfer_step`;
    the certificate changes hands only when the last review approves (:func:`transfer_holder`).

Appeals (REG 申辩管理) — :class:`Appeal` and :func:`appeal_step`.

Event for permits (issue 8 §9): when a key person's certificate lapses, is cancelled or
transfers away, personnel emits (to be declared as an EventSpec in ``events.py`` by the
service, type ``personnel.key_person_changed``, version 1)::

    {
      "enterprise_id": str,      # identity id of the enterprise that LOSES the person
      "person_id": str,          # personnel's person id
      "certificate_kind": str,   # contract vocabulary: constructor_2, safety_a, safety_b,
                                 # safety_c, electrician, reg_engineer, reg_architect, ...
      "certificate_id": str,     # personnel's certificate id
      "change": "lapsed" | "cancelled" | "transferred_out",
      "at": "YYYY-MM-DDTHH:MM:SS+00:00"   # when the change took effect (UTC, ISO 8601)
    }

permits consumes it and re-runs the pre-check of that enterprise's qualifications, flagging
those now at risk. :func:`key_person_changed` builds and checks the payload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from services.common.attachments import IMAGE, PDF, CheckedUpload, check_upload
from services.common.errors import (
    Conflict,
    FieldErrors,
    Forbidden,
    InvalidTransition,
    ValidationFailed,
    field_error,
)
from services.common.uploads import MB, PhotoReport, UploadRejected, check_photo
from services.common.validators import (
    ID_TYPES,
    NAME_PATTERN,
    RESIDENT_ID,
    id_number_problem,
    is_email,
    is_mobile,
    normalise_id_number,
)

# ---------------------------------------------------------------- vocabularies

GENDERS = {"male": "男", "female": "女"}
EDUCATION = {
    "doctorate": "博士研究生", "master": "硕士研究生", "bachelor": "大学本科", "college": "大学专科",
    "secondary_vocational": "中专", "high_school": "高中", "junior_or_below": "初中及以下",
}
TITLE_LEVELS = {"none": "无", "junior": "初级", "intermediate": "中级", "senior": "高级",
                "professor": "正高级"}



def _errors_add(errors: FieldErrors, name: str, code: str, message: str) -> None:
    errors.setdefault(name, []).append(field_error(code, message))


def _fail(name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {name: [field_error(code, message)]})


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


# ---------------------------------------------------------------- ID numbers

def birth_date_from_resident_id(number: str) -> date:
    number = number.upper()
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender_from_resident_id(number: str) -> str:
    """GB 11643: the 17th digit is odd for men, even for women."""
    return "male" if int(number[16]) % 2 else "female"


def check_id(id_type: str, number: str, today: date | None = None, field_name: str = "id_number") -> str:
    """The normalised number; ValidationFailed on ``field_name`` when it is not valid."""
    problem = id_number_problem(id_type, number, today)
    if problem:
        raise ValidationFailed(problem[1], {field_name: [field_error(*problem)]})
    return normalise_id_number(id_type, number)


# ---------------------------------------------------------------- people

def validate_person(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Check and normalise a person's basic information (CIP 初始注册 / 新增申报 form).

    Input keys: ``name``, ``gender`` (male/female, or 男/女), ``id_type`` (see ID_TYPES; default
    resident_id), ``id_number``, ``birth_date`` (ISO; optional for a resident ID: read from the
    number), ``education`` (EDUCATION code, optional), ``title`` (free text, optional),
    ``title_level`` (TITLE_LEVELS code, optional), ``mobile`` (required), ``email`` (optional),
    ``ethnicity`` (optional). Returns the cleaned dict (dates as ``date``); raises
    ValidationFailed with every problem per field.
    """
    errors: FieldErrors = {}
    out: dict[str, Any] = {}

    name = re.sub(r"\s+", " ", _text(data, "name"))
    if not name:
        _errors_add(errors, "name", "required", "请填写姓名")
    elif not NAME_PATTERN.fullmatch(name):
        _errors_add(errors, "name", "format", "姓名应为2-40个汉字或字母（少数民族姓名可用“·”）")
    out["name"] = name

    id_type = _text(data, "id_type") or RESIDENT_ID
    reverse = {label: code for code, label in ID_TYPES.items()}
    id_type = reverse.get(id_type, id_type)
    number = normalise_id_number(id_type, _text(data, "id_number"))
    problem = id_number_problem(id_type, number, today)
    if problem:
        _errors_add(errors, "id_type" if problem[0] == "id_type" else "id_number", *problem)
    out["id_type"], out["id_number"] = id_type, number

    gender = _text(data, "gender")
    gender = {label: code for code, label in GENDERS.items()}.get(gender, gender)
    birth = _parse_date(data.get("birth_date")) if data.get("birth_date") not in (None, "") else None
    if data.get("birth_date") not in (None, "") and birth is None:
        _errors_add(errors, "birth_date", "format", "出生日期格式应为YYYY-MM-DD")
    id_ok = problem is None
    if id_type == RESIDENT_ID and id_ok:
        from_id = birth_date_from_resident_id(number)
        if birth is not None and birth != from_id:
            _errors_add(errors, "birth_date", "mismatch",
                        f"出生日期与身份证号不一致（身份证号中为{from_id.isoformat()}）")
        birth = from_id
        id_gender = gender_from_resident_id(number)
        if gender and gender in GENDERS and gender != id_gender:
            _errors_add(errors, "gender", "mismatch",
                        f"性别与身份证号不一致（身份证号中为{GENDERS[id_gender]}）")
        gender = id_gender
    if gender not in GENDERS:
        _errors_add(errors, "gender", "required" if not gender else "invalid", "请选择性别（男/女）")
    if birth is None and "birth_date" not in errors:
        _errors_add(errors, "birth_date", "required", "请填写出生日期")
    elif birth is not None and (birth > today or birth.year < 1900):
        _errors_add(errors, "birth_date", "invalid", "出生日期不是有效日期")
    out["gender"], out["birth_date"] = gender, birth

    education = _text(data, "education")
    education = {label: code for code, label in EDUCATION.items()}.get(education, education)
    if education and education not in EDUCATION:
        _errors_add(errors, "education", "invalid", f"学历只能是{'、'.join(EDUCATION.values())}之一")
    out["education"] = education or None

    title_level = _text(data, "title_level")
    title_level = {label: code for code, label in TITLE_LEVELS.items()}.get(title_level, title_level)
    if title_level and title_level not in TITLE_LEVELS:
        _errors_add(errors, "title_level", "invalid", f"职称等级只能是{'、'.join(TITLE_LEVELS.values())}之一")
    title = _text(data, "title")
    if len(title) > 50:
        _errors_add(errors, "title", "too_long", "职称名称不能超过50个字")
    out["title"], out["title_level"] = title or None, title_level or None

    mobile = _text(data, "mobile")
    if not mobile:
        _errors_add(errors, "mobile", "required", "请填写手机号码")
    elif not is_mobile(mobile):
        _errors_add(errors, "mobile", "format", "手机号码应为11位中国大陆手机号（1开头，第二位3-9）")
    out["mobile"] = mobile

    email = _text(data, "email").lower()
    if email and not is_email(email):
        _errors_add(errors, "email", "format", "电子邮箱格式不正确")
    out["email"] = email or None
    out["ethnicity"] = _text(data, "ethnicity") or None

    if errors:
        raise ValidationFailed.from_fields(errors)
    return out


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# ---------------------------------------------------------------- photos and attachments

PHOTO_MAX_BYTES = MB
ATTACHMENT_IMAGE_MAX_BYTES = 2 * MB


def check_person_photo(data: bytes, *, strict_background: bool = False) -> PhotoReport:
    """A person's ID photo: jpg/png under 1 MB, one-colour background (CIP).

    Refusals raise ValidationFailed on field ``photo`` with the upload check's code (``empty``,
    ``too_large``, ``not_image``, ``wrong_type``, ``unreadable``) and a Chinese message naming the
    rule. A background that is not one colour is a warning in the report (the measurement can be
    fooled by hair or shadows); with ``strict_background=True`` it is refused as ``background``.
    """
    rule = "个人照片须为jpg或png格式、小于1MB、单一底色"
    try:
        report = check_photo(data, PHOTO_MAX_BYTES)
    except UploadRejected as exc:
        message = f"{exc.message}（{rule}）"
        raise ValidationFailed(message, {"photo": [field_error(exc.code, message)]}) from exc
    if strict_background and report.background_uniform is False:
        message = f"照片背景不是单一颜色，请使用纯色背景（如白色、蓝色）的证件照（{rule}）"
        raise ValidationFailed(message, {"photo": [field_error("background", message)]})
    return report


def check_attachment(upload: object, field_name: str = "attachment") -> CheckedUpload:
    """A declaration attachment: jpg/png under 2 MB, or a PDF (10 MB / 20 pages), by content."""
    return check_upload(upload, field_name, kinds=(IMAGE, PDF))


# ---------------------------------------------------------------- one employer per person

# Registration statuses that bind a person to an enterprise. ``declared``: an initial
# registration filed and not yet decided (两个以上单位注册 is itself a 不予注册 case).
ACTIVE_REGISTRATION_STATUSES = ("valid", "expired", "transferring", "declared")


@dataclass(frozen=True)
class EmploymentConflict:
    holder_enterprise_id: str
    holder_enterprise_name: str
    certificates: tuple[str, ...]  # "二级建造师 蒙215080907445", ...
    message: str


def _field(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def employment_conflict(person_registrations: Iterable[Any],
                        declaring_enterprise_id: str) -> EmploymentConflict | None:
    """Who holds this person, when it is not ``declaring_enterprise_id``; None when free.

    Each registration (mapping or object) has ``enterprise_id``, ``enterprise_name``, ``status``
    and optionally ``certificate_label`` / ``number`` and ``transfer_to`` (for a certificate
    being transferred: the enterprise it goes to, which is then not in conflict with it).
    Only statuses in ACTIVE_REGISTRATION_STATUSES count; cancelled or lapsed ones do not.
    """
    declaring = str(declaring_enterprise_id)
    holders: dict[str, tuple[str, list[str]]] = {}
    for reg in person_registrations:
        if _field(reg, "status") not in ACTIVE_REGISTRATION_STATUSES:
            continue
        holder = str(_field(reg, "enterprise_id"))
        if holder == declaring:
            continue
        if _field(reg, "status") == "transferring" and str(_field(reg, "transfer_to")) == declaring:
            continue
        label = " ".join(str(p) for p in (_field(reg, "certificate_label"), _field(reg, "number")) if p)
        entry = holders.setdefault(holder, (str(_field(reg, "enterprise_name") or holder), []))
        if label:
            entry[1].append(label)
    if not holders:
        return None
    holder_id, (holder_name, certs) = next(iter(holders.items()))
    what = f"（{'、'.join(certs)}）" if certs else ""
    message = (f"该人员已在“{holder_name}”注册{what}，一人只能受聘于一家企业；"
               f"请由“{holder_name}”先办理人员调出或注销后再申报")
    return EmploymentConflict(holder_id, holder_name, tuple(certs), message)


def check_one_employer(person_registrations: Iterable[Any], declaring_enterprise_id: str) -> None:
    """Raise Conflict (code ``employed_elsewhere``) naming the holder, when there is one."""
    conflict = employment_conflict(person_registrations, declaring_enterprise_id)
    if conflict:
        raise Conflict(conflict.message, {"id_number": [field_error("employed_elsewhere", conflict.message)]},
                       code="employed_elsewhere")


# ---------------------------------------------------------------- transfers

# CIP (two-sided): the old employer files 调出 naming the new one (out_declared); the new
# employer accepts (drafts its 调入 declaration: in_drafted) or returns the person (returned);
# a drafted 调入 must be deleted before returning; once submitted (in_review) it cannot be
# returned; the reviewers approve (completed: the certificate moves) or reject.
# TSA (consent): the person asks (requested); the consenting enterprise (the old one for an
# out-transfer, the new one for an in-transfer) agrees (in_review) or refuses (refused); then
# the reviewers. The certificate changes hands only at ``completed``.
TRANSFER_STATUSES = {
    "requested": "待企业审核", "out_declared": "调转中（待调入单位接收）", "in_drafted": "调入申报填写中",
    "in_review": "审核中", "completed": "调转完成", "returned": "已退回原单位", "refused": "企业不同意",
    "rejected": "审核不通过", "cancelled": "已取消",
}
TRANSFER_FINAL = ("completed", "returned", "refused", "rejected", "cancelled")

# (status, action) -> (new status, who may act: "from" / "to" / "consenting" / "person" / "review")
TRANSFER_TABLE: dict[tuple[str, str], tuple[str, str]] = {
    ("requested", "consent"): ("in_review", "consenting"),
    ("requested", "refuse"): ("refused", "consenting"),
    ("requested", "cancel"): ("cancelled", "person"),
    ("out_declared", "accept"): ("in_drafted", "to"),
    ("out_declared", "return"): ("returned", "to"),
    ("out_declared", "cancel"): ("cancelled", "from"),
    ("in_drafted", "delete_draft"): ("out_declared", "to"),
    ("in_drafted", "submit"): ("in_review", "to"),
    ("in_review", "approve"): ("completed", "review"),
    ("in_review", "reject"): ("rejected", "review"),
}
TRANSFER_ACTIONS = {
    "consent": "同意", "refuse": "不同意", "cancel": "取消", "accept": "调入", "return": "退回",
    "delete_draft": "删除调入申报", "submit": "提交调入申报", "approve": "审核通过", "reject": "审核不通过",
}
# Specific refusals that are clearer than "not allowed in this status" (CIP 注意事项 3-5).
TRANSFER_SPECIAL_REFUSALS = {
    ("in_drafted", "return"): ("delete_first", "已填写调入申报，需先删除调入申报再退回"),
    ("in_review", "return"): ("in_review", "调入申报已进入审批流程，不能再退回"),
}


@dataclass(frozen=True)
class Transfer:
    certificate_id: str
    person_id: str
    direction: str  # "out" (from the old employer's side) or "in" (to the new employer's side)
    from_enterprise_id: str | None
    to_enterprise_id: str | None
    status: str
    history: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)  # (action, by, status)

    @property
    def consenting_enterprise_id(self) -> str | None:
        return self.from_enterprise_id if self.direction == "out" else self.to_enterprise_id


def declare_transfer_out(certificate_id: str, person_id: str, from_enterprise_id: str,
                         to_enterprise_id: str) -> Transfer:
    """CIP 人员调出: the old employer names the new one (double-clicked in the seed)."""
    if not to_enterprise_id:
        raise _fail("to_enterprise_id", "required", "请选择调入企业")
    if str(to_enterprise_id) == str(from_enterprise_id):
        message = "调入企业不能是本企业"
        raise ValidationFailed(message, {"to_enterprise_id": [field_error("same_enterprise", message)]})
    return Transfer(certificate_id, person_id, "out", str(from_enterprise_id), str(to_enterprise_id),
                    "out_declared", (("declare_out", str(from_enterprise_id), "out_declared"),))


def request_transfer(certificate_id: str, person_id: str, direction: str, from_enterprise_id: str | None,
                     to_enterprise_id: str | None) -> Transfer:
    """TSA 人员调出/调入申请 by the person; the consenting enterprise decides next."""
    if direction not in ("out", "in"):
        raise ValueError("direction must be 'out' or 'in'")
    if direction == "out" and not from_enterprise_id:
        raise _fail("from_enterprise_id", "required", "请选择原单位")
    if direction == "in" and not to_enterprise_id:
        raise ValidationFailed("调入申请需要调入单位",
                               {"to_enterprise_id": [field_error("required", "请选择调入单位")]})
    if from_enterprise_id and to_enterprise_id and str(from_enterprise_id) == str(to_enterprise_id):
        message = "调入单位与原单位相同"
        raise ValidationFailed(message, {"to_enterprise_id": [field_error("same_enterprise", message)]})
    return Transfer(certificate_id, person_id, direction,
                    str(from_enterprise_id) if from_enterprise_id else None,
                    str(to_enterprise_id) if to_enterprise_id else None, "requested",
                    (("request", "person", "requested"),))


def transfer_step(transfer: Transfer, action: str, *, actor_enterprise_id: str | None = None,
                  by: str = "review") -> Transfer:
    """Apply one action; InvalidTransition / Forbidden with a Chinese message when not allowed.

    ``actor_enterprise_id`` is the enterprise acting (for from/to/consenting actions); ``by`` is
    ``"person"`` for the holder's own actions and ``"review"`` for the reviewers' decision.
    """
    key = (transfer.status, action)
    if key in TRANSFER_SPECIAL_REFUSALS:
        code, message = TRANSFER_SPECIAL_REFUSALS[key]
        raise InvalidTransition(message, code=code)
    if key not in TRANSFER_TABLE:
        label = TRANSFER_ACTIONS.get(action, action)
        raise InvalidTransition(
            f"调转状态为“{TRANSFER_STATUSES.get(transfer.status, transfer.status)}”，不能{label}",
            code="invalid_transition")
    target, who = TRANSFER_TABLE[key]
    expected = {"from": transfer.from_enterprise_id, "to": transfer.to_enterprise_id,
                "consenting": transfer.consenting_enterprise_id}.get(who)
    if who in ("from", "to", "consenting"):
        if actor_enterprise_id is None or str(actor_enterprise_id) != str(expected):
            raise Forbidden("只有相关企业可以办理此项调转操作", code="not_your_transfer")
        actor = str(actor_enterprise_id)
    elif who == "person":
        if by != "person":
            raise Forbidden("只有本人可以取消调转申请", code="not_your_transfer")
        actor = "person"
    else:
        if by != "review":
            raise Forbidden("审核结果只能由审核部门作出", code="not_your_transfer")
        actor = "review"
    return replace(transfer, status=target, history=transfer.history + ((action, actor, target),))


def transfer_holder(transfer: Transfer) -> str | None:
    """The enterprise holding the certificate: the new one only once the transfer is completed.

    A completed TSA out-transfer without a named new employer leaves it with nobody (None).
    """
    if transfer.status == "completed":
        return transfer.to_enterprise_id
    return transfer.from_enterprise_id


def transfer_may_return(transfer: Transfer) -> bool:
    """CIP: the new employer may return the person until its 调入 declaration exists."""
    return transfer.status == "out_declared"


# ---------------------------------------------------------------- key person changed

KEY_PERSON_CHANGES = {"lapsed": "证书失效", "cancelled": "证书注销", "transferred_out": "人员调出"}
KEY_PERSON_CHANGED = "personnel.key_person_changed"


def key_person_changed(enterprise_id: str, person_id: str, certificate_kind: str, certificate_id: str,
                       change: str, at: datetime | None = None) -> dict[str, Any]:
    """The payload of ``personnel.key_person_changed`` v1 (see the module docstring)."""
    if change not in KEY_PERSON_CHANGES:
        raise ValueError(f"change must be one of {sorted(KEY_PERSON_CHANGES)}")
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return {"enterprise_id": str(enterprise_id), "person_id": str(person_id),
            "certificate_kind": certificate_kind, "certificate_id": str(certificate_id),
            "change": change, "at": moment.astimezone(UTC).isoformat(timespec="seconds")}


def transfer_batch(transfers: Mapping[str, Transfer], action: str, *, actor_enterprise_id: str | None = None,
                   by: str = "review") -> tuple[dict[str, Transfer], list[dict[str, Any]]]:
    """TSA 批量同意调出/调入 (or refuse): each item independently; ``(new states of the ok items,
    [{"id", "ok", "status", "code", "message"}])``."""
    done: dict[str, Transfer] = {}
    results: list[dict[str, Any]] = []
    for item_id, transfer in transfers.items():
        try:
            new = transfer_step(transfer, action, actor_enterprise_id=actor_enterprise_id, by=by)
        except (InvalidTransition, Forbidden) as exc:
            results.append({"id": str(item_id), "ok": False, "status": transfer.status, "code": exc.code,
                            "message": exc.message})
            continue
        done[str(item_id)] = new
        results.append({"id": str(item_id), "ok": True, "status": new.status, "code": None, "message": None})
    return done, results


def transfer_record_changes(transfer: Transfer) -> dict[str, Any]:
    """What the certificate record shows while a transfer runs (证书状态 调转中) and after it.

    Out-declared / in review: ``transferring`` towards the new employer (the old employer still
    holds it); completed: held by the new employer (or nobody after a TSA out-transfer);
    returned / refused / rejected / cancelled: back to ``valid`` at the old employer.
    """
    if transfer.status in ("out_declared", "in_drafted", "in_review"):
        return {"status": "transferring", "transfer_to": transfer.to_enterprise_id,
                "enterprise_id": transfer.from_enterprise_id}
    if transfer.status == "completed":
        return {"status": "valid", "transfer_to": None, "enterprise_id": transfer.to_enterprise_id}
    if transfer.status in TRANSFER_FINAL:
        return {"status": "valid", "transfer_to": None, "enterprise_id": transfer.from_enterprise_id}
    return {}


def duplicate_id_numbers(people: Iterable[Any]) -> dict[str, list[int]]:
    """PFL: "同一个电工的身份证号码只能使用一次" within one application.

    Returns ``{normalised ID number: [row indexes]}`` for every number used more than once.
    """
    seen: dict[str, list[int]] = {}
    for index, item in enumerate(people):
        id_type = str(_field(item, "id_type") or RESIDENT_ID)
        number = normalise_id_number(id_type, str(_field(item, "id_number") or ""))
        if number:
            seen.setdefault(number, []).append(index)
    return {number: rows for number, rows in seen.items() if len(rows) > 1}
