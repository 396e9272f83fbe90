"""review's service layer with a fake unit of work (no database, no broker, no identity): a use
case is called as the entrypoint calls it, and the test reads what it left behind: the case,
its opinions, the events in the outbox, the audit rows.

The fake repositories answer the queries the use cases make, from plain lists; the real
repositories' PostgreSQL queries (the one-UPDATE claim, locks, SKIP LOCKED) are the
integration tier's (tests/integration/test_review_*.py)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.common.envelope import MalformedEvent, make_envelope
from services.common.errors import Forbidden, InvalidTransition, ValidationFailed
from services.review import domain
from services.review.events import REVIEW_REQUESTED, REVIEW_WITHDRAWN
from services.review.models import Case, Correction, Opinion, Rectification, Revision
from services.review.usecases import _support, delegations, desk, intake, selectors, sweeps
from tests.support.fake_transaction import FakeOutboxTx

ENTERPRISE = "00000000-0000-0000-0000-00000000000a"
REVIEWER = {"id": "rev-1", "kind": "reviewer", "level": "province", "region_code": "150000",
            "name": "王审核"}
COLLEAGUE = {"id": "rev-2", "kind": "reviewer", "level": "province", "region_code": "150000",
             "name": "李审核"}
OTHER_DESK = {"id": "rev-9", "kind": "reviewer", "level": "city", "region_code": "150100", "name": "赵"}
ENTERPRISE_ACTOR = {"id": ENTERPRISE, "kind": "enterprise", "permissions": []}


class FakeCases:
    """CaseRepository's queries over lists."""

    def __init__(self) -> None:
        self.rows: list[Case] = []
        self.children: list[Any] = []

    def add(self, row: Any) -> None:
        if isinstance(row, Case):
            self.rows.append(row)
        else:
            if getattr(row, "id", None) is None and not isinstance(row, Revision | Opinion):
                row.id = len(self.children) + 1
            self.children.append(row)

    def get(self, case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
        return next((c for c in self.rows if c.id == case_id), None)

    def by_ref(self, case_ref: str, *, for_update: bool = False) -> Case | None:
        return next((c for c in self.rows if c.case_ref == case_ref), None)

    def claim(self, case_id: uuid.UUID, level: str, desk_region: str, reviewer_id: str, name: str,
              now: datetime) -> bool:
        case = self.get(case_id)
        if case is None or case.claimed_by is not None or case.queue != "active" or (
                case.level, case.desk_region) != (level, desk_region):
            return False
        case.claimed_by, case.claimed_name, case.claimed_at = reviewer_id, name, now
        case.version += 1
        return True

    def _of(self, kind: type, case_id: uuid.UUID) -> list[Any]:
        return [r for r in self.children if isinstance(r, kind) and r.case_id == case_id]

    def revisions(self, case_id: uuid.UUID) -> list[Revision]:
        return sorted(self._of(Revision, case_id), key=lambda r: r.revision)

    def opinions(self, case_id: uuid.UUID) -> list[Opinion]:
        return self._of(Opinion, case_id)

    def corrections(self, case_id: uuid.UUID) -> list[Correction]:
        return self._of(Correction, case_id)

    def open_correction(self, case_id: uuid.UUID) -> Correction | None:
        return next((c for c in reversed(self.corrections(case_id)) if c.resolved_revision is None), None)

    def rectifications(self, case_id: uuid.UUID) -> list[Rectification]:
        return self._of(Rectification, case_id)

    def stored_attachment_ids(self, case_id: uuid.UUID) -> set[str]:
        return set()

    def due_for_acceptance(self, today: date) -> list[Case]:
        return [c for c in self.rows if c.status == domain.SUBMITTED and not c.accepted
                and c.acceptance_due is not None and c.acceptance_due < today]


class FakeDelegations:
    def __init__(self) -> None:
        self.rows: list[Any] = []

    def add(self, row: Any) -> None:
        row.id = len(self.rows) + 1
        self.rows.append(row)

    def get(self, delegation_id: int) -> Any:
        return next((d for d in self.rows if d.id == delegation_id), None)

    def delegators_of(self, reviewer_id: str, today: date) -> list[str]:
        return [d.from_reviewer for d in self.rows if d.to_reviewer == reviewer_id and d.revoked_at is None
                and d.starts_on <= today <= d.ends_on]


class FakeTx(FakeOutboxTx):
    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.cases, self.delegations, self.campaigns = world.cases, world.delegations, None

    def rollback(self) -> None:
        self.events, self.audits = [], []


class World:
    def __init__(self) -> None:
        self.cases, self.delegations = FakeCases(), FakeDelegations()
        self.outbox: list[tuple[str, dict]] = []
        self.audit_log: list[tuple[str, dict]] = []
        self.claimed: set[tuple[str, str]] = set()
        self.accounts = {r["id"]: dict(r, status="active") for r in (REVIEWER, COLLEAGUE, OTHER_DESK)}

    @contextmanager
    def begin(self) -> Any:
        yield FakeTx(self)

    def deps(self) -> _support.Deps:
        return _support.Deps(begin=self.begin, store=lambda: None, session_account=self.accounts.__getitem__)

    def events(self, event_type: str) -> list[dict]:
        return [data for kind, data in self.outbox if kind == event_type]

    def audits(self, action: str) -> list[dict]:
        return [detail for kind, detail in self.audit_log if kind == action]


def requested(revision: int = 1, case_ref: str = "permits:application:app-1", **extra: Any) -> dict:
    data = {"case_ref": case_ref, "case_type": "pfl.power.new", "lane": "standard",
            "enterprise_id": ENTERPRISE, "enterprise_name": "甲电力工程公司", "region_code": "150102",
            "title": "承装（修、试）电力设施许可证 新申请", "revision": revision, "time_limit_days": None,
            "fields": {"name": {"label": "企业名称", "value": "甲电力工程公司"}}, "attachments": [],
            "submitted_at": datetime.now(UTC).isoformat(), **extra}
    return make_envelope("permits", "review_requested", 1, data)


@pytest.fixture
def world() -> World:
    return World()


def received(world: World) -> Case:
    intake.review_requested(world.deps(), REVIEW_REQUESTED["permits"], requested())
    return world.cases.rows[0]


def test_a_request_becomes_a_case_at_the_first_steps_desk_once(world: World) -> None:
    envelope = requested()
    intake.review_requested(world.deps(), REVIEW_REQUESTED["permits"], envelope)
    intake.review_requested(world.deps(), REVIEW_REQUESTED["permits"], envelope)  # redelivered
    [case] = world.cases.rows
    assert (case.status, case.queue, case.level, case.desk_region) == (domain.SUBMITTED, "active",
                                                                       "province", "150000")
    assert case.limit_days == 20 and case.acceptance_due is not None
    assert len(world.cases.revisions(case.id)) == 1
    assert [a["case_ref"] for a in world.audits("case.received")] == ["permits:application:app-1"]


def test_a_producer_cannot_request_another_producers_case(world: World) -> None:
    with pytest.raises(MalformedEvent):
        intake.review_requested(world.deps(), REVIEW_REQUESTED["permits"],
                                requested(case_ref="personnel:declaration:decl-1"))
    assert world.cases.rows == []


def test_an_older_revision_is_ignored(world: World) -> None:
    case = received(world)
    intake.review_requested(world.deps(), REVIEW_REQUESTED["permits"], requested(revision=1))
    assert case.revision == 1 and len(world.cases.revisions(case.id)) == 1


def test_claim_then_accept_starts_the_decision_clock_and_tells_the_producer(world: World) -> None:
    case = received(world)
    deps = world.deps()
    assert desk.claim(deps, REVIEWER, str(case.id)) == {"case_id": str(case.id), "claimed_by": "rev-1"}
    result = desk.act(deps, REVIEWER, str(case.id), {"action": "accept", "comment": ""})
    assert result["status"] == domain.IN_REVIEW and case.accepted
    [accepted] = world.events("case_accepted")
    assert accepted["case_ref"] == "permits:application:app-1" and accepted["deemed"] is False
    assert [o.action for o in world.cases.opinions(case.id)] == ["accept"]
    assert world.audits("case.accept")[0]["actor_id"] == "rev-1"


def test_a_case_claimed_by_a_colleague_cannot_be_claimed_again(world: World) -> None:
    case = received(world)
    desk.claim(world.deps(), COLLEAGUE, str(case.id))
    with pytest.raises(Exception) as caught:
        desk.claim(world.deps(), REVIEWER, str(case.id))
    assert caught.value.code == "conflict" and case.claimed_by == "rev-2"


def test_acting_without_holding_the_case_is_refused_and_audited(world: World) -> None:
    case = received(world)
    with pytest.raises(Forbidden):
        desk.act(world.deps(), REVIEWER, str(case.id), {"action": "accept", "comment": ""})
    assert world.audits("case.refused.accept")[0]["reason"] == "请先领取该案件，再填写审核意见"
    assert world.events("case_accepted") == [] and not case.accepted


def test_another_desk_is_refused_before_the_body_is_read(world: World) -> None:
    case = received(world)
    with pytest.raises(Forbidden):
        desk.act(world.deps(), OTHER_DESK, str(case.id), {"action": "reject"})  # no comment: not read
    [refusal] = world.audits("case.refused.reject")
    assert refusal["desk"] == "city:150100" and refusal["case_desk"] == "province:150000"


def test_a_step_that_does_not_allow_the_action_is_refused(world: World) -> None:
    case = received(world)
    desk.claim(world.deps(), REVIEWER, str(case.id))
    with pytest.raises(InvalidTransition):
        desk.act(world.deps(), REVIEWER, str(case.id), {"action": "return", "comment": "退回"})
    assert world.audits("case.refused.return")


def test_a_correction_pauses_the_clock_and_the_next_revision_resumes_it(world: World) -> None:
    case = received(world)
    desk.claim(world.deps(), REVIEWER, str(case.id))
    with pytest.raises(ValidationFailed):  # a correction names what to correct
        desk.act(world.deps(), REVIEWER, str(case.id), {
            "action": "correction", "comment": "缺材料",
            "items": [{"target": "field", "name": "nope", "reason": "?"}]})
    desk.act(world.deps(), REVIEWER, str(case.id), {
        "action": "correction", "comment": "请补正企业名称",
        "items": [{"target": "field", "name": "name", "reason": "与执照不符"}]})
    assert (case.status, case.queue, case.pause_reason) == (domain.CORRECTION, "waiting", "等待企业补正材料")
    [asked] = world.events("correction_requested")
    assert asked["items"][0]["name"] == "name" and asked["revision"] == 1
    intake.review_requested(world.deps(), REVIEW_REQUESTED["permits"], requested(revision=2))
    assert (case.status, case.queue, case.paused_since, case.revision) == (domain.SUBMITTED, "active",
                                                                           None, 2)
    assert world.cases.corrections(case.id)[0].resolved_revision == 2


def test_batch_act_reports_each_case(world: World) -> None:
    case = received(world)
    intake.review_requested(world.deps(), REVIEW_REQUESTED["permits"],
                            requested(case_ref="permits:application:app-2"))
    waiting = world.cases.rows[1]  # not accepted yet: 同意 cannot be its first opinion
    desk.claim(world.deps(), REVIEWER, str(case.id))
    desk.act(world.deps(), REVIEWER, str(case.id), {"action": "accept"})
    result = desk.batch_act(world.deps(), REVIEWER, {"action": "approve", "case_ids": [
        str(case.id), str(waiting.id), str(uuid.uuid4())]})
    assert (result["succeeded"], result["failed"]) == (1, 2)
    assert [r.get("code") for r in result["results"]] == [None, "invalid_transition", "not_found"]
    assert waiting.step_key == "form_review" and world.audits("case.refused.approve")
    assert case.step_key == "approval" and world.events("case_step_changed")


def test_a_withdrawal_closes_the_case_and_answers_case_closed(world: World) -> None:
    case = received(world)
    body = make_envelope("permits", "review_withdrawn", 1, {"case_ref": "permits:application:app-1",
                                                            "reason": "企业撤回申请", "by": "甲",
                                                            "outcome": "withdrawn"})
    intake.review_withdrawn(world.deps(), REVIEW_WITHDRAWN["permits"], body)
    assert (case.status, case.queue) == (domain.WITHDRAWN, "done")
    assert world.events("case_closed")[0]["outcome"] == "withdrawn"


def test_a_withdrawal_before_its_request_is_retried(world: World) -> None:
    body = make_envelope("permits", "review_withdrawn", 1, {
        "case_ref": "permits:application:app-9", "reason": "", "by": "甲", "outcome": "withdrawn"})
    with pytest.raises(LookupError):
        intake.review_withdrawn(world.deps(), REVIEW_WITHDRAWN["permits"], body)


def test_unanswered_cases_are_deemed_accepted_from_their_receipt(world: World) -> None:
    case = received(world)
    later = case.acceptance_due + timedelta(days=1)
    assert sweeps.sweep_acceptance_once(world.deps(), later) == 1
    assert case.accepted and case.deemed_accepted and case.status == domain.IN_REVIEW
    [accepted] = world.events("case_accepted")
    assert accepted["deemed"] is True
    assert [o.handling for o in world.cases.opinions(case.id)] == ["逾期未受理视为受理"]
    assert sweeps.sweep_acceptance_once(world.deps(), later) == 0


def test_delegation_stays_within_the_desk(world: World) -> None:
    today = _support._today()
    with pytest.raises(ValidationFailed) as caught:
        delegations.delegate(world.deps(), REVIEWER, {"to_reviewer": "rev-9", "starts_on": today.isoformat(),
                                                      "ends_on": today.isoformat(), "reason": "休假"})
    assert "to_reviewer" in caught.value.fields
    made = delegations.delegate(world.deps(), REVIEWER, {
        "to_reviewer": "rev-2", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
        "reason": "休假"})
    assert made["in_force"] and world.audits("delegation.created")
    case = received(world)
    desk.claim(world.deps(), REVIEWER, str(case.id))
    detail = selectors.case_detail(world.deps(), COLLEAGUE, str(case.id))  # the delegate holds it
    assert detail["held_by_me"] and "accept" in [a["action"] for a in detail["allowed_actions"]]


def test_the_enterprise_reads_only_its_own_cases(world: World) -> None:
    case = received(world)
    history = selectors.case_history(world.deps(), ENTERPRISE_ACTOR, str(case.id))
    assert history["case_ref"] == "permits:application:app-1"
    stranger = {"id": "00000000-0000-0000-0000-00000000000b", "kind": "enterprise", "permissions": []}
    with pytest.raises(Exception) as caught:
        selectors.case_history(world.deps(), stranger, str(case.id))
    assert caught.value.code == "not_found" and world.audits("case.refused.history")
