"""Bridges between personnel's rows and the pure rules (plain values in, plain values out).

The rules (declarations.py, domain.py) take mappings; this module builds those mappings from
plain attribute holders (the ORM rows, or anything with the same attributes), gives review the
declaration's fields, numbers a newly issued certificate and splits approval effects between
the person and the certificate record. No database, no nameko.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from services.personnel.catalogue import CHANGE_ITEMS, CertificateType
from services.personnel.declarations import (
    FINAL_STATUSES,
    NEEDS_NO_RECORD,
    REPORTED_STATUSES,
)
from services.personnel.eligibility import record_status
from services.personnel.prefill import prefill

PERSON_ATTRS = (
    "id",
    "name",
    "gender",
    "id_type",
    "id_number",
    "birth_date",
    "education",
    "title",
    "title_level",
    "mobile",
    "email",
    "ethnicity",
)
RECORD_ATTRS = (
    "id",
    "person_id",
    "type_code",
    "class_code",
    "certificate_kind",
    "registration_number",
    "qualification_number",
    "certificate_number",
    "specialties",
    "issued_on",
    "valid_until",
    "status",
    "enterprise_id",
    "enterprise_name",
    "transfer_to",
    "imported",
    "cancelled_on",
    "reissued_on",
)
# Labels of the form inputs a declaration carries (shown to review as form.<name>).
FORM_LABELS = {
    "class_code": "人员类别",
    "qualification_number": "资格证书编号",
    "certificate_number": "证书编号",
    "specialties": "注册专业",
    "specialty": "增项专业",
    "exam_certificate_number": "增项考试合格证书编号",
    "change_item": "变更事项",
    "new_name": "变更后姓名",
    "new_id_number": "变更后证件号码",
    "reason": "原因",
    "reasons": "注销原因",
    "applicant": "申请注销注册人或机构",
    "renew_specialties": "延续专业",
    "to_enterprise_name": "调入企业",
    "from_enterprise_name": "调出企业",
}


def _str(value: Any) -> Any:
    return (
        str(value)
        if value is not None and not isinstance(value, (str, int, float, bool, list, date))
        else value
    )


def person_dict(person: Any) -> dict[str, Any]:
    return {name: _str(getattr(person, name, None)) for name in PERSON_ATTRS}


def record_dict(cert: Any, person: Any = None) -> dict[str, Any]:
    """The record mapping ``declarations.DeclarationContext`` expects (``person`` nested)."""
    out = {name: _str(getattr(cert, name, None)) for name in RECORD_ATTRS}
    out["specialties"] = list(out["specialties"] or [])
    out["certificate_type"] = out["type_code"]
    if person is not None:
        out["person"] = person_dict(person)
    return out


def number_of(cert: Any) -> str:
    """The number people quote for a certificate (events' ``number``)."""
    for name in ("registration_number", "certificate_number", "qualification_number"):
        value = getattr(cert, name, None)
        if value:
            return str(value)
    return str(getattr(cert, "id", ""))


def registrations(
    certificates: Iterable[Any],
    declarations: Iterable[Any],
    types: Mapping[str, CertificateType],
    today: date,
    declaring_enterprise_id: str,
) -> list[dict[str, Any]]:
    """A person's registrations for the one-employer rule: live certificate records (dates
    applied: a lapsed one no longer binds) and new registrations other enterprises have
    reported and review has not decided (``declared``)."""
    out = []
    for cert in certificates:
        t = types.get(cert.type_code)
        out.append(
            {
                "enterprise_id": str(cert.enterprise_id),
                "enterprise_name": cert.enterprise_name,
                "status": record_status(record_dict(cert), today, t),
                "certificate_type": cert.type_code,
                "class_code": cert.class_code,
                "certificate_label": t.name if t else cert.type_code,
                "number": number_of(cert),
                "transfer_to": str(cert.transfer_to) if cert.transfer_to else None,
            }
        )
    for decl in declarations:
        if (
            decl.kind in NEEDS_NO_RECORD
            and str(decl.enterprise_id) != str(declaring_enterprise_id)
            and decl.status in REPORTED_STATUSES
            and decl.status not in FINAL_STATUSES
        ):
            t = types.get(decl.type_code)
            out.append(
                {
                    "enterprise_id": str(decl.enterprise_id),
                    "enterprise_name": decl.enterprise_name,
                    "status": "declared",
                    "certificate_type": decl.type_code,
                    "class_code": (decl.form or {}).get("class_code"),
                    "certificate_label": f"{t.name if t else decl.type_code}（申报中）",
                }
            )
    return out


def form_fields(form: Mapping[str, Any], t: CertificateType) -> dict[str, dict[str, Any]]:
    """The declaration's own inputs as review fields ``form.<name>`` (labels in Chinese)."""
    fields: dict[str, dict[str, Any]] = {}
    for name, value in form.items():
        if name.startswith("_") or value in (None, "", []):
            continue
        if name == "class_code" and t.classes:
            value = f"{value}（{t.classes.get(str(value), '')}）"
        elif name == "change_item":
            value = CHANGE_ITEMS.get(str(value), value)
        elif isinstance(value, (list, tuple)):
            value = "、".join(str(v) for v in value)
        fields[f"form.{name}"] = {"label": FORM_LABELS.get(name, name), "value": value}
    return fields


def review_fields(
    t: CertificateType,
    kind: str,
    *,
    person: Any,
    cert: Any,
    form: Mapping[str, Any],
    enterprise: Mapping[str, Any],
) -> dict[str, Any]:
    """What the declaration shows and review receives: the pre-filled fields plus the inputs."""
    filled = prefill(
        t,
        kind,
        record=record_dict(cert, person) if cert is not None else None,
        person=person_dict(person),
        enterprise=enterprise,
    )
    return {"fields": {**filled["fields"], **form_fields(form, t)}, "inputs": filled["inputs"]}


def new_number(t: CertificateType, class_code: str | None, issued_on: date, serial: int) -> dict[str, str]:
    """Numbers a newly registered certificate gets when the form did not bring them.

    二级建造师 注册编号: 蒙 + 12 digits (year, month, 6-digit serial); 安管人员 证书编号:
    蒙建安<class>(<year>)<7-digit serial>; REG 注册号: the type's initials + year + serial. Each
    is checked against the catalogue's own pattern so a catalogue change cannot go unnoticed.
    """
    out: dict[str, str] = {}
    if "registration_number" in t.numbers:
        prefix = "蒙" if t.system == "CIP" else "".join(w[0] for w in t.code.upper().split("_"))
        out["registration_number"] = f"{prefix}{issued_on:%Y%m}{serial % 10**6:06d}"
    elif "certificate_number" in t.numbers and t.system == "CIP":
        out["certificate_number"] = f"蒙建安{class_code or 'C'}({issued_on:%Y}){serial % 10**7:07d}"
    for name, value in out.items():
        t.check_number(name, value)
    return out


def split_changes(changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """approval_effects' record dict as (person changes, certificate changes)."""
    person = {k.split(".", 1)[1]: v for k, v in changes.items() if k.startswith("person.")}
    record = {k: v for k, v in changes.items() if not k.startswith("person.")}
    return person, record
