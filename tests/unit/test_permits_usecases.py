"""permits' service layer with a fake unit of work (no database, no broker, no enterprise or
review service, no render workers): a use case is called as the entrypoint calls it, with fake
collaborators, and the test reads what it left behind: the rows, the events in the outbox, the
audit rows, the refusals.

The fake repositories answer the queries the use cases make, from plain lists; the real
repositories' PostgreSQL queries (locks, keys, version checks) are the integration tier's."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from services.common.attachments import CheckedUpload
from services.common.envelope import make_envelope
from services.common.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from services.permits import adapters
from services.permits.catalogue import load_catalogue
from services.permits.events import CASE_REF_PREFIX
from services.permits.licences import add_months
from services.permits.models import (
    Application,
    Attachment,
    Batch,
    CreditDefault,
    CreditRecord,
    Licence,
    OwedMaterial,
)
from services.permits.usecases import (
    _support,
    batches,
    drafts,
    fast_track,
    issuing,
    materials,
    prechecks,
    rechecks,
    review_answers,
    selectors,
    submission,
)
from tests.support.data import CIP_ITEMS, CIP_STAFF, CIP_VALUES
from tests.support.enterprise import scan_pdf, upload
from tests.support.fake_transaction import FakeOutboxTx
from tests.support.fakes import FakeObjectStore

CATALOGUE = load_catalogue()
ENTERPRISE = uuid.UUID("00000000-0000-0000-0000-00000000000a")
OTHER = uuid.UUID("00000000-0000-0000-0000-00000000000b")
ACTOR = {"id": str(ENTERPRISE), "kind": "enterprise", "permissions": []}
OTHER_ACTOR = {"id": str(OTHER), "kind": "enterprise", "permissions": []}
READ_ONLY_SUB = {
    "id": "sub-1",
    "kind": "sub",
    "enterprise_id": str(ENTERPRISE),
    "permissions": ["permits", "read_only"],
}
REVIEWER = {"id": "rev-1", "kind": "reviewer", "level": "city", "region_code": "150102", "permissions": []}
ADMIN = {"id": "admin-1", "kind": "admin", "permissions": []}


def cip_records(version: int = 3, staff: list | None = None) -> dict:
    """The enterprise's records that meet the CIP 安全生产许可 standards (tests/support/data)."""
    roster = [
        {
            "id": str(i),
            "category": category,
            "name": name,
            "title": "工程师",
            "title_level": "intermediate",
            "skill_level": "intermediate",
            "specialty": "建筑工程",
            "years_experience": 10,
            "certificates": [
                {"kind": kind, "number": f"N{i}", "specialty": None, "valid_until": "2030-12-31"}
            ]
            if kind
            else [],
        }
        for i, (category, name, kind) in enumerate(CIP_STAFF)
    ]
    return {
        "enterprise_id": str(ENTERPRISE),
        "uscc": "91150100000000000A",
        "name": "甲建筑公司",
        "enterprise_type": "有限责任公司",
        "region_code": "150102",
        "records_version": version,
        "finance": {},
        "staff": roster if staff is None else staff,
        "projects": [],
        "equipment": [],
    }


class FakeApplications:
    """ApplicationRepository's queries over lists (the re-check marker included)."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world
        self.rows: list[Application] = []
        self.history_rows: list[SimpleNamespace] = []
        self.files: list[Attachment] = []
        self.owed: list[OwedMaterial] = []
        self.markers: dict[uuid.UUID, SimpleNamespace] = {}
        self.locked: list[str] = []

    def add(self, app: Application) -> None:
        if any(a.request_key and a.request_key == app.request_key for a in self.rows):
            raise AssertionError("the unique index on request_key would refuse this")
        app.id = app.id or uuid.uuid4()
        app.version = app.version or 1
        app.created_at = app.created_at or datetime.now(UTC)
        self.rows.append(app)

    def get(self, aid: object, *, for_update: bool = False) -> Application | None:
        if for_update:
            self.locked.append(f"application {aid}")
        return next((a for a in self.rows if a.id == aid), None)

    def by_request_key(self, key: str) -> Application | None:
        return next((a for a in self.rows if a.request_key == key), None)

    def submit_key_owner(self, key: str) -> uuid.UUID | None:
        return next((a.id for a in self.rows if a.submit_key == key), None)

    def by_case_ref(self, case_ref: str, *, for_update: bool = True) -> Application | None:
        return next((a for a in self.rows if a.case_ref == case_ref), None)

    def of_enterprise(
        self, eid: object, states: tuple | None = None, limit: int = 500, *, lock: bool = False
    ):
        found = [a for a in self.rows if a.enterprise_id == eid and (not states or a.state in states)]
        return found[:limit]

    def write_recheck(self, app: Application, columns: dict) -> None:
        for key, value in columns.items():
            setattr(app, key, value)

    def recheck_version(self, eid: uuid.UUID) -> int | None:
        marker = self.markers.get(eid)
        return marker.records_version if marker else None

    def lock_recheck(self, eid: uuid.UUID) -> SimpleNamespace:
        self.locked.append(f"marker {eid}")
        return self.markers.setdefault(eid, SimpleNamespace(records_version=None, rechecked_at=None))

    def in_batch(self, batch_id: object) -> list[Application]:
        return [a for a in self.rows if a.batch_id == batch_id]

    def next_number(self, today: Any) -> str:
        return f"SB{today:%Y%m%d}{len(self.rows) + 1:05d}"

    def add_history(self, app, action, from_state, to_state, actor, note=None, **detail) -> None:
        self.history_rows.append(
            SimpleNamespace(
                application_id=app.id,
                action=action,
                from_state=from_state,
                to_state=to_state,
                actor_id=(actor or {}).get("id"),
                actor_kind=(actor or {}).get("kind") or "system",
                note=note,
                detail=detail,
                at=datetime.now(UTC),
            )
        )

    def did_with_key(self, aid: object, action: str, key: str) -> bool:
        return any(
            h.application_id == aid and h.action == action and h.detail.get("key") == key
            for h in self.history_rows
        )

    def history(self, aid: object) -> list[SimpleNamespace]:
        return [h for h in self.history_rows if h.application_id == aid]

    def add_attachment(self, row: Attachment) -> None:
        row.id = row.id or uuid.uuid4()
        self.files.append(row)

    def attachment(self, aid: object) -> Attachment | None:
        return next((f for f in self.files if f.id == aid), None)

    def attachments_of(self, aid: object, *, current_only: bool = True) -> list[Attachment]:
        return [f for f in self.files if f.application_id == aid and not (current_only and f.superseded_at)]

    def supersede(self, aid: object, purpose: str, now: datetime) -> None:
        for f in self.attachments_of(aid):
            if f.purpose == purpose:
                f.superseded_at = now

    def owed_of(self, aid: object) -> list[OwedMaterial]:
        return [o for o in self.owed if o.application_id == aid]

    def add_owed(self, owed: OwedMaterial) -> None:
        self.owed.append(owed)

    def overdue_owed(self, today: Any) -> list[OwedMaterial]:
        return [o for o in self.owed if not o.fulfilled_at and not o.defaulted_at and o.deadline < today]


class FakeLicences:
    def __init__(self) -> None:
        self.rows: list[Licence] = []
        self.sequences: dict[tuple[str, int], int] = {}

    def add(self, lic: Licence) -> None:
        lic.id = lic.id or uuid.uuid4()
        self.rows.append(lic)

    def get(self, lid: object, *, for_update: bool = False) -> Licence | None:
        return next((lic for lic in self.rows if lic.id == lid), None)

    def by_token(self, token: str) -> Licence | None:
        return next((lic for lic in self.rows if lic.verify_token == token), None)

    def search(
        self, text: str, limit: int = 50, at_risk: bool = False, region_prefix: str = ""
    ) -> list[Licence]:
        # region_prefix: the real query's join to the applications' regions is the integration tier's
        return [lic for lic in self.rows if text in lic.number and (lic.at_risk or not at_risk)][:limit]

    def of_enterprise(self, eid: object) -> list[Licence]:
        return [lic for lic in self.rows if lic.enterprise_id == eid]

    def valid_of(self, eid: object, *, lock: bool = True) -> list[Licence]:
        return [lic for lic in self.of_enterprise(eid) if lic.status == "valid"]

    def live_of(self, eid: object, type_code: str) -> Licence | None:
        return next(
            (lic for lic in self.of_enterprise(eid) if lic.type_code == type_code and lic.status == "valid"),
            None,
        )

    def next_sequence(self, type_code: str, year: int) -> int:
        self.sequences[(type_code, year)] = self.sequences.get((type_code, year), 0) + 1
        return self.sequences[(type_code, year)]


class FakeBatches:
    def __init__(self) -> None:
        self.rows: list[Batch] = []

    def add(self, row: Batch) -> None:
        row.id = row.id or uuid.uuid4()
        row.created_at = row.created_at or datetime.now(UTC)
        self.rows.append(row)

    def get(self, bid: object, *, for_update: bool = False) -> Batch | None:
        return next((b for b in self.rows if b.id == bid), None)

    def of_enterprise(self, eid: object) -> list[Batch]:
        return [b for b in self.rows if b.enterprise_id == eid]


class FakeCredit:
    def __init__(self) -> None:
        self.records: dict[uuid.UUID, CreditRecord] = {}
        self.defaults: list[CreditDefault] = []

    def get(self, eid: uuid.UUID) -> CreditRecord | None:
        return self.records.get(eid)

    def put(
        self, eid: Any, rating: str, note: str | None, by: str | None, free_trade_zone: bool | None = None
    ) -> CreditRecord:
        eid = uuid.UUID(str(eid))
        self.records[eid] = CreditRecord(
            enterprise_id=eid, rating=rating, note=note, updated_by=by, free_trade_zone=bool(free_trade_zone)
        )
        return self.records[eid]

    def all(self, limit: int = 500) -> list[CreditRecord]:
        return list(self.records.values())[:limit]

    def defaults_since(self, eid: uuid.UUID, since: Any) -> list[CreditDefault]:
        return [d for d in self.defaults if d.enterprise_id == eid and d.deadline >= since]

    def add_default(self, row: CreditDefault) -> None:
        self.defaults.append(row)


class FakeTx(FakeOutboxTx):
    """One transaction over the fake repositories."""

    def __init__(self, world: FakeWorld) -> None:
        super().__init__(world)
        self.apps, self.licences = world.apps, world.licences
        self.batches, self.credit = world.batches, world.credit

    def delete(self, row: object) -> None:
        self.world.batches.rows.remove(row)

    def rollback(self) -> None:
        self.events, self.audits = [], []


class FakeWorld:
    """The fake collaborators and what they saw."""

    def __init__(self) -> None:
        self.apps = FakeApplications(self)
        self.licences, self.batches, self.credit = FakeLicences(), FakeBatches(), FakeCredit()
        self.store = FakeObjectStore()
        self.outbox: list[tuple[str, dict]] = []
        self.audit_log: list[tuple[str, dict]] = []
        self.refusals: list[tuple[str, object, dict]] = []
        self.claimed: set[tuple[str, str]] = set()
        self.records = {ENTERPRISE: cip_records(), OTHER: dict(cip_records(), name="乙建筑公司")}
        self.records_asked: list[tuple[uuid.UUID, list[str]]] = []
        self.renders: list[tuple] = []
        self.render_locks: list[list[str]] = []
        self.case_readers: set[tuple[str, str]] = set()

    @contextmanager
    def begin(self) -> Any:
        try:
            yield FakeTx(self)
        finally:
            self.apps.locked.clear()  # a transaction's row locks end with it

    def ask_records(self, eid: uuid.UUID) -> dict:
        self.records_asked.append((eid, list(self.apps.locked)))
        return dict(self.records[eid])

    def render(self, job: str, *args: Any) -> CheckedUpload:
        self.renders.append((job, *args))
        self.render_locks.append(list(self.apps.locked))
        return CheckedUpload(
            filename=str(args[-1]),
            content_type="application/pdf",
            size_bytes=4,
            sha256=uuid.uuid4().hex * 2,
            report={"pages": 1},
            data=b"%PDF",
        )

    def deps(self) -> _support.Deps:
        return _support.Deps(
            begin=self.begin,
            catalogue=CATALOGUE,
            store=lambda: self.store,
            records=self.ask_records,
            audit_alone=lambda action, actor, subject, **kw: self.refusals.append((action, subject, kw)),
            may_read_case=lambda actor, case_ref: (actor["id"], case_ref) in self.case_readers,
            render=self.render,
            settings={"commitment_seconds": 60},
            public_url="https://qlp.test",
        )

    def event_types(self) -> list[str]:
        return [t for t, _ in self.outbox]

    def events(self, event_type: str) -> list[dict]:
        return [d for t, d in self.outbox if t == event_type]

    def audit_actions(self) -> list[str]:
        return [a for a, _ in self.audit_log]

    def app(self, view: dict) -> Application:
        return next(a for a in self.apps.rows if str(a.id) == view["id"])


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


def new_draft(world: FakeWorld, **extra: Any) -> dict:
    payload = {"type_code": "cip_safety", "items": CIP_ITEMS, "values": CIP_VALUES, **extra}
    return drafts.create_draft(world.deps(), ACTOR, payload)


def every_material(world: FakeWorld, view: dict) -> None:
    """The catalogue's required materials, as rows (the upload checks are the uploads' tests)."""
    app = world.app(view)
    bt = CATALOGUE.type(app.type_code)
    for spec in bt.required_attachments(app.transaction_kind, app.lane, app.nature, app.submitter):
        world.apps.add_attachment(
            Attachment(
                application_id=app.id,
                enterprise_id=app.enterprise_id,
                purpose=spec["code"],
                label=spec["name"],
                filename=f"{spec['code']}.pdf",
                content_type="application/pdf",
                size_bytes=4,
                sha256="0" * 64,
                storage_key=spec["code"],
                report={},
            )
        )


def committed(world: FakeWorld) -> dict:
    """A CIP application taken to 已确认承诺 (the letter was opened over a minute ago)."""
    deps = world.deps()
    view = new_draft(world)
    view = prechecks.run_precheck(deps, ACTOR, view["id"])
    view = materials.generate_form(deps, ACTOR, view["id"])
    view = materials.upload_signed_scan(deps, ACTOR, view["id"], upload("signed.pdf", scan_pdf()))
    every_material(world, view)
    view = submission.preview(deps, ACTOR, view["id"])
    submission.open_commitment(deps, ACTOR, view["id"])
    world.app(view).commitment_opened_at = datetime.now(UTC) - timedelta(seconds=61)
    return submission.confirm_commitment(deps, ACTOR, view["id"])


def submitted(world: FakeWorld) -> dict:
    return submission.submit(world.deps(), ACTOR, committed(world)["id"], "key-1")


def review_says(world: FakeWorld, event_type: str, app: Application, **data: Any) -> dict:
    envelope = make_envelope("review", event_type, 1, {"case_ref": app.case_ref, "case_id": "case-1", **data})
    handler = getattr(review_answers, f"on_{event_type}")
    handler(world.deps(), envelope)
    return envelope


# ---- drafts and the pre-check ------------------------------------------------------------------
def test_create_draft_stores_the_application_with_its_first_precheck(world):
    view = new_draft(world)
    assert view["state"] == "draft" and view["enterprise_name"] == "甲建筑公司"
    assert view["precheck"]["passed"] is True and view["precheck_records_version"] == 3
    assert view["progress"] == {"step": 1, "of": 10, "final": False}
    assert world.audit_actions() == ["permits.application.create"]
    assert [h.action for h in world.apps.history_rows] == ["create"]


def test_create_draft_with_the_same_request_key_answers_the_first(world):
    first = new_draft(world, request_key="rk-1")
    again = new_draft(world, request_key="rk-1")
    assert again["id"] == first["id"] and len(world.apps.rows) == 1
    with pytest.raises(Conflict) as refused:
        drafts.create_draft(
            world.deps(), OTHER_ACTOR, {"type_code": "cip_safety", "items": CIP_ITEMS, "request_key": "rk-1"}
        )
    assert refused.value.code == "key_reused"


def test_create_draft_refuses_what_the_catalogue_does_not_offer(world):
    with pytest.raises(ValidationFailed) as refused:
        drafts.create_draft(
            world.deps(),
            ACTOR,
            {
                "type_code": "cip_safety",
                "transaction_kind": "rename",
                "items": [{"category": "x", "grade": "y"}],
            },
        )
    assert {"transaction_kind", "items"} <= set(refused.value.fields)
    assert world.apps.rows == []


def test_precheck_that_fails_keeps_the_draft_and_says_why(world):
    world.records[ENTERPRISE] = cip_records(staff=[])
    view = prechecks.run_precheck(world.deps(), ACTOR, new_draft(world)["id"])
    assert view["state"] == "draft" and view["precheck"]["passed"] is False
    assert world.event_types() == ["application_state_changed"]


def test_update_draft_checks_the_version_and_the_lane(world):
    view = new_draft(world)
    with pytest.raises(Conflict):
        drafts.update_draft(world.deps(), ACTOR, view["id"], {"version": 99, "values": {"email": "a@b.cn"}})
    with pytest.raises(ValidationFailed):
        drafts.update_draft(world.deps(), ACTOR, view["id"], {"version": 1, "lane": "fast_track"})
    changed = drafts.update_draft(
        world.deps(), ACTOR, view["id"], {"version": 1, "values": {"email": "a@b.cn"}}
    )
    assert changed["values"]["email"] == "a@b.cn" and changed["values"]["legal_representative"] == "张三"


# ---- the 申报表, the signed scan ------------------------------------------------------------------
def test_generate_form_renders_stores_and_moves(world):
    deps = world.deps()
    view = prechecks.run_precheck(deps, ACTOR, new_draft(world)["id"])
    view = materials.generate_form(deps, ACTOR, view["id"])
    assert view["state"] == "form_generated" and view["form_attachment_id"]
    ((job, context, *_),) = world.renders
    assert job == adapters.FORM_JOB and "甲建筑公司" in str(context)
    assert len(world.store.objects) == 1


def test_generate_form_on_changed_records_that_no_longer_pass_renders_nothing(world):
    deps = world.deps()
    view = prechecks.run_precheck(deps, ACTOR, new_draft(world)["id"])
    world.records[ENTERPRISE] = cip_records(version=4, staff=[])
    with pytest.raises(InvalidTransition):
        materials.generate_form(deps, ACTOR, view["id"])
    assert world.renders == [] and world.app(view).state == "draft"
    assert world.app(view).precheck_records_version == 4


def test_the_blank_form_is_refused_as_the_signed_scan(world):
    deps = world.deps()
    view = prechecks.run_precheck(deps, ACTOR, new_draft(world)["id"])
    view = materials.generate_form(deps, ACTOR, view["id"])
    form = world.apps.attachment(uuid.UUID(view["form_attachment_id"]))
    scan = upload("form.pdf", scan_pdf())
    from services.common.attachments import check_upload

    form.sha256 = check_upload(scan, "signed_scan").sha256
    with pytest.raises(ValidationFailed) as refused:
        materials.upload_signed_scan(deps, ACTOR, view["id"], scan)
    assert "signed_scan" in refused.value.fields


# ---- preview, the commitment letter, submit ------------------------------------------------------
def test_preview_lists_what_is_missing(world):
    deps = world.deps()
    view = prechecks.run_precheck(deps, ACTOR, new_draft(world)["id"])
    view = materials.generate_form(deps, ACTOR, view["id"])
    view = materials.upload_signed_scan(deps, ACTOR, view["id"], upload("signed.pdf", scan_pdf()))
    with pytest.raises(InvalidTransition) as refused:
        submission.preview(deps, ACTOR, view["id"])
    assert refused.value.code == "materials_missing" and "营业执照" in refused.value.message


def test_the_commitment_cannot_be_confirmed_before_its_minute(world):
    deps = world.deps()
    view = new_draft(world)
    view = prechecks.run_precheck(deps, ACTOR, view["id"])
    view = materials.generate_form(deps, ACTOR, view["id"])
    view = materials.upload_signed_scan(deps, ACTOR, view["id"], upload("signed.pdf", scan_pdf()))
    every_material(world, view)
    submission.preview(deps, ACTOR, view["id"])
    opened = submission.open_commitment(deps, ACTOR, view["id"])
    assert 0 < opened["commitment_remaining_seconds"] <= 60
    with pytest.raises(InvalidTransition):
        submission.confirm_commitment(deps, ACTOR, view["id"])
    assert world.app(view).state == "previewed"


def test_submit_asks_review_once_per_key(world):
    view = committed(world)
    deps = world.deps()
    done = submission.submit(deps, ACTOR, view["id"], "key-1")
    again = submission.submit(deps, ACTOR, view["id"], "key-1")
    assert done["state"] == again["state"] == "submitted"
    app = world.app(view)
    assert app.case_ref == f"{CASE_REF_PREFIX}{app.id}" and app.revision == 1
    (request,) = world.events("review_requested")
    assert request["case_ref"] == app.case_ref and request["region_code"] == "150102"
    assert request["time_limit_days"] and {a["label"] for a in request["attachments"]} >= {"营业执照"}
    assert len(world.events("application_submitted")) == 1


def test_submit_of_another_application_with_a_used_key_is_refused(world):
    first = submitted(world)
    second = committed(world)
    with pytest.raises(Conflict) as refused:
        submission.submit(world.deps(), ACTOR, second["id"], "key-1")
    assert refused.value.code == "key_reused" and first["id"] != second["id"]


def test_submit_on_changed_records_stores_the_fresh_precheck(world):
    view = committed(world)
    world.records[ENTERPRISE] = cip_records(version=9)
    submission.submit(world.deps(), ACTOR, view["id"])
    assert world.app(view).precheck_records_version == 9


# ---- review's answers, the licence ---------------------------------------------------------------
def test_review_answers_move_the_application_and_an_approval_issues_the_licence(world):
    view = submitted(world)
    app = world.app(view)
    review_says(world, "case_accepted", app, step="city")
    assert app.state == "under_review" and app.case_id == "case-1"
    envelope = review_says(world, "case_decided", app, decision="approved", reason=None, decided_by="rev-1")
    assert app.state == "licence_issued" and app.licence_id
    (lic,) = world.licences.rows
    assert lic.status == "valid" and lic.holder_name == "甲建筑公司" and lic.certificate_attachment_id
    job, _context, verify_url, _name = world.renders[-1]
    assert verify_url == f"https://qlp.test/verify/{lic.verify_token}"
    assert {"application_decided", "licence_issued"} <= set(world.event_types())
    (issued,) = world.events("licence_issued")  # CIP: renewal from 6 to 3 months before expiry
    assert (issued["renewal_opens"], issued["renewal_closes"]) == (
        add_months(lic.valid_until, -6), add_months(lic.valid_until, -3))
    # the same event again (redelivery) is claimed once: nothing twice
    review_answers.on_case_decided(world.deps(), envelope)
    assert len(world.licences.rows) == 1 and len(world.events("licence_issued")) == 1
    public = selectors.verify_licence(world.deps(), lic.verify_token)
    assert public["number"] == lic.number


def test_a_correction_reopens_only_the_named_fields(world):
    view = submitted(world)
    app = world.app(view)
    review_says(world, "case_accepted", app, step="city")
    form = next(a for a in world.apps.files if a.purpose == "business_licence")
    review_says(
        world,
        "correction_requested",
        app,
        deadline=None,
        items=[
            {"target": "field", "name": "enterprise.legal_representative", "reason": "与执照不符"},
            {"target": "attachment", "name": str(form.id), "reason": "不清晰"},
        ],
    )
    assert app.state == "correction_requested"
    assert [i.get("code") for i in app.correction_items] == [None, "business_licence"]
    with pytest.raises(ValidationFailed):
        submission.update_correction(world.deps(), ACTOR, view["id"], {"address": "别处"})
    fixed = submission.update_correction(world.deps(), ACTOR, view["id"], {"legal_representative": "李四"})
    assert fixed["values"]["legal_representative"] == "李四"
    again = submission.resubmit(world.deps(), ACTOR, view["id"], "rs-1")
    assert again["state"] == "resubmitted" and world.app(view).revision == 2
    assert len(world.events("review_requested")) == 2


def test_precheck_submit_and_resubmit_ask_for_records_holding_no_lock(world):
    """No RPC while a row lock is held: every records RPC of a whole journey (create,
    重新预审, 申报表, submit, 补正, resubmit) finds no lock taken in an open transaction."""
    view = submitted(world)
    app = world.app(view)
    review_says(
        world,
        "correction_requested",
        app,
        deadline=None,
        items=[{"target": "field", "name": "enterprise.legal_representative", "reason": "与执照不符"}],
    )
    submission.resubmit(world.deps(), ACTOR, view["id"], "rs-1")
    assert app.state == "resubmitted"
    assert len(world.records_asked) >= 4
    assert [locks for _, locks in world.records_asked if locks] == []


def test_records_older_than_those_judged_meanwhile_are_asked_again(world):
    """The background re-check judged newer records between the RPC and the lock: submit
    asks again rather than judging the older ones."""
    view = committed(world)
    app = world.app(view)
    ask, seen = world.ask_records, []

    def ask_while_the_recheck_runs(eid: uuid.UUID) -> dict:
        answer = ask(eid)
        if not seen:  # the re-check stores version 7 before this submit locks the row
            app.precheck_records_version = 7
            world.records[ENTERPRISE] = cip_records(version=7)
        seen.append(answer["records_version"])
        return answer

    deps = world.deps()
    deps.records = ask_while_the_recheck_runs
    done = submission.submit(deps, ACTOR, view["id"], "key-7")
    assert seen == [3, 7] and done["state"] == "submitted" and app.precheck_records_version == 7


def test_records_that_keep_moving_on_end_in_stale_version(world):
    view = committed(world)
    app = world.app(view)
    ask = world.ask_records

    def ask_while_the_recheck_always_wins(eid: uuid.UUID) -> dict:
        answer = ask(eid)
        app.precheck_records_version = (app.precheck_records_version or 0) + 1
        return answer

    deps = world.deps()
    deps.records = ask_while_the_recheck_always_wins
    with pytest.raises(Conflict) as refused:
        submission.submit(deps, ACTOR, view["id"], "key-8")
    assert refused.value.code == "stale_version" and len(world.records_asked) >= 3
    assert app.state == "committed" and world.events("review_requested") == []
    draft = world.app(new_draft(world))
    app = draft  # the fake (a closure over ``app``) now moves the draft's records on
    with pytest.raises(Conflict) as refused:
        prechecks.run_precheck(deps, ACTOR, str(draft.id))
    assert refused.value.code == "stale_version" and draft.state == "draft"

def test_an_answer_about_another_producers_case_is_left_alone(world):
    view = submitted(world)
    envelope = make_envelope("review", "case_accepted", 1, {"case_ref": "personnel:x", "case_id": "c"})
    review_answers.on_case_accepted(world.deps(), envelope)
    assert world.app(view).state == "submitted"


def test_withdraw_tells_review(world):
    view = submitted(world)
    left = submission.withdraw(world.deps(), ACTOR, view["id"])
    assert left["state"] == "withdrawn"
    (withdrawn,) = world.events("review_withdrawn")
    assert withdrawn["outcome"] == "withdrawn" and withdrawn["case_ref"] == world.app(view).case_ref


def test_an_admin_suspends_a_licence_with_a_reason(world):
    view = submitted(world)
    review_says(world, "case_decided", world.app(view), decision="approved", reason=None, decided_by="r")
    (lic,) = world.licences.rows
    with pytest.raises(Forbidden):
        issuing.set_licence_status(world.deps(), REVIEWER, str(lic.id), "suspended", "违规")
    with pytest.raises(ValidationFailed):
        issuing.set_licence_status(world.deps(), ADMIN, str(lic.id), "suspended", "")
    answer = issuing.set_licence_status(world.deps(), ADMIN, str(lic.id), "suspended", "违规")
    assert lic.status == "suspended" and answer["id"] == str(lic.id)
    changed = world.events("licence_status_changed")[-1]
    assert changed["status"] == "suspended"
    assert changed["renewal_opens"] == add_months(lic.valid_until, -6)


# ---- access refusals ------------------------------------------------------------------------------
def test_another_enterprise_neither_reads_nor_writes_and_is_audited(world):
    view = new_draft(world)
    with pytest.raises(NotFound):
        selectors.get_application(world.deps(), OTHER_ACTOR, view["id"])
    with pytest.raises(NotFound):
        prechecks.run_precheck(world.deps(), OTHER_ACTOR, view["id"])
    assert [r[2].get("reason") for r in world.refusals] == ["read", "other_enterprise"]


def test_a_read_only_sub_account_reads_but_does_not_write(world):
    view = new_draft(world)
    assert selectors.get_application(world.deps(), READ_ONLY_SUB, view["id"])["id"] == view["id"]
    with pytest.raises(Forbidden):
        prechecks.run_precheck(world.deps(), READ_ONLY_SUB, view["id"])
    assert world.refusals and world.refusals[-1][0] == "permits.access_refused"


def test_a_reviewer_reads_only_an_application_whose_case_is_at_their_desk(world):
    view = new_draft(world)
    with pytest.raises(NotFound):  # no case yet: the owner only
        selectors.get_application(world.deps(), REVIEWER, view["id"])
    view = submitted(world)
    app = world.app(view)
    with pytest.raises(NotFound):
        selectors.get_application(world.deps(), REVIEWER, view["id"])
    world.case_readers.add((REVIEWER["id"], app.case_ref))
    assert selectors.get_application(world.deps(), REVIEWER, view["id"])["history"]
    with pytest.raises(Forbidden):  # staff never act for an enterprise
        submission.withdraw(world.deps(), REVIEWER, view["id"])


def test_a_file_link_is_only_for_who_may_read_the_application(world):
    view = submitted(world)
    form_id = world.app(view).form_attachment_id
    link = selectors.attachment_url(world.deps(), ACTOR, str(form_id))
    assert link["url"].startswith("https://s3.test/permits/form/")
    with pytest.raises(NotFound):
        selectors.attachment_url(world.deps(), OTHER_ACTOR, str(form_id))
    assert world.refusals[-1][2] == {"reason": "attachment"}


# ---- batches, 容缺 credit, the re-check -----------------------------------------------------------
def test_a_batch_submits_each_application_and_says_which_failed(world):
    deps = world.deps()
    batch = batches.create_batch(deps, ACTOR, "第一批")
    ready = committed(world)
    draft = new_draft(world)
    for view in (ready, draft):
        batches.add_to_batch(deps, ACTOR, batch["id"], view["id"])
    answer = batches.submit_batch(deps, ACTOR, batch["id"], "b-1")
    assert {r["application_id"]: r["ok"] for r in answer["results"]} == {
        ready["id"]: True,
        draft["id"]: False,
    }
    assert answer["batch"]["status"] == "pending"
    with pytest.raises(NotFound):
        selectors.get_batch(deps, OTHER_ACTOR, batch["id"])


def test_a_missed_owed_deadline_is_a_default_and_ends_fast_track_eligibility(world):
    deps = world.deps()
    fast_track.set_credit(deps, ADMIN, {"enterprise_id": str(ENTERPRISE), "rating": "good"})
    assert fast_track.credit_eligibility(deps, ACTOR)["eligible"] is True
    app_id = uuid.UUID(new_draft(world)["id"])
    world.apps.add_owed(
        OwedMaterial(
            application_id=app_id,
            enterprise_id=ENTERPRISE,
            code="x",
            name="业绩证明",
            deadline=_support._today() - timedelta(days=1),
        )
    )
    assert fast_track.record_defaults(deps) == 1 and fast_track.record_defaults(deps) == 0
    answer = fast_track.credit_eligibility(deps, ADMIN, str(ENTERPRISE))
    assert answer["eligible"] is False and "业绩证明" in answer["reason"]


def test_the_recheck_asks_for_records_before_it_locks_anything(world):
    view = prechecks.run_precheck(world.deps(), ACTOR, new_draft(world)["id"])
    world.apps.locked.clear()
    world.records[ENTERPRISE] = cip_records(version=5, staff=[])
    envelope = make_envelope(
        "enterprise", "records_changed", 1, {"enterprise_id": str(ENTERPRISE), "records_version": 5}
    )
    rechecks.on_records_changed(world.deps(), envelope)
    app = world.app(view)
    assert app.state == "draft" and app.precheck_records_version == 5 and app.version == 1
    assert world.records_asked[-1] == (ENTERPRISE, [])  # nothing locked while asking
    assert world.apps.markers[ENTERPRISE].records_version == 5
    # an older event is covered: no records asked again
    asked = len(world.records_asked)
    older = make_envelope(
        "enterprise", "records_changed", 1, {"enterprise_id": str(ENTERPRISE), "records_version": 4}
    )
    rechecks.on_records_changed(world.deps(), older)
    assert len(world.records_asked) == asked


def test_generate_form_renders_and_asks_for_records_holding_no_lock(world):
    deps = world.deps()
    view = prechecks.run_precheck(deps, ACTOR, new_draft(world)["id"])
    world.records[ENTERPRISE] = cip_records(version=4)  # a changed pre-check is stored first
    view = materials.generate_form(deps, ACTOR, view["id"])
    assert view["state"] == "form_generated" and view["precheck_records_version"] == 4
    assert world.render_locks == [[]] and world.records_asked[-1] == (ENTERPRISE, [])


def test_generate_form_refuses_to_store_when_the_application_moved_on_while_rendering(world):
    deps = world.deps()
    view = prechecks.run_precheck(deps, ACTOR, new_draft(world)["id"])
    app = world.app(view)
    render = world.render

    def render_while_another_window_edits(job: str, *args: Any) -> CheckedUpload:
        app.version += 1  # what a concurrent edit's commit does to the row
        return render(job, *args)

    deps.render = render_while_another_window_edits
    with pytest.raises(Conflict) as refused:
        materials.generate_form(deps, ACTOR, view["id"])
    assert refused.value.code == "stale_version"
    assert app.state == "prechecked" and app.form_attachment_id is None and world.store.objects == {}


# ---- what the other branches added to the old service.py, in the use cases -------------------
def test_an_account_awaiting_registration_approval_is_refused_and_audited(world):
    waiting = dict(ACTOR, registration_status="pending_review")
    with pytest.raises(Forbidden) as refused:
        drafts.create_draft(world.deps(), waiting, {"type_code": "cip_safety", "items": CIP_ITEMS})
    assert refused.value.code == "registration_not_approved"
    assert world.refusals == [
        ("permits.access_refused", ACTOR["id"], {"reason": "registration_not_approved"})
    ]
    with pytest.raises(Forbidden):
        selectors.my_licences(world.deps(), waiting)  # reading too
    assert world.apps.rows == []


def test_a_new_draft_is_prefilled_from_the_profile_and_lists_its_inputs(world):
    world.records[ENTERPRISE] = dict(cip_records(), profile={"contact_phone": "13912345678",
                                                             "legal_representative": "李四"})
    view = new_draft(world, values={**CIP_VALUES, "contact_phone": ""})
    assert view["values"]["contact_phone"] == "13912345678"  # empty: filled from the profile
    assert view["values"]["legal_representative"] == "张三"  # typed: the applicant's wins
    inputs = {i["key"]: i["value"] for i in view["form_inputs"]}
    assert inputs["contact_phone"] == "13912345678" and inputs["legal_representative"] == "张三"


def pfl_draft(world: FakeWorld, lane: str) -> dict:
    return drafts.create_draft(world.deps(), ACTOR, {
        "type_code": "pfl_power", "transaction_kind": "new", "lane": lane, "nature": "new",
        "submitter": "legal_rep", "items": [{"category": "install", "grade": "三级"}]})


def test_fast_track_needs_credit_when_created_and_the_lane_options_say_why(world):
    deps = world.deps()
    with pytest.raises(InvalidTransition) as refused:
        pfl_draft(world, "fast_track")
    assert refused.value.code == "credit_refused" and world.apps.rows == []
    lanes = {o["code"]: o for o in fast_track.lane_options(deps, ACTOR, "pfl_power")}
    assert lanes["normal"]["available"] and not lanes["fast_track"]["available"]
    assert lanes["fast_track"]["reasons"]
    with pytest.raises(NotFound):
        fast_track.lane_options(deps, ACTOR, "no_such_type")

    answer = fast_track.set_credit(
        deps, ADMIN, {"enterprise_id": str(ENTERPRISE), "rating": "good", "free_trade_zone": True}
    )
    assert answer["free_trade_zone"] is True
    assert world.audit_log[-1] == ("permits.credit.set", {
        "actor_id": ADMIN["id"], "subject_id": str(ENTERPRISE), "rating": "good", "free_trade_zone": True})
    assert selectors.credit_register(deps, ADMIN)[0]["free_trade_zone"] is True
    lanes = {o["code"]: o for o in fast_track.lane_options(deps, ACTOR, "pfl_power")}
    assert lanes["fast_track"]["available"] and lanes["free_trade_zone"]["available"]
    draft = pfl_draft(world, "normal")
    moved = drafts.update_draft(deps, ACTOR, draft["id"], {"version": 1, "lane": "fast_track"})
    assert moved["lane"] == "fast_track"

    world.credit.records[ENTERPRISE].rating = "poor"  # the lane is checked again when it changes
    with pytest.raises(InvalidTransition) as refused:
        drafts.update_draft(deps, ACTOR, draft["id"], {"version": moved["version"], "lane": "fast_track"})
    assert refused.value.code == "credit_refused"


def test_review_is_told_what_a_case_still_owes(world):
    app = world.app(submitted(world))
    assert world.events("review_requested")[0]["owed"] == []
    due = _support._today() + timedelta(days=30)
    world.apps.add_owed(OwedMaterial(application_id=app.id, enterprise_id=ENTERPRISE, code="safety_system",
                                     name="安全生产管理制度文件", deadline=due))
    world.apps.add_owed(OwedMaterial(application_id=app.id, enterprise_id=ENTERPRISE, code="done",
                                     name="已交", deadline=due, fulfilled_at=datetime.now(UTC)))
    with world.begin() as uow:
        submission.request_review(world.deps(), uow, app, cip_records())
        uow.commit()
    assert world.events("review_requested")[-1]["owed"] == [
        {"code": "safety_system", "name": "安全生产管理制度文件", "deadline": due}
    ]


def test_correction_values_must_be_text(world):
    view = submitted(world)
    with pytest.raises(ValidationFailed) as refused:
        submission.update_correction(world.deps(), ACTOR, view["id"], {"contact_phone": 5})
    assert refused.value.fields == {"values": [{"code": "invalid", "message": "格式不正确"}]}
    assert world.app(view).values["contact_phone"] == CIP_VALUES["contact_phone"]


def test_a_batch_name_that_is_no_text_is_refused(world):
    with pytest.raises(ValidationFailed) as refused:
        batches.create_batch(world.deps(), ACTOR, [None, None])  # type: ignore[arg-type]
    assert refused.value.fields["name"][0]["code"] == "invalid" and world.batches.rows == []


def test_a_reviewer_without_a_desk_finds_no_licences(world):
    world.licences.add(Licence(number="蒙安许2026000001", type_code="cip_safety", enterprise_id=ENTERPRISE,
                               items=[], status="valid", at_risk=False))
    deskless = {"id": "rev-2", "kind": "reviewer", "permissions": []}
    assert selectors.find_licences(world.deps(), deskless, "蒙安许") == []
