"""People on an enterprise's roster: create (or take on from a former employer), edit, photo."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, InvalidTransition, NotFound, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.personnel import declarations as rules
from services.personnel import domain, records, views
from services.personnel.events import ENTERPRISE_ACCOUNT_REGISTERED
from services.personnel.models import Person
from services.personnel.repository import PersonnelRepository
from services.personnel.schemas import UpdatePersonSchema, UploadSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases._support import PERSON_NOT_FOUND, Deps, _now, _today, _uuid


def on_enterprise_account_registered(deps: Deps, body: dict) -> None:
    envelope = ENTERPRISE_ACCOUNT_REGISTERED.parse(body)
    data = envelope["data"]
    with deps.begin() as uow:
        if uow.claim_event(envelope["id"], "personnel.on_enterprise_account_registered"):
            uow.repo.remember_employer(uuid.UUID(str(data["account_id"])), data["uscc"], None, None)
        uow.commit()


def person_for_enterprise(
    deps: Deps,
    repo: PersonnelRepository,
    eid: uuid.UUID,
    person_id: object,
    actor: dict,
    *,
    lock: bool = False,
) -> Person:
    """A person the enterprise holds a record of, is declaring, or created while nobody else
    holds them (a person who moved on is the new employer's); NotFound otherwise (no leak)."""
    pid = _uuid(person_id, PERSON_NOT_FOUND)
    person = repo.person(pid, for_update=lock)
    if person is None:
        raise NotFound(PERSON_NOT_FOUND)
    if holds_person(repo, eid, person):
        return person
    raise s.refused(deps, actor, pid, "person", NotFound(PERSON_NOT_FOUND))


def holds_person(repo: PersonnelRepository, eid: uuid.UUID, person: Person) -> bool:
    certs = repo.certificates_of_person(person.id)
    if any(c.enterprise_id == eid or c.transfer_to == eid for c in certs):
        return True
    if any(
        d.enterprise_id == eid and d.status not in rules.FINAL_STATUSES
        for d in repo.declarations_of_person(person.id)
    ):
        return True
    return person.created_by_enterprise_id == eid and all(c.enterprise_id in (None, eid) for c in certs)


def find_or_create_person(
    deps: Deps, uow: Any, repo: PersonnelRepository, eid: uuid.UUID, data: dict, actor: dict
) -> Person:
    cleaned = domain.validate_person(data or {}, _today())
    existing = repo.person_by_number(cleaned["id_type"], cleaned["id_number"], for_update=True)
    if existing is not None:
        if existing.name != cleaned["name"]:
            message = "该证件号码已登记为其他姓名的人员，请核对姓名和证件号码"
            raise ValidationFailed(message, {"id_number": [field_error("name_mismatch", message)]})
        if holds_person(repo, eid, existing):
            return existing  # the enterprise's own person: adding again is harmless
        return take_on_person(deps, uow, repo, eid, existing, cleaned, actor)
    person = Person(created_by_enterprise_id=eid, **cleaned)
    try:
        with uow.nested():
            repo.add(person)
    except IntegrityError:  # created meanwhile by another request: use that one
        found = repo.person_by_number(cleaned["id_type"], cleaned["id_number"], for_update=True)
        if found is None:
            raise
        return found
    uow.audit("personnel.person.create", actor_id=actor.get("id"), subject_id=str(person.id))
    return person


def take_on_person(
    deps: Deps,
    uow: Any,
    repo: PersonnelRepository,
    eid: uuid.UUID,
    person: Person,
    cleaned: dict,
    actor: dict,
) -> Person:
    """Another enterprise's person: refused naming the holder while they are registered or
    declared there (one employer); else (only cancelled records, or a roster entry the other
    enterprise made) the new employer takes them on with what it typed, not the old
    employer's contact details or photo."""
    live = [
        c
        for c in repo.certificates_of_person(person.id)
        if c.status in ("valid", "expired", "transferring") and c.enterprise_id not in (None, eid)
    ]
    declared = [
        d
        for d in repo.declarations_of_person(person.id)
        if d.enterprise_id != eid and d.status not in rules.FINAL_STATUSES
    ]
    if live or declared:
        holder = live[0].enterprise_name if live else declared[0].enterprise_name
        message = (
            f"该人员已在“{holder or '其他单位'}”注册或申报，一人只能在一家单位注册；"
            "如需调入，请由原单位办理调出"
        )
        conflict = Conflict(
            message, {"id_number": [field_error("employed_elsewhere", message)]}, code="employed_elsewhere"
        )
        raise s.refused(deps, actor, person.id, "held_elsewhere", conflict)
    for key, value in cleaned.items():
        setattr(person, key, value)
    person.photo_id = None
    person.created_by_enterprise_id = eid
    person.updated_at = _now()
    uow.audit(
        "personnel.person.take_on",
        actor_id=actor.get("id"),
        subject_id=str(person.id),
        enterprise_id=str(eid),
    )
    return person


def create_person(deps: Deps, actor: dict, data: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    data = load_or_fail(UpdatePersonSchema(), data or {})
    with deps.begin() as uow:
        repo = uow.repo
        person = find_or_create_person(deps, uow, repo, eid, data, actor)
        view = views.person_view(person, repo)
        uow.commit()
        return view


def update_person(deps: Deps, actor: dict, person_id: str, data: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    changes = load_or_fail(UpdatePersonSchema(), data or {})
    with deps.begin() as uow:
        repo = uow.repo
        person = person_for_enterprise(deps, repo, eid, person_id, actor, lock=True)
        open_reported = [
            d
            for d in repo.declarations_of_person(person.id)
            if d.status in rules.REPORTED_STATUSES and d.status not in rules.FINAL_STATUSES
        ]
        if open_reported:
            raise InvalidTransition(
                "该人员有已上报未办结的申报，基本信息不能修改；如需修改请办理变更", code="open_declaration"
            )
        cleaned = domain.validate_person({**records.person_dict(person), **changes}, _today())
        if (cleaned["id_type"], cleaned["id_number"]) != (person.id_type, person.id_number) or cleaned[
            "name"
        ] != person.name:
            if any(
                c.status in ("valid", "expired", "transferring")
                for c in repo.certificates_of_person(person.id)
            ):
                raise InvalidTransition("已注册人员的姓名、证件号码只能通过变更申报修改", code="use_change")
        for key, value in cleaned.items():
            setattr(person, key, value)
        person.updated_at = _now()
        uow.audit("personnel.person.update", actor_id=actor.get("id"), subject_id=str(person.id))
        try:
            uow.flush()
        except IntegrityError as exc:
            raise Conflict("该证件号码已登记为其他人员", code="duplicate_person") from exc
        view = views.person_view(person, repo)
        uow.commit()
        return view


def upload_photo(deps: Deps, actor: dict, person_id: str, upload: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    payload = load_or_fail(UploadSchema(), upload)
    checked = domain.check_attachment(payload, "photo")
    report = domain.check_person_photo(checked.data)
    checked.warnings = list(report.warnings)
    with deps.begin() as uow:
        repo = uow.repo
        person = person_for_enterprise(deps, repo, eid, person_id, actor, lock=True)
        row = s.keep(deps, repo, checked, "photo", "个人照片", actor, enterprise_id=eid, person_id=person.id)
        person.photo_id = row.id
        uow.audit(
            "personnel.person.photo",
            actor_id=actor.get("id"),
            subject_id=str(person.id),
            attachment_id=str(row.id),
        )
        view = views.person_view(person, repo)
        uow.commit()
        return view
