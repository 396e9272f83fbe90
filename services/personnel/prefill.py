"""Pre-filled declaration forms, pure Python: :func:`prefill` gives the form's fields from the
certificate record, the person and the enterprise ("基本信息自动填充") in the ``{name: {label,
value}}`` shape ``review_requested`` carries; :func:`qualification_correction` is REG's 待办资质 /
补正资质 rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services.common.contracts.personnel import (
    CORRECTION,
    STATUSES,
    UNACCEPTED,
    UNDER_REVIEW,
    WITHDRAWAL_REQUESTED,
)
from services.common.errors import (
    FieldErrors,
    InvalidTransition,
    ValidationFailed,
    field_error,
)
from services.personnel.catalogue import CertificateType
from services.personnel.declarations import NEEDS_NO_RECORD, _get
from services.personnel.domain import (
    GENDERS,
    ID_TYPES,
)
from services.personnel.windows import (
    _as_date,
    renewed_until,
)

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
