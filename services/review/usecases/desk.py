"""The reviewer's desk: claim, release, assign, the opinions and decisions (one or a batch),
extending the clock, resolving a 整改."""

from __future__ import annotations

from typing import Any

from services.common.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.schema_errors import load_or_fail
from services.review import clock, domain
from services.review.events import CASE_ACCEPTED, CASE_DECIDED, CORRECTION_REQUESTED, RECTIFICATION_REQUESTED
from services.review.models import Case, Correction, Rectification
from services.review.schemas import (
    ActSchema,
    AssignSchema,
    BatchSchema,
    ExtendSchema,
    ResolveRectificationSchema,
)
from services.review.usecases._support import (
    BEIJING,
    CORRECTION_DAYS,
    RECTIFICATION_DAYS,
    RESULT_LABELS,
    Deps,
    _calendar,
    _case_for_reviewer,
    _case_type,
    _desk,
    _event_base,
    _holds,
    _move_to,
    _name,
    _named_action,
    _now,
    _opinion,
    _pause,
    _recompute_due,
    _refuse,
    _resume,
    _staff,
    _start_decision_clock,
    _today,
)
from services.review.usecases.views import clock_view, summary


def claim(deps: Deps, actor: dict, case_id: str) -> dict:
    level, desk = _desk(actor)
    case_uuid = uuid_or_not_found(case_id, "案件不存在")
    with deps.begin() as uow:
        cases = uow.cases
        if cases.claim(case_uuid, level, desk, str(actor["id"]), _name(actor), _now()):
            uow.audit("case.claimed", actor_id=actor["id"], subject_id=case_uuid)
            uow.commit()
            return {"case_id": str(case_uuid), "claimed_by": str(actor["id"])}
        case = cases.get(case_uuid)
        if case is None:
            raise NotFound("案件不存在")
        seen = {"desk": (case.level, case.desk_region), "claimed_by": case.claimed_by,
                "claimed_name": case.claimed_name, "queue": case.queue}
    if seen["desk"] != (level, desk):
        _refuse(deps, actor, "claim", case_uuid, "该案件不在您所在层级和地区的审核队列中")
    if seen["claimed_by"] == str(actor["id"]):
        return {"case_id": str(case_uuid), "claimed_by": seen["claimed_by"]}
    if seen["queue"] != "active":
        raise InvalidTransition("该案件当前不在待审队列中，不能领取")
    raise Conflict(f"该案件已被{seen['claimed_name'] or '其他审核人员'}领取")


def release(deps: Deps, actor: dict, case_id: str) -> dict:
    with deps.begin() as uow:
        case = _case_for_reviewer(deps, uow, actor, case_id, "release", for_update=True)
        if case.claimed_by is None:
            return summary(case)
        if not _holds(uow, case, actor) and actor.get("kind") != "admin":
            uow.rollback()
            _refuse(deps, actor, "release", case.id, "只有领取人可以释放该案件")
        uow.audit("case.released", actor_id=actor["id"], subject_id=case.id,
                  previous=case.claimed_by)
        case.claimed_by = case.claimed_name = case.claimed_at = None
        case.updated_at = _now()
        case.version += 1
        uow.commit()
        return summary(case)


def assign(deps: Deps, actor: dict, case_id: str, payload: dict) -> dict:
    # The access decision before the body; without the row lock, since identity is asked about
    # the target next (no RPC under a lock): the locked read below decides again.
    with deps.begin() as uow:
        _case_for_reviewer(deps, uow, actor, case_id, "assign")
    data = load_or_fail(AssignSchema(), payload)
    target = _staff(deps, data["reviewer_id"])
    with deps.begin() as uow:
        case = _case_for_reviewer(deps, uow, actor, case_id, "assign", for_update=True)
        if domain.desk_of(target) != (case.level, case.desk_region):
            raise ValidationFailed.from_fields({"reviewer_id": [field_error(
                "other_desk", "只能分配给该案件所在层级和地区的审核人员")]})
        if case.queue == "done":
            raise InvalidTransition("该案件已办结，不能分配")
        uow.audit("case.assigned", actor_id=actor["id"], subject_id=case.id,
                  previous=case.claimed_by, to=target["id"])
        case.claimed_by = str(target["id"])
        case.claimed_name = target.get("contact_name") or target.get("login")
        case.claimed_at = case.updated_at = _now()
        case.version += 1
        uow.commit()
        return summary(case)


def act(deps: Deps, actor: dict, case_id: str, payload: dict) -> dict:
    with deps.begin() as uow:  # the access decision first, then the body
        case = _case_for_reviewer(deps, uow, actor, case_id, _named_action(payload), for_update=True)
        data = load_or_fail(ActSchema(), payload)
        result = _act(deps, uow, actor, case, data)
        uow.commit()
        return result


def _act(deps: Deps, uow: Any, actor: dict, case: Case, data: dict) -> dict:
    action = data["action"]
    if not _holds(uow, case, actor):
        uow.rollback()
        _refuse(deps, actor, action, case.id, "请先领取该案件，再填写审核意见")
    if data["expected_version"] is not None and data["expected_version"] != case.version:
        raise Conflict("该案件已被更新，请刷新后重试")
    spec = _case_type(case)
    step = spec.steps[case.step_index]
    try:
        outcome = domain.apply_action(spec, case.step_index, case.status, action)
    except ValueError as exc:
        uow.rollback()
        _refuse(deps, actor, action, case.id, str(exc), InvalidTransition, step=case.step_key,
                status=case.status)
    comment = data["comment"].strip()
    if action in domain.NEEDS_COMMENT and not comment:
        raise ValidationFailed.from_fields(
            {"comment": [field_error("required", "请填写审核意见（原因）")]})
    today, now = _today(), _now()
    cases = uow.cases
    if action == "correction":
        revision = cases.revisions(case.id)[-1]
        errors = domain.correction_errors(data["items"], revision.fields, revision.attachments)
        if errors:
            raise ValidationFailed.from_fields(errors)
        deadline = data["deadline"] or _calendar().add_working_days(today, CORRECTION_DAYS)
        cases.add(Correction(case_id=case.id, revision=case.revision, items=data["items"],
                             deadline=deadline, requested_by=str(actor["id"]), requested_at=now))
        _pause(case, today, "等待企业补正材料")
        uow.add_event(CORRECTION_REQUESTED, {**_event_base(case), "items": data["items"],
                                             "deadline": deadline, "revision": case.revision})
    elif action == "rectification":
        if not data["rectification_items"]:
            raise ValidationFailed.from_fields({"rectification_items": [field_error(
                "required", "请至少列出一项整改要求")]})
        deadline = data["deadline"] or _calendar().add_working_days(today, RECTIFICATION_DAYS)
        rect = Rectification(case_id=case.id, items=data["rectification_items"], deadline=deadline,
                             status="open", evidence=[], requested_by=str(actor["id"]),
                             requested_at=now)
        cases.add(rect)
        _pause(case, today, "等待企业整改")
        uow.add_event(RECTIFICATION_REQUESTED, {**_event_base(case), "rectification_id": rect.id,
                                                "items": data["rectification_items"],
                                                "deadline": deadline})
    elif action == "accept":
        case.accepted = True
        _start_decision_clock(case, clock.decision_clock_start(
            case.received_at.astimezone(BEIJING).date(), today, deemed=False), today)
        uow.add_event(CASE_ACCEPTED, {**_event_base(case), "step": step.key, "deemed": False,
                                      "accepted_from": today})
    _opinion(uow, case, action, RESULT_LABELS[action], outcome.handling, comment, actor,
             step=step)
    case.status = outcome.status
    case.queue = domain.queue_of(outcome.status)
    if outcome.step_changed:
        _move_to(uow, case, spec, outcome.step_index)
    if outcome.decision is not None:
        case.decision = outcome.decision
        case.decision_reason = comment or None
        case.decided_at = now
        case.overdue = False
        case.paused_since = None
        uow.add_event(CASE_DECIDED, {**_event_base(case), "decision": outcome.decision,
                                     "reason": comment or None, "decided_by": _name(actor),
                                     "decided_by_id": str(actor["id"]), "decided_level": case.level,
                                     "decided_desk_region": case.desk_region})
    elif case.queue == "active":
        case.overdue = today > case.due_date
    case.updated_at = now
    case.version += 1
    uow.audit(f"case.{action}", actor_id=actor["id"], subject_id=case.id,
              step=step.key, status=case.status)
    return summary(case)


def batch_act(deps: Deps, actor: dict, payload: dict) -> dict:
    """Approve / forward / return many cases; each in its own transaction, a result per item."""
    data = load_or_fail(BatchSchema(), payload)
    level, desk = _desk(actor)
    results = []
    for case_id in dict.fromkeys(data["case_ids"]):
        try:
            with deps.begin() as uow:
                case_uuid = uuid_or_not_found(case_id, "案件不存在")
                uow.cases.claim(case_uuid, level, desk, str(actor["id"]),
                                _name(actor), _now())
                case = _case_for_reviewer(deps, uow, actor, case_id, data["action"], for_update=True)
                action = data["action"]
                spec = _case_type(case)
                if action == "approve" and "approve" not in spec.steps[case.step_index].actions:
                    action = "forward"  # 同意 at a step that reports upwards is 报批
                updated = _act(deps, uow, actor, case, {
                    "action": action, "comment": data["comment"] or ("同意" if action != "return"
                                                                     else ""),
                    "items": [], "rectification_items": [], "deadline": None,
                    "expected_version": None})
                uow.commit()
            results.append({"case_id": case_id, "ok": True, "status": updated["status"],
                            "status_label": updated["status_label"], "step_label": updated["step_label"]})
        except ServiceError as exc:
            results.append({"case_id": case_id, "ok": False, "code": exc.code, "message": exc.message,
                            "fields": exc.fields})
    return {"results": results, "succeeded": sum(1 for r in results if r["ok"]),
            "failed": sum(1 for r in results if not r["ok"])}


def extend_clock(deps: Deps, actor: dict, case_id: str, payload: dict) -> dict:
    with deps.begin() as uow:  # the access decision first, then the body
        case = _case_for_reviewer(deps, uow, actor, case_id, "extend", for_update=True)
        data = load_or_fail(ExtendSchema(), payload)
        if not _holds(uow, case, actor):
            uow.rollback()
            _refuse(deps, actor, "extend", case.id, "请先领取该案件")
        if case.queue == "done":
            raise InvalidTransition("该案件已办结")
        case.extension_days += data["days"]
        reason = data["reason"].strip()
        case.extension_reason = "; ".join(filter(None, [case.extension_reason, reason]))
        _recompute_due(case, _today())
        if case.paused_since is not None:
            case.overdue = False
        _opinion(uow, case, "extend", "延期", f"审批时限延长{data['days']}个工作日", reason, actor)
        case.updated_at = _now()
        case.version += 1
        uow.audit("case.extended", actor_id=actor["id"], subject_id=case.id,
                  days=data["days"], reason=reason)
        uow.commit()
        return summary(case) | {"clock": clock_view(case)}


def resolve_rectification(deps: Deps, actor: dict, case_id: str, payload: dict) -> dict:
    """After the enterprise's evidence: close (back to review) or escalate (next step)."""
    with deps.begin() as uow:  # the access decision first, then the body
        case = _case_for_reviewer(deps, uow, actor, case_id, "rectification", for_update=True)
        data = load_or_fail(ResolveRectificationSchema(), payload)
        if not _holds(uow, case, actor):
            uow.rollback()
            _refuse(deps, actor, "rectification", case.id, "请先领取该案件")
        rects = [r for r in uow.cases.rectifications(case.id)
                 if r.status in ("open", "submitted")]
        if case.status != domain.RECTIFICATION or not rects:
            raise InvalidTransition("该案件没有待处理的整改")
        rect = rects[-1]
        if data["outcome"] == "close" and rect.status != "submitted":
            raise InvalidTransition("企业尚未提交整改材料，不能关闭整改")
        spec = _case_type(case)
        today = _today()
        rect.status = "closed" if data["outcome"] == "close" else "escalated"
        rect.resolved_at = _now()
        case.status, case.queue = domain.IN_REVIEW, "active"
        _resume(case, today)
        step = spec.steps[case.step_index]
        if data["outcome"] == "escalate" and case.step_index + 1 < len(spec.steps):
            following = _move_to(uow, case, spec, case.step_index + 1)
            handling = f"整改未通过，上报{following.label}"
        else:
            handling = "整改完成，继续审核" if data["outcome"] == "close" else "整改未通过，继续审核"
        _opinion(uow, case, f"rectification_{data['outcome']}",
                 "整改通过" if data["outcome"] == "close" else "整改未通过", handling,
                 data["comment"], actor, step=step)
        case.updated_at = _now()
        case.version += 1
        uow.audit(f"case.rectification_{data['outcome']}", actor_id=actor["id"],
                  subject_id=case.id, rectification_id=rect.id)
        uow.commit()
        return summary(case)
