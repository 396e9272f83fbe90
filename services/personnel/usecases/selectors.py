"""Reads: the rows an actor may see, shaped by services/personnel/views.py."""

from __future__ import annotations

import uuid

from services.common.access import enterprise_of
from services.common.errors import Forbidden, NotFound, uuid_or_not_found
from services.common.schema_errors import load_or_fail
from services.personnel import declarations as rules
from services.personnel import views
from services.personnel.catalogue import OPERATION_KINDS
from services.personnel.repository import next_cursor
from services.personnel.schemas import ListDeclarationsSchema, PeopleQuerySchema
from services.personnel.usecases import _support as s
from services.personnel.usecases import batches, people
from services.personnel.usecases._support import BATCH_NOT_FOUND, CERT_NOT_FOUND, Deps, _iso, _uuid


def catalogue(deps: Deps, actor: dict) -> dict:
    return views.catalogue_view(deps.types)


def list_people(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    eid = s.enterprise_for(deps, actor, write=False)
    q = load_or_fail(PeopleQuerySchema(), query or {})
    limit = q["limit"] or 50
    with deps.begin() as uow:
        repo = uow.repo
        rows = repo.people_of_enterprise(
            eid, q.get("q"), q.get("type_code"), q.get("status"), limit, q.get("cursor")
        )
        people = rows[:limit]
        certs = repo.certificates_of_people(p.id for p in people)
        items = []
        for person in people:
            view = views.person_view(person)
            view["certificates"] = [
                views.certificate_view(deps.types, c)
                for c in certs
                if c.person_id == person.id and c.enterprise_id == eid
            ]
            items.append(view)
        return {"items": items, "next_cursor": next_cursor(rows, limit)}


def get_person(deps: Deps, actor: dict, person_id: str) -> dict:
    eid = s.enterprise_for(deps, actor, write=False)
    with deps.begin() as uow:
        repo = uow.repo
        person = people.person_for_enterprise(deps, repo, eid, person_id, actor)
        view = views.person_view(person, repo)
        view["certificates"] = [
            views.certificate_view(deps.types, c)
            for c in repo.certificates_of_person(person.id)
            if c.enterprise_id == eid or c.transfer_to == eid
        ]
        view["declarations"] = [
            s.declaration_view(deps, uow, d, actor, detail=False)
            for d in repo.declarations_of_person(person.id)
            if d.enterprise_id == eid and d.status not in rules.FINAL_STATUSES
        ]
        view["transfers"] = [
            views.transfer_view(deps.types, repo, t)
            for t in repo.transfers_of_person(person.id)
            if eid in (t.from_enterprise_id, t.to_enterprise_id)
        ]
        # The full ID number is shown only here (lists mask it: issue 16 item 8): who saw it.
        uow.audit("person.viewed", actor_id=actor.get("id"), subject_id=str(person.id),
                  enterprise_id=str(eid))
        uow.commit()
        return view


def certificate(deps: Deps, actor: dict, certificate_id: str) -> dict:
    with deps.begin() as uow:
        repo = uow.repo
        cert = repo.certificate(_uuid(certificate_id, CERT_NOT_FOUND))
        person = repo.person(cert.person_id) if cert else None
        if cert is None:
            raise NotFound(CERT_NOT_FOUND)
        if not (
            s.reads(actor, cert.enterprise_id, cert.region_code, person)
            or (cert.transfer_to and s.reads(actor, cert.transfer_to, cert.region_code))
        ):
            raise s.refused(deps, actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
        view = views.certificate_view(deps.types, cert, person)
        view["history"] = list(cert.history or [])
        return view


def exam_passes(deps: Deps, actor: dict, id_number: str) -> list[dict]:
    s.require_staff(deps, actor)
    with deps.begin() as uow:
        return [
            {
                "id_number": p.id_number,
                "specialty": p.specialty,
                "certificate_number": p.certificate_number,
                "name": p.name,
                "passed_on": _iso(p.passed_on),
            }
            for p in uow.repo.exam_passes(str(id_number or ""))
        ]


def get_declaration(deps: Deps, actor: dict, declaration_id: str) -> dict:
    with deps.begin() as uow:
        return s.declaration_view(deps, uow, s.load(deps, uow, actor, declaration_id, write=False), actor)


def attachment_url(deps: Deps, actor: dict, attachment_id: str) -> dict:
    aid = _uuid(attachment_id, "附件不存在")
    with deps.begin() as uow:
        repo = uow.repo
        row = repo.attachment(aid)
        allowed = False
        case_ref = None
        if row is not None and row.declaration_id:
            decl = repo.declaration(row.declaration_id)
            if decl is not None and decl.case_ref and (actor or {}).get("kind") == "reviewer":
                case_ref = decl.case_ref  # a declaration's file: the same rule as its case
            else:
                allowed = decl is not None and s.reads(
                    actor, decl.enterprise_id, decl.region_code, repo.person(decl.person_id)
                )
        elif row is not None and row.person_id:  # a photo: whoever reads the person
            person = repo.person(row.person_id)
            kind = (actor or {}).get("kind")
            if kind in ("enterprise", "sub") and person is not None:
                own = enterprise_of(actor)
                allowed = s.reads(actor, own, None) and people.holds_person(repo, uuid.UUID(str(own)), person)
            else:
                allowed = s.reads(actor, row.enterprise_id, None, person)
        elif row is not None:  # appeal evidence: the enterprise's, and its appeal's region
            appeal = repo.appeal(row.appeal_id) if row.appeal_id else None
            allowed = s.reads(actor, row.enterprise_id, appeal.region_code if appeal else None)
        if row is not None:
            key, filename, content_type = row.storage_key, row.filename, row.content_type
    # reviewers whose desk holds a step of the case (review's chains decide), asked after the
    # transaction: no RPC while a unit of work is open
    if case_ref and deps.may_read_case is not None:
        allowed = deps.may_read_case(actor, case_ref)
    if not allowed:
        deps.audit_alone("personnel.access_refused", actor, aid, reason="attachment")
        raise NotFound("附件不存在")
    return {
        "url": deps.store().download_url(key, filename),
        "filename": filename,
        "content_type": content_type,
    }


def list_declarations(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    f = load_or_fail(ListDeclarationsSchema(), query or {})
    with deps.begin() as uow:
        repo = uow.repo
        if f["batch_id"]:
            f["batch_id"] = _uuid(f["batch_id"], BATCH_NOT_FOUND)
        if (actor or {}).get("kind") == "person":
            people = repo.people_by_number(str(actor.get("id_number") or "").upper())
            rows = repo.list_declarations(None, f, [p.id for p in people])
        else:
            rows = repo.list_declarations(s.enterprise_for(deps, actor, write=False), f)
        limit = f["limit"]
        return {
            "items": [s.declaration_view(deps, uow, d, actor, detail=False) for d in rows[:limit]],
            "next_cursor": next_cursor(rows, limit),
        }


def my_declarations(deps: Deps, actor: dict) -> dict:
    if (actor or {}).get("kind") != "person":
        raise Forbidden("只有个人账号可以查看本人申报")
    return list_declarations(deps, actor, {"limit": 200})


def list_batches(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    eid = s.enterprise_for(deps, actor, write=False)
    with deps.begin() as uow:
        rows = uow.repo.batches_of(eid, (query or {}).get("reported"))
        return {"items": [batches.batch_view(deps, uow, b, actor) for b in rows]}


def get_batch(deps: Deps, actor: dict, batch_id: str) -> dict:
    with deps.begin() as uow:
        return batches.batch_view(
            deps, uow, batches.load_batch(deps, uow, actor, batch_id, write=False), actor
        )


def list_transfers(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    eid = s.enterprise_for(deps, actor, write=False)
    with deps.begin() as uow:
        repo = uow.repo
        return {
            "items": [
                views.transfer_view(deps.types, repo, t)
                for t in repo.transfers_of_enterprise(eid, (query or {}).get("direction"))
            ]
        }


def my_certificates(deps: Deps, actor: dict) -> dict:
    number = s.person_actor(deps, actor)
    with deps.begin() as uow:
        repo = uow.repo
        return {
            "items": [
                views.certificate_view(deps.types, c, p)
                for p in repo.people_by_number(number)
                for c in repo.certificates_of_person(p.id)
            ]
        }


def my_transfers(deps: Deps, actor: dict) -> dict:
    number = s.person_actor(deps, actor)
    with deps.begin() as uow:
        repo = uow.repo
        return {
            "items": [
                views.transfer_view(deps.types, repo, t)
                for p in repo.people_by_number(number)
                for t in repo.transfers_of_person(p.id)
            ]
        }


def list_appeals(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    eid, region = s.search_scope(deps, actor)
    with deps.begin() as uow:
        repo = uow.repo
        return {
            "items": [
                views.appeal_view(repo, a) for a in repo.appeals(eid, region, (query or {}).get("status"))
            ]
        }


def open_cases_of(deps: Deps, enterprise_id: str) -> dict:
    """Reported, undecided declarations of the enterprise (asked by enterprise before a name
    change, docs/contracts.md)."""
    eid = uuid_or_not_found(enterprise_id, "企业不存在")
    with deps.begin() as uow:
        repo = uow.repo
        out = []
        for decl in repo.open_of_enterprise(eid):
            person = repo.person(decl.person_id)
            label = OPERATION_KINDS.get(decl.kind, decl.kind)
            out.append(
                {
                    "id": str(decl.id),
                    "kind": "personnel_declaration",
                    "title": f"{person.name if person else ''} {label}".strip(),
                    "status": rules.STATUSES.get(decl.status, decl.status),
                }
            )
        return {"open": out}
