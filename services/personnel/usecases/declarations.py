"""Filing a declaration: new (enterprise or 个人申报), the eligibility context, saving the form,
attachments, 补正资质."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, InvalidTransition, NotFound, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.personnel import declarations as rules
from services.personnel import domain, eligibility, prefill, records
from services.personnel.events import CASE_REF_PREFIX
from services.personnel.models import Certificate, Declaration, Person, Transfer
from services.personnel.repository import PersonnelRepository
from services.personnel.schemas import (
    CorrectQualificationSchema,
    NewDeclarationSchema,
    UpdateDeclarationSchema,
    UploadSchema,
)
from services.personnel.usecases import _support as s
from services.personnel.usecases import people
from services.personnel.usecases._support import (
    CERT_NOT_FOUND,
    DEFAULT_REGION,
    DRAFTS,
    Deps,
    _now,
    _today,
    _uuid,
)


class _RepoExamRegister:
    """The register of passed exams (declarations.ExamRegister) over personnel's table."""

    def __init__(self, repo: PersonnelRepository) -> None:
        self.repo = repo

    def passes_of(self, id_number: str) -> list[eligibility.ExamPass]:
        return [
            eligibility.ExamPass(p.id_number, p.specialty, p.certificate_number, p.name, p.passed_on)
            for p in self.repo.exam_passes(id_number)
        ]


def context(
    deps: Deps,
    repo: PersonnelRepository,
    t: Any,
    kind: str,
    eid: uuid.UUID,
    person: Person,
    cert: Certificate | None,
    form: dict,
    enterprise_name: str | None,
) -> eligibility.DeclarationContext:
    # The declarations the one-open-declaration rule looks at: those on a certificate, and
    # this enterprise's new registrations of the same type (another type is another register).
    own = [
        d
        for d in repo.declarations_of_person(person.id)
        if d.certificate_id is not None or (d.enterprise_id == eid and d.type_code == t.code)
    ]
    return eligibility.DeclarationContext(
        certificate_type=t,
        kind=kind,
        enterprise_id=str(eid),
        today=_today(),
        record=records.record_dict(cert, person) if cert is not None else None,
        person=records.person_dict(person),
        registrations=records.registrations(
            repo.certificates_of_person(person.id),
            repo.declarations_of_person(person.id),
            deps.types.types,
            _today(),
            str(eid),
        ),
        declarations=[
            {
                "id": str(d.id),
                "certificate_id": str(d.certificate_id) if d.certificate_id else None,
                "kind": d.kind,
                "status": d.status,
            }
            for d in own
        ],
        exam_register=_RepoExamRegister(repo),
        form=form,
        enterprise_name=enterprise_name,
    )


def clean_form(deps: Deps, t: Any, kind: str, form: dict) -> dict:
    """Normalise what the rules normalise (numbers upper-case, specialties de-duplicated)."""
    out = dict(form)
    if kind in rules.NEEDS_NO_RECORD:
        for name in ("qualification_number", "certificate_number"):
            if out.get(name) and name in t.numbers:
                out[name] = t.normalise_number(name, str(out[name]))
        if t.specialties and out.get("specialties"):
            out["specialties"] = t.check_specialties(out["specialties"])
    return out


def new_declaration(deps: Deps, actor: dict, payload: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    data = load_or_fail(NewDeclarationSchema(), payload)
    t = deps.types.type(data["type_code"])
    op = t.operation(data["kind"])
    if data["kind"] in ("transfer_out", "transfer_in") or not op.review:
        message = f"“{op.label}”请在人员调转或信息补录中办理"
        raise ValidationFailed(message, {"kind": [field_error("not_a_declaration", message)]})
    recs = s.enterprise_records(deps, eid)
    return create_declaration(deps, actor, eid, t, data["kind"], data, recs)


def create_declaration(
    deps: Deps,
    actor: dict,
    eid: uuid.UUID,
    t: Any,
    kind: str,
    data: dict,
    recs: dict,
    transfer: Transfer | None = None,
    origin: str = "enterprise",
) -> dict:
    with deps.begin() as uow:
        repo = uow.repo
        cert = None
        own_number = str(actor.get("id_number") or "").upper() if origin == "person" else None
        if kind in rules.NEEDS_NO_RECORD and origin == "person":
            person = own_person(deps, uow, repo, eid, own_number, data.get("person"), actor)
        elif kind in rules.NEEDS_NO_RECORD:
            if data.get("person_id"):
                person = people.person_for_enterprise(deps, repo, eid, data["person_id"], actor, lock=True)
            elif data.get("person"):
                person = people.find_or_create_person(deps, uow, repo, eid, data["person"], actor)
            else:
                raise ValidationFailed(
                    "请填写人员基本信息", {"person": [field_error("required", "请填写人员基本信息")]}
                )
        else:
            if not data.get("certificate_id"):
                raise NotFound(f"请选择要办理{t.operation(kind).label}的证书", code="record_required")
            cert = repo.certificate(_uuid(data["certificate_id"], CERT_NOT_FOUND), for_update=True)
            if cert is None or cert.type_code != t.code:
                raise NotFound(CERT_NOT_FOUND)
            person = repo.person(cert.person_id, for_update=True)
            if (own_number is not None and person.id_number != own_number) or not (
                cert.enterprise_id == eid
                or cert.transfer_to == eid
                or (transfer is not None and transfer.certificate_id == cert.id)
                or kind == "re_registration"  # a cancelled person, found by name + ID number
            ):
                raise s.refused(deps, actor, cert.id, "certificate", NotFound(CERT_NOT_FOUND))
        form = dict(data.get("form") or {})
        eligibility.check_eligibility(context(deps, repo, t, kind, eid, person, cert, form, recs.get("name")))
        form = clean_form(deps, t, kind, form)
        state = rules.new_declaration(t, kind, origin)
        did = uuid.uuid4()
        decl = Declaration(
            id=did,
            enterprise_id=eid,
            enterprise_name=recs.get("name") or "",
            region_code=recs.get("region_code") or DEFAULT_REGION,
            person_id=person.id,
            certificate_id=cert.id if cert else None,
            type_code=t.code,
            kind=kind,
            case_type=t.review_chain(kind)["case_type"],
            origin=state.origin,
            status=state.status,
            levels=list(state.levels),
            personal_withdrawal=state.personal_withdrawal,
            form=form,
            case_ref=f"{CASE_REF_PREFIX}{did}",
            created_by=actor.get("id"),
            transfer_id=transfer.id if transfer else None,
            history=[],
        )
        decl.pre_registered = bool(form.get("pre_registered"))
        s.history(decl, "create", origin, f"新建{t.operation(kind).label}申报")
        try:
            with uow.nested():
                repo.add(decl)
        except IntegrityError as exc:
            raise Conflict(
                "该人员已有未办结的同类申报，请办结或删除后再申报", code="open_declaration"
            ) from exc
        if transfer is not None:
            transfer.declaration_id = decl.id
        uow.audit(
            "personnel.declaration.create",
            actor_id=actor.get("id"),
            subject_id=str(decl.id),
            kind=kind,
            type_code=t.code,
        )
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view


def own_person(
    deps: Deps,
    uow: Any,
    repo: PersonnelRepository,
    eid: uuid.UUID,
    number: str | None,
    data: dict | None,
    actor: dict,
) -> Person:
    """A person actor's own person record: found by the account's ID number, or created
    from the form when the ID number is the account's."""
    found = [p for p in repo.people_by_number(number or "")]
    if found:
        person = repo.person(found[0].id, for_update=True)
        return person
    if not data or str(data.get("id_number") or "").strip().upper() != number:
        message = "请填写本人基本信息（证件号码须与登录账号一致）"
        raise ValidationFailed(message, {"person": [field_error("required", message)]})
    return people.find_or_create_person(deps, uow, repo, eid, data, actor)


def new_personal_declaration(deps: Deps, actor: dict, payload: dict) -> dict:
    """REG 个人申报: the person files, the chosen enterprise reports it (or returns it)."""
    s.person_actor(deps, actor)
    data = load_or_fail(NewDeclarationSchema(), payload)
    t = deps.types.type(data["type_code"])
    op = t.operation(data["kind"])
    if t.system != "REG" or not op.review:
        message = f"{t.name}{op.label}由企业申报"
        raise ValidationFailed(message, {"kind": [field_error("not_personal", message)]})
    target = s.enterprise_by_uscc(deps, (payload or {}).get("enterprise_uscc"), "enterprise_uscc")
    eid = uuid.UUID(target["enterprise_id"])
    return create_declaration(
        deps, actor, eid, t, data["kind"], data, s.enterprise_records(deps, eid), origin="person"
    )


def correct_qualification(deps: Deps, actor: dict, declaration_id: str, payload: dict) -> dict:
    """补正资质: a pre-registered person's declaration gets the enterprise's qualification
    number (typed, with a copy of the qualification certificate uploaded)."""
    data = load_or_fail(CorrectQualificationSchema(), payload or {})
    checked = None
    if data.get("copy"):
        checked = domain.check_attachment(load_or_fail(UploadSchema(), data["copy"]), "qualification_copy")
    with deps.begin() as uow:
        decl = s.load(deps, uow, actor, declaration_id, write=True, lock=True)
        repo = uow.repo
        copy_id = None
        if checked is not None:
            copy_id = str(
                s.keep(
                    deps,
                    repo,
                    checked,
                    "qualification_copy",
                    "企业资质副本",
                    actor,
                    enterprise_id=decl.enterprise_id,
                    declaration_id=decl.id,
                ).id
            )
        result = prefill.qualification_correction(
            pre_registered=decl.pre_registered,
            status=decl.status,
            detected_number=None,
            entered_number=data.get("qualification_number"),
            copy_attachment_id=copy_id,
        )
        decl.qualification = result
        decl.form = {**(decl.form or {}), "qualification_certificate_number": result["qualification_number"]}
        s.history(decl, "correct_qualification", "enterprise", f"补正资质：{result['qualification_number']}")
        uow.audit(
            "personnel.declaration.correct_qualification",
            actor_id=actor.get("id"),
            subject_id=str(decl.id),
            number=result["qualification_number"],
        )
        uow.flush()
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view


def update_declaration(deps: Deps, actor: dict, declaration_id: str, payload: dict) -> dict:
    data = load_or_fail(UpdateDeclarationSchema(), payload)
    with deps.begin() as uow:
        decl = s.load(
            deps,
            uow,
            actor,
            declaration_id,
            write=True,
            lock=True,
            version=data.get("expected_version"),
            person_may=True,
        )
        s.person_edits_own(deps, actor, decl)
        repo = uow.repo
        t = deps.types.type(decl.type_code)
        changes = dict(data["form"])
        if decl.status == rules.CORRECTION:
            named = {
                i["name"].removeprefix("form.")
                for i in decl.correction_items or []
                if i.get("target") == "field"
            }
            refused = [k for k in changes if k.removeprefix("form.") not in named]
            if refused:
                raise ValidationFailed(
                    "只能修改审核人员要求补正的事项。",
                    {k: [field_error("not_reopened", "该项未要求补正，不能修改")] for k in refused},
                )
            changes = {k.removeprefix("form."): v for k, v in changes.items()}
        elif decl.status not in DRAFTS:
            raise InvalidTransition(
                f"申报状态为“{rules.STATUSES.get(decl.status)}”，不能修改", code="invalid_transition"
            )
        form = {**(decl.form or {}), **changes}
        person = repo.person(decl.person_id, for_update=True)
        cert = repo.certificate(decl.certificate_id) if decl.certificate_id else None
        ctx = context(deps, repo, t, decl.kind, decl.enterprise_id, person, cert, form, decl.enterprise_name)
        others = [d for d in ctx.declarations if d["id"] != str(decl.id)]
        others_ctx = eligibility.DeclarationContext(**{**ctx.__dict__, "declarations": others})
        eligibility.check_eligibility(others_ctx)
        decl.form = clean_form(deps, t, decl.kind, form)
        decl.updated_at = _now()
        s.history(
            decl, "save", "enterprise", "修改" + "、".join(records.FORM_LABELS.get(k, k) for k in changes)
        )
        uow.audit(
            "personnel.declaration.save",
            actor_id=actor.get("id"),
            subject_id=str(decl.id),
            fields=",".join(changes),
        )
        uow.flush()
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view


def upload_declaration_attachment(
    deps: Deps, actor: dict, declaration_id: str, code: str, upload: dict
) -> dict:
    payload = load_or_fail(UploadSchema(), upload)
    checked = domain.check_attachment(payload, code or "attachment")
    with deps.begin() as uow:
        decl = s.load(deps, uow, actor, declaration_id, write=True, lock=True, person_may=True)
        s.person_edits_own(deps, actor, decl)
        t = deps.types.type(decl.type_code)
        spec = next((a for a in t.operation(decl.kind).attachments if a["code"] == code), None)
        if spec is None:
            raise ValidationFailed.from_fields({"code": [field_error("unknown", "该申报没有此附件类型")]})
        if spec.get("photo"):
            if not checked.content_type.startswith("image/"):
                message = "个人照片须为jpg或png图片"
                raise ValidationFailed(message, {code: [field_error("not_image", message)]})
            checked.warnings = list(domain.check_person_photo(checked.data).warnings)
        named = any(
            i.get("target") == "attachment" and code in (i.get("name"), i.get("code"))
            for i in decl.correction_items or []
        )
        if decl.status not in DRAFTS and not (decl.status == rules.CORRECTION and named):
            raise InvalidTransition("已上报的申报只能补正审核人员指出的附件", code="not_reopened")
        repo = uow.repo
        repo.supersede(decl.id, code, _now())
        row = s.keep(
            deps,
            repo,
            checked,
            code,
            spec["name"],
            actor,
            enterprise_id=decl.enterprise_id,
            declaration_id=decl.id,
        )
        decl.updated_at = _now()
        s.history(decl, "upload", "enterprise", f"上传{spec['name']} {row.filename}")
        uow.audit(
            "personnel.declaration.upload",
            actor_id=actor.get("id"),
            subject_id=str(decl.id),
            attachment_id=str(row.id),
            code=code,
        )
        uow.flush()
        view = s.declaration_view(deps, uow, decl, actor)
        uow.commit()
        return view
