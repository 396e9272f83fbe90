"""Certificate records: 信息补录 of held certificates, the register of passed exams, the lookup
for 重新注册."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, NotFound, ValidationFailed
from services.common.schema_errors import load_or_fail
from services.personnel import domain, eligibility, records, supplement, views
from services.personnel.events import CERTIFICATE_RECORDED
from services.personnel.models import Certificate, ExamPass
from services.personnel.schemas import CertificateRecordSchema, ExamPassesSchema, ReRegistrationLookupSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases import people
from services.personnel.usecases._support import (
    CERT_NOT_FOUND,
    DEFAULT_REGION,
    STALE,
    Deps,
    _now,
    _today,
    _uuid,
)


def check_record_data(deps: Deps, data: dict) -> dict[str, Any]:
    t = deps.types.type(data["type_code"])
    errors: dict[str, list] = {}
    out: dict[str, Any] = {"type_code": t.code}
    try:
        out["class_code"] = t.check_class(data.get("class_code"))
        out["certificate_kind"] = t.kind_for_class(out["class_code"])
    except ValidationFailed as exc:
        errors.update(exc.fields)
    for name in t.numbers:
        value = data.get(name)
        if value:
            try:
                out[name] = t.check_number(name, value)
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if t.specialties:
        try:
            out["specialties"] = t.check_specialties(data.get("specialties") or [])
        except ValidationFailed as exc:
            errors.update(exc.fields)
    else:
        out["specialties"] = []
    out["issued_on"], out["valid_until"] = data.get("issued_on"), data["valid_until"]
    if errors:
        raise ValidationFailed.from_fields(errors)
    return out


def add_certificate_record(deps: Deps, actor: dict, person_id: str, data: dict) -> dict:
    """信息补录 of a certificate the enterprise already holds (imported from the old systems)."""
    eid = s.enterprise_for(deps, actor, write=True)
    cleaned = check_record_data(deps, load_or_fail(CertificateRecordSchema(), data))
    with deps.begin() as uow:  # who it is (no RPC while a row is locked)
        id_number = people.person_for_enterprise(deps, uow.repo, eid, person_id, actor).id_number
    imported = deps.staff_imported(str(eid), id_number) if deps.staff_imported else False
    if not imported:
        deps.audit_alone("personnel.supplement_refused", actor, person_id, reason=supplement.NOT_IMPORTED,
                         what="supplement")
    supplement.check_supplement_person(imported)
    records_ = s.enterprise_records(deps, eid)
    with deps.begin() as uow:
        repo = uow.repo
        person = people.person_for_enterprise(deps, repo, eid, person_id, actor, lock=True)
        regs = records.registrations(
            repo.certificates_of_person(person.id),
            repo.declarations_of_person(person.id),
            deps.types.types,
            _today(),
            str(eid),
        )
        domain.check_one_employer(regs, str(eid))
        cert = Certificate(
            person_id=person.id,
            enterprise_id=eid,
            imported=True,
            status="valid",
            enterprise_name=records_.get("name") or "",
            region_code=records_.get("region_code") or DEFAULT_REGION,
            history=[{"at": _now().isoformat(), "action": "supplement", "note": "信息补录"}],
            **cleaned,
        )
        try:
            with uow.nested():
                repo.add(cert)
        except IntegrityError as exc:
            raise Conflict("该人员已有同类有效证书记录", code="already_registered") from exc
        uow.audit("personnel.certificate.supplement", actor_id=actor.get("id"), subject_id=str(cert.id))
        recorded(uow, cert, person)
        view = views.certificate_view(deps.types, cert, person)
        uow.commit()
        return view


def update_certificate_record(deps: Deps, actor: dict, certificate_id: str, data: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    with deps.begin() as uow:
        repo = uow.repo
        cert = repo.certificate(_uuid(certificate_id, CERT_NOT_FOUND), for_update=True)
        if cert is None:
            raise NotFound(CERT_NOT_FOUND)
        if cert.enterprise_id != eid:
            raise s.refused(deps, actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
        payload = load_or_fail(CertificateRecordSchema(), {"type_code": cert.type_code, **(data or {})})
        if payload.get("expected_version") is not None and payload["expected_version"] != cert.version:
            raise Conflict(STALE, code="stale_version")
        eligibility.check_supplement(
            records.record_dict(cert),
            [
                {"certificate_id": str(d.certificate_id), "status": d.status}
                for d in repo.declarations_of_person(cert.person_id)
            ],
        )
        cleaned = check_record_data(deps, {**payload, "type_code": cert.type_code})
        for key, value in cleaned.items():
            setattr(cert, key, value)
        if cert.status == "lapsed":  # corrected dates decide again (record_status reads them)
            cert.status = "valid"
        cert.updated_at = _now()
        uow.audit("personnel.certificate.supplement_edit", actor_id=actor.get("id"), subject_id=str(cert.id))
        uow.flush()
        recorded(uow, cert, repo.person(cert.person_id))
        view = views.certificate_view(deps.types, cert, repo.person(cert.person_id))
        uow.commit()
        return view


def recorded(uow: Any, cert: Certificate, person: Any) -> None:
    """Tell notify about a recorded certificate, so its expiry is reminded like an issued one's."""
    uow.add_event(CERTIFICATE_RECORDED, {
        "certificate_id": cert.id, "enterprise_id": cert.enterprise_id, "person_id": cert.person_id,
        "holder_name": person.name if person is not None else "", "kind": cert.certificate_kind,
        "type_code": cert.type_code, "number": records.number_of(cert), "valid_until": cert.valid_until,
        "status": cert.status})


def record_exam_passes(deps: Deps, actor: dict, payload: dict) -> dict:
    s.require_staff(deps, actor, admin=True)
    data = load_or_fail(ExamPassesSchema(), payload)
    added = 0
    with deps.begin() as uow:
        repo = uow.repo
        for item in data["passes"]:
            number = item["id_number"].strip().upper()
            if repo.has_exam_pass(number, item["specialty"], item["certificate_number"].strip().upper()):
                continue
            repo.add(
                ExamPass(
                    id_number=number,
                    specialty=item["specialty"],
                    certificate_number=item["certificate_number"].strip().upper(),
                    name=item.get("name"),
                    passed_on=item.get("passed_on"),
                )
            )
            added += 1
        uow.audit("personnel.exam_passes.record", actor_id=actor.get("id"), added=added)
        uow.commit()
    return {"added": added}


def search_exam_passes(deps: Deps, actor: dict, query: dict) -> dict:
    """The register for reviewers and admins: by ID number, name or certificate number (prefix)."""
    s.require_staff(deps, actor)
    q = str((query or {}).get("q") or "").strip().upper()
    if not q:
        return {"items": [], "q": ""}
    with deps.begin() as uow:
        rows = uow.repo.search_exam_passes(q)
        return {"q": q, "items": [
            {"id_number": p.id_number, "name": p.name, "specialty": p.specialty,
             "certificate_number": p.certificate_number,
             "passed_on": p.passed_on.isoformat() if p.passed_on else None} for p in rows]}


def find_for_re_registration(deps: Deps, actor: dict, query: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=False)
    q = load_or_fail(ReRegistrationLookupSchema(), query or {})
    with deps.begin() as uow:
        repo = uow.repo
        number = str(q.get("id_number") or "").strip().upper()
        candidates = []
        for person in repo.people_by_number(number):
            for cert in repo.certificates_of_person(person.id):
                if not q.get("type_code") or cert.type_code == q["type_code"]:
                    candidates.append(records.record_dict(cert, person))
        found = eligibility.find_for_re_registration(candidates, str(q.get("name") or ""), number)
        cert = repo.certificate(uuid.UUID(found["id"]))
        uow.audit(
            "personnel.re_registration.lookup",
            actor_id=actor.get("id"),
            subject_id=found["id"],
            enterprise_id=str(eid),
        )
        view = views.certificate_view(deps.types, cert, repo.person(cert.person_id))
        uow.commit()
        return view
