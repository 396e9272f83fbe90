"""personnel's other operations through the real bus with the real review service: 补正 of only
the named items and resubmission as revision 2; the CIP two-sided transfer (调出 by A naming B by
USCC, 调入 accepted by B, the certificate moving only at the last approval); the TSA transfer the
person asks for and the enterprise consents to; the REG withdrawal a person asks for and the
enterprise agrees to or refuses; expiry warnings and the lapse sweep; registered-staff search
and Excel export; an appeal raised, answered and closed."""

from __future__ import annotations

import base64
import io
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from services.common.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from services.common.localtime import BEIJING
from services.personnel.windows import add_months
from tests.support.enterprise import scan_pdf, upload
from tests.support.permits import new_enterprise
from tests.support.personnel import (
    ADMIN,
    case_id_of,
    imported_from_old_system,
    person_data,
    photo_png,
    qualification_number,
    report,
    reviewer,
    status_becomes,
    upload_required,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def today():
    return datetime.now(UTC).astimezone(BEIJING).date()


def desks(cluster, actor):
    region = cluster.enterprise.records_for_precheck(None, actor["id"])["region_code"]
    return (
        reviewer("city", region[:4] + "00", "盟市审核员"),
        reviewer("province", region[:2] + "0000", "自治区审核员"),
    )


def through_city_and_province(cluster, engines, actor, declaration, revision=1):
    case_id = case_id_of(engines, declaration["case_ref"], revision)
    city, province = desks(cluster, actor)
    cluster.review.claim(city, case_id)
    cluster.review.act(city, case_id, {"action": "accept", "comment": "受理"})
    status_becomes(cluster, actor, declaration["id"], "under_review")
    cluster.review.act(city, case_id, {"action": "forward", "comment": "报自治区"})
    status_becomes(cluster, actor, declaration["id"], "province_unaccepted")
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "approve", "comment": "同意"})
    return status_becomes(cluster, actor, declaration["id"], "approved")


def imported(cluster, actor, name, type_code="constructor_2", **record):
    data = person_data(name)
    imported_from_old_system(cluster, actor, data)
    someone = cluster.personnel.create_person(actor, data)
    data = {"type_code": type_code, "valid_until": add_months(today(), 24).isoformat(), **record}
    if type_code == "constructor_2":
        data.setdefault("specialties", ["建筑工程"])
        data.setdefault("registration_number", "蒙215080907445")
    return someone, cluster.personnel.add_certificate_record(actor, someone["id"], data)


def test_correction_reopens_only_the_named_items_and_resubmits_revision_2(
    cluster, running_platform, engines, personnel_events, seconds
):
    actor = new_enterprise(cluster, running_platform)
    draft = cluster.personnel.new_declaration(
        actor,
        {"type_code": "safety", "kind": "new", "person": person_data("周安管"), "form": {"class_code": "B"}},
    )
    draft = upload_required(cluster, actor, draft)
    assert report(cluster, actor, seconds, declaration_ids=[draft["id"]])["results"][0]["ok"]
    case_id = case_id_of(engines, draft["case_ref"])
    city, _ = desks(cluster, actor)
    cluster.review.claim(city, case_id)
    cluster.review.act(city, case_id, {"action": "accept", "comment": "受理"})
    id_card = next(
        a
        for a in cluster.personnel.get_declaration(actor, draft["id"])["attachments"]
        if a["code"] == "id_card"
    )
    items = [
        {"target": "field", "name": "form.class_code", "reason": "人员类别应为C1"},
        {"target": "attachment", "name": id_card["id"], "reason": "身份证反面不清晰"},
    ]
    cluster.review.act(city, case_id, {"action": "correction", "comment": "请补正", "items": items})
    reopened = status_becomes(cluster, actor, draft["id"], "correction")
    assert [(i["label"], i.get("code")) for i in reopened["correction_items"]] == [
        ("人员类别", None),
        ("身份证明（正反面）", "id_card"),
    ]

    with pytest.raises(ValidationFailed) as other_field:
        cluster.personnel.update_declaration(actor, draft["id"], {"form": {"reason": "x"}})
    assert other_field.value.fields["reason"][0]["code"] == "not_reopened"
    with pytest.raises(InvalidTransition):
        cluster.personnel.upload_declaration_attachment(
            actor, draft["id"], "signed_form", upload("申请表.pdf", scan_pdf())
        )
    cluster.personnel.update_declaration(actor, draft["id"], {"form": {"form.class_code": "C1"}})
    cluster.personnel.upload_declaration_attachment(
        actor, draft["id"], "id_card", upload("身份证.pdf", scan_pdf())
    )
    again = cluster.personnel.resubmit_declaration(actor, draft["id"])
    assert again["revision"] == 2 and again["status"] == "under_review" and again["correction_items"] == []
    second = wait_for(
        lambda: [
            e for e in personnel_events.of("review_requested", case_ref=draft["case_ref"])
                if e["data"]["revision"] == 2
        ],
        what="revision 2",
    )
    assert second[0]["data"]["fields"]["form.class_code"]["value"].startswith("C1")
    case_id_of(engines, draft["case_ref"], revision=2)
    cluster.review.act(city, case_id, {"action": "reject", "comment": "考核合格证明不符"})
    rejected = status_becomes(cluster, actor, draft["id"], "rejected")
    assert rejected["decision_reason"] == "考核合格证明不符" and rejected["certificate"] is None


def test_cip_transfer_out_and_in_moves_the_certificate_at_the_last_approval(
    cluster, running_platform, engines, personnel_events, seconds
):
    old = new_enterprise(cluster, running_platform)
    new = new_enterprise(cluster, running_platform)
    new_uscc = cluster.enterprise.records_for_precheck(None, new["id"])["uscc"]
    someone, cert = imported(cluster, old, "吴调转")

    with pytest.raises(NotFound):  # an unknown USCC
        cluster.personnel.transfer_out(old, {"certificate_id": cert["id"], "to_uscc": "91150100MA0000000X"})
    moving = cluster.personnel.transfer_out(old, {"certificate_id": cert["id"], "to_uscc": new_uscc})
    assert moving["status"] == "out_declared" and moving["certificate"]["status"] == "transferring"
    wait_for(
        lambda: personnel_events.of("transfer_requested", transfer_id=moving["id"]), what="transfer_requested"
    )
    incoming = cluster.personnel.list_transfers(new, {"direction": "incoming"})["items"]
    assert [t["id"] for t in incoming] == [moving["id"]]

    draft = cluster.personnel.accept_transfer(new, moving["id"])
    assert draft["kind"] == "transfer_in" and draft["transfer_id"] == moving["id"]
    with pytest.raises(InvalidTransition) as first_delete:  # return only after deleting the draft
        cluster.personnel.return_transfer(new, moving["id"], "不接收")
    assert first_delete.value.code == "delete_first"
    upload_required(cluster, new, draft)
    assert report(cluster, new, seconds, declaration_ids=[draft["id"]])["results"][0]["ok"]
    with pytest.raises(InvalidTransition):  # reported: no return any more
        cluster.personnel.return_transfer(new, moving["id"], "不接收")
    assert cluster.personnel.certificate(old, cert["id"])["enterprise_id"] == old["id"]  # not yet moved

    done = through_city_and_province(cluster, engines, new, draft)
    assert done["certificate"]["enterprise_id"] == new["id"] and done["certificate"]["status"] == "valid"
    moved = wait_for(
        lambda: personnel_events.of("certificate_transferred", certificate_id=cert["id"]),
        what="certificate_transferred",
    )
    assert (
        moved[0]["data"]["from_enterprise_id"] == old["id"]
        and moved[0]["data"]["to_enterprise_id"] == new["id"]
    )
    lost = wait_for(
        lambda: personnel_events.of("key_person_changed", certificate_id=cert["id"]),
        what="key_person_changed"
    )
    assert lost[0]["data"]["enterprise_id"] == old["id"] and lost[0]["data"]["change"] == "transferred_out"
    assert lost[0]["data"]["certificate_kind"] == "constructor_2"
    history = cluster.personnel.list_transfers(old, {"direction": "outgoing"})["items"]
    assert history[0]["status"] == "completed"
    with pytest.raises(NotFound):  # the old employer no longer reads it
        cluster.personnel.certificate(old, cert["id"])


def test_tsa_transfer_asked_by_the_person_consented_then_reviewed(
    cluster, running_platform, engines, seconds
):
    old = new_enterprise(cluster, running_platform)
    new = new_enterprise(cluster, running_platform)
    new_uscc = cluster.enterprise.records_for_precheck(None, new["id"])["uscc"]
    someone, cert = imported(
        cluster, old, "郑交安", "transport_safety", class_code="C", certificate_number="蒙交安C2021000777"
    )
    person = {
        "id": str(uuid.uuid4()),
        "kind": "person",
        "id_number": someone["id_number"],
        "name": someone["name"],
        "enterprise_id": None,
    }
    asked = cluster.personnel.request_transfer(
        person, {"certificate_id": cert["id"], "direction": "out", "to_uscc": new_uscc}
    )
    assert asked["status"] == "requested" and asked["mode"] == "consent"
    stranger = dict(person, id_number="150102198001010011")
    with pytest.raises(NotFound):
        cluster.personnel.request_transfer(
            stranger, {"certificate_id": cert["id"], "direction": "out", "to_uscc": new_uscc}
        )
    refused = cluster.personnel.decide_transfers(new, {"ids": [asked["id"]], "decision": "consent"})
    assert refused["results"][0]["ok"] is False  # only the releasing enterprise consents to an out-transfer
    consented = cluster.personnel.decide_transfers(old, {"ids": [asked["id"]], "decision": "consent"})
    declaration_id = consented["results"][0]["declaration_id"]
    assert consented["results"][0]["status"] == "in_review"
    draft = cluster.personnel.get_declaration(old, declaration_id)
    upload_required(cluster, old, draft)
    assert report(cluster, old, seconds, declaration_ids=[declaration_id])["results"][0]["ok"]
    case_id = case_id_of(engines, draft["case_ref"])
    region = cluster.enterprise.records_for_precheck(None, old["id"])["region_code"]
    desk = reviewer("province", region[:2] + "0000", "审核部门")
    cluster.review.claim(desk, case_id)
    cluster.review.act(desk, case_id, {"action": "accept", "comment": "受理"})
    cluster.review.act(desk, case_id, {"action": "approve", "comment": "同意"})
    second = reviewer("province", region[:2] + "0000", "考核部门")
    cluster.review.claim(second, case_id)
    cluster.review.act(second, case_id, {"action": "approve", "comment": "同意"})
    status_becomes(cluster, old, declaration_id, "approved")
    moved = cluster.personnel.certificate(new, cert["id"])
    assert moved["enterprise_id"] == new["id"] and moved["status"] == "valid"
    assert cluster.personnel.my_transfers(person)["items"][0]["status"] == "completed"

    # An in-transfer request is decided by the enterprise asked to take the person: refused here.
    other, other_cert = imported(
        cluster, old, "孔调入", "transport_safety", class_code="B", certificate_number="蒙交安B2021000888"
    )
    holder = dict(person, id_number=other["id_number"], name=other["name"])
    asked_in = cluster.personnel.request_transfer(
        holder, {"certificate_id": other_cert["id"], "direction": "in", "to_uscc": new_uscc}
    )
    not_yours = cluster.personnel.decide_transfers(old, {"ids": [asked_in["id"]], "decision": "refuse"})
    assert not_yours["results"][0]["ok"] is False
    refused_in = cluster.personnel.decide_transfers(
        new, {"ids": [asked_in["id"]], "decision": "refuse", "reason": "岗位已满"}
    )
    assert refused_in["results"][0]["status"] == "refused"
    assert cluster.personnel.certificate(old, other_cert["id"])["enterprise_id"] == old["id"]
    assert [c["enterprise_id"] for c in cluster.personnel.my_certificates(person)["items"]] == [new["id"]]


def test_reg_withdrawal_asked_by_the_person_agreed_or_refused_by_the_enterprise(
    cluster, running_platform, engines, personnel_events, seconds
):
    actor = new_enterprise(cluster, running_platform)
    data = person_data("冯注册")
    draft = cluster.personnel.new_declaration(
        actor,
        {
            "type_code": "reg_engineer",
            "kind": "initial",
            "person": data,
            "form": {"specialties": ["注册电气工程师"]},
        },
    )
    upload_required(cluster, actor, draft)
    second = cluster.personnel.new_declaration(
        actor, {"type_code": "reg_architect", "kind": "initial", "person_id": draft["person_id"], "form": {}}
    )
    upload_required(cluster, actor, second)
    assert all(
        r["ok"]
        for r in report(cluster, actor, seconds, declaration_ids=[draft["id"], second["id"]])["results"]
    )
    person = {
        "id": str(uuid.uuid4()),
        "kind": "person",
        "id_number": data["id_number"],
        "name": data["name"],
        "enterprise_id": None,
    }
    mine = cluster.personnel.my_declarations(person)["items"]
    assert {d["id"] for d in mine} == {draft["id"], second["id"]}
    with pytest.raises(NotFound):
        cluster.personnel.get_declaration(dict(person, id_number="150102198001010011"), draft["id"])

    with pytest.raises(Forbidden):  # the person asks; only the enterprise cancels or decides
        cluster.personnel.cancel_declaration(person, draft["id"], "本人取消")
    with pytest.raises(Forbidden):  # nor edits what the enterprise filed
        cluster.personnel.update_declaration(person, draft["id"], {"form": {}})
    asked = cluster.personnel.request_withdrawal(person, draft["id"], "个人原因，暂不注册")
    assert asked["status"] == "withdrawal_requested" and asked["withdrawal"]["reason"] == "个人原因，暂不注册"
    agreed = cluster.personnel.decide_withdrawal(actor, draft["id"], {"agree": True})
    assert agreed["status"] == "withdrawn"
    wait_for(
        lambda: personnel_events.of("review_withdrawn", case_ref=draft["case_ref"]), what="review_withdrawn"
    )

    cluster.personnel.request_withdrawal(person, second["id"], "想再考虑一下")
    kept = cluster.personnel.decide_withdrawal(actor, second["id"], {"agree": False, "reason": "已通知本人"})
    assert kept["status"] == "province_unaccepted"
    case_id = case_id_of(engines, second["case_ref"])
    _, province = desks(cluster, actor)
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "accept", "comment": "受理"})
    status_becomes(cluster, actor, second["id"], "under_review")
    with pytest.raises(InvalidTransition) as late:
        cluster.personnel.request_withdrawal(person, second["id"], "还是撤回")
    assert late.value.code == "withdrawal_not_allowed"


def test_expiry_warning_sweep_search_export_and_appeal(cluster, running_platform, personnel_events):
    actor = new_enterprise(cluster, running_platform)
    other = new_enterprise(cluster, running_platform)
    soon = today() + timedelta(days=30)
    someone, cert = imported(
        cluster,
        actor,
        "陈到期",
        "transport_safety",
        class_code="A",
        certificate_number="蒙交安A2020000001",
        valid_until=soon.isoformat(),
    )
    warned = cluster.personnel.expiring(actor, {"within_days": 60})["items"]
    assert [(w["id"], w["days_left"]) for w in warned] == [(cert["id"], 30)]
    assert cluster.personnel.expiring(other, {"within_days": 60})["items"] == []

    found = cluster.personnel.search_registered(actor, {"name": "陈到期"})["items"]
    assert [f["id"] for f in found] == [cert["id"]]
    assert cluster.personnel.search_registered(other, {"name": "陈到期"})["items"] == []
    exported = cluster.personnel.export_registered(actor, {"name": "陈到期"})
    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["content_b64"]))).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=False))
    assert row["姓名"] == "陈到期" and row["证件号码"] == someone["id_number"]
    assert exported["filename"].endswith(".xlsx")

    # The sweep, run as on a day after the window closed, marks it lapsed and tells permits.
    day = add_months(soon, 2) + timedelta(days=1)
    assert cluster.personnel.run_expiry_sweep(day.isoformat())["lapsed"] >= 1
    lapsed = wait_for(
        lambda: personnel_events.of("key_person_changed", certificate_id=cert["id"]), what="lapsed"
    )
    assert lapsed[0]["data"]["change"] == "lapsed" and lapsed[0]["data"]["enterprise_id"] == actor["id"]
    assert cluster.personnel.certificate(actor, cert["id"])["status"] == "lapsed"

    province = reviewer("province", "150000", "自治区审核员")
    appeal = cluster.personnel.raise_anomaly(
        province,
        {
            "enterprise_id": actor["id"],
            "person_id": someone["id"],
            "kind": "social_insurance_mismatch",
            "detail": "社保缴纳单位与聘用单位不一致",
        },
    )
    assert [a["id"] for a in cluster.personnel.list_appeals(actor)["items"]] == [appeal["id"]]
    assert cluster.personnel.list_appeals(other)["items"] == []
    with pytest.raises(ValidationFailed) as no_evidence:
        cluster.personnel.answer_appeal(
            actor, appeal["id"], {"explanation": "该人员社保由集团公司统一缴纳。"}
        )
    assert "evidence" in no_evidence.value.fields
    answered = cluster.personnel.answer_appeal(
        actor,
        appeal["id"],
        {"explanation": "该人员社保由集团公司统一缴纳。", "evidence": [upload("社保证明.pdf", scan_pdf())]},
    )
    assert answered["status"] == "answered" and len(answered["evidence"]) == 1
    closed = cluster.personnel.close_appeal(
        province, appeal["id"], {"outcome": "uphold", "opinion": "情况属实"}
    )
    assert closed["status"] == "upheld"


def test_reg_personal_declaration_returned_redeclared_reported_and_qualification_corrected(
    cluster, running_platform, seconds
):
    actor = new_enterprise(cluster, running_platform)
    uscc = cluster.enterprise.records_for_precheck(None, actor["id"])["uscc"]
    data = person_data("褚个人")
    person = {
        "id": str(uuid.uuid4()),
        "kind": "person",
        "id_number": data["id_number"],
        "name": data["name"],
        "enterprise_id": None,
    }
    with pytest.raises(ValidationFailed):  # someone else's ID number is not one's own
        cluster.personnel.new_personal_declaration(
            person,
            {
                "type_code": "reg_engineer",
                "kind": "initial",
                "enterprise_uscc": uscc,
                "person": {**data, "id_number": "150102198001010011"},
                "form": {"specialties": ["注册化工工程师"]},
            },
        )
    with pytest.raises(ValidationFailed) as enterprise_only:
        cluster.personnel.new_personal_declaration(
            person, {"type_code": "constructor_2", "kind": "initial", "enterprise_uscc": uscc, "person": data}
        )
    assert enterprise_only.value.fields["kind"][0]["code"] == "not_personal"
    mine = cluster.personnel.new_personal_declaration(
        person,
        {
            "type_code": "reg_engineer",
            "kind": "initial",
            "enterprise_uscc": uscc,
            "person": data,
            "form": {"specialties": ["注册化工工程师"], "pre_registered": True},
        },
    )
    assert mine["origin"] == "person" and mine["enterprise_id"] == actor["id"]
    waiting = cluster.personnel.list_declarations(actor, {"reported": False})["items"]
    assert [d["id"] for d in waiting] == [mine["id"]]

    returned = cluster.personnel.return_declarations(actor, {"ids": [mine["id"]], "reason": "请补充劳动合同"})
    assert returned["results"][0] == {**returned["results"][0], "ok": True, "status": "returned"}
    again = cluster.personnel.redeclare_declaration(person, mine["id"])
    assert again["status"] == "draft"
    upload_required(cluster, person, again)
    assert report(cluster, actor, seconds, declaration_ids=[mine["id"]])["results"][0]["ok"]
    refused = cluster.personnel.return_declarations(actor, {"ids": [mine["id"]]})
    assert refused["results"][0]["code"] == "already_reported"

    with pytest.raises(ValidationFailed) as needs_copy:
        cluster.personnel.correct_qualification(actor, mine["id"], {"qualification_number": "A115000123"})
    assert "qualification_copy" in needs_copy.value.fields
    corrected = cluster.personnel.correct_qualification(
        actor, mine["id"], {"qualification_number": "A115000123", "copy": upload("资质副本.pdf", scan_pdf())}
    )
    assert corrected["form"]["qualification_certificate_number"] == "A115000123"
    assert any(a["code"] == "qualification_copy" for a in corrected["attachments"])


def test_constructor_add_item_change_cancellation_and_re_registration_elsewhere(
    cluster, running_platform, engines, personnel_events, seconds
):
    actor = new_enterprise(cluster, running_platform)
    someone, cert = imported(cluster, actor, "蒋增项")
    exam = qualification_number()
    add_form = {"specialty": "公路工程", "exam_certificate_number": exam}
    with pytest.raises(ValidationFailed) as no_pass:
        cluster.personnel.new_declaration(
            actor,
            {
                "type_code": "constructor_2",
                "kind": "add_item",
                "certificate_id": cert["id"],
                "form": add_form,
            },
        )
    assert no_pass.value.fields["specialty"][0]["code"] == "exam_not_passed"
    cluster.personnel.record_exam_passes(
        ADMIN,
        {
            "passes": [
                {"id_number": someone["id_number"], "specialty": "公路工程", "certificate_number": exam}
            ]
        },
    )

    def approved(kind, form, who=actor, certificate_id=cert["id"]):
        draft = cluster.personnel.new_declaration(
            who, {"type_code": "constructor_2", "kind": kind, "certificate_id": certificate_id, "form": form}
        )
        upload_required(cluster, who, draft)
        assert report(cluster, who, seconds, declaration_ids=[draft["id"]])["results"][0]["ok"]
        return through_city_and_province(cluster, engines, who, draft)

    assert approved("add_item", add_form)["certificate"]["specialties"] == ["建筑工程", "公路工程"]
    assert approved("change", {"change_item": "name", "new_name": "蒋新名"})["person"]["name"] == "蒋新名"
    reissued = approved("reissue", {"reason": "证书遗失，已登报声明"})
    assert reissued["certificate"]["reissued_on"] == today().isoformat()
    cancelled = approved(
        "cancellation", {"reasons": ["已与聘用企业解除聘用合同关系的"], "applicant": "聘用企业"}
    )
    assert cancelled["certificate"]["status"] == "cancelled"
    gone = wait_for(
        lambda: personnel_events.of("certificate_cancelled", certificate_id=cert["id"]), what="cancelled"
    )
    assert gone[0]["data"]["reason"] == "cancelled" and gone[0]["data"]["enterprise_id"] == actor["id"]
    told = wait_for(
        lambda: personnel_events.of("key_person_changed", certificate_id=cert["id"]), what="key person"
    )
    assert told[0]["data"]["change"] == "cancelled"

    other = new_enterprise(cluster, running_platform)
    with pytest.raises(NotFound):  # the old name no longer matches
        cluster.personnel.find_for_re_registration(
            other, {"type_code": "constructor_2", "name": "蒋增项", "id_number": someone["id_number"]}
        )
    found = cluster.personnel.find_for_re_registration(
        other, {"type_code": "constructor_2", "name": "蒋新名", "id_number": someone["id_number"]}
    )
    assert found["id"] == cert["id"] and found["status"] == "cancelled"
    again = approved("re_registration", {}, who=other, certificate_id=found["id"])
    assert again["certificate"]["enterprise_id"] == other["id"] and again["certificate"]["status"] == "valid"
    assert again["certificate"]["registration_number"] == cert["registration_number"]
    with pytest.raises(Conflict) as registered:  # and now it is registered again
        cluster.personnel.find_for_re_registration(
            other, {"type_code": "constructor_2", "name": "蒋新名", "id_number": someone["id_number"]}
        )
    assert registered.value.code == "still_registered"


def test_delete_with_a_result_per_item_cancel_after_reporting_and_the_four_lists(
    cluster, running_platform, engines, personnel_events, seconds
):
    actor = new_enterprise(cluster, running_platform)
    single = cluster.personnel.new_declaration(
        actor,
        {"type_code": "safety", "kind": "new", "person": person_data("钱单个"), "form": {"class_code": "A"}},
    )
    batched = cluster.personnel.new_declaration(
        actor,
        {"type_code": "safety", "kind": "new", "person": person_data("孙批次"), "form": {"class_code": "B"}},
    )
    batch = cluster.personnel.create_batch(actor, {"title": "安管第一批", "declaration_ids": [batched["id"]]})
    upload_required(cluster, actor, single)
    assert report(cluster, actor, seconds, declaration_ids=[single["id"]])["results"][0]["ok"]

    def ids(query):
        return [d["id"] for d in cluster.personnel.list_declarations(actor, query)["items"]]

    assert ids({"reported": True, "batch": False}) == [single["id"]]
    assert ids({"reported": False, "batch": True}) == [batched["id"]]
    assert ids({"reported": False, "batch": False}) == [] and ids({"reported": True, "batch": True}) == []
    assert ids({"q": "孙批次"}) == [batched["id"]]

    deleted = cluster.personnel.delete_declarations(actor, {"ids": [batched["id"], single["id"]]})
    assert [(r["id"], r["ok"]) for r in deleted["results"]] == [(batched["id"], True), (single["id"], False)]
    assert deleted["results"][1]["code"] == "invalid_transition" and deleted["summary"] == "成功1条，失败1条"
    assert cluster.personnel.get_batch(actor, batch["id"])["count"] == 0

    cancelled = cluster.personnel.cancel_declaration(actor, single["id"], "人员已离职")
    assert cancelled["status"] == "withdrawn"
    withdrawn = wait_for(
        lambda: personnel_events.of("review_withdrawn", case_ref=single["case_ref"]), what="withdrawn"
    )
    assert withdrawn[0]["data"]["outcome"] == "withdrawn" and withdrawn[0]["data"]["reason"] == "人员已离职"
    case_id = case_id_of(engines, single["case_ref"])
    wait_for(
        lambda: cluster.review.case_history(actor, case_id)["status"] == "withdrawn", what="case withdrawn"
    )
    assert cluster.personnel.get_declaration(actor, single["id"])["status"] == "withdrawn"
    assert cluster.personnel.open_cases_of(actor["id"]) == {"open": []}


def noisy_png(side: int = 800) -> bytes:
    """A photo over 1 MB (random pixels do not compress)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def test_person_photo_checked_by_content_and_basic_info_locked_while_reported(
    cluster, running_platform, seconds
):
    actor = new_enterprise(cluster, running_platform)
    other = new_enterprise(cluster, running_platform)
    someone = cluster.personnel.create_person(actor, person_data("卫照片"))
    with pytest.raises(ValidationFailed) as big:
        cluster.personnel.upload_photo(actor, someone["id"], upload("大照片.png", noisy_png()))
    assert big.value.fields["photo"][0]["code"] == "too_large" and "1MB" in big.value.message
    with pytest.raises(ValidationFailed):
        cluster.personnel.upload_photo(actor, someone["id"], upload("照片.png", scan_pdf()))
    shown = cluster.personnel.upload_photo(actor, someone["id"], upload("照片.png", photo_png()))
    assert shown["photo"]["content_type"] == "image/png"
    with pytest.raises(NotFound):  # another enterprise does not see the person
        cluster.personnel.get_person(other, someone["id"])
    with pytest.raises(ValidationFailed) as bad_id:
        cluster.personnel.create_person(actor, {**person_data("卫错号"), "id_number": "150102198001010012"})
    assert bad_id.value.fields["id_number"][0]["code"] == "check_digit"

    updated = cluster.personnel.update_person(actor, someone["id"], {"mobile": "13800001111"})
    assert updated["mobile"] == "13800001111"
    draft = cluster.personnel.new_declaration(
        actor,
        {"type_code": "safety", "kind": "new", "person_id": someone["id"], "form": {"class_code": "C2"}},
    )
    upload_required(cluster, actor, draft)
    assert report(cluster, actor, seconds, declaration_ids=[draft["id"]])["results"][0]["ok"]
    with pytest.raises(InvalidTransition) as locked:
        cluster.personnel.update_person(actor, someone["id"], {"mobile": "13800002222"})
    assert locked.value.code == "open_declaration"
