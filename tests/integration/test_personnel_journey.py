"""personnel through the real bus, databases and S3, with the real identity, enterprise and review
services: a CIP 二级建造师 initial registration in a batch reported after the commitment letter,
accepted and forwarded by the city desk, approved by the province, certificate issued; a second
enterprise declaring the same person refused naming the holder; a TSA renewal refused outside
its window and approved inside it (+3 years)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from services.common.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from services.common.localtime import BEIJING
from services.personnel.windows import add_months
from tests.support.permits import new_enterprise
from tests.support.personnel import (
    ADMIN,
    case_id_of,
    imported_from_old_system,
    person_data,
    qualification_number,
    report,
    reviewer,
    status_becomes,
    upload_required,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def today() -> date:
    return datetime.now(UTC).astimezone(BEIJING).date()


def test_constructor_initial_registration_in_a_batch_through_city_and_province(
    cluster, running_platform, personnel_events, engines, seconds
):
    actor = new_enterprise(cluster, running_platform)
    records = cluster.enterprise.records_for_precheck(None, actor["id"])
    someone = person_data("王建设")
    qual = qualification_number()
    cluster.personnel.record_exam_passes(
        ADMIN,
        {
            "passes": [
                {
                    "id_number": someone["id_number"],
                    "specialty": "建筑工程",
                    "certificate_number": qual,
                    "name": someone["name"],
                }
            ]
        },
    )

    # Eligibility with Chinese messages: no pass in 公路工程, a wrong number format.
    with pytest.raises(ValidationFailed) as no_pass:
        cluster.personnel.new_declaration(
            actor,
            {
                "type_code": "constructor_2",
                "kind": "initial",
                "person": someone,
                "form": {"qualification_number": qual, "specialties": ["公路工程"]},
            },
        )
    assert no_pass.value.fields["specialties"][0]["code"] == "exam_not_passed"
    with pytest.raises(ValidationFailed) as bad_number:
        cluster.personnel.new_declaration(
            actor,
            {
                "type_code": "constructor_2",
                "kind": "initial",
                "person": someone,
                "form": {"qualification_number": "nmg12", "specialties": ["建筑工程"]},
            },
        )
    assert "NMG" in bad_number.value.fields["qualification_number"][0]["message"]

    draft = cluster.personnel.new_declaration(
        actor,
        {
            "type_code": "constructor_2",
            "kind": "initial",
            "person": someone,
            "form": {"qualification_number": qual.lower(), "specialties": ["建筑工程"]},
        },
    )
    assert draft["status"] == "draft" and draft["case_ref"] == f"personnel:declaration:{draft['id']}"
    assert draft["form"]["qualification_number"] == qual
    assert draft["fields"]["person.name"]["value"] == "王建设"
    assert draft["fields"]["enterprise.name"]["value"] == records["name"]
    assert draft["person"]["birth_date"] == (
        f"{someone['id_number'][6:10]}-{someone['id_number'][10:12]}-{someone['id_number'][12:14]}"
    )

    # Optimistic version; an attachment judged by its content, not its name.
    with pytest.raises(Conflict) as stale:
        cluster.personnel.update_declaration(actor, draft["id"], {"form": {}, "expected_version": 99})
    assert stale.value.code == "stale_version"
    with pytest.raises(ValidationFailed):
        cluster.personnel.upload_declaration_attachment(
            actor, draft["id"], "id_card", {"filename": "身份证.pdf", "content_b64": "bm90IGEgcGRm"}
        )

    batch = cluster.personnel.create_batch(actor, {"title": "2026年第一批", "declaration_ids": [draft["id"]]})
    assert batch["count"] == 1 and not batch["reported"]
    listed = cluster.personnel.list_declarations(actor, {"reported": False, "batch": True})
    assert [d["id"] for d in listed["items"]] == [draft["id"]]

    # Missing attachments: a result per item, nothing reported.
    early = report(cluster, actor, seconds, batch_id=batch["id"])
    assert early["results"][0]["ok"] is False and early["results"][0]["code"] == "missing_attachments"
    upload_required(cluster, actor, cluster.personnel.get_declaration(actor, draft["id"]))

    # The commitment letter is enforced by the server: no letter, too soon.
    with pytest.raises(ValidationFailed) as unread:
        cluster.personnel.report(actor, {"batch_id": batch["id"], "confirmed": True, "form_key": "x1"})
    assert unread.value.fields["commitment"][0]["code"] == "commitment_not_read"
    letter = cluster.personnel.open_commitment(actor, {"batch_id": batch["id"]})
    assert letter["seconds_required"] == seconds
    with pytest.raises(ValidationFailed) as soon:
        cluster.personnel.report(
            actor,
            {
                "batch_id": batch["id"],
                "commitment_token": letter["token"],
                "confirmed": True,
                "form_key": "x2",
            },
        )
    assert soon.value.fields["commitment"][0]["code"] == "commitment_too_soon"

    key = uuid.uuid4().hex
    reported = report(cluster, actor, seconds, form_key=key, batch_id=batch["id"])
    # The same form_key again (a double click, a retried request) answers the same results.
    assert (
        cluster.personnel.report(actor, {"batch_id": batch["id"], "confirmed": True, "form_key": key})
        == reported
    )
    with engines("personnel").connect() as conn:
        sent = conn.execute(
            text(
                "select count(*) from outbox where event_type = 'review_requested' "
                "and envelope->'data'->>'case_ref' = :r"
            ),
            {"r": draft["case_ref"]},
        ).scalar()
    assert sent == 1
    assert reported["results"] == [
        {"id": draft["id"], "ok": True, "status": "city_unaccepted", "code": None, "message": None}
    ]
    assert cluster.personnel.get_batch(actor, batch["id"])["reported"] is True
    assert [o["id"] for o in cluster.personnel.open_cases_of(actor["id"])["open"]] == [draft["id"]]
    requested = wait_for(
        lambda: personnel_events.of("review_requested", case_ref=draft["case_ref"]),
        what="personnel.review_requested",
    )
    assert requested[0]["data"]["case_type"] == "personnel.constructor_2.initial"
    assert requested[0]["data"]["region_code"] == records["region_code"]
    assert requested[0]["data"]["fields"]["form.qualification_number"]["value"] == qual
    assert len(requested[0]["data"]["attachments"]) >= 5

    # (b) a second enterprise declaring the same person is refused, naming the holder.
    other = new_enterprise(cluster, running_platform)
    with pytest.raises(Conflict) as taken:
        cluster.personnel.new_declaration(
            other,
            {
                "type_code": "constructor_2",
                "kind": "initial",
                "person": someone,
                "form": {"qualification_number": qual, "specialties": ["建筑工程"]},
            },
        )
    assert taken.value.code == "employed_elsewhere" and records["name"] in taken.value.message
    with pytest.raises(NotFound):  # and it cannot read A's declaration
        cluster.personnel.get_declaration(other, draft["id"])

    # Review: the city desk of the enterprise's region accepts and forwards, the province approves.
    case_id = case_id_of(engines, draft["case_ref"])
    city = reviewer("city", records["region_code"][:4] + "00", "盟市审核员")
    province = reviewer("province", records["region_code"][:2] + "0000", "自治区审核员")
    cluster.review.claim(city, case_id)
    cluster.review.act(city, case_id, {"action": "accept", "comment": "予以受理"})
    status_becomes(cluster, actor, draft["id"], "under_review")
    cluster.review.act(city, case_id, {"action": "forward", "comment": "同意，报自治区审批"})
    status_becomes(cluster, actor, draft["id"], "province_unaccepted")
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "approve", "comment": "准予注册"})
    done = status_becomes(cluster, actor, draft["id"], "approved")
    assert [h["action"] for h in done["history"]][-4:] == ["report", "accept", "forward", "approve"]

    cert = done["certificate"]
    assert cert["status"] == "valid" and cert["enterprise_id"] == actor["id"]
    assert cert["registration_number"].startswith("蒙") and cert["specialties"] == ["建筑工程"]
    assert cert["valid_until"] == (add_months(today(), 36) - timedelta(days=1)).isoformat()
    issued = wait_for(
        lambda: personnel_events.of("certificate_issued", certificate_id=cert["id"]),
        what="personnel.certificate_issued",
    )
    assert issued[0]["data"]["kind"] == "constructor_2" and issued[0]["data"]["holder_name"] == "王建设"
    assert cluster.personnel.open_cases_of(actor["id"])["open"] == []
    people = cluster.personnel.list_people(actor, {"q": "王建设"})["items"]
    assert [c["id"] for p in people for c in p["certificates"]] == [cert["id"]]
    assert cluster.personnel.list_people(actor, {"q": "%"})["items"] == []  # no LIKE wildcards

    # Once registered, B is still refused (the holder named), and a repeat at A is "already registered".
    with pytest.raises(Conflict) as still:
        cluster.personnel.new_declaration(
            other, {"type_code": "safety", "kind": "new", "person": someone, "form": {"class_code": "B"}}
        )
    assert still.value.code == "employed_elsewhere" and records["name"] in still.value.message
    with pytest.raises(Conflict) as again:
        cluster.personnel.new_declaration(
            actor,
            {
                "type_code": "constructor_2",
                "kind": "initial",
                "person_id": done["person_id"],
                "form": {"qualification_number": qual, "specialties": ["建筑工程"]},
            },
        )
    assert again.value.code == "already_registered"


def test_tsa_renewal_refused_outside_the_window_and_approved_inside(
    cluster, running_platform, engines, seconds
):
    actor = new_enterprise(cluster, running_platform)
    records = cluster.enterprise.records_for_precheck(None, actor["id"])
    data = person_data("李安全")
    imported_from_old_system(cluster, actor, data)
    someone = cluster.personnel.create_person(actor, data)
    far = add_months(today(), 6)
    cert = cluster.personnel.add_certificate_record(
        actor,
        someone["id"],
        {
            "type_code": "transport_safety",
            "class_code": "B",
            "certificate_number": "蒙交安B2020001234",
            "issued_on": (far - timedelta(days=3 * 365)).isoformat(),
            "valid_until": far.isoformat(),
        },
    )
    assert cert["imported"] and cert["certificate_kind"] == "safety_b"

    with pytest.raises(InvalidTransition) as too_early:
        cluster.personnel.new_declaration(
            actor, {"type_code": "transport_safety", "kind": "renewal", "certificate_id": cert["id"]}
        )
    assert too_early.value.code == "renewal_too_early" and "3个月" in too_early.value.message

    lapsed = add_months(today(), -3)
    cluster.personnel.update_certificate_record(
        actor, cert["id"], {"valid_until": lapsed.isoformat(), "class_code": "B"}
    )
    with pytest.raises(InvalidTransition) as too_late:
        cluster.personnel.new_declaration(
            actor, {"type_code": "transport_safety", "kind": "renewal", "certificate_id": cert["id"]}
        )
    assert too_late.value.code == "renewal_lapsed" and "重新报名考试" in too_late.value.message

    inside = add_months(today(), 1)
    cluster.personnel.update_certificate_record(
        actor, cert["id"], {"valid_until": inside.isoformat(), "class_code": "B"}
    )
    draft = cluster.personnel.new_declaration(
        actor, {"type_code": "transport_safety", "kind": "renewal", "certificate_id": cert["id"]}
    )
    assert draft["fields"]["renewal.new_valid_until"]["value"] == add_months(inside, 36).isoformat()
    upload_required(cluster, actor, draft)
    result = report(cluster, actor, seconds, declaration_ids=[draft["id"]])
    assert result["results"][0]["status"] == "province_unaccepted"

    # TSA: 审核部门 then 考核部门, both at the province.
    case_id = case_id_of(engines, draft["case_ref"])
    audit_desk = reviewer("province", records["region_code"][:2] + "0000", "审核部门")
    cluster.review.claim(audit_desk, case_id)
    cluster.review.act(audit_desk, case_id, {"action": "accept", "comment": "受理"})
    cluster.review.act(audit_desk, case_id, {"action": "approve", "comment": "审核通过"})
    assessment = reviewer("province", records["region_code"][:2] + "0000", "考核部门")
    wait_for(lambda: cluster.review.claim(assessment, case_id) or True, what="claim at 考核部门")
    cluster.review.act(assessment, case_id, {"action": "approve", "comment": "考核通过"})
    done = status_becomes(cluster, actor, draft["id"], "approved")
    assert done["certificate"]["valid_until"] == add_months(inside, 36).isoformat()
    assert done["certificate"]["status"] == "valid"


def test_open_cases_of_an_unknown_enterprise_is_empty(cluster):
    assert cluster.personnel.open_cases_of(str(uuid.uuid4())) == {"open": []}
