"""personnel's service layer with a fake unit of work (no database, no broker, no enterprise
service): a use case is called as the entrypoint calls it, with fake collaborators, and the test
reads what it left behind: the rows, the events in the outbox, the audit rows, the refusals.

The fake repository answers the queries the use cases below make, from plain lists; the real
repository's PostgreSQL queries are covered by the integration tier."""

from __future__ import annotations

import uuid
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.common.envelope import make_envelope
from services.common.errors import Forbidden, NotFound, ValidationFailed
from services.personnel import declarations as rules
from services.personnel import events
from services.personnel.catalogue import load_catalogue
from services.personnel.models import (
    Appeal,
    Attachment,
    Batch,
    Certificate,
    Commitment,
    Declaration,
    Person,
    ReportKey,
    Transfer,
)
from services.personnel.usecases import (
    _support,
    appeals,
    batches,
    certificates,
    declarations,
    lifecycle,
    people,
    review_answers,
    transfers,
)
from tests.support.fake_transaction import FakeOutboxTx

CATALOGUE = load_catalogue()
ENTERPRISE = uuid.UUID("00000000-0000-0000-0000-00000000000a")
OTHER = uuid.UUID("00000000-0000-0000-0000-00000000000b")
ACTOR = {"id": str(ENTERPRISE), "kind": "enterprise", "permissions": []}
REVIEWER = {"id": "rev-1", "kind": "reviewer", "level": "city", "region_code": "150102", "permissions": []}
PERSON_ACTOR = {"id": "p-acc", "kind": "person", "id_number": "15012120000101003X"}
ID = "15012120000101003X"


class FakeRepository:
    """The queries the use cases make, over lists of model objects (never flushed)."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.employers: dict[str, tuple[uuid.UUID, str | None]] = {}

    def _all(self, kind: type) -> list[Any]:
        return [r for r in self.rows if isinstance(r, kind)]

    def _by_id(self, kind: type, row_id: object) -> Any:
        return next((r for r in self._all(kind) if r.id == row_id), None)

    def add(self, row: Any) -> None:
        if getattr(row, "id", None) is None:
            row.id = uuid.uuid4()
        if hasattr(row, "created_at") and row.created_at is None:
            row.created_at = datetime.now(UTC)
        if isinstance(row, Declaration):
            row.version = row.version or 1
            row.revision = row.revision or 0
        self.rows.append(row)

    # the directory of employers
    def remember_employer(self, eid: uuid.UUID, uscc: str, name: str | None, region: str | None) -> None:
        self.employers[uscc] = (eid, name)

    def employer_by_uscc(self, uscc: str) -> Any:
        found = self.employers.get(uscc)
        return None if found is None else type("Employer", (), {"id": found[0], "name": found[1]})()

    # people and certificates
    def person(self, person_id: object, *, for_update: bool = False) -> Person | None:
        return self._by_id(Person, person_id)

    def people_by_number(self, number: str) -> list[Person]:
        return [p for p in self._all(Person) if p.id_number == number]

    def certificate(self, cert_id: object, *, for_update: bool = False) -> Certificate | None:
        return self._by_id(Certificate, cert_id)

    def certificates_of_person(self, person_id: object) -> list[Certificate]:
        return [c for c in self._all(Certificate) if c.person_id == person_id]

    def exam_passes(self, id_number: str) -> list:
        return []

    # declarations
    def declaration(self, did: object, *, for_update: bool = False) -> Declaration | None:
        return self._by_id(Declaration, did)

    def declarations_of_person(self, person_id: object) -> list[Declaration]:
        return [d for d in self._all(Declaration) if d.person_id == person_id]

    def by_case_ref(self, case_ref: str) -> Declaration | None:
        return next((d for d in self._all(Declaration) if d.case_ref == case_ref), None)

    def attachment(self, aid: object) -> Attachment | None:
        return self._by_id(Attachment, aid)

    def attachments_of(self, did: object) -> list[Attachment]:
        return [a for a in self._all(Attachment) if a.declaration_id == did]

    def batch(self, batch_id: object) -> Batch | None:
        return self._by_id(Batch, batch_id)

    def in_batch(self, batch_id: object) -> list[Declaration]:
        return [d for d in self._all(Declaration) if d.batch_id == batch_id]

    def commitment(self, token: object) -> Commitment | None:
        return self._by_id(Commitment, token)

    def report_key(self, eid: object, form_key: str) -> ReportKey | None:
        return next(
            (k for k in self._all(ReportKey) if k.enterprise_id == eid and k.form_key == form_key), None
        )

    # transfers and appeals
    def transfer(self, transfer_id: object, *, for_update: bool = False) -> Transfer | None:
        return self._by_id(Transfer, transfer_id)

    def appeal(self, appeal_id: object) -> Appeal | None:
        return self._by_id(Appeal, appeal_id)


class FakeTx(FakeOutboxTx):
    """One transaction over the fake repository."""

    def __init__(self, world: FakeWorld) -> None:
        super().__init__(world)
        self.repo = world.repo

    def nested(self) -> Any:
        return nullcontext()

    def expunge(self, row: object) -> None:
        pass



class FakeWorld:
    """The fake collaborators and what they saw."""

    def __init__(self) -> None:
        self.repo = FakeRepository()
        self.outbox: list[tuple[str, dict]] = []
        self.audit_log: list[tuple[str, dict]] = []
        self.refusals: list[tuple[str, object, dict]] = []
        self.claimed: set[tuple[str, str]] = set()
        self.enterprises = {
            str(ENTERPRISE): {"name": "甲建筑公司", "region_code": "150102", "uscc": "91150100000000000A"},
            str(OTHER): {"name": "乙建筑公司", "region_code": "150202", "uscc": "91150200000000000B"},
        }

    @contextmanager
    def begin(self) -> Any:
        yield FakeTx(self)

    def deps(self) -> _support.Deps:
        return _support.Deps(
            begin=self.begin,
            types=CATALOGUE,
            store=lambda: pytest.fail("no file is stored in these tests"),
            enterprise_records=lambda eid: dict(self.enterprises[eid]),
            audit_alone=lambda action, actor, subject, **kw: self.refusals.append((action, subject, kw)),
            settings={"commitment_seconds": 0},
        )

    def event_types(self) -> list[str]:
        return [t for t, _ in self.outbox]

    def audit_actions(self) -> list[str]:
        return [a for a, _ in self.audit_log]


@pytest.fixture
def world() -> FakeWorld:
    w = FakeWorld()
    w.repo.remember_employer(OTHER, "91150200000000000B", "乙建筑公司", "150202")
    return w


def holder(world: FakeWorld, type_code: str = "constructor_2") -> Certificate:
    """A person holding a valid certificate of the enterprise."""
    person = Person(
        id=uuid.uuid4(),
        id_type="resident_id",
        id_number=ID,
        name="张三",
        gender="male",
        birth_date=date(2000, 1, 1),
        mobile="13800000000",
        created_by_enterprise_id=ENTERPRISE,
    )
    world.repo.add(person)
    today = _support._today()
    cert = Certificate(
        id=uuid.uuid4(),
        person_id=person.id,
        enterprise_id=ENTERPRISE,
        enterprise_name="甲建筑公司",
        type_code=type_code,
        certificate_kind="constructor",
        status="valid",
        region_code="150102",
        issued_on=today - timedelta(days=400),
        valid_until=today + timedelta(days=700),
        registration_number="蒙215080907445",
        qualification_number="NMG0004151",
        specialties=["建筑工程"],
        imported=True,
        history=[],
        version=1,
    )
    world.repo.add(cert)
    return cert


def reported_reissue(world: FakeWorld) -> Declaration:
    """A 补办 declaration filed, its attachments in, the commitment letter read, reported."""
    deps = world.deps()
    cert = holder(world)
    view = declarations.new_declaration(
        deps,
        ACTOR,
        {
            "type_code": "constructor_2",
            "kind": "reissue",
            "certificate_id": str(cert.id),
            "form": {"reason": "遗失"},
        },
    )
    decl = world.repo.declaration(uuid.UUID(view["id"]))
    for code in ("signed_form", "loss_notice"):
        world.repo.add(
            Attachment(
                code=code,
                label=code,
                declaration_id=decl.id,
                enterprise_id=ENTERPRISE,
                filename=f"{code}.pdf",
                sha256="0" * 64,
                storage_key=code,
            )
        )
    letter = batches.open_commitment(deps, ACTOR, {"declaration_ids": [view["id"]]})
    answer = batches.report(
        deps,
        ACTOR,
        {
            "declaration_ids": [view["id"]],
            "commitment_token": letter["token"],
            "confirmed": True,
            "form_key": "k1",
        },
    )
    assert answer["results"][0]["ok"], answer
    return decl


def review_event(world: FakeWorld, spec: Any, decl: Declaration, **data: Any) -> dict:
    return make_envelope(
        "review", spec.type, spec.version, {"case_ref": decl.case_ref, "case_id": "c-1", **data}
    )


# ---------------------------------------------------------------------------- declarations
def test_a_report_moves_the_declaration_and_asks_review_in_the_same_transaction(world):
    decl = reported_reissue(world)
    assert decl.status in rules.REPORTED_STATUSES
    assert decl.revision == 1 and decl.reported_at is not None
    assert world.event_types() == ["declaration_status_changed", "review_requested"]
    requested = dict(world.outbox)["review_requested"]
    assert requested["case_ref"] == decl.case_ref and requested["region_code"] == "150102"
    assert {a["label"] for a in requested["attachments"]} == {"signed_form", "loss_notice"}
    assert world.audit_actions() == [
        "personnel.declaration.create",
        "personnel.commitment.open",
        "personnel.declaration.report",
        "personnel.report",
    ]


def test_a_report_is_answered_once_per_form_key(world):
    decl = reported_reissue(world)
    before = list(world.outbox)
    again = batches.report(
        world.deps(), ACTOR, {"declaration_ids": [str(decl.id)], "confirmed": True, "form_key": "k1"}
    )
    assert again["results"][0]["ok"] and world.outbox == before


def test_another_enterprise_cannot_report_it_and_the_refusal_is_audited(world):
    decl = reported_reissue(world)
    other = {**ACTOR, "id": str(OTHER)}
    before = (list(world.outbox), list(world.audit_log))
    with pytest.raises(NotFound):
        batches.open_commitment(world.deps(), other, {"declaration_ids": [str(decl.id)]})
    assert world.refusals == [("personnel.access_refused", decl.id, {"reason": "other_enterprise"})]
    assert (world.outbox, world.audit_log) == before


def test_correction_requested_then_resubmitted(world):
    decl = reported_reissue(world)
    deps = world.deps()
    review_answers.on_case_accepted(
        deps, review_event(world, events.CASE_ACCEPTED, decl, step="city")
    )
    items = [{"target": "field", "name": "form.reason", "reason": "请写明遗失经过"}]
    event = review_event(world, events.CORRECTION_REQUESTED, decl, items=items)
    review_answers.on_correction_requested(deps, event)
    review_answers.on_correction_requested(deps, event)  # a repeat is claimed once
    assert decl.status == rules.CORRECTION
    assert decl.correction_items[0]["label"] and decl.correction_items[0]["reason"] == "请写明遗失经过"
    lifecycle.resubmit_declaration(deps, ACTOR, str(decl.id))
    assert decl.status != rules.CORRECTION and decl.revision == 2 and decl.correction_items == []
    assert world.event_types()[-2:] == ["declaration_status_changed", "review_requested"]
    assert [a for a in world.audit_actions() if a.startswith("personnel.declaration.")][-3:] == [
        "personnel.declaration.accept",
        "personnel.declaration.request_correction",
        "personnel.declaration.resubmit",
    ]


# ---------------------------------------------------------------------------- transfers
def test_transfer_out_marks_the_certificate_and_tells_the_new_employer(world):
    cert = holder(world)
    view = transfers.transfer_out(
        world.deps(), ACTOR, {"certificate_id": str(cert.id), "to_uscc": "91150200000000000b"}
    )
    assert view["to_enterprise_id"] == str(OTHER) and view["to_enterprise_name"] == "乙建筑公司"
    assert (cert.status, cert.transfer_to) == ("transferring", OTHER)
    assert world.event_types() == ["transfer_requested"]
    assert dict(world.outbox)["transfer_requested"]["awaiting_enterprise_id"] == OTHER
    assert world.audit_actions() == ["personnel.transfer.declare_out"]


def test_transfer_out_of_another_enterprises_certificate_is_not_found_and_audited(world):
    cert = holder(world)
    other = {**ACTOR, "id": str(OTHER)}
    with pytest.raises(NotFound):
        transfers.transfer_out(
            world.deps(), other, {"certificate_id": str(cert.id), "to_uscc": "91150200000000000B"}
        )
    assert world.refusals == [("personnel.access_refused", cert.id, {"reason": "certificate"})]
    assert world.outbox == [] and world.audit_log == [] and cert.status == "valid"


# ---------------------------------------------------------------------------- appeals
def open_appeal(world: FakeWorld) -> Appeal:
    cert = holder(world)
    row = Appeal(
        id=uuid.uuid4(),
        enterprise_id=ENTERPRISE,
        person_id=cert.person_id,
        region_code="150102",
        kind="other",
        detail="社保缴纳单位与注册单位不一致",
        status="open",
        deadline=_support._today() + timedelta(days=10),
        history=[],
        evidence=[],
    )
    world.repo.add(row)
    return row


def test_the_enterprise_answers_an_appeal_and_the_reviewer_closes_it(world):
    row = open_appeal(world)
    deps = world.deps()
    appeals.answer_appeal(deps, ACTOR, str(row.id), {"explanation": "已于本月补缴该人员的社会保险费用"})
    assert row.status == "answered" and row.explanation == "已于本月补缴该人员的社会保险费用"
    appeals.close_appeal(deps, REVIEWER, str(row.id), {"outcome": "uphold", "opinion": "情况属实"})
    assert row.status != "answered" and row.opinion == "情况属实"
    assert world.audit_actions() == ["personnel.appeal.answer", "personnel.appeal.uphold"]
    assert [h["action"] for h in row.history] == ["answer", "uphold"]


def test_a_reviewer_of_another_region_cannot_close_it(world):
    row = open_appeal(world)
    elsewhere = {**REVIEWER, "region_code": "150202"}
    with pytest.raises(NotFound):
        appeals.close_appeal(world.deps(), elsewhere, str(row.id), {"outcome": "uphold"})
    assert world.refusals and row.status == "open" and world.audit_log == []


# ---------------------------------------------------------------------------- payload shapes
BAD_SHAPES = [
    ["not", "an", "object"],
    "text",
    42,
]


def _fields(call: Any) -> dict:
    with pytest.raises(ValidationFailed) as failed:
        call()
    assert failed.value.fields, failed.value
    for errors in failed.value.fields.values():
        for error in errors:
            assert error["code"] and not error["message"].isascii()  # a stable code, a Chinese message
    return failed.value.fields


@pytest.mark.parametrize("payload", BAD_SHAPES)
def test_write_rpcs_refuse_a_payload_that_is_not_an_object(world, payload):
    deps, some = world.deps(), str(uuid.uuid4())
    calls = [
        lambda: people.update_person(deps, ACTOR, some, payload),
        lambda: people.create_person(deps, ACTOR, payload),
        lambda: transfers.transfer_out(deps, ACTOR, payload),
        lambda: transfers.request_transfer(deps, PERSON_ACTOR, payload),
        lambda: declarations.correct_qualification(deps, ACTOR, some, payload),
        lambda: lifecycle.decide_withdrawal(deps, ACTOR, some, payload),
        lambda: appeals.answer_appeal(deps, ACTOR, some, payload),
        lambda: appeals.close_appeal(deps, REVIEWER, some, payload),
        lambda: certificates.find_for_re_registration(deps, ACTOR, payload),
    ]
    for call in calls:
        assert "_" in _fields(call)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda d, s: people.update_person(d, ACTOR, s, {"mobile": ["13800000000"]}), "mobile"),
        (lambda d, s: people.update_person(d, ACTOR, s, {"name": {"a": 1}}), "name"),
        (lambda d, s: transfers.transfer_out(d, ACTOR, {"to_uscc": ["x"], "certificate_id": s}), "to_uscc"),
        (
            lambda d, s: transfers.transfer_out(d, ACTOR, {"certificate_id": [s], "to_uscc": "x"}),
            "certificate_id",
        ),
        (lambda d, s: transfers.request_transfer(d, PERSON_ACTOR, {"direction": ["out"]}), "direction"),
        (lambda d, s: declarations.correct_qualification(d, ACTOR, s, {"copy": "abc"}), "copy"),
        (
            lambda d, s: declarations.correct_qualification(d, ACTOR, s, {"qualification_number": True}),
            "qualification_number",
        ),
        (lambda d, s: lifecycle.decide_withdrawal(d, ACTOR, s, {"agree": "maybe"}), "agree"),
        (lambda d, s: lifecycle.decide_withdrawal(d, ACTOR, s, {"agree": True, "reason": [1]}), "reason"),
        (lambda d, s: appeals.answer_appeal(d, ACTOR, s, {"evidence": "file"}), "evidence"),
        (lambda d, s: appeals.answer_appeal(d, ACTOR, s, {"evidence": [None]}), "evidence"),
        (lambda d, s: appeals.answer_appeal(d, ACTOR, s, {"explanation": ["x"]}), "explanation"),
        (lambda d, s: appeals.close_appeal(d, REVIEWER, s, {"outcome": {"x": 1}}), "outcome"),
        (lambda d, s: certificates.find_for_re_registration(d, ACTOR, {"id_number": [1]}), "id_number"),
    ],
)
def test_write_rpcs_name_the_malformed_field(world, call, field):
    assert field in _fields(lambda: call(world.deps(), str(uuid.uuid4())))


def test_nulls_are_absent_values_not_crashes(world):
    """Nulls where a text is optional behave as before (no value); required ones say so."""
    deps, some = world.deps(), str(uuid.uuid4())
    assert "to_uscc" in _fields(lambda: transfers.transfer_out(deps, ACTOR, {"to_uscc": None}))
    assert "direction" in _fields(lambda: transfers.request_transfer(deps, PERSON_ACTOR, {"direction": None}))
    row = open_appeal(world)
    assert "outcome" in _fields(lambda: appeals.close_appeal(deps, REVIEWER, str(row.id), {"outcome": None}))
    with pytest.raises(NotFound):  # null agree and reason: a refusal of an unknown declaration
        lifecycle.decide_withdrawal(deps, ACTOR, some, {"agree": None, "reason": None})


def test_the_payload_is_checked_after_the_actor(world):
    with pytest.raises(Forbidden):
        transfers.transfer_out(world.deps(), REVIEWER, ["not", "an", "object"])
