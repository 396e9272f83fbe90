"""The kit of services that ask review for a case (services/common/review_cases.py): an
answer reaches its subject once, another producer's case is left alone, the state table's
steps are applied in order, a step the subject cannot take raises or is recorded; and permits'
table (lifecycle.review_steps) for every answer × state it meets."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest

from services.common.contracts.review import CASE_DECIDED
from services.common.envelope import make_envelope
from services.common.errors import InvalidTransition
from services.common.review_cases import (
    CaseDesk,
    attachment_refs,
    follow,
    named_attachment,
    request,
    withdraw,
)
from services.permits.events import REVIEW_REQUESTED, REVIEW_WITHDRAWN
from services.permits.lifecycle import review_steps


class FakeUow:
    def __init__(self, rows: dict[str, dict], claimed: set) -> None:
        self.rows, self.claimed = rows, claimed
        self.commits = 0
        self.events: list[tuple[str, dict]] = []

    def claim_event(self, event_id: str, consumer: str) -> bool:
        if (event_id, consumer) in self.claimed:
            return False
        self.claimed.add((event_id, consumer))
        return True

    def add_event(self, spec: Any, data: dict) -> None:
        spec.serialise(data)
        self.events.append((spec.type, data))

    def commit(self) -> None:
        self.commits += 1


def desk_and_begin(rows: dict[str, dict]) -> tuple[CaseDesk, Any, list[FakeUow]]:
    claimed: set = set()
    opened: list[FakeUow] = []

    @contextmanager
    def begin():
        uow = FakeUow(rows, claimed)
        opened.append(uow)
        yield uow

    return CaseDesk("svc", "svc:thing:", lambda uow, ref: uow.rows.get(ref)), begin, opened


def decided(case_ref: str) -> dict:
    return make_envelope(
        "review", "case_decided", 1, {"case_ref": case_ref, "case_id": "c1", "decision": "approved"}
    )


def test_an_answer_reaches_its_subject_once_and_commits_its_claim():
    rows = {"svc:thing:1": {"state": "open"}}
    desk, begin, opened = desk_and_begin(rows)
    seen = []
    body = decided("svc:thing:1")
    desk.answer(
        begin, "case_decided", body, lambda uow, subject, data: seen.append((subject, data["decision"]))
    )
    desk.answer(begin, "case_decided", body, lambda uow, subject, data: seen.append("again"))
    assert seen == [({"state": "open"}, "approved")]
    assert [u.commits for u in opened] == [1, 1]
    assert {(str(e), c) for e, c in opened[0].claimed} == {(str(body["id"]), "svc.on_case_decided")}


def test_another_producers_case_and_an_unknown_case_are_left_alone():
    desk, begin, opened = desk_and_begin({})
    seen = []
    desk.answer(begin, "case_decided", decided("other:thing:1"), lambda *a: seen.append(a))
    desk.answer(begin, "case_decided", decided("svc:thing:404"), lambda *a: seen.append(a))
    assert seen == []
    assert not desk.owns("other:thing:1") and desk.owns("svc:thing:404")
    assert len(opened[0].claimed) == 1  # the unknown case's answer is claimed; the other's not looked at


def test_an_answer_that_does_not_fit_its_schema_is_refused_before_a_transaction():
    desk, begin, opened = desk_and_begin({})
    body = make_envelope(
        "review", "case_decided", 1, {"case_ref": "svc:thing:1", "case_id": "c", "decision": "maybe"}
    )
    with pytest.raises(Exception):  # noqa: B017 - the envelope's schema error, whatever its class
        desk.answer(begin, "case_decided", body, lambda *a: None)
    assert opened == [] and CASE_DECIDED.type == "case_decided"


def test_follow_applies_the_tables_steps_in_order_and_says_whether_any():
    done: list[tuple[str, str | None]] = []
    table = lambda event_type, data, state: [("accept", None), ("approve", "city")]  # noqa: E731
    assert follow(table, "case_decided", {}, "s", lambda a, lv: done.append((a, lv))) is True
    assert done == [("accept", None), ("approve", "city")]
    assert follow(lambda *a: [], "case_closed", {}, "s", lambda a, lv: done.append((a, lv))) is False


def test_a_step_the_subject_cannot_take_raises_unless_it_is_recorded():
    def step(action: str, level: str | None) -> None:
        raise InvalidTransition("不能受理")

    table = lambda *a: [("accept", None)]  # noqa: E731
    with pytest.raises(InvalidTransition):
        follow(table, "case_accepted", {}, "s", step)
    recorded: list[str] = []
    assert follow(table, "case_accepted", {}, "s", step, lambda exc: recorded.append(exc.message)) is False
    assert recorded == ["不能受理"]


class Row:
    def __init__(self, owner: str, label: str = "营业执照") -> None:
        import uuid

        self.id, self.owner, self.label = uuid.uuid4(), owner, label
        self.filename, self.sha256 = "a.pdf", "0" * 64


def test_request_and_withdraw_send_the_contracts_shape():
    uow = FakeUow({}, set())
    files = [Row("app-1"), Row("app-1", "")]
    data = request(
        uow,
        REVIEW_REQUESTED,
        case_ref="permits:application:1",
        case_type="permits.cip",
        enterprise_id="e",
        enterprise_name="甲",
        region_code=None,
        title="  " + "长" * 400,
        revision=1,
        fields={},
        attachments=attachment_refs(files, lambda r: r.label or "材料"),
        submitted_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
    )
    assert data["region_code"] == "150000" and len(data["title"]) == 300 and data["lane"] == "normal"
    assert [a["label"] for a in data["attachments"]] == ["营业执照", "材料"]
    withdraw(uow, REVIEW_WITHDRAWN, "permits:application:1", "企业撤回申请", "u1", "withdrawn")
    assert [t for t, _ in uow.events] == ["review_requested", "review_withdrawn"]


def test_a_named_attachment_is_found_only_among_the_subjects_files():
    mine, theirs = Row("app-1"), Row("app-2")
    files = {r.id: r for r in (mine, theirs)}
    owns = lambda row: row.owner == "app-1"  # noqa: E731
    assert named_attachment({"name": str(mine.id)}, files.get, owns) is mine
    assert named_attachment({"name": str(theirs.id)}, files.get, owns) is None
    assert named_attachment({"name": "business_licence"}, files.get, owns) is None


@pytest.mark.parametrize(
    ("event_type", "data", "state", "steps"),
    [
        ("case_accepted", {}, "submitted", [("accept", None)]),
        ("case_accepted", {}, "resubmitted", [("accept", None)]),
        ("case_accepted", {}, "under_review", []),
        ("case_step_changed", {"level": "region"}, "submitted", [("accept", None)]),
        ("case_step_changed", {"level": "region"}, "under_review", []),
        ("correction_requested", {}, "under_review", [("request_correction", None)]),
        ("case_decided", {"decision": "approved"}, "submitted", [("accept", None), ("approve", None)]),
        ("case_decided", {"decision": "approved"}, "under_review", [("approve", None)]),
        ("case_decided", {"decision": "rejected"}, "submitted", [("reject", None)]),
        ("case_closed", {"outcome": "withdrawn"}, "withdrawn", []),
    ],
)
def test_permits_table_maps_reviews_answers(event_type, data, state, steps):
    assert review_steps(event_type, data, state) == steps


def test_permits_table_refuses_an_unknown_answer():
    with pytest.raises(ValueError):
        review_steps("case_exploded", {}, "submitted")
