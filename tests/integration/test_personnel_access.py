"""Nobody sees what is not theirs, and every refusal and state change is audited: personnel through
the real bus and databases. Enterprise B tries every read and write on enterprise A's person,
certificate record, declaration, batch, attachment, transfer and appeal and is refused with
nothing changed; sub-accounts without the module or read-only are refused writes; a person acts
only on their own declarations; a reviewer of another region neither searches A's people nor
raises or closes A's anomalies; bad input is a ValidationFailed with a field, never a crash."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from services.common.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from services.common.localtime import BEIJING
from services.personnel.windows import add_months
from tests.support.enterprise import scan_pdf, upload
from tests.support.permits import new_enterprise
from tests.support.personnel import (
    case_id_of,
    imported_from_old_system,
    person_data,
    photo_png,
    report,
    reviewer,
    status_becomes,
    upload_required,
)

pytestmark = pytest.mark.integration

REFUSED = (NotFound, Forbidden)


def _today():
    return datetime.now(UTC).astimezone(BEIJING).date()


def _record(cluster, actor, name):
    data = person_data(name)
    imported_from_old_system(cluster, actor, data)
    someone = cluster.personnel.create_person(actor, data)
    cert = cluster.personnel.add_certificate_record(
        actor,
        someone["id"],
        {
            "type_code": "constructor_2",
            "valid_until": add_months(_today(), 24).isoformat(),
            "specialties": ["建筑工程"],
            "registration_number": "蒙215080907445",
        },
    )
    return someone, cert


@pytest.fixture(scope="module")
def world(cluster, running_platform):
    """A's person with a certificate record and a photo, a draft declaration with an attachment in
    a batch, a transfer A→C, an appeal answered with evidence; B is a stranger to all of it."""
    a = new_enterprise(cluster, running_platform)
    b = new_enterprise(cluster, running_platform)
    c = new_enterprise(cluster, running_platform)
    region = cluster.enterprise.records_for_precheck(None, a["id"])["region_code"]
    c_uscc = cluster.enterprise.records_for_precheck(None, c["id"])["uscc"]
    person, cert = _record(cluster, a, "钱档案")
    person = cluster.personnel.upload_photo(a, person["id"], upload("照片.png", photo_png()))
    draft_person = person_data("孙草稿")
    draft = cluster.personnel.new_declaration(
        a, {"type_code": "safety", "kind": "new", "person": draft_person, "form": {"class_code": "B"}}
    )
    draft = cluster.personnel.upload_declaration_attachment(
        a, draft["id"], "id_card", upload("身份证.pdf", scan_pdf())
    )
    batch = cluster.personnel.create_batch(a, {"title": "A的批次", "declaration_ids": [draft["id"]]})
    mover, mover_cert = _record(cluster, a, "李调出")
    transfer = cluster.personnel.transfer_out(a, {"certificate_id": mover_cert["id"], "to_uscc": c_uscc})
    province = reviewer("province", region[:2] + "0000", "自治区审核员")
    appeal = cluster.personnel.raise_anomaly(
        province,
        {
            "enterprise_id": a["id"],
            "person_id": person["id"],
            "kind": "social_insurance_mismatch",
            "detail": f"社保缴纳单位不一致 {uuid.uuid4().hex[:6]}",
        },
    )
    appeal = cluster.personnel.answer_appeal(
        a,
        appeal["id"],
        {"explanation": "社保由集团统一缴纳。", "evidence": [upload("社保证明.pdf", scan_pdf())]},
    )
    return {
        "a": a,
        "b": b,
        "c": c,
        "c_uscc": c_uscc,
        "region": region,
        "person": person,
        "cert": cert,
        "draft": draft,
        "draft_person": draft_person,
        "batch": batch,
        "transfer": transfer,
        "mover_cert": mover_cert,
        "appeal": appeal,
        "province": province,
    }


def _refused(call, *args):
    with pytest.raises(REFUSED) as refused:
        call(*args)
    return refused.value


def _audit(engines, actor_id, action="personnel.access_refused"):
    with engines("personnel").connect() as conn:
        return conn.execute(
            text("select subject_id, detail from audit_log where actor_id = :a and action = :x"),
            {"a": actor_id, "x": action},
        ).all()


def _snapshot(cluster, w):
    a = w["a"]
    draft = cluster.personnel.get_declaration(a, w["draft"]["id"])
    person = cluster.personnel.get_person(a, w["person"]["id"])
    return {
        "draft": (
            draft["status"],
            draft["version"],
            draft["batch_id"],
            draft["form"],
            len(draft["attachments"]),
        ),
        "person": {k: person[k] for k in ("name", "mobile", "email", "education")}
        | {"photo": person["photo"]["id"]},
        "cert": cluster.personnel.certificate(a, w["cert"]["id"])["version"],
        "batch": [d["id"] for d in cluster.personnel.get_batch(a, w["batch"]["id"])["declarations"]],
        "transfer": [
            t["status"]
            for t in cluster.personnel.list_transfers(a)["items"]
            if t["id"] == w["transfer"]["id"]
        ],
        "appeal": [
            x["status"] for x in cluster.personnel.list_appeals(a)["items"] if x["id"] == w["appeal"]["id"]
        ],
    }


def test_enterprise_b_reads_nothing_of_a_and_every_refusal_is_audited(cluster, engines, world):
    w, b = world, world["b"]
    p = cluster.personnel
    photo_id = w["person"]["photo"]["id"]
    attachment_id = w["draft"]["attachments"][0]["id"]
    evidence_id = w["appeal"]["evidence"][0]

    _refused(p.get_person, b, w["person"]["id"])
    _refused(p.certificate, b, w["cert"]["id"])
    _refused(p.get_declaration, b, w["draft"]["id"])
    _refused(p.get_batch, b, w["batch"]["id"])
    for attachment in (attachment_id, photo_id, evidence_id):
        _refused(p.attachment_url, b, attachment)

    # Lists and searches answer only B's own rows.
    assert w["person"]["id"] not in [x["id"] for x in p.list_people(b, {"limit": 200})["items"]]
    assert w["draft"]["id"] not in [x["id"] for x in p.list_declarations(b, {"limit": 200})["items"]]
    assert w["draft"]["id"] not in [
        x["id"] for x in p.list_declarations(b, {"batch_id": w["batch"]["id"], "limit": 200})["items"]
    ]
    assert p.list_batches(b)["items"] == []
    assert p.list_transfers(b)["items"] == []
    assert p.list_appeals(b)["items"] == []
    assert p.search_registered(b, {"name": "钱档案"})["items"] == []
    assert p.export_registered(b, {"name": "钱档案"})["rows"] == 0
    assert w["cert"]["id"] not in [x["id"] for x in p.expiring(b, {"within_days": 3000})["items"]]

    # A main account is its own enterprise whatever its actor dict claims.
    forged = {**b, "enterprise_id": w["a"]["id"]}
    _refused(p.get_declaration, forged, w["draft"]["id"])
    _refused(p.get_person, forged, w["person"]["id"])
    assert p.list_batches(forged)["items"] == []

    refused = {row.subject_id for row in _audit(engines, b["id"])}
    for subject in (w["person"]["id"], w["cert"]["id"], w["draft"]["id"], w["batch"]["id"], attachment_id):
        assert subject in refused
    assert {photo_id, evidence_id} <= refused


def test_enterprise_b_changes_nothing_of_a(cluster, engines, world):
    w, b = world, world["b"]
    p = cluster.personnel
    before = _snapshot(cluster, w)
    did, bid, tid = w["draft"]["id"], w["batch"]["id"], w["transfer"]["id"]
    own = p.new_declaration(
        b,
        {"type_code": "safety", "kind": "new", "person": person_data("周自家"), "form": {"class_code": "B"}},
    )
    own_batch = p.create_batch(b, {"title": "B的批次", "declaration_ids": [own["id"]]})

    _refused(p.update_person, b, w["person"]["id"], {"mobile": "13900000000"})
    _refused(p.upload_photo, b, w["person"]["id"], upload("照片.png", photo_png()))
    _refused(
        p.add_certificate_record,
        b,
        w["person"]["id"],
        {"type_code": "safety", "class_code": "B", "valid_until": add_months(_today(), 12).isoformat()},
    )
    _refused(p.update_certificate_record, b, w["cert"]["id"], {"valid_until": "2031-01-01"})
    _refused(p.new_declaration, b, {"type_code": "safety", "kind": "new", "person_id": w["person"]["id"]})
    _refused(
        p.new_declaration,
        b,
        {"type_code": "constructor_2", "kind": "renewal", "certificate_id": w["cert"]["id"]},
    )
    _refused(p.update_declaration, b, did, {"form": {"class_code": "C1"}})
    _refused(p.upload_declaration_attachment, b, did, "id_card", upload("身份证.pdf", scan_pdf()))
    _refused(p.correct_qualification, b, did, {"qualification_number": "X"})
    _refused(p.resubmit_declaration, b, did)
    _refused(p.cancel_declaration, b, did, "B取消")
    _refused(p.decide_withdrawal, b, did, {"agree": True})
    for call in (p.delete_declarations, p.return_declarations):
        results = call(b, {"ids": [did], "reason": "B"})["results"]
        assert [(r["ok"], r["code"]) for r in results] == [(False, "not_found")]
    _refused(p.create_batch, b, {"title": "偷来的", "declaration_ids": [did]})
    _refused(p.add_to_batch, b, own_batch["id"], {"declaration_ids": [did]})
    _refused(p.add_to_batch, b, bid, {"declaration_ids": [own["id"]]})
    _refused(p.remove_from_batch, b, bid, {"declaration_ids": [did]})
    _refused(p.get_batch, b, bid)
    _refused(p.open_commitment, b, {"declaration_ids": [did]})
    _refused(p.open_commitment, b, {"batch_id": bid})
    _refused(p.report, b, {"batch_id": bid, "confirmed": True, "form_key": uuid.uuid4().hex})
    own_letter = p.open_commitment(b, {"declaration_ids": [own["id"]]})
    mixed = {"declaration_ids": [did], "commitment_token": own_letter["token"], "confirmed": True}
    with pytest.raises(ServiceError):  # B's letter does not cover A's declaration
        p.report(b, {**mixed, "form_key": uuid.uuid4().hex})
    _refused(p.transfer_out, b, {"certificate_id": w["cert"]["id"], "to_uscc": w["c_uscc"]})
    _refused(p.accept_transfer, b, tid)
    _refused(p.return_transfer, b, tid, "B退回")
    _refused(p.cancel_transfer, b, tid)
    decided = p.decide_transfers(b, {"ids": [tid], "decision": "refuse"})["results"]
    assert [(r["ok"], r["code"]) for r in decided] == [(False, "not_found")]
    _refused(p.answer_appeal, b, w["appeal"]["id"], {"explanation": "B的说明"})

    assert _snapshot(cluster, w) == before
    refused = {row.subject_id for row in _audit(engines, b["id"])}
    for subject in (did, bid, tid, w["person"]["id"], w["cert"]["id"], w["appeal"]["id"]):
        assert subject in refused


def test_sub_accounts_without_the_module_or_read_only_cannot_act(cluster, engines, world):
    w, a = world, world["a"]
    p = cluster.personnel
    did = w["draft"]["id"]
    permits_only = {
        "id": str(uuid.uuid4()),
        "kind": "sub",
        "enterprise_id": a["id"],
        "permissions": ["permits"],
    }
    read_only = {**permits_only, "id": str(uuid.uuid4()), "permissions": ["personnel", "read_only"]}
    before = _snapshot(cluster, w)

    with pytest.raises(Forbidden):
        p.list_people(permits_only)
    _refused(p.get_declaration, permits_only, did)
    with pytest.raises(Forbidden):
        p.update_declaration(permits_only, did, {"form": {"class_code": "C1"}})

    assert p.get_declaration(read_only, did)["id"] == did  # reads its enterprise's rows
    assert w["person"]["id"] in [x["id"] for x in p.list_people(read_only, {"limit": 200})["items"]]
    for call, args in (
        (p.update_declaration, (did, {"form": {"class_code": "C1"}})),
        (p.upload_declaration_attachment, (did, "id_card", upload("身份证.pdf", scan_pdf()))),
        (p.update_person, (w["person"]["id"], {"mobile": "13900000000"})),
        (p.new_declaration, ({"type_code": "safety", "kind": "new", "person": person_data("吴只读")},)),
        (p.create_batch, ({"title": "只读批次", "declaration_ids": [did]},)),
        (p.remove_from_batch, (w["batch"]["id"], {"declaration_ids": [did]})),
        (p.open_commitment, ({"declaration_ids": [did]},)),
        (p.transfer_out, ({"certificate_id": w["cert"]["id"], "to_uscc": "91150100MA0000000X"},)),
        (p.cancel_transfer, (w["transfer"]["id"],)),
        (p.answer_appeal, (w["appeal"]["id"], {"explanation": "只读"})),
    ):
        with pytest.raises(Forbidden):
            call(read_only, *args)
    deleted = p.delete_declarations(read_only, {"ids": [did]})["results"]
    assert deleted[0]["ok"] is False and deleted[0]["code"] == "forbidden"

    assert _snapshot(cluster, w) == before
    assert _audit(engines, permits_only["id"]) and len(_audit(engines, read_only["id"])) >= 11


def test_a_person_acts_only_on_their_own_declarations(cluster, engines, world):
    w = world
    p = cluster.personnel
    did = w["draft"]["id"]
    own = {
        "id": str(uuid.uuid4()),
        "kind": "person",
        "id_number": w["draft_person"]["id_number"],
        "name": w["draft_person"]["name"],
        "enterprise_id": None,
        "permissions": [],
    }
    stranger = {**own, "id": str(uuid.uuid4()), "id_number": w["person"]["id_number"], "name": "钱档案"}
    before = _snapshot(cluster, w)

    assert p.get_declaration(own, did)["id"] == did
    assert [d["id"] for d in p.my_declarations(own)["items"]] == [did]
    assert did not in [d["id"] for d in p.my_declarations(stranger)["items"]]
    _refused(p.get_declaration, stranger, did)
    _refused(p.attachment_url, stranger, w["draft"]["attachments"][0]["id"])
    for actor in (own, stranger):  # the enterprise filed it: no person edits it
        _refused(p.update_declaration, actor, did, {"form": {"class_code": "C1"}})
        _refused(p.upload_declaration_attachment, actor, did, "id_card", upload("身份证.pdf", scan_pdf()))
    _refused(p.request_withdrawal, stranger, did, "不是我的")
    _refused(p.redeclare_declaration, stranger, did)
    _refused(p.cancel_declaration, own, did, "本人取消")
    _refused(p.resubmit_declaration, own, did)
    _refused(p.decide_withdrawal, own, did, {"agree": True})
    assert p.delete_declarations(own, {"ids": [did]})["results"][0]["ok"] is False
    with pytest.raises(Forbidden):  # a person holds no enterprise module
        p.list_people(own)
    with pytest.raises(Forbidden):
        p.create_batch(own, {"title": "个人批次", "declaration_ids": [did]})
    _refused(
        p.request_transfer,
        own,
        {"certificate_id": w["cert"]["id"], "direction": "out", "to_uscc": w["c_uscc"]},
    )
    with pytest.raises(Forbidden):  # nor raises anomalies
        p.raise_anomaly(own, {"enterprise_id": w["a"]["id"], "person_id": w["person"]["id"], "kind": "other"})
    # The holder reads their own record, nobody else's.
    assert p.certificate(stranger, w["cert"]["id"])["id"] == w["cert"]["id"]
    _refused(p.certificate, own, w["cert"]["id"])

    assert _snapshot(cluster, w) == before
    assert {did, w["draft"]["attachments"][0]["id"]} <= {
        r.subject_id for r in _audit(engines, stranger["id"])
    }
    assert did in {r.subject_id for r in _audit(engines, own["id"])}


def test_reviewers_act_only_within_their_region(cluster, engines, world):
    w = world
    p = cluster.personnel
    city = reviewer("city", w["region"][:4] + "00", "本市审核员")
    elsewhere = reviewer("city", "150200" if not w["region"].startswith("1502") else "150300", "外市审核员")
    other_province = reviewer("province", "140000", "外省审核员")
    anomaly = {
        "enterprise_id": w["a"]["id"],
        "person_id": w["person"]["id"],
        "kind": "other",
        "detail": "外市审核员试图提出",
    }
    before = _snapshot(cluster, w)

    assert w["cert"]["id"] in [x["id"] for x in p.search_registered(city, {"name": "钱档案"})["items"]]
    for outsider in (elsewhere, other_province):
        assert w["cert"]["id"] not in [
            x["id"] for x in p.search_registered(outsider, {"name": "钱档案"})["items"]
        ]
        assert p.export_registered(outsider, {"name": "钱档案"})["rows"] == 0
        assert w["appeal"]["id"] not in [x["id"] for x in p.list_appeals(outsider)["items"]]
        _refused(p.raise_anomaly, outsider, anomaly)
        _refused(p.close_appeal, outsider, w["appeal"]["id"], {"outcome": "dismiss", "opinion": "外市"})
        _refused(p.get_declaration, outsider, w["draft"]["id"])
        _refused(p.certificate, outsider, w["cert"]["id"])
        _refused(p.attachment_url, outsider, w["appeal"]["evidence"][0])
    # The region's city desk reads the evidence of its region's appeal.
    assert p.attachment_url(city, w["appeal"]["evidence"][0])["url"]
    # A reviewer account without a level or a region has no jurisdiction (it is not everywhere).
    for broken in (reviewer(None, w["region"], "无级别"), reviewer("city", None, "无地区")):
        with pytest.raises(Forbidden):
            p.search_registered(broken, {"name": "钱档案"})
        _refused(p.get_declaration, broken, w["draft"]["id"])
        _refused(p.raise_anomaly, broken, anomaly)
    # Enterprises do not use reviewers' RPCs.
    with pytest.raises(Forbidden):
        p.raise_anomaly(w["a"], anomaly)
    with pytest.raises(Forbidden):
        p.close_appeal(w["a"], w["appeal"]["id"], {"outcome": "uphold"})

    assert _snapshot(cluster, w) == before
    for outsider in (elsewhere, other_province):
        refused = {r.subject_id for r in _audit(engines, outsider["id"])}
        assert {w["person"]["id"], w["appeal"]["id"], w["draft"]["id"], w["cert"]["id"]} <= refused


def test_anomaly_only_for_the_enterprises_own_people_and_bad_input_is_a_field_error(cluster, engines, world):
    w = world
    p = cluster.personnel
    province = w["province"]
    # B neither holds nor declared A's person: no anomaly against B about them.
    _refused(
        p.raise_anomaly,
        province,
        {"enterprise_id": w["b"]["id"], "person_id": w["person"]["id"], "kind": "other", "detail": "无关"},
    )
    with pytest.raises(ValidationFailed) as deadline:
        p.raise_anomaly(
            province,
            {
                "enterprise_id": w["a"]["id"],
                "person_id": w["person"]["id"],
                "kind": "other",
                "detail": "日期不对",
                "deadline": "下周一",
            },
        )
    assert "deadline" in deadline.value.fields
    with pytest.raises(ValidationFailed) as blank:  # empty form fields arrive as None
        p.raise_anomaly(
            province,
            {"enterprise_id": w["a"]["id"], "person_id": w["person"]["id"], "kind": "other", "detail": None},
        )
    assert blank.value.fields["detail"][0]["code"] == "required"
    with pytest.raises(ValidationFailed) as day:
        p.expiring(w["a"], {"today": "not-a-date"})
    assert "today" in day.value.fields
    with pytest.raises(ValidationFailed) as within:
        p.expiring(w["a"], {"within_days": "ninety"})
    assert "within_days" in within.value.fields
    with pytest.raises(ValidationFailed) as limit:
        p.list_people(w["a"], {"limit": "many"})
    assert "limit" in limit.value.fields
    with pytest.raises(ValidationFailed):
        p.add_to_batch(w["a"], w["batch"]["id"], {"declaration_ids": "not-a-list"})
    with pytest.raises(NotFound):  # a malformed batch id is an unknown batch, not a crash
        p.list_declarations(w["a"], {"batch_id": "not-a-uuid"})
    with pytest.raises(Forbidden):  # only the person asks for a withdrawal
        p.request_withdrawal(w["a"], w["draft"]["id"], "企业代申请")
    assert w["person"]["id"] in {r.subject_id for r in _audit(engines, province["id"])}


def test_state_changes_leave_audit_rows(cluster, engines, world):
    w = world
    a_id = w["a"]["id"]
    actions = {
        (r.subject_id, action)
        for action in (
            "personnel.person.create",
            "personnel.person.photo",
            "personnel.certificate.supplement",
            "personnel.declaration.create",
            "personnel.declaration.upload",
            "personnel.batch.create",
            "personnel.transfer.declare_out",
            "personnel.appeal.answer",
        )
        for r in _audit(engines, a_id, action)
    }
    assert (w["person"]["id"], "personnel.person.create") in actions
    assert (w["person"]["id"], "personnel.person.photo") in actions
    assert (w["cert"]["id"], "personnel.certificate.supplement") in actions
    assert (w["draft"]["id"], "personnel.declaration.create") in actions
    assert (w["draft"]["id"], "personnel.declaration.upload") in actions
    assert (w["batch"]["id"], "personnel.batch.create") in actions
    assert (w["transfer"]["id"], "personnel.transfer.declare_out") in actions
    assert (w["appeal"]["id"], "personnel.appeal.answer") in actions
    assert {r.subject_id for r in _audit(engines, w["province"]["id"], "personnel.appeal.raise")} == {
        w["appeal"]["id"]
    }


def test_a_person_who_moved_to_another_employer_is_no_longer_the_creators(
    cluster, running_platform, engines, world
):
    """CIP 调转 A → B approved: A created the person, but B holds them now; A neither reads nor
    edits them any more (their mobile is B's to keep), B does."""
    p = cluster.personnel
    a = new_enterprise(cluster, running_platform)
    b = new_enterprise(cluster, running_platform)
    b_uscc = cluster.enterprise.records_for_precheck(None, b["id"])["uscc"]
    region = cluster.enterprise.records_for_precheck(None, a["id"])["region_code"]
    someone, cert = _record(cluster, a, "郑迁出")
    photo = p.upload_photo(a, someone["id"], upload("照片.png", photo_png()))["photo"]["id"]
    assert p.get_person(a, someone["id"])["id"] == someone["id"]
    _refused(p.attachment_url, b, photo)  # not yet B's
    moving = p.transfer_out(a, {"certificate_id": cert["id"], "to_uscc": b_uscc})
    draft = upload_required(cluster, b, p.accept_transfer(b, moving["id"]))
    assert report(
        cluster, b, float(running_platform["personnel"]["commitment_seconds"]), declaration_ids=[draft["id"]]
    )["results"][0]["ok"]
    case_id = case_id_of(engines, draft["case_ref"])
    city = reviewer("city", region[:4] + "00", "盟市审核员")
    province = reviewer("province", region[:2] + "0000", "自治区审核员")
    cluster.review.claim(city, case_id)
    cluster.review.act(city, case_id, {"action": "accept", "comment": "受理"})
    status_becomes(cluster, b, draft["id"], "under_review")
    cluster.review.act(city, case_id, {"action": "forward", "comment": "报自治区"})
    status_becomes(cluster, b, draft["id"], "province_unaccepted")
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "approve", "comment": "同意"})
    status_becomes(cluster, b, draft["id"], "approved")

    assert p.get_person(b, someone["id"])["id"] == someone["id"]
    _refused(p.get_person, a, someone["id"])
    _refused(p.update_person, a, someone["id"], {"mobile": "13900000000"})
    _refused(p.upload_photo, a, someone["id"], upload("照片.png", photo_png()))
    assert someone["id"] not in [x["id"] for x in p.list_people(a, {"limit": 200})["items"]]
    assert someone["id"] in [x["id"] for x in p.list_people(b, {"limit": 200})["items"]]
    assert p.get_person(b, someone["id"])["mobile"] == someone["mobile"]
    assert p.attachment_url(b, photo)["url"]  # the photo goes with the person
    _refused(p.attachment_url, a, photo)
    assert someone["id"] in {r.subject_id for r in _audit(engines, a["id"])}


def test_adding_a_person_another_enterprise_holds_names_the_holder_and_shows_nothing_of_theirs(
    cluster, engines, world
):
    w, b = world, world["b"]
    held = cluster.personnel.get_person(w["a"], w["person"]["id"])
    with pytest.raises(Conflict) as taken:
        cluster.personnel.create_person(b, {**person_data(held["name"]), "id_number": held["id_number"]})
    assert taken.value.code == "employed_elsewhere" and "id_number" in taken.value.fields
    assert held["mobile"] not in str(taken.value.message)
    assert held["id"] in {r.subject_id for r in _audit(engines, b["id"])}
    assert cluster.personnel.get_person(w["a"], held["id"])["mobile"] == held["mobile"]  # unchanged

    # A roster entry that nobody registered or declared: B takes the person on with what B typed;
    # A's contact details and photo are not handed over, and A no longer reads the person.
    entry = person_data("周名册")
    at_a = cluster.personnel.create_person(w["a"], {**entry, "email": "hr-a@example.com"})
    at_a = cluster.personnel.upload_photo(w["a"], at_a["id"], upload("照片.png", photo_png()))
    taken_on = cluster.personnel.create_person(b, {**entry, "mobile": "13700000000"})
    assert taken_on["id"] == at_a["id"] and taken_on["mobile"] == "13700000000"
    assert not taken_on.get("email") and taken_on["photo"] is None
    with pytest.raises(REFUSED):
        cluster.personnel.get_person(w["a"], at_a["id"])
    assert at_a["id"] in {r.subject_id for r in _audit(engines, b["id"], "personnel.person.take_on")}


def test_opening_a_person_with_the_full_id_number_is_audited(cluster, engines, world):
    """Issue 16 item 8: lists mask the ID number; the person's page shows it in full, and who
    opened it is in the audit trail."""
    a, person_id = world["a"], world["person"]["id"]
    before = [row for row in _audit(engines, a["id"], "person.viewed") if row.subject_id == person_id]
    cluster.personnel.get_person(a, person_id)
    after = [row for row in _audit(engines, a["id"], "person.viewed") if row.subject_id == person_id]
    assert len(after) == len(before) + 1
