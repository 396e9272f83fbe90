"""enterprise's service layer with a fake unit of work (no database, no broker, no identity,
review, permits or personnel service): access, change requests asked of review through the
review kit (services/common/review_cases.py) and review's answers, read from what the use cases
left behind: the rows, the events in the outbox, the audit rows, the refusals.

The fake repository answers the queries the use cases make, from plain lists; the real
repository's PostgreSQL queries are the integration tier's (tests/integration/test_enterprise_*.py)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from services.common.envelope import make_envelope
from services.common.errors import Conflict, Forbidden, NotFound
from services.enterprise import domain
from services.enterprise.models import ChangeRequest, Enterprise
from services.enterprise.usecases import _support, change_requests, profile, selectors
from tests.support.fake_transaction import FakeOutboxTx

ENTERPRISE = uuid.UUID("00000000-0000-0000-0000-00000000000a")
OTHER = uuid.UUID("00000000-0000-0000-0000-00000000000b")
OWNER = {"id": str(ENTERPRISE), "kind": "enterprise", "permissions": []}
STRANGER = {"id": str(OTHER), "kind": "enterprise", "permissions": []}
REVIEWER = {"id": "rev-1", "kind": "reviewer", "level": "province", "region_code": "150000",
            "permissions": []}


class FakeRepository:
    """EnterpriseRepository's queries over lists."""

    def __init__(self) -> None:
        self.enterprises: list[Enterprise] = []
        self.requests: list[ChangeRequest] = []
        self.history_rows: list[tuple] = []

    def get(self, enterprise_id: uuid.UUID, *, for_update: bool = False) -> Enterprise | None:
        return next((e for e in self.enterprises if e.id == enterprise_id), None)

    def add(self, row: Any) -> None:
        if isinstance(row, ChangeRequest):
            row.id = row.id or uuid.uuid4()
            self.requests.append(row)

    def attachments_of(self, enterprise_id: uuid.UUID, owner_ids: Any = None) -> list:
        return []

    def attachment(self, attachment_id: uuid.UUID) -> None:
        return None

    def pending_change_request(self, enterprise_id: uuid.UUID) -> ChangeRequest | None:
        return next((r for r in self.requests if r.enterprise_id == enterprise_id
                     and r.status == domain.CHANGE_PENDING), None)

    def change_request(self, request_id: uuid.UUID, for_update: bool = False) -> ChangeRequest | None:
        return next((r for r in self.requests if r.id == request_id), None)

    def change_requests(self, enterprise_id: uuid.UUID) -> list[ChangeRequest]:
        return [r for r in self.requests if r.enterprise_id == enterprise_id]

    def add_history(self, enterprise_id: uuid.UUID, actor_id: str | None, section: str, record_id: str | None,
                    action: str, changes: Any, actor_name: str | None = None) -> None:
        self.history_rows.append((enterprise_id, actor_id, section, action, changes))


class FakeTx(FakeOutboxTx):
    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.repo = world.repo

    def flush(self) -> None:
        """``records_version`` is incremented in SQL (records_version + 1): the database's part."""
        for row in self.world.repo.enterprises:
            if not isinstance(row.records_version, int):
                self.world.versions[row.id] = self.world.versions.get(row.id, 1) + 1
                row.records_version = self.world.versions[row.id]

    def rollback(self) -> None:
        self.events, self.audits = [], []


class World:
    def __init__(self) -> None:
        self.repo = FakeRepository()
        self.outbox: list[tuple[str, dict]] = []
        self.audit_log: list[tuple[str, dict]] = []
        self.refusals: list[tuple[str, dict]] = []
        self.claimed: set[tuple[str, str]] = set()
        self.versions: dict[uuid.UUID, int] = {}
        self.reviewer_cases: set[str] = set()
        self.repo.enterprises.append(Enterprise(
            id=ENTERPRISE, uscc="91150100MA0000000X", name="甲建筑公司", legal_representative="张三",
            region_code="150102", records_version=1, profile_status="approved", imported=False,
            needs_completion=False))

    @contextmanager
    def begin(self) -> Any:
        yield FakeTx(self)

    def deps(self) -> _support.Deps:
        def audit_alone(action: str, actor: dict | None, subject: object, **detail: object) -> None:
            self.refusals.append((action, {"actor": (actor or {}).get("id"), "subject": str(subject),
                                           **detail}))

        return _support.Deps(
            begin=self.begin, store=lambda: None, session_account=lambda account_id: {},
            reviewer_may_read_enterprise=lambda actor, eid: {"allowed": eid in self.reviewer_cases},
            open_cases_call=lambda service, eid: None, audit_alone=audit_alone)

    def events(self, event_type: str) -> list[dict]:
        return [data for kind, data in self.outbox if kind == event_type]


@pytest.fixture
def world() -> World:
    return World()


def requested(world: World) -> dict:
    return change_requests.request_change(world.deps(), OWNER, str(ENTERPRISE), {
        "changes": {"legal_representative": "李四"}, "reason": "法定代表人变更"})


def answer(world: World, event_type: str, request_id: str, **data: Any) -> None:
    body = make_envelope("review", event_type, 1, {
        "case_ref": f"enterprise:change:{request_id}", "case_id": str(uuid.uuid4()),
        "at": datetime.now(UTC).isoformat(), **data})
    handler = {"case_decided": change_requests.on_case_decided,
               "case_closed": change_requests.on_case_closed}[event_type]
    handler(world.deps(), body)


def test_a_change_of_a_locked_field_asks_review_for_a_case(world: World) -> None:
    view = requested(world)
    assert view["status"] == domain.CHANGE_PENDING and view["changes"]["legal_representative"] == {
        "old": "张三", "new": "李四"}
    [case] = world.events("review_requested")
    assert case["case_ref"] == f"enterprise:change:{view['id']}" and case["case_type"] == "enterprise.change"
    assert case["region_code"] == "150102" and case["revision"] == 1
    assert case["fields"]["legal_representative"]["value"] == "张三 → 李四"
    assert world.events("change_requested")[0]["enterprise_name"] == "甲建筑公司"
    assert world.repo.enterprises[0].legal_representative == "张三"  # not before review decides


def test_one_pending_change_request_at_a_time(world: World) -> None:
    requested(world)
    with pytest.raises(Conflict):
        requested(world)


def test_an_approval_applies_the_change_once(world: World) -> None:
    view = requested(world)
    body = make_envelope("review", "case_decided", 1, {
        "case_ref": f"enterprise:change:{view['id']}", "case_id": str(uuid.uuid4()), "decision": "approved",
        "reason": None, "decided_by": "王审核", "decided_by_id": "rev-1", "decided_level": "province",
        "decided_desk_region": "150000"})
    change_requests.on_case_decided(world.deps(), body)
    change_requests.on_case_decided(world.deps(), body)  # redelivered
    row = world.repo.enterprises[0]
    assert row.legal_representative == "李四" and world.repo.requests[0].status == domain.CHANGE_APPROVED
    [changed] = world.events("records_changed")
    assert changed["records_version"] == 2 and changed["sections"] == ["basic"]
    assert [h[3] for h in world.repo.history_rows] == ["change_requested", "change_approved"]


def test_a_rejection_or_a_withdrawal_changes_nothing(world: World) -> None:
    view = requested(world)
    answer(world, "case_decided", view["id"], decision="rejected", reason="材料不全", decided_by="王审核")
    assert world.repo.requests[0].status == domain.CHANGE_REJECTED
    assert world.repo.requests[0].decision_reason == "材料不全"
    assert world.repo.enterprises[0].legal_representative == "张三" and not world.events("records_changed")
    answer(world, "case_closed", view["id"], outcome="withdrawn")  # already settled: nothing
    assert world.repo.requests[0].status == domain.CHANGE_REJECTED


def test_another_producers_answer_is_not_enterprises(world: World) -> None:
    view = requested(world)
    change_requests.on_case_decided(world.deps(), make_envelope("review", "case_decided", 1, {
        "case_ref": f"permits:application:{view['id']}", "case_id": str(uuid.uuid4()),
        "decision": "approved", "decided_by": "王审核"}))
    assert world.repo.requests[0].status == domain.CHANGE_PENDING and not world.claimed


def test_another_enterprise_is_refused_and_audited(world: World) -> None:
    with pytest.raises(Forbidden):
        profile.get_enterprise(world.deps(), STRANGER, str(ENTERPRISE))
    assert world.refusals[0][0] == "enterprise.access_refused"
    assert world.refusals[0][1]["reason"] == "other_enterprise"


def test_a_reviewer_reads_only_through_a_case_about_the_enterprise(world: World) -> None:
    with pytest.raises(Forbidden):
        selectors.list_change_requests(world.deps(), REVIEWER, str(ENTERPRISE))
    assert world.refusals[-1][1]["reason"] == "no_case"
    world.reviewer_cases.add(str(ENTERPRISE))
    requested(world)
    [listed] = selectors.list_change_requests(world.deps(), REVIEWER, str(ENTERPRISE))
    assert listed["status"] == domain.CHANGE_PENDING
    assert world.refusals[-1][0] == "enterprise.read_by_staff"  # staff reads are audited


def test_an_unknown_enterprise_id_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        profile.get_enterprise(world.deps(), OWNER, "not-a-uuid")
