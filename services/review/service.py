"""review's nameko entrypoints: consume producers' review requests, serve the reviewer queues,
record opinions, run the legal clock, answer the producers with events.

Several instances may run at once (docs/architecture.md, "Scaling review"): every claim is one
conditional UPDATE, every case change locks its row, and the overdue sweep takes its rows
with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nameko.timer import timer

from services.common import audit, jurisdiction
from services.common.access import enterprise_of
from services.common.attachments import IMAGE, PDF, CheckedUpload, check_upload, metadata, store_upload
from services.common.base import PlatformService, service_rpc
from services.common.config import load_config
from services.common.envelope import EventSpec, MalformedEvent
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ServiceError,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.events import reliable_event_handler
from services.common.metrics import record_overdue
from services.common.rpc import PlatformRpcProxy
from services.common.schema_errors import load_or_fail
from services.common.storage import ObjectStore
from services.review import clock, domain, owed
from services.review import workload as workload_rules
from services.review.events import (
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_OVERDUE,
    CASE_STEP_CHANGED,
    CORRECTION_REQUESTED,
    RECTIFICATION_REQUESTED,
    REVIEW_REQUESTED,
    REVIEW_WITHDRAWN,
    SELF_INSPECTION_STARTED,
)
from services.review.models import (
    Attachment,
    Campaign,
    CampaignTarget,
    Case,
    Correction,
    Delegation,
    Opinion,
    Rectification,
    Revision,
)
from services.review.repository import CampaignRepository, CaseRepository, DelegationRepository
from services.review.schemas import (
    ActSchema,
    AssignSchema,
    BatchSchema,
    CampaignSchema,
    CaseSummarySchema,
    DelegationSchema,
    ExtendSchema,
    OpinionSchema,
    QueueQuerySchema,
    RectificationEvidenceSchema,
    ResolveRectificationSchema,
    SelfInspectionSubmitSchema,
    WorkloadQuerySchema,
)
from services.review.usecases import rectifications

log = logging.getLogger(__name__)
BEIJING = ZoneInfo("Asia/Shanghai")
RESULT_LABELS = {"accept": "受理", "approve": "同意", "forward": "同意", "reject": "不同意",
                 "correction": "补正", "rectification": "整改", "return": "退回"}
DEEMED_HANDLING = "逾期未受理视为受理"
CORRECTION_DAYS = 10       # working days the enterprise has for a correction unless told otherwise
RECTIFICATION_DAYS = 20


def _sweep_seconds() -> float:
    """config ``review.overdue_sweep_seconds`` (a timer's interval is fixed when the class is made)."""
    try:
        return float((load_config().get("review") or {}).get("overdue_sweep_seconds", 30))
    except Exception:  # no config at import (a unit test importing the module): the default
        return 30.0


SWEEP_SECONDS = _sweep_seconds()


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    """Working days are counted on Beijing dates."""
    return datetime.now(BEIJING).date()


def _calendar() -> clock.Calendar:
    return clock.default_calendar()


def _named_action(payload: object) -> str:
    """The action a refused ``act`` is audited under, read before the body is validated."""
    action = payload.get("action") if isinstance(payload, dict) else None
    return action if isinstance(action, str) and action in domain.ACTIONS else "act"


def _name(actor: dict[str, Any]) -> str:
    return str(actor.get("name") or actor.get("login") or str(actor.get("id", ""))[:8])


def _case_type(case: Case) -> domain.CaseType:
    spec = domain.registry().resolve(case.case_type)
    if spec is None:  # the data file lost a type that has cases: an operator error
        raise ServiceError(f"案件类型 {case.case_type} 未配置")
    return spec


def _recompute_due(case: Case, today: date) -> None:
    start = clock.reckoning_start(case.clock_started_on, case.acceptance_due, case.accepted)
    case.due_date = clock.due_date(start, case.limit_days, case.extension_days, case.paused_days,
                                   _calendar())
    case.overdue = case.queue == "active" and today > case.due_date


def _pause(case: Case, today: date, reason: str) -> None:
    case.paused_since = today
    case.pause_reason = reason


def _resume(case: Case, today: date) -> None:
    if case.paused_since is not None:
        case.paused_days += _calendar().working_days_between(case.paused_since, today)
    case.paused_since = None
    case.pause_reason = None
    _recompute_due(case, today)


def _start_decision_clock(case: Case, start: date, today: date) -> None:
    """受理: the 20 working days run from ``start``; pauses before it (a 补正 before 受理) do not
    count against it (行政许可法 第三十二条、第四十二条)."""
    case.clock_started_on = start
    if not case.deemed_accepted:
        case.paused_days = 0
    case.acceptance_due = None
    _recompute_due(case, today)


def clock_view(case: Case, today: date | None = None) -> dict[str, Any]:
    today = today or _today()
    if clock.awaiting_acceptance(case.accepted, case.acceptance_due) and case.queue != "done":
        # 受理 not yet given: only the 5-working-day window runs; the decision clock waits for it
        return {
            "started_on": None, "limit_days": case.limit_days, "extension_days": 0,
            "extension_reason": None, "used_days": 0, "remaining_days": case.limit_days,
            "paused": case.paused_since is not None, "pause_reason": case.pause_reason,
            "expected_decision_date": None, "overdue": False, "decision_clock_started": False,
            "received_on": case.received_at.astimezone(BEIJING).date().isoformat(),
            "acceptance_due": case.acceptance_due.isoformat()
            if case.acceptance_due and case.status == domain.SUBMITTED else None,
            "deemed_accepted": False, "accepted_from": None,
        }
    view = clock.evaluate_totals(case.clock_started_on, case.limit_days, case.extension_days,
                                 case.paused_days, case.paused_since, case.pause_reason, today, _calendar())
    final = case.queue == "done"
    return {
        "started_on": case.clock_started_on.isoformat(), "limit_days": view.limit_days,
        "extension_days": view.extension_days, "extension_reason": case.extension_reason,
        "used_days": view.used_days, "remaining_days": view.remaining_days,
        "paused": view.paused and not final, "pause_reason": view.pause_reason,
        "expected_decision_date": None if final else view.due_date.isoformat(),
        "overdue": view.overdue and not final, "decision_clock_started": True,
        "received_on": case.received_at.astimezone(BEIJING).date().isoformat(),
        # 行政许可法 第三十二条: accept or ask for 补正 by this day, or the case is accepted by law
        "acceptance_due": case.acceptance_due.isoformat()
        if case.acceptance_due and case.status == domain.SUBMITTED else None,
        "deemed_accepted": case.deemed_accepted,
        "accepted_from": case.received_at.astimezone(BEIJING).date().isoformat()
        if case.deemed_accepted else None,
    }


def summary(case: Case) -> dict[str, Any]:
    data = CaseSummarySchema().dump(case)
    spec = domain.registry().resolve(case.case_type)
    step = spec.steps[case.step_index] if spec else None
    data.update(
        type_label=spec.label if spec else case.case_type,
        step_label=step.label if step else case.step_key,
        stage=step.stage if step else None,  # accept / form_review / review / approval / issue
        level_label=domain.LEVELS.get(case.level, case.level),
        status_label=domain.STATUS_LABELS.get(case.status, case.status),
    )
    return data


def _event_base(case: Case) -> dict[str, Any]:
    return {"case_ref": case.case_ref, "case_id": case.id, "enterprise_id": case.enterprise_id,
            "at": _now()}


class ReviewService(PlatformService):
    name = "review"

    identity = PlatformRpcProxy("identity")

    # ---- producers → review ------------------------------------------------------------
    @reliable_event_handler("permits", "review_requested")
    def on_permits_review_requested(self, body: dict) -> None:
        self._review_requested(REVIEW_REQUESTED["permits"], body)

    @reliable_event_handler("personnel", "review_requested")
    def on_personnel_review_requested(self, body: dict) -> None:
        self._review_requested(REVIEW_REQUESTED["personnel"], body)

    @reliable_event_handler("identity", "review_requested")
    def on_identity_review_requested(self, body: dict) -> None:
        self._review_requested(REVIEW_REQUESTED["identity"], body)

    @reliable_event_handler("enterprise", "review_requested")
    def on_enterprise_review_requested(self, body: dict) -> None:
        self._review_requested(REVIEW_REQUESTED["enterprise"], body)

    @reliable_event_handler("permits", "review_withdrawn")
    def on_permits_review_withdrawn(self, body: dict) -> None:
        self._review_withdrawn(REVIEW_WITHDRAWN["permits"], body)

    @reliable_event_handler("personnel", "review_withdrawn")
    def on_personnel_review_withdrawn(self, body: dict) -> None:
        self._review_withdrawn(REVIEW_WITHDRAWN["personnel"], body)

    @reliable_event_handler("identity", "review_withdrawn")
    def on_identity_review_withdrawn(self, body: dict) -> None:
        self._review_withdrawn(REVIEW_WITHDRAWN["identity"], body)

    @reliable_event_handler("enterprise", "review_withdrawn")
    def on_enterprise_review_withdrawn(self, body: dict) -> None:
        self._review_withdrawn(REVIEW_WITHDRAWN["enterprise"], body)

    def _review_requested(self, spec: EventSpec, body: dict) -> None:
        envelope = spec.parse(body)
        data = envelope["data"]
        if data["case_ref"].split(":", 1)[0] != spec.producer:
            raise MalformedEvent(f"{spec.producer} cannot request a review of {data['case_ref']}")
        case_type = domain.registry().resolve(data["case_type"])
        if case_type is None:
            raise MalformedEvent(f"unknown case type {data['case_type']}")
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(envelope["id"], "review.on_review_requested"):
                return
            self._intake(uow, spec.producer, case_type, data)
            uow.commit()

    def _intake(self, uow: Any, producer: str, case_type: domain.CaseType, data: dict) -> Case | None:
        cases = CaseRepository(uow.session)
        now, today = _now(), _today()
        case = cases.by_ref(data["case_ref"], for_update=True)
        if case is None:
            first = case_type.steps[0]
            status = domain.SUBMITTED if "accept" in first.actions else domain.IN_REVIEW
            limit = data.get("time_limit_days")
            if limit is None:
                limit = case_type.limit_for(data["lane"])
            received_on = data["submitted_at"].astimezone(BEIJING).date()
            case = Case(
                id=uuid.uuid4(), case_ref=data["case_ref"], producer=producer, case_type=data["case_type"],
                lane=data["lane"], enterprise_id=str(data["enterprise_id"]),
                enterprise_name=data["enterprise_name"], region_code=data["region_code"],
                title=data["title"], status=status, queue=domain.queue_of(status), step_index=0,
                step_key=first.key, level=first.level,
                desk_region=domain.route_region(first.level, data["region_code"]),
                revision=data["revision"], accepted=False, received_at=data["submitted_at"],
                acceptance_due=clock.acceptance_deadline(received_on, _calendar())
                if status == domain.SUBMITTED else None, deemed_accepted=False,
                clock_started_on=received_on, limit_days=limit,
                extension_days=0, paused_days=0, overdue=False, updated_at=now, version=1,
                due_date=today, owed=owed.stored(data.get("owed") or []),
            )
            _recompute_due(case, today)
            cases.add(case)
            cases.add(Revision(case_id=case.id, revision=data["revision"], fields=data["fields"],
                               attachments=data["attachments"], submitted_at=data["submitted_at"]))
            audit.record(uow.session, "case.received", subject_id=case.id, case_ref=case.case_ref,
                         case_type=case.case_type, desk=f"{case.level}:{case.desk_region}")
            log.info("case %s (%s) received for %s:%s", case.id, case.case_ref, case.level,
                     case.desk_region)
            return case
        reopen = domain.reopens(case_type, case.decision, case.queue)
        if data["revision"] <= case.revision or (case.queue == "done" and not reopen):
            log.info("review_requested %s revision %s ignored (case at revision %s, %s)",
                     data["case_ref"], data["revision"], case.revision, case.status)
            return None
        if reopen:
            self._reopen(uow, case, case_type, data)
            return case
        cases.add(Revision(case_id=case.id, revision=data["revision"], fields=data["fields"],
                           attachments=data["attachments"], submitted_at=data["submitted_at"]))
        case.revision = data["revision"]
        case.owed = owed.stored(data.get("owed") or [])
        case.enterprise_name = data["enterprise_name"]
        case.title = data["title"]
        correction = cases.open_correction(case.id)
        if case.status == domain.CORRECTION:
            if correction is not None:
                correction.resolved_revision = data["revision"]
            case.status = domain.IN_REVIEW if case.accepted else domain.SUBMITTED
            case.queue = "active"
            if not case.accepted:  # corrected materials received: 5 working days to accept them
                case.acceptance_due = clock.acceptance_deadline(
                    data["submitted_at"].astimezone(BEIJING).date(), _calendar())
            _resume(case, today)
        case.updated_at = now
        case.version += 1
        audit.record(uow.session, "case.resubmitted", subject_id=case.id, revision=case.revision)
        return case

    def _reopen(self, uow: Any, case: Case, case_type: domain.CaseType, data: dict) -> None:
        """A rejected case resubmitted (前往修改): the next revision starts the chain again, with a
        new clock from its receipt; the history and the earlier revisions stay (diff, 审核历史)."""
        today = _today()
        received_on = data["submitted_at"].astimezone(BEIJING).date()
        first = case_type.steps[0]
        status = domain.SUBMITTED if "accept" in first.actions else domain.IN_REVIEW
        CaseRepository(uow.session).add(Revision(
            case_id=case.id, revision=data["revision"], fields=data["fields"],
            attachments=data["attachments"], submitted_at=data["submitted_at"]))
        case.revision, case.title = data["revision"], data["title"]
        case.enterprise_name = data["enterprise_name"]
        case.status, case.queue = status, domain.queue_of(status)
        case.step_index, case.step_key, case.level = 0, first.key, first.level
        case.desk_region = domain.route_region(first.level, data["region_code"])
        case.region_code = data["region_code"]
        case.claimed_by = case.claimed_name = case.claimed_at = None
        case.decision = case.decision_reason = case.decided_at = None
        case.accepted = case.deemed_accepted = False
        case.acceptance_due = clock.acceptance_deadline(received_on, _calendar()) \
            if status == domain.SUBMITTED else None
        case.received_at, case.clock_started_on = data["submitted_at"], received_on
        case.extension_days, case.extension_reason, case.paused_days = 0, None, 0
        case.paused_since = case.pause_reason = None
        _recompute_due(case, today)
        case.updated_at = _now()
        case.version += 1
        audit.record(uow.session, "case.reopened", subject_id=case.id, revision=case.revision)

    def _review_withdrawn(self, spec: EventSpec, body: dict) -> None:
        envelope = spec.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(envelope["id"], "review.on_review_withdrawn"):
                return
            case = CaseRepository(uow.session).by_ref(data["case_ref"], for_update=True)
            if case is None:  # the request has not arrived yet: retried with back-off
                raise LookupError(f"no case {data['case_ref']} to withdraw yet")
            if case.queue == "done":
                uow.commit()
                return
            outcome = data["outcome"]
            case.status = domain.WITHDRAWN if outcome == "withdrawn" else domain.TERMINATED
            case.queue = "done"
            case.closed_outcome = outcome
            case.closed_reason = data["reason"]
            case.paused_since = None
            case.overdue = False
            case.updated_at = _now()
            case.version += 1
            self._opinion(uow, case, "withdraw", "企业撤回" if outcome == "withdrawn" else "业务终止",
                          "案件关闭", data["reason"] or "", None, data["by"] or "企业")
            uow.add_event(CASE_CLOSED, {**_event_base(case), "outcome": outcome})
            audit.record(uow.session, "case.closed", subject_id=case.id, outcome=outcome)
            uow.commit()

    # ---- helpers for reviewer actions ------------------------------------------------------
    def _desk(self, actor: dict) -> tuple[str, str]:
        desk = domain.desk_of(actor or {})
        if desk is None:
            raise Forbidden("只有审核人员可以使用审核工作台")
        return desk

    def _refuse(self, actor: dict, action: str, case_id: object, message: str,
                error: type[ServiceError] = Forbidden, **detail: object) -> None:
        """Audit a refused attempt in its own transaction (it must survive the refusal)."""
        with self.db.unit_of_work() as uow:
            audit.record(uow.session, f"case.refused.{action}", actor_id=(actor or {}).get("id"),
                         subject_id=str(case_id), reason=message, **detail)
            uow.commit()
        raise error(message)

    def _case_for_reviewer(self, uow: Any, actor: dict, case_id: str, action: str,
                           for_update: bool = False) -> Case:
        cases = CaseRepository(uow.session)
        case = cases.by_ref(case_id, for_update=for_update) if ":" in str(case_id) else \
            cases.get(uuid_or_not_found(case_id, "案件不存在"), for_update=for_update)
        if case is None:
            raise NotFound("案件不存在")
        if actor.get("kind") == "admin":
            return case
        level, desk = self._desk(actor)
        if (case.level, case.desk_region) != (level, desk):
            uow.session.rollback()
            self._refuse(actor, action, case.id, "该案件不在您所在层级和地区的审核队列中",
                         desk=f"{level}:{desk}", case_desk=f"{case.level}:{case.desk_region}")
        return case

    def _holds(self, uow: Any, case: Case, actor: dict) -> bool:
        if case.claimed_by is None:
            return False
        if case.claimed_by == str(actor["id"]):
            return True
        return case.claimed_by in DelegationRepository(uow.session).delegators_of(str(actor["id"]), _today())

    def _opinion(self, uow: Any, case: Case, action: str, result: str, handling: str, comment: str,
                 actor: dict | None, name: str | None = None, step: domain.Step | None = None) -> Opinion:
        spec = domain.registry().resolve(case.case_type)
        step = step or (spec.steps[case.step_index] if spec else None)
        opinion = Opinion(case_id=case.id, step_key=step.key if step else case.step_key,
                          step_label=step.label if step else case.step_key, level=case.level,
                          action=action, result=result, handling=handling, comment=comment or "",
                          reviewer_id=str(actor["id"]) if actor else None,
                          reviewer_name=name or (_name(actor) if actor else "系统"),
                          revision=case.revision, at=_now())
        CaseRepository(uow.session).add(opinion)
        return opinion

    def _staff(self, reviewer_id: str) -> dict:
        try:
            account = self.identity.session_account(reviewer_id)
        except NotFound:
            raise ValidationFailed.from_fields(
                {"reviewer_id": [field_error("not_found", "审核人员不存在")]}) from None
        if account.get("kind") not in ("reviewer", "admin") or account.get("status") == "disabled":
            raise ValidationFailed.from_fields(
                {"reviewer_id": [field_error("not_reviewer", "该账号不是可用的审核人员")]})
        return account

    # ---- the queue -------------------------------------------------------------------------------
    @service_rpc
    def missing_holiday_notices(self) -> dict:
        """Years the legal clock counts whose State Council holiday notice is missing from the
        override file (clock.missing_notice_years): the admin pages show a warning."""
        return {"years": clock.missing_notice_years(_today(), _calendar())}

    @service_rpc
    def queue(self, actor: dict, query: dict | None = None) -> dict:
        level, desk = self._desk(actor)
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
        with self.db.unit_of_work() as uow:
            claimants = [str(actor["id"]), *DelegationRepository(uow.session).delegators_of(
                str(actor["id"]), _today())]
            rows, next_cursor = CaseRepository(uow.session).queue_page(level, desk, filters, claimants)
            items = []
            for case in rows:
                item = summary(case)
                item["mine"] = case.claimed_by in claimants
                items.append(item)
            return {"items": items, "next_cursor": next_cursor,
                    "desk": {"level": level, "region_code": desk,
                             "level_label": domain.LEVELS[level]}}

    @service_rpc
    def case_detail(self, actor: dict, case_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            case = self._case_for_reviewer(uow, actor, case_id, "view")
            cases = CaseRepository(uow.session)
            spec = _case_type(case)
            revisions = cases.revisions(case.id)
            latest = revisions[-1] if revisions else None
            previous = revisions[-2] if len(revisions) > 1 else None
            holds = self._holds(uow, case, actor)
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

    @service_rpc
    def claim(self, actor: dict, case_id: str) -> dict:
        level, desk = self._desk(actor)
        case_uuid = uuid_or_not_found(case_id, "案件不存在")
        with self.db.unit_of_work() as uow:
            cases = CaseRepository(uow.session)
            if cases.claim(case_uuid, level, desk, str(actor["id"]), _name(actor), _now()):
                audit.record(uow.session, "case.claimed", actor_id=actor["id"], subject_id=case_uuid)
                uow.commit()
                return {"case_id": str(case_uuid), "claimed_by": str(actor["id"])}
            case = cases.get(case_uuid)
            if case is None:
                raise NotFound("案件不存在")
            seen = {"desk": (case.level, case.desk_region), "claimed_by": case.claimed_by,
                    "claimed_name": case.claimed_name, "queue": case.queue}
        if seen["desk"] != (level, desk):
            self._refuse(actor, "claim", case_uuid, "该案件不在您所在层级和地区的审核队列中")
        if seen["claimed_by"] == str(actor["id"]):
            return {"case_id": str(case_uuid), "claimed_by": seen["claimed_by"]}
        if seen["queue"] != "active":
            raise InvalidTransition("该案件当前不在待审队列中，不能领取")
        raise Conflict(f"该案件已被{seen['claimed_name'] or '其他审核人员'}领取")

    @service_rpc
    def release(self, actor: dict, case_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            case = self._case_for_reviewer(uow, actor, case_id, "release", for_update=True)
            if case.claimed_by is None:
                return summary(case)
            if not self._holds(uow, case, actor) and actor.get("kind") != "admin":
                uow.session.rollback()
                self._refuse(actor, "release", case.id, "只有领取人可以释放该案件")
            audit.record(uow.session, "case.released", actor_id=actor["id"], subject_id=case.id,
                         previous=case.claimed_by)
            case.claimed_by = case.claimed_name = case.claimed_at = None
            case.updated_at = _now()
            case.version += 1
            uow.commit()
            return summary(case)

    @service_rpc
    def assign(self, actor: dict, case_id: str, payload: dict) -> dict:
        # The access decision before the body; without the row lock, since identity is asked about
        # the target next (no RPC under a lock): the locked read below decides again.
        with self.db.unit_of_work() as uow:
            self._case_for_reviewer(uow, actor, case_id, "assign")
        data = load_or_fail(AssignSchema(), payload)
        target = self._staff(data["reviewer_id"])
        with self.db.unit_of_work() as uow:
            case = self._case_for_reviewer(uow, actor, case_id, "assign", for_update=True)
            if domain.desk_of(target) != (case.level, case.desk_region):
                raise ValidationFailed.from_fields({"reviewer_id": [field_error(
                    "other_desk", "只能分配给该案件所在层级和地区的审核人员")]})
            if case.queue == "done":
                raise InvalidTransition("该案件已办结，不能分配")
            audit.record(uow.session, "case.assigned", actor_id=actor["id"], subject_id=case.id,
                         previous=case.claimed_by, to=target["id"])
            case.claimed_by = str(target["id"])
            case.claimed_name = target.get("contact_name") or target.get("login")
            case.claimed_at = case.updated_at = _now()
            case.version += 1
            uow.commit()
            return summary(case)

    # ---- opinions and decisions -------------------------------------------------------------------
    @service_rpc
    def act(self, actor: dict, case_id: str, payload: dict) -> dict:
        with self.db.unit_of_work() as uow:  # the access decision first, then the body
            case = self._case_for_reviewer(uow, actor, case_id, _named_action(payload), for_update=True)
            data = load_or_fail(ActSchema(), payload)
            result = self._act(uow, actor, case, data)
            uow.commit()
            return result

    def _act(self, uow: Any, actor: dict, case: Case, data: dict) -> dict:
        action = data["action"]
        if not self._holds(uow, case, actor):
            uow.session.rollback()
            self._refuse(actor, action, case.id, "请先领取该案件，再填写审核意见")
        if data["expected_version"] is not None and data["expected_version"] != case.version:
            raise Conflict("该案件已被更新，请刷新后重试")
        spec = _case_type(case)
        step = spec.steps[case.step_index]
        try:
            outcome = domain.apply_action(spec, case.step_index, case.status, action)
        except ValueError as exc:
            uow.session.rollback()
            self._refuse(actor, action, case.id, str(exc), InvalidTransition, step=case.step_key,
                         status=case.status)
        comment = data["comment"].strip()
        if action in domain.NEEDS_COMMENT and not comment:
            raise ValidationFailed.from_fields(
                {"comment": [field_error("required", "请填写审核意见（原因）")]})
        today, now = _today(), _now()
        cases = CaseRepository(uow.session)
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
        self._opinion(uow, case, action, RESULT_LABELS[action], outcome.handling, comment, actor,
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
        audit.record(uow.session, f"case.{action}", actor_id=actor["id"], subject_id=case.id,
                     step=step.key, status=case.status)
        return summary(case)

    @service_rpc
    def batch_act(self, actor: dict, payload: dict) -> dict:
        """Approve / forward / return many cases; each in its own transaction, a result per item."""
        data = load_or_fail(BatchSchema(), payload)
        level, desk = self._desk(actor)
        results = []
        for case_id in dict.fromkeys(data["case_ids"]):
            try:
                with self.db.unit_of_work() as uow:
                    case_uuid = uuid_or_not_found(case_id, "案件不存在")
                    CaseRepository(uow.session).claim(case_uuid, level, desk, str(actor["id"]),
                                                      _name(actor), _now())
                    case = self._case_for_reviewer(uow, actor, case_id, data["action"], for_update=True)
                    action = data["action"]
                    spec = _case_type(case)
                    if action == "approve" and "approve" not in spec.steps[case.step_index].actions:
                        action = "forward"  # 同意 at a step that reports upwards is 报批
                    updated = self._act(uow, actor, case, {
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

    @service_rpc
    def extend_clock(self, actor: dict, case_id: str, payload: dict) -> dict:
        with self.db.unit_of_work() as uow:  # the access decision first, then the body
            case = self._case_for_reviewer(uow, actor, case_id, "extend", for_update=True)
            data = load_or_fail(ExtendSchema(), payload)
            if not self._holds(uow, case, actor):
                uow.session.rollback()
                self._refuse(actor, "extend", case.id, "请先领取该案件")
            if case.queue == "done":
                raise InvalidTransition("该案件已办结")
            case.extension_days += data["days"]
            reason = data["reason"].strip()
            case.extension_reason = "; ".join(filter(None, [case.extension_reason, reason]))
            _recompute_due(case, _today())
            if case.paused_since is not None:
                case.overdue = False
            self._opinion(uow, case, "extend", "延期", f"审批时限延长{data['days']}个工作日", reason, actor)
            case.updated_at = _now()
            case.version += 1
            audit.record(uow.session, "case.extended", actor_id=actor["id"], subject_id=case.id,
                         days=data["days"], reason=reason)
            uow.commit()
            return summary(case) | {"clock": clock_view(case)}

    @service_rpc
    def resolve_rectification(self, actor: dict, case_id: str, payload: dict) -> dict:
        """After the enterprise's evidence: close (back to review) or escalate (next step)."""
        with self.db.unit_of_work() as uow:  # the access decision first, then the body
            case = self._case_for_reviewer(uow, actor, case_id, "rectification", for_update=True)
            data = load_or_fail(ResolveRectificationSchema(), payload)
            if not self._holds(uow, case, actor):
                uow.session.rollback()
                self._refuse(actor, "rectification", case.id, "请先领取该案件")
            rects = [r for r in CaseRepository(uow.session).rectifications(case.id)
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
            self._opinion(uow, case, f"rectification_{data['outcome']}",
                          "整改通过" if data["outcome"] == "close" else "整改未通过", handling,
                          data["comment"], actor, step=step)
            case.updated_at = _now()
            case.version += 1
            audit.record(uow.session, f"case.rectification_{data['outcome']}", actor_id=actor["id"],
                         subject_id=case.id, rectification_id=rect.id)
            uow.commit()
            return summary(case)

    # ---- workload and delegation ------------------------------------------------------------------
    @service_rpc
    def workload(self, actor: dict, query: dict | None = None) -> dict:
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
        with self.db.unit_of_work() as uow:
            cases = CaseRepository(uow.session)
            admin = actor.get("kind") == "admin"
            level, desk = (None, None) if admin else self._desk(actor)
            done = workload_rules.summarise(
                [item for item in self._finished(cases, start, end, level)
                 if admin or (item.level, item.desk_region) == (level, desk)], _calendar())
            if admin:
                return {"desks": cases.workload_by_desk(), "reviewers": [], "period": period, "done": done}
            return {"desks": [d for d in cases.workload_by_desk()
                              if (d["level"], d["desk_region"]) == (level, desk)],
                    "reviewers": cases.workload(level, desk), "period": period, "done": done}

    @staticmethod
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

    @service_rpc
    def delegate(self, actor: dict, payload: dict) -> dict:
        data = load_or_fail(DelegationSchema(), payload)
        from_reviewer = str(actor["id"])
        if data["from_reviewer"] and data["from_reviewer"] != from_reviewer:
            if actor.get("kind") != "admin":
                raise Forbidden("只有管理员可以为其他审核人员设置委托")
            from_reviewer = data["from_reviewer"]
        source = self._staff(from_reviewer) if from_reviewer != str(actor["id"]) else actor
        target = self._staff(data["to_reviewer"])
        desk = domain.desk_of(source)
        if desk is None or domain.desk_of(target) != desk:
            raise ValidationFailed.from_fields({"to_reviewer": [field_error(
                "other_desk", "只能委托给同一层级、同一地区的审核人员")]})
        if str(target["id"]) == from_reviewer:
            raise ValidationFailed.from_fields({"to_reviewer": [field_error("self", "不能委托给自己")]})
        if data["ends_on"] < data["starts_on"]:
            raise ValidationFailed.from_fields(
                {"ends_on": [field_error("before_start", "结束日期不能早于开始日期")]})
        with self.db.unit_of_work() as uow:
            delegation = Delegation(from_reviewer=from_reviewer, to_reviewer=str(target["id"]),
                                    to_name=target.get("contact_name") or target.get("login") or "",
                                    level=desk[0], desk_region=desk[1], starts_on=data["starts_on"],
                                    ends_on=data["ends_on"], reason=data["reason"],
                                    created_by=str(actor["id"]))
            DelegationRepository(uow.session).add(delegation)
            audit.record(uow.session, "delegation.created", actor_id=actor["id"],
                         subject_id=delegation.id, from_reviewer=from_reviewer, to=target["id"],
                         starts_on=data["starts_on"].isoformat(), ends_on=data["ends_on"].isoformat())
            uow.commit()
            return _delegation_view(delegation)

    @service_rpc
    def list_delegations(self, actor: dict) -> dict:
        with self.db.unit_of_work() as uow:
            repo = DelegationRepository(uow.session)
            if actor.get("kind") == "admin":  # an admin sets delegations for any desk's reviewers
                level, desk = domain.desk_of(actor) or (None, None)
                rows = repo.for_desk(level, desk)
            else:
                self._desk(actor)
                rows = repo.involving(str(actor["id"]))
            return {"delegations": [_delegation_view(d) for d in rows]}

    @service_rpc
    def revoke_delegation(self, actor: dict, delegation_id: int) -> dict:
        with self.db.unit_of_work() as uow:
            delegation = DelegationRepository(uow.session).get(int(delegation_id))
            if delegation is None:
                raise NotFound("委托不存在")
            if actor.get("kind") != "admin" and delegation.from_reviewer != str(actor["id"]):
                raise Forbidden("只能撤销自己设置的委托")
            delegation.revoked_at = _now()
            audit.record(uow.session, "delegation.revoked", actor_id=actor["id"], subject_id=delegation.id)
            uow.commit()
            return _delegation_view(delegation)

    # ---- the enterprise's side --------------------------------------------------------------------
    def _case_for_enterprise(self, uow: Any, actor: dict, case_key: str) -> Case:
        enterprise_id = enterprise_of(actor or {})
        cases = CaseRepository(uow.session)
        case = cases.by_ref(case_key) if ":" in str(case_key) else cases.get(
            uuid_or_not_found(case_key, "案件不存在"))
        if case is None:
            raise NotFound("案件不存在")
        if enterprise_id is None or case.enterprise_id != enterprise_id:
            staff = (actor or {}).get("kind") in ("reviewer", "admin")
            if staff and (actor.get("kind") == "admin"
                          or domain.desk_of(actor) == (case.level, case.desk_region)):
                return case
            uow.session.rollback()
            self._refuse(actor, "history", case.id, "案件不存在", NotFound)
        return case

    @service_rpc
    def case_history(self, actor: dict, case_key: str) -> dict:
        """审核历史 and 跟踪 of one case, for the enterprise (or its reviewers), printable."""
        with self.db.unit_of_work() as uow:
            case = self._case_for_enterprise(uow, actor, case_key)
            cases = CaseRepository(uow.session)
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

    @service_rpc
    def reviewer_may_read_enterprise(self, actor: dict, enterprise_id: str) -> dict:
        """Reviewers read an enterprise's records only through a case about it that their desk
        works on (its chain has a step at their level, in their jurisdiction); asked by
        enterprise before it answers a reviewer."""
        if (actor or {}).get("kind") != "reviewer":
            return {"allowed": False}
        desk = domain.desk_of(actor)
        if desk is None:
            return {"allowed": False}
        with self.db.unit_of_work() as uow:
            cases = CaseRepository(uow.session).for_enterprise(str(enterprise_id))
            return {"allowed": any(domain.desk_works_on(domain.registry().resolve(c.case_type), desk[0],
                                                        desk[1], c.region_code) for c in cases)}

    @service_rpc
    def may_read_case(self, actor: dict, case_ref: str) -> dict:
        """Whether a reviewer or admin may read a producer's case and every file of it: admins,
        and reviewers whose desk holds a step of its chain (services/common/jurisdiction.py).
        Asked by the producers before they hand a reviewer a file (docs/contracts.md, "Case
        documents"); the owner is the producer's own check. No case (not submitted): no."""
        if (actor or {}).get("kind") not in ("reviewer", "admin") or not case_ref:
            return {"allowed": False}
        with self.db.unit_of_work() as uow:
            case = CaseRepository(uow.session).by_ref(str(case_ref)[:200])
            if case is None:
                return {"allowed": False}
            levels = domain.chain_levels(domain.registry().resolve(case.case_type))
            return {"allowed": jurisdiction.may_read_case(actor, case.region_code, levels)}

    @service_rpc
    def enterprise_cases(self, actor: dict) -> dict:
        enterprise_id = enterprise_of(actor or {})
        if enterprise_id is None:
            raise Forbidden("只有企业账号可以查看")
        with self.db.unit_of_work() as uow:
            return {"cases": [summary(c) | {"clock": clock_view(c)}
                              for c in CaseRepository(uow.session).for_enterprise(enterprise_id)]}

    @service_rpc
    def enterprise_rectifications(self, actor: dict) -> dict:
        return rectifications.enterprise_rectifications(self.db, actor)  # 我的整改

    @service_rpc
    def todos(self, actor: dict) -> dict:
        """我的待办: corrections, rectifications and self-inspections the enterprise owes."""
        enterprise_id = enterprise_of(actor or {})
        if enterprise_id is None:
            raise Forbidden("只有企业账号可以查看")
        with self.db.unit_of_work() as uow:
            items = []
            for case, correction, rect in CaseRepository(uow.session).open_todos(enterprise_id):
                if correction is not None:
                    items.append({"kind": "correction", "case": summary(case),
                                  "correction": _correction_view(correction)})
                if rect is not None:
                    items.append({"kind": "rectification", "case": summary(case),
                                  "rectification": _rectification_view(rect)})
            for target, campaign in CampaignRepository(uow.session).todos_of(enterprise_id):
                items.append({"kind": "self_inspection", "target_id": str(target.id),
                              "campaign": _campaign_view(campaign)})
            return {"todos": items}

    @service_rpc
    def submit_rectification(self, actor: dict, rectification_id: int, payload: dict) -> dict:
        """整改 evidence: the enterprise's statement and uploaded files (PDF or jpg/png)."""
        data = load_or_fail(RectificationEvidenceSchema(), payload)
        checked = [(item["label"].strip() or f"整改材料{index + 1}", _checked(item, f"evidence.{index}"))
                   for index, item in enumerate(data["evidence"])]
        with self.db.unit_of_work() as uow:
            rect = CaseRepository(uow.session).rectification(int(rectification_id), for_update=True)
            if rect is None:
                raise NotFound("整改事项不存在")
            case = self._case_for_enterprise(uow, actor, str(rect.case_id))
            if enterprise_of(actor) != case.enterprise_id:
                raise Forbidden("只有企业可以提交整改材料")
            if rect.status != "open":
                raise InvalidTransition("该整改已提交或已处理")
            rows = self._keep_files(uow, checked, actor, case.enterprise_id, "rectification", str(rect.id),
                                    case.id)
            rect.evidence = [_attachment_ref(row) for row in rows]
            rect.statement = data["statement"]
            rect.status = "submitted"
            rect.submitted_at = _now()
            case.updated_at = _now()
            case.version += 1
            audit.record(uow.session, "rectification.submitted", actor_id=actor["id"], subject_id=case.id,
                         rectification_id=rect.id, attachments=[str(r.id) for r in rows])
            uow.commit()
            return _rectification_view(rect)

    def _keep_files(self, uow: Any, checked: list[tuple[str, CheckedUpload]], actor: dict,
                    enterprise_id: str, purpose: str, owner_ref: str,
                    case_id: uuid.UUID | None) -> list[Attachment]:
        """Store checked uploads under server-generated keys and add their rows; if anything fails
        the files already stored are removed again."""
        store = ObjectStore(self.config["PLATFORM"])
        rows: list[Attachment] = []
        try:
            for label, upload in checked:
                key = store_upload(store, f"review/{purpose}", upload)
                rows.append(Attachment(id=uuid.uuid4(), enterprise_id=enterprise_id, case_id=case_id,
                                       purpose=purpose, owner_ref=owner_ref, label=label,
                                       uploaded_by=str(actor.get("id")), **metadata(upload, key)))
            uow.session.add_all(rows)
            uow.session.flush()
        except Exception:
            for row in rows:
                store.delete(row.storage_key)
            raise
        return rows

    @service_rpc
    def attachment_url(self, actor: dict, attachment_id: str) -> dict:
        """A short-lived download link for 整改 evidence or a 自查 material: for the enterprise that
        uploaded it, reviewers whose jurisdiction covers its case, and admins."""
        aid = uuid_or_not_found(attachment_id, "附件不存在")
        with self.db.unit_of_work() as uow:
            cases = CaseRepository(uow.session)
            row = cases.attachment(aid)
            case = cases.get(row.case_id) if row is not None and row.case_id else None
            if row is None or not _may_read_attachment(actor or {}, row, case):
                uow.session.rollback()
                self._refuse(actor, "attachment", aid, "附件不存在", NotFound)
            key, filename, content_type = row.storage_key, row.filename, row.content_type
        url = ObjectStore(self.config["PLATFORM"]).download_url(key, filename)
        return {"url": url, "filename": filename, "content_type": content_type}

    # ---- self-inspection campaigns (自查) -----------------------------------------------------------
    @service_rpc
    def start_campaign(self, actor: dict, payload: dict) -> dict:
        if (actor or {}).get("kind") != "admin":
            raise Forbidden("只有管理员可以发起自查")
        data = load_or_fail(CampaignSchema(), payload)
        if domain.registry().resolve(f"{data['business_type']}.self_inspection") is None:
            raise ValidationFailed.from_fields({"business_type": [field_error(
                "unknown", "该业务类型没有配置自查审核流程")]})
        names = [item["name"] for item in data["form"]]
        if len(set(names)) != len(names):
            raise ValidationFailed.from_fields({"form": [field_error("duplicate", "表单项名称重复")]})
        with self.db.unit_of_work() as uow:
            repo = CampaignRepository(uow.session)
            campaign = Campaign(id=uuid.uuid4(), business_type=data["business_type"], title=data["title"],
                                form=data["form"], deadline=data["deadline"],
                                region_code=str(actor.get("region_code") or "150000"),
                                created_by=str(actor["id"]), created_at=_now())
            repo.add(campaign)
            for target_in in {t["enterprise_id"]: t for t in data["targets"]}.values():
                target = CampaignTarget(id=uuid.uuid4(), campaign_id=campaign.id,
                                        enterprise_id=target_in["enterprise_id"],
                                        enterprise_name=target_in["enterprise_name"],
                                        region_code=target_in["region_code"], status="todo",
                                        answers={}, attachments=[])
                repo.add(target)
                uow.add_event(SELF_INSPECTION_STARTED, {
                    "campaign_id": campaign.id, "target_id": target.id,
                    "enterprise_id": target.enterprise_id, "business_type": campaign.business_type,
                    "title": campaign.title, "deadline": campaign.deadline, "at": _now()})
            audit.record(uow.session, "campaign.started", actor_id=actor["id"], subject_id=campaign.id,
                         targets=len(data["targets"]))
            uow.commit()
            return _campaign_view(campaign) | {"targets": len(repo.targets(campaign.id))}

    @service_rpc
    def list_campaigns(self, actor: dict) -> dict:
        if (actor or {}).get("kind") != "admin":
            raise Forbidden("只有管理员可以查看自查活动")
        with self.db.unit_of_work() as uow:
            repo = CampaignRepository(uow.session)
            return {"campaigns": [_campaign_view(c) | {
                "targets": [{"id": str(t.id), "enterprise_id": t.enterprise_id,
                             "enterprise_name": t.enterprise_name, "status": t.status,
                             "case_id": str(t.case_id) if t.case_id else None}
                            for t in repo.targets(c.id)]} for c in repo.all()]}

    @service_rpc
    def self_inspection(self, actor: dict, target_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            repo = CampaignRepository(uow.session)
            target = repo.target(uuid_or_not_found(target_id, "自查事项不存在"))
            if target is None or target.enterprise_id != enterprise_of(actor or {}):
                raise NotFound("自查事项不存在")
            campaign = repo.get(target.campaign_id)
            return {"target_id": str(target.id), "status": target.status, "answers": target.answers,
                    "campaign": _campaign_view(campaign)}

    @service_rpc
    def submit_self_inspection(self, actor: dict, target_id: str, payload: dict) -> dict:
        """Send a 自查: every required item answered and every required material uploaded, or
        nothing is sent; the materials go to S3 and the submission becomes a review case."""
        data = load_or_fail(SelfInspectionSubmitSchema(), payload)
        with self.db.unit_of_work() as uow:
            repo = CampaignRepository(uow.session)
            target = repo.target(uuid_or_not_found(target_id, "自查事项不存在"), for_update=True)
            if target is None or target.enterprise_id != enterprise_of(actor or {}):
                raise NotFound("自查事项不存在")
            if target.status != "todo":
                raise InvalidTransition("该自查已提交")
            campaign = repo.get(target.campaign_id)
            assert campaign is not None
            errors = domain.missing_answers(campaign.form, data["answers"], set(data["files"]))
            if errors:
                raise ValidationFailed("自查材料不完整，请补充后再提交", errors)
            labels = {item["name"]: item["label"] for item in campaign.form}
            checked = [(labels[name], _checked(upload, name)) for name, upload in data["files"].items()]
            rows = self._keep_files(uow, checked, actor, target.enterprise_id, "self_inspection",
                                    str(target.id), None)
            attachments = [_attachment_ref(row) for row in rows]
            case_type = f"{campaign.business_type}.self_inspection"
            spec = domain.registry().resolve(case_type)
            assert spec is not None
            case = self._intake(uow, "review", spec, {
                "case_ref": f"review:self_inspection:{target.id}", "case_type": case_type,
                "lane": "standard", "enterprise_id": target.enterprise_id,
                "enterprise_name": target.enterprise_name or target.enterprise_id,
                "region_code": target.region_code, "title": campaign.title, "revision": 1,
                "fields": {k: {"label": labels.get(k, k), "value": v} for k, v in data["answers"].items()},
                "attachments": attachments, "submitted_at": _now()})
            for row in rows:  # the case's reviewers may now read them
                row.case_id = case.id if case else None
            target.status = "submitted"
            target.answers = data["answers"]
            target.attachments = attachments
            target.submitted_at = _now()
            target.case_id = case.id if case else None
            audit.record(uow.session, "self_inspection.submitted", actor_id=actor["id"],
                         subject_id=target.id, case_id=target.case_id,
                         attachments=[str(r.id) for r in rows])
            uow.commit()
            return {"target_id": str(target.id), "status": target.status,
                    "case_id": str(target.case_id) if target.case_id else None,
                    "attachments": attachments}

    # ---- the legal clock's sweep -------------------------------------------------------------------
    @timer(interval=SWEEP_SECONDS)
    def flag_overdue(self) -> None:
        self.sweep_acceptance_once()
        self.sweep_overdue_once()
        self.measure_overdue()

    def measure_overdue(self) -> dict[str, int]:
        """The ``qlp_review_cases_overdue`` gauge (alert: cases past their legal deadline)."""
        with self.db.unit_of_work() as uow:
            counts = CaseRepository(uow.session).overdue_by_level()
        record_overdue(counts)
        return counts

    def sweep_acceptance_once(self, today: date | None = None) -> int:
        """Cases neither accepted nor sent back for 补正 within 5 working days of receipt are
        accepted by law from the day of receipt (行政许可法 第三十二条); producers follow the
        ``case_accepted`` event as if a reviewer had accepted them."""
        today = today or _today()
        accepted = 0
        with self.db.unit_of_work() as uow:
            for case in CaseRepository(uow.session).due_for_acceptance(today):
                spec = _case_type(case)
                step = spec.steps[case.step_index]
                received_on = case.received_at.astimezone(BEIJING).date()
                due = case.acceptance_due
                case.accepted = case.deemed_accepted = True
                _start_decision_clock(case, clock.decision_clock_start(received_on, today, deemed=True),
                                      today)
                case.status = domain.IN_REVIEW
                case.queue = domain.queue_of(case.status)
                case.overdue = today > case.due_date
                case.updated_at = _now()
                case.version += 1
                self._opinion(uow, case, "deemed_accept", "受理", DEEMED_HANDLING,
                              f"收到申请材料后{clock.ACCEPTANCE_DAYS}个工作日内（至{due.isoformat()}）"
                              f"未受理也未告知补正，依《行政许可法》第三十二条，"
                              f"自收到申请材料之日（{received_on.isoformat()}）起视为受理",
                              None, "系统", step=step)
                uow.add_event(CASE_ACCEPTED, {**_event_base(case), "step": step.key, "deemed": True,
                                              "accepted_from": received_on})
                audit.record(uow.session, "case.deemed_accepted", subject_id=case.id,
                             acceptance_due=due.isoformat(), received_on=received_on.isoformat())
                accepted += 1
            uow.commit()
        if accepted:
            log.info("%d case(s) deemed accepted (not accepted within %d working days)", accepted,
                     clock.ACCEPTANCE_DAYS)
        return accepted

    def sweep_overdue_once(self) -> int:
        """Flag active cases past their date; each instance takes rows the others have not locked."""
        flagged = 0
        with self.db.unit_of_work() as uow:
            for case in CaseRepository(uow.session).due_for_overdue(_today()):
                case.overdue = True
                uow.add_event(CASE_OVERDUE, {**_event_base(case), "level": case.level,
                                             "desk_region": case.desk_region, "due_date": case.due_date,
                                             "claimed_by": case.claimed_by})
                audit.record(uow.session, "case.overdue", subject_id=case.id,
                             due_date=case.due_date.isoformat())
                flagged += 1
            uow.commit()
        if flagged:
            log.info("flagged %d overdue case(s)", flagged)
        return flagged


def _move_to(uow: Any, case: Case, spec: domain.CaseType, index: int) -> domain.Step:
    """Put the case at another step: that step's desk for the enterprise's region, unclaimed."""
    following = spec.steps[index]
    case.step_index, case.step_key, case.level = index, following.key, following.level
    case.desk_region = domain.route_region(following.level, case.region_code)
    case.claimed_by = case.claimed_name = case.claimed_at = None  # the next desk claims it
    uow.add_event(CASE_STEP_CHANGED, {**_event_base(case), "step": following.key,
                                      "step_label": following.label, "level": following.level,
                                      "region_code": case.desk_region})
    return following


def _correction_view(correction: Correction) -> dict[str, Any]:
    return {"id": correction.id, "revision": correction.revision, "items": correction.items,
            "deadline": correction.deadline.isoformat() if correction.deadline else None,
            "requested_at": correction.requested_at.isoformat() if correction.requested_at else None,
            "resolved_revision": correction.resolved_revision}


def _rectification_view(rect: Rectification) -> dict[str, Any]:
    return {"id": rect.id, "items": rect.items, "deadline": rect.deadline.isoformat(), "status": rect.status,
            "evidence": rect.evidence, "statement": rect.statement,
            "submitted_at": rect.submitted_at.isoformat() if rect.submitted_at else None}


def _checked(upload: dict, field_name: str) -> CheckedUpload:
    """An enterprise's evidence: a PDF, or a jpg/png photo of it, judged by its bytes."""
    return check_upload(upload, field_name, kinds=(PDF, IMAGE))


def _attachment_ref(row: Attachment) -> dict[str, Any]:
    """The attachment as a revision / rectification keeps it (the shape of AttachmentRef)."""
    return {"id": str(row.id), "label": row.label, "filename": row.filename, "sha256": row.sha256,
            "content_type": row.content_type, "size_bytes": row.size_bytes}


def _may_read_attachment(actor: dict[str, Any], row: Attachment, case: Case | None) -> bool:
    """The enterprise that uploaded it, admins, and reviewers whose desk holds a step of its case."""
    if actor.get("kind") in ("enterprise", "sub"):
        return enterprise_of(actor) == row.enterprise_id
    if actor.get("kind") == "admin":
        return True
    return case is not None and jurisdiction.may_read_case(
        actor, case.region_code, domain.chain_levels(domain.registry().resolve(case.case_type)))


def _delegation_view(d: Delegation) -> dict[str, Any]:
    today = _today()
    return {"id": d.id, "from_reviewer": d.from_reviewer, "to_reviewer": d.to_reviewer, "to_name": d.to_name,
            "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat(), "reason": d.reason,
            "revoked": d.revoked_at is not None,
            "in_force": d.revoked_at is None and d.starts_on <= today <= d.ends_on}


def _campaign_view(c: Campaign) -> dict[str, Any]:
    return {"id": str(c.id), "business_type": c.business_type, "title": c.title, "form": c.form,
            "deadline": c.deadline.isoformat()}


SERVICE_CLASS = ReviewService
