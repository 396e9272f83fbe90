"""申辩管理: a reviewer raises an anomaly, the enterprise answers, the reviewer closes it."""

from __future__ import annotations

from typing import Any

from services.common.errors import NotFound, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.personnel import appeals, domain, views
from services.personnel.models import Appeal
from services.personnel.schemas import AnomalySchema, AppealAnswerSchema, AppealCloseSchema, UploadSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases._support import DEFAULT_REGION, PERSON_NOT_FOUND, Deps, _now, _today, _uuid


def domain_appeal(row: Appeal) -> appeals.Appeal:
    return appeals.Appeal(
        str(row.enterprise_id),
        str(row.person_id),
        row.kind,
        row.detail,
        row.status,
        row.deadline,
        row.explanation,
        tuple(row.evidence or ()),
        row.opinion,
    )


def raise_anomaly(deps: Deps, actor: dict, payload: dict) -> dict:
    s.require_staff(deps, actor)
    data = load_or_fail(AnomalySchema(), payload or {})
    eid = _uuid(data["enterprise_id"], "企业不存在")
    with deps.begin() as uow:
        repo = uow.repo
        person = repo.person(_uuid(data["person_id"], PERSON_NOT_FOUND))
        if person is None:
            raise NotFound(PERSON_NOT_FOUND)
        # The region is the enterprise's, as its records or declarations of this person say:
        # a person the enterprise neither holds nor declared is not its anomaly to answer.
        regions = [c.region_code for c in repo.certificates_of_person(person.id) if c.enterprise_id == eid]
        regions += [
            d.region_code
            for d in repo.declarations_of_person(person.id)
            if d.enterprise_id == eid and d.status != "deleted"
        ]
        if not regions or not s.reads(actor, None, regions[0]):
            raise s.refused(deps, actor, person.id, "anomaly", NotFound(PERSON_NOT_FOUND))
        region = regions[0] or DEFAULT_REGION
        deadline = data["deadline"]
        appeal = appeals.raise_anomaly(str(eid), str(person.id), data["kind"], data["detail"] or "", deadline)
        row = Appeal(
            enterprise_id=eid,
            person_id=person.id,
            region_code=region,
            kind=appeal.kind,
            detail=appeal.detail,
            status=appeal.status,
            deadline=deadline,
            raised_by=actor.get("id"),
            history=[{"at": _now().isoformat(), "action": "raise", "by": "reviewer", "status": "open"}],
        )
        repo.add(row)
        uow.audit("personnel.appeal.raise", actor_id=actor.get("id"), subject_id=str(row.id))
        view = views.appeal_view(repo, row)
        uow.commit()
        return view


def appeal_step(deps: Deps, uow: Any, row: Appeal, action: str, by: str, actor: dict, **kwargs: Any) -> None:
    new = appeals.appeal_step(domain_appeal(row), action, by=by, today=_today(), **kwargs)
    row.status, row.explanation, row.evidence, row.opinion = (
        new.status,
        new.explanation,
        list(new.evidence),
        new.opinion,
    )
    row.updated_at = _now()
    row.history = [
        *(row.history or []),
        {"at": _now().isoformat(), "action": action, "by": by, "status": new.status},
    ]
    uow.audit(f"personnel.appeal.{action}", actor_id=actor.get("id"), subject_id=str(row.id))


def answer_appeal(deps: Deps, actor: dict, appeal_id: str, payload: dict) -> dict:
    eid = s.enterprise_for(deps, actor, write=True)
    data = load_or_fail(AppealAnswerSchema(), payload or {})
    checked = [
        domain.check_attachment(load_or_fail(UploadSchema(), e), "evidence")
        for e in data.get("evidence") or []
    ]
    with deps.begin() as uow:
        repo = uow.repo
        row = repo.appeal(_uuid(appeal_id, "申辩不存在"))
        if row is None:
            raise NotFound("申辩不存在")
        if row.enterprise_id != eid:
            raise s.refused(deps, actor, row.id, "appeal", NotFound("申辩不存在"))
        ids = [
            str(
                s.keep(
                    deps, repo, c, "evidence", "申辩证明材料", actor, enterprise_id=eid, appeal_id=row.id
                ).id
            )
            for c in checked
        ]
        appeal_step(
            deps, uow, row, "answer", "enterprise", actor, explanation=data.get("explanation"), evidence=ids
        )
        view = views.appeal_view(repo, row)
        uow.commit()
        return view


def close_appeal(deps: Deps, actor: dict, appeal_id: str, payload: dict) -> dict:
    s.require_staff(deps, actor)
    data = load_or_fail(AppealCloseSchema(), payload or {})
    with deps.begin() as uow:
        repo = uow.repo
        row = repo.appeal(_uuid(appeal_id, "申辩不存在"))
        if row is None:
            raise NotFound("申辩不存在")
        if not s.reads(actor, None, row.region_code):
            raise s.refused(deps, actor, row.id, "appeal", NotFound("申辩不存在"))
        outcome = str(data.get("outcome") or "")
        if outcome not in ("uphold", "dismiss", "ask_more"):
            raise ValidationFailed("请选择审核结论", {"outcome": [field_error("required", "请选择审核结论")]})
        appeal_step(deps, uow, row, outcome, "reviewer", actor, opinion=data.get("opinion"))
        view = views.appeal_view(repo, row)
        uow.commit()
        return view
