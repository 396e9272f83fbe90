"""review's reads: the queue, a case's detail and history, the workload, delegations,
campaigns, who may read an enterprise's records or a case, download links."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from services.common import jurisdiction
from services.common.access import enterprise_of
from services.common.errors import Forbidden, NotFound, ValidationFailed, field_error, uuid_or_not_found
from services.common.schema_errors import load_or_fail
from services.review import clock, domain, owed
from services.review import workload as workload_rules
from services.review.repository import CaseRepository
from services.review.schemas import OpinionSchema, QueueQuerySchema, WorkloadQuerySchema
from services.review.usecases._support import (
    BEIJING,
    Deps,
    _calendar,
    _case_for_enterprise,
    _case_for_reviewer,
    _case_type,
    _desk,
    _holds,
    _may_read_attachment,
    _refuse,
    _today,
)
from services.review.usecases.views import (
    _campaign_view,
    _correction_view,
    _delegation_view,
    _rectification_view,
    clock_view,
    summary,
)


def missing_holiday_notices(deps: Deps) -> dict:
    """Years the legal clock counts whose State Council holiday notice is missing from the
    override file (clock.missing_notice_years): the admin pages show a warning."""
    return {"years": clock.missing_notice_years(_today(), _calendar())}


def queue(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    level, desk = _desk(actor)
    data = load_or_fail(QueueQuerySchema(), query or {})
    try:
        cursor = domain.decode_cursor(data["cursor"])
    except ValueError as exc:
        raise ValidationFailed.from_fields({"cursor": [field_error("invalid", str(exc))]}) from exc
    if cursor is not None and cursor.sort != data["sort"]:
        cursor = None
    filters = domain.Filters(case_type=data["case_type"] or None, step=data["step"] or None,
                             status=data["status"], overdue=data["overdue"],
                             enterprise=(data["enterprise"] or "").strip() or None, mine=data["mine"],
                             sort=data["sort"], limit=data["limit"], cursor=cursor)
    with deps.begin() as uow:
        claimants = [str(actor["id"]), *uow.delegations.delegators_of(
            str(actor["id"]), _today())]
        rows, next_cursor = uow.cases.queue_page(level, desk, filters, claimants)
        items = []
        for case in rows:
            item = summary(case)
            item["mine"] = case.claimed_by in claimants
            items.append(item)
        return {"items": items, "next_cursor": next_cursor,
                "desk": {"level": level, "region_code": desk,
                         "level_label": domain.LEVELS[level]}}


def case_detail(deps: Deps, actor: dict, case_id: str) -> dict:
    with deps.begin() as uow:
        case = _case_for_reviewer(deps, uow, actor, case_id, "view")
        cases = uow.cases
        spec = _case_type(case)
        revisions = cases.revisions(case.id)
        latest = revisions[-1] if revisions else None
        previous = revisions[-2] if len(revisions) > 1 else None
        holds = _holds(uow, case, actor)
        stored = cases.stored_attachment_ids(case.id)
        detail = summary(case)
        detail.update(
            held_by_me=holds,
            allowed_actions=[{"action": a, "label": domain.ACTIONS[a]}
                             for a in domain.allowed_actions(spec, case.step_index, case.status)]
            if holds else [],
            chain=[{"key": s.key, "label": s.label, "level": s.level,
                    "level_label": domain.LEVELS[s.level], "stage": domain.STAGES[s.stage],
                    "current": i == case.step_index} for i, s in enumerate(spec.steps)],
            fields=latest.fields if latest else {},
            # ``stored``: review keeps the file itself (a 自查 material): download via attachment_url
            attachments=[{**a, "stored": str(a.get("id")) in stored}
                         for a in (latest.attachments if latest else [])],
            diff=domain.diff_revisions(
                {"fields": previous.fields, "attachments": previous.attachments},
                {"fields": latest.fields, "attachments": latest.attachments})
            if previous and latest else None,
            diff_from_revision=previous.revision if previous else None,
            history=OpinionSchema(many=True).dump(cases.opinions(case.id)),
            corrections=[_correction_view(c) for c in cases.corrections(case.id)],
            rectifications=[_rectification_view(r) for r in cases.rectifications(case.id)],
            clock=clock_view(case),
            owed=owed.view(case.owed, _today()),
        )
        return detail


def workload(deps: Deps, actor: dict, query: dict | None = None) -> dict:
    """Open cases per desk (admins) or per reviewer of the desk, and what was done in a period
    (``from``/``to``, default this month) with the average handling time against the limit."""
    data = load_or_fail(WorkloadQuerySchema(), query or {})
    today = _today()
    start, end = data["date_from"] or today.replace(day=1), data["date_to"] or today
    errors = workload_rules.period_errors(start, end)
    if errors:
        raise ValidationFailed.from_fields(
            {k: [field_error("invalid", message)] for k, message in errors.items()})
    period = {"from": start.isoformat(), "to": end.isoformat()}
    with deps.begin() as uow:
        cases = uow.cases
        admin = actor.get("kind") == "admin"
        level, desk = (None, None) if admin else _desk(actor)
        done = workload_rules.summarise(
            [item for item in _finished(cases, start, end, level)
             if admin or (item.level, item.desk_region) == (level, desk)], _calendar())
        if admin:
            return {"desks": cases.workload_by_desk(), "reviewers": [], "period": period, "done": done}
        return {"desks": [d for d in cases.workload_by_desk()
                          if (d["level"], d["desk_region"]) == (level, desk)],
                "reviewers": cases.workload(level, desk), "period": period, "done": done}


def _finished(cases: CaseRepository, start: date, end: date,
              level: str | None) -> list[workload_rules.Finished]:
    since = datetime.combine(start, time.min, BEIJING)
    until = datetime.combine(end + timedelta(days=1), time.min, BEIJING)
    return [workload_rules.Finished(
        reviewer_id=row.reviewer_id, reviewer_name=row.reviewer_name, level=row.level,
        desk_region=domain.route_region(row.level, row.region_code),
        day=row.at.astimezone(BEIJING).date(), clock_started_on=row.clock_started_on,
        paused_days=row.paused_days, limit_days=row.limit_days + row.extension_days)
        for row in cases.finishing_opinions(since, until, workload_rules.FINISHING_ACTIONS, level)]


def list_delegations(deps: Deps, actor: dict) -> dict:
    with deps.begin() as uow:
        repo = uow.delegations
        if actor.get("kind") == "admin":  # an admin sets delegations for any desk's reviewers
            level, desk = domain.desk_of(actor) or (None, None)
            rows = repo.for_desk(level, desk)
        else:
            _desk(actor)
            rows = repo.involving(str(actor["id"]))
        return {"delegations": [_delegation_view(d) for d in rows]}


def case_history(deps: Deps, actor: dict, case_key: str) -> dict:
    """审核历史 and 跟踪 of one case, for the enterprise (or its reviewers), printable."""
    with deps.begin() as uow:
        case = _case_for_enterprise(deps, uow, actor, case_key)
        cases = uow.cases
        spec = domain.registry().resolve(case.case_type)
        opinions = cases.opinions(case.id)
        tracking = [{"at": r.submitted_at.isoformat(), "what": "企业提交" if r.revision == 1
                     else f"企业补正后重新提交（第{r.revision}版）", "who": case.enterprise_name}
                    for r in cases.revisions(case.id)]
        tracking += [{"at": o.at.isoformat(), "what": f"{o.step_label}：{o.result}（{o.handling}）",
                      "who": o.reviewer_name} for o in opinions]
        tracking.sort(key=lambda t: t["at"])
        open_correction = cases.open_correction(case.id) if case.status == domain.CORRECTION else None
        data = summary(case)
        data.update(
            history=OpinionSchema(many=True).dump(opinions), tracking=tracking, clock=clock_view(case),
            chain=[{"label": s.label, "level_label": domain.LEVELS[s.level],
                    "current": i == case.step_index and case.queue != "done"}
                   for i, s in enumerate(spec.steps)] if spec else [],
            correction=_correction_view(open_correction) if open_correction else None,
            rectifications=[_rectification_view(r) for r in cases.rectifications(case.id)],
        )
        return data


def reviewer_may_read_enterprise(deps: Deps, actor: dict, enterprise_id: str) -> dict:
    """Reviewers read an enterprise's records only through a case about it that their desk
    works on (its chain has a step at their level, in their jurisdiction); asked by
    enterprise before it answers a reviewer."""
    if (actor or {}).get("kind") != "reviewer":
        return {"allowed": False}
    desk = domain.desk_of(actor)
    if desk is None:
        return {"allowed": False}
    with deps.begin() as uow:
        cases = uow.cases.for_enterprise(str(enterprise_id))
        return {"allowed": any(domain.desk_works_on(domain.registry().resolve(c.case_type), desk[0],
                                                    desk[1], c.region_code) for c in cases)}


def may_read_case(deps: Deps, actor: dict, case_ref: str) -> dict:
    """Whether a reviewer or admin may read a producer's case and every file of it: admins,
    and reviewers whose desk holds a step of its chain (services/common/jurisdiction.py).
    Asked by the producers before they hand a reviewer a file (docs/contracts.md, "Case
    documents"); the owner is the producer's own check. No case (not submitted): no."""
    if (actor or {}).get("kind") not in ("reviewer", "admin") or not case_ref:
        return {"allowed": False}
    with deps.begin() as uow:
        case = uow.cases.by_ref(str(case_ref)[:200])
        if case is None:
            return {"allowed": False}
        levels = domain.chain_levels(domain.registry().resolve(case.case_type))
        return {"allowed": jurisdiction.may_read_case(actor, case.region_code, levels)}


def enterprise_cases(deps: Deps, actor: dict) -> dict:
    enterprise_id = enterprise_of(actor or {})
    if enterprise_id is None:
        raise Forbidden("只有企业账号可以查看")
    with deps.begin() as uow:
        return {"cases": [summary(c) | {"clock": clock_view(c)}
                          for c in uow.cases.for_enterprise(enterprise_id)]}


def todos(deps: Deps, actor: dict) -> dict:
    """我的待办: corrections, rectifications and self-inspections the enterprise owes."""
    enterprise_id = enterprise_of(actor or {})
    if enterprise_id is None:
        raise Forbidden("只有企业账号可以查看")
    with deps.begin() as uow:
        items = []
        for case, correction, rect in uow.cases.open_todos(enterprise_id):
            if correction is not None:
                items.append({"kind": "correction", "case": summary(case),
                              "correction": _correction_view(correction)})
            if rect is not None:
                items.append({"kind": "rectification", "case": summary(case),
                              "rectification": _rectification_view(rect)})
        for target, campaign in uow.campaigns.todos_of(enterprise_id):
            items.append({"kind": "self_inspection", "target_id": str(target.id),
                          "campaign": _campaign_view(campaign)})
        return {"todos": items}


def attachment_url(deps: Deps, actor: dict, attachment_id: str) -> dict:
    """A short-lived download link for 整改 evidence or a 自查 material: for the enterprise that
    uploaded it, reviewers whose jurisdiction covers its case, and admins."""
    aid = uuid_or_not_found(attachment_id, "附件不存在")
    with deps.begin() as uow:
        cases = uow.cases
        row = cases.attachment(aid)
        case = cases.get(row.case_id) if row is not None and row.case_id else None
        if row is None or not _may_read_attachment(actor or {}, row, case):
            uow.rollback()
            _refuse(deps, actor, "attachment", aid, "附件不存在", NotFound)
        key, filename, content_type = row.storage_key, row.filename, row.content_type
    url = deps.store().download_url(key, filename)
    return {"url": url, "filename": filename, "content_type": content_type}


def list_campaigns(deps: Deps, actor: dict) -> dict:
    if (actor or {}).get("kind") != "admin":
        raise Forbidden("只有管理员可以查看自查活动")
    with deps.begin() as uow:
        repo = uow.campaigns
        return {"campaigns": [_campaign_view(c) | {
            "targets": [{"id": str(t.id), "enterprise_id": t.enterprise_id,
                         "enterprise_name": t.enterprise_name, "status": t.status,
                         "case_id": str(t.case_id) if t.case_id else None}
                        for t in repo.targets(c.id)]} for c in repo.all()]}


def self_inspection(deps: Deps, actor: dict, target_id: str) -> dict:
    with deps.begin() as uow:
        repo = uow.campaigns
        target = repo.target(uuid_or_not_found(target_id, "自查事项不存在"))
        if target is None or target.enterprise_id != enterprise_of(actor or {}):
            raise NotFound("自查事项不存在")
        campaign = repo.get(target.campaign_id)
        return {"target_id": str(target.id), "status": target.status, "answers": target.answers,
                "campaign": _campaign_view(campaign)}
