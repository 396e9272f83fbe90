"""How personnel's rows look to callers (docs/contracts.md, "Personnel" → Views): persons,
certificate records, declarations, transfers, appeals and the catalogue for the forms.
Read-only: no state changes here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.common.attachments import attachment_view
from services.common.localtime import BEIJING
from services.personnel import appeals, domain, eligibility, records, windows
from services.personnel import declarations as rules
from services.personnel.catalogue import CHANGE_ITEMS, Catalogue
from services.personnel.models import Appeal, Certificate, Declaration, Person, Transfer
from services.personnel.repository import PersonnelRepository

CERT_STATUS_LABELS = {
    "valid": "有效",
    "expired": "已过期",
    "lapsed": "已失效",
    "cancelled": "已注销",
    "transferring": "调转中",
}


def beijing_today() -> date:
    return datetime.now(UTC).astimezone(BEIJING).date()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def state_of(decl: Declaration) -> rules.DeclarationState:
    """The declaration's row as the state machine's value."""
    return rules.DeclarationState(
        decl.status, decl.origin, tuple(decl.levels or ()), decl.level, decl.resume, decl.personal_withdrawal
    )


def person_view(person: Person, repo: PersonnelRepository | None = None) -> dict[str, Any]:
    view = {
        name: _iso(getattr(person, name)) if name == "birth_date" else getattr(person, name)
        for name in records.PERSON_ATTRS
    }
    view["id"] = str(person.id)
    view["gender_label"] = domain.GENDERS.get(person.gender, person.gender)
    view["id_type_label"] = domain.ID_TYPES.get(person.id_type, person.id_type)
    photo = repo.attachment(person.photo_id) if repo is not None and person.photo_id else None
    view["photo"] = attachment_view(photo) if photo is not None else None
    return view


def certificate_view(
    types: Catalogue, cert: Certificate, person: Person | None = None, today: date | None = None
) -> dict[str, Any]:
    t = types.types.get(cert.type_code)
    status = eligibility.record_status(records.record_dict(cert), today or beijing_today(), t)
    window = None
    if cert.valid_until and t is not None and status in ("valid", "expired"):
        w = windows.renewal_window(cert.valid_until, t.renewal_rule())
        window = {"opens_on": w.opens_on.isoformat(), "closes_on": w.closes_on.isoformat()}
    return {
        "id": str(cert.id),
        "person_id": str(cert.person_id),
        "person": person_view(person) if person is not None else None,
        "type_code": cert.type_code,
        "type_name": t.name if t else cert.type_code,
        "certificate_kind": cert.certificate_kind,
        "class_code": cert.class_code,
        "class_label": (t.classes.get(cert.class_code) if t and cert.class_code else None),
        "registration_number": cert.registration_number,
        "qualification_number": cert.qualification_number,
        "certificate_number": cert.certificate_number,
        "number": records.number_of(cert),
        "specialties": list(cert.specialties or []),
        "issued_on": _iso(cert.issued_on),
        "valid_until": _iso(cert.valid_until),
        "status": status,
        "status_label": CERT_STATUS_LABELS.get(status, status),
        "enterprise_id": str(cert.enterprise_id) if cert.enterprise_id else None,
        "enterprise_name": cert.enterprise_name,
        "transfer_to": str(cert.transfer_to) if cert.transfer_to else None,
        "imported": cert.imported,
        "cancelled_on": _iso(cert.cancelled_on),
        "reissued_on": _iso(cert.reissued_on),
        "renewal_window": window,
        "version": cert.version,
    }


def declaration_view(
    types: Catalogue, repo: PersonnelRepository, decl: Declaration, role: str, detail: bool = True
) -> dict[str, Any]:
    """A declaration as the contract shows it; ``role`` (enterprise / person / review) picks the
    allowed actions."""
    t = types.type(decl.type_code)
    op = t.operation(decl.kind)
    person = repo.person(decl.person_id)
    cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
    batch = repo.batch(decl.batch_id) if decl.batch_id else None
    view: dict[str, Any] = {
        "id": str(decl.id),
        "enterprise_id": str(decl.enterprise_id),
        "enterprise_name": decl.enterprise_name,
        "person_id": str(decl.person_id),
        "person": person_view(person) if person else None,
        "certificate_id": str(decl.certificate_id) if decl.certificate_id else None,
        "certificate": certificate_view(types, cert) if cert is not None else None,
        "type_code": decl.type_code,
        "type_name": t.name,
        "kind": decl.kind,
        "kind_label": op.label,
        "case_type": decl.case_type,
        "status": decl.status,
        "status_label": rules.STATUSES.get(decl.status, decl.status),
        "origin": decl.origin,
        "level": decl.level,
        "version": decl.version,
        "batch_id": str(decl.batch_id) if decl.batch_id else None,
        "batch_title": batch.title if batch else None,
        "case_ref": decl.case_ref,
        "case_id": decl.case_id,
        "revision": decl.revision,
        "review_step": decl.review_step,
        "form": dict(decl.form or {}),
        "correction_items": list(decl.correction_items or []),
        "correction_deadline": _iso(decl.correction_deadline),
        "withdrawal": decl.withdrawal,
        "transfer_id": str(decl.transfer_id) if decl.transfer_id else None,
        "reported_at": _iso(decl.reported_at),
        "decided_at": _iso(decl.decided_at),
        "decision_reason": decl.decision_reason,
        "created_at": _iso(decl.created_at),
        "updated_at": _iso(decl.updated_at),
    }
    if detail:
        filled = records.review_fields(
            t,
            decl.kind,
            person=person,
            cert=cert,
            form=decl.form or {},
            enterprise=enterprise_fields(decl),
        )
        files = repo.attachments_of(decl.id)
        have = {a.code for a in files}
        view.update(
            {
                "fields": filled["fields"],
                "inputs": filled["inputs"],
                "attachments": [{**attachment_view(a), "code": a.code, "label": a.label} for a in files],
                "required_attachments": [
                    {
                        **spec,
                        "required": spec.get("required", True),
                        "photo": spec.get("photo", False),
                        "uploaded": spec["code"] in have,
                    }
                    for spec in op.attachments
                ],
                "history": list(decl.history or []),
                "allowed_actions": rules.allowed_actions(state_of(decl), role) if role != "review" else [],
            }
        )
    return view


def enterprise_fields(decl: Declaration) -> dict[str, Any]:
    return {"name": decl.enterprise_name, "region_code": decl.region_code}


def catalogue_view(catalogue: Catalogue) -> dict[str, Any]:
    """The certificate types for the forms (docs/contracts.md, Personnel: catalogue)."""
    types = []
    for t in catalogue.types.values():
        types.append(
            {
                "code": t.code,
                "name": t.name,
                "system": t.system,
                "module": t.module,
                "certificate_kind": t.certificate_kind,
                "certificate_kind_by_class": t.certificate_kind_by_class,
                "classes": t.classes,
                "specialties": (
                    {
                        "multiple": t.specialties.get("multiple", False),
                        "choices": list(t.specialties.get("choices") or []),
                    }
                    if t.specialties
                    else None
                ),
                "numbers": {
                    n: {"label": s["label"], "pattern": s["pattern"], "message": s["message"]}
                    for n, s in t.numbers.items()
                },
                "renewal": {
                    k: t.renewal[k] for k in ("opens_months_before", "closes_months_after", "adds_years")
                },
                "operations": [
                    {
                        "kind": op.kind,
                        "label": op.label,
                        "case_type": op.case_type,
                        "levels": list(op.levels),
                        "attachments": [
                            {
                                "code": a["code"],
                                "name": a["name"],
                                "required": a.get("required", True),
                                "photo": a.get("photo", False),
                            }
                            for a in op.attachments
                        ],
                        "window": op.window,
                        "exam_check": op.exam_check,
                        "personal_withdrawal": op.personal_withdrawal,
                        "consent": op.consent,
                        "change_items": [{"code": c, "label": CHANGE_ITEMS[c]} for c in op.change_items],
                        "reasons": list(op.reasons),
                        "reason_text": op.reason_text,
                        "applicants": list(op.applicants),
                    }
                    for op in t.operations.values()
                ],
            }
        )
    return {
        "types": types,
        "id_types": domain.ID_TYPES,
        "genders": domain.GENDERS,
        "education": domain.EDUCATION,
        "title_levels": domain.TITLE_LEVELS,
    }


def transfer_view(types: Catalogue, repo: PersonnelRepository, row: Transfer) -> dict[str, Any]:
    cert = repo.certificate(row.certificate_id)
    person = repo.person(row.person_id)
    return {
        "id": str(row.id),
        "certificate_id": str(row.certificate_id),
        "certificate": certificate_view(types, cert) if cert else None,
        "person": person_view(person) if person else None,
        "direction": row.direction,
        "mode": row.mode,
        "from_enterprise_id": str(row.from_enterprise_id) if row.from_enterprise_id else None,
        "from_enterprise_name": row.from_enterprise_name,
        "to_enterprise_id": str(row.to_enterprise_id) if row.to_enterprise_id else None,
        "to_enterprise_name": row.to_enterprise_name,
        "status": row.status,
        "status_label": domain.TRANSFER_STATUSES.get(row.status, row.status),
        "declaration_id": str(row.declaration_id) if row.declaration_id else None,
        "reason": row.reason,
        "history": list(row.history or []),
        "created_at": _iso(row.created_at),
    }


def appeal_view(repo: PersonnelRepository, row: Appeal) -> dict[str, Any]:
    person = repo.person(row.person_id)
    return {
        "id": str(row.id),
        "enterprise_id": str(row.enterprise_id),
        "person_id": str(row.person_id),
        "person_name": person.name if person else None,
        "kind": row.kind,
        "kind_label": appeals.ANOMALY_KINDS.get(row.kind, row.kind),
        "detail": row.detail,
        "status": row.status,
        "status_label": appeals.APPEAL_STATUSES.get(row.status, row.status),
        "deadline": _iso(row.deadline),
        "explanation": row.explanation,
        "evidence": list(row.evidence or []),
        "opinion": row.opinion,
        "history": list(row.history or []),
        "created_at": _iso(row.created_at),
    }
