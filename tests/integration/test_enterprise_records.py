"""The enterprise service through the real bus, database and S3: creation from identity's
event, registration step 2, locked fields and change requests, rosters, projects, equipment,
shareholding, records_for_precheck, records_changed, attachments."""

from __future__ import annotations

import random
import uuid

import pytest
import requests
from nameko.standalone.events import event_dispatcher
from sqlalchemy import text

from services.common.config import nameko_config
from services.common.errors import Forbidden, NotFound, ValidationFailed
from tests.support.data import registration
from tests.support.enterprise import open_case_for, profile, resident_id, scan_pdf, upload
from tests.support.waiting import wait_for


def new_enterprise(cluster) -> dict:
    account = cluster.identity.register_account(registration())
    return {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": [],
            "uscc": account["uscc"]}


def complete(cluster, actor, name=None) -> dict:
    files = {"business_licence": upload("营业执照（副本）.pdf", scan_pdf()),
             "legal_rep_id": upload("法定代表人身份证.pdf", scan_pdf(colour=False, dpi=150))}
    data = profile(name or f"内蒙古测试电力工程{uuid.uuid4().hex[:6]}有限公司")
    return cluster.enterprise.save_registration_profile(actor, {**data, "files": files})


def test_enterprise_row_is_created_from_identity_event(cluster, engines):
    actor = new_enterprise(cluster)
    row = wait_for(lambda: engines("enterprise").connect().execute(
        text("select uscc, contact_name from enterprises where id = :id"), {"id": actor["id"]}).first(),
        what="the enterprise row")
    assert row.uscc == actor["uscc"] and row.contact_name == "测试联系人"


def test_registration_profile_draft_then_submit(cluster, engines):
    actor = new_enterprise(cluster)
    draft = cluster.enterprise.save_registration_profile(actor, {"name": "内蒙古半成品电力有限公司"})
    assert draft["name"] == "内蒙古半成品电力有限公司" and "business_licence" in draft["missing"]
    with pytest.raises(ValidationFailed) as incomplete:
        cluster.enterprise.submit_registration_profile(actor)
    assert {"region_code", "business_licence", "legal_rep_id"} <= set(incomplete.value.fields)

    saved = complete(cluster, actor)
    assert saved["missing"] == {}
    warnings = saved["files"]["legal_rep_id"]["warnings"]
    assert any("150 DPI" in w for w in warnings) and any("黑白" in w for w in warnings)
    assert saved["files"]["business_licence"]["warnings"] == []
    submitted = cluster.enterprise.submit_registration_profile(actor)
    assert submitted["profile_status"] == "submitted"
    count = engines("enterprise").connect().execute(text(
        "select count(*) from outbox where event_type = 'registration_profile_submitted' "
        "and envelope->'data'->>'enterprise_id' = :id"), {"id": actor["id"]}).scalar_one()
    assert count == 1

    # a registration rejected and fixed: saving again makes it a draft to submit again
    again = cluster.enterprise.save_registration_profile(actor, {"contact_name": "王五"})
    assert again["profile_status"] == "draft"


def test_bad_upload_is_refused_and_nothing_stored(cluster, engines):
    actor = new_enterprise(cluster)
    with pytest.raises(ValidationFailed) as refused:
        cluster.enterprise.save_registration_profile(actor, {
            **profile(), "files": {"business_licence": upload("执照.pdf", b"<html>not a pdf</html>")}})
    assert refused.value.fields["business_licence"][0]["code"] == "not_pdf"
    row = engines("enterprise").connect().execute(text(
        "select name, (select count(*) from attachments where enterprise_id = e.id) as files "
        "from enterprises e where id = :id"), {"id": actor["id"]}).first()
    assert row is None or (row.name is None and row.files == 0)


def test_locked_fields_need_a_change_request_and_history_is_kept(cluster):
    actor = new_enterprise(cluster)
    complete(cluster, actor)
    with pytest.raises(ValidationFailed) as locked:
        cluster.enterprise.update_basic_info(actor, actor["id"], {"name": "改名有限公司", "uscc": "X"})
    assert locked.value.fields["name"][0]["code"] == "locked"
    assert "变更申请" in locked.value.fields["name"][0]["message"]
    assert locked.value.fields["uscc"][0]["code"] == "read_only"

    updated = cluster.enterprise.update_basic_info(actor, actor["id"], {
        "current_address": "包头市昆都仑区钢铁大街8号", "net_assets_wan": "4000"})
    assert updated["current_address"] == "包头市昆都仑区钢铁大街8号"
    history = cluster.enterprise.change_history(actor, actor["id"], {})
    entry = next(h for h in history["items"] if h["field"] == "current_address")
    assert entry["old"] == "呼和浩特市赛罕区大学东街2号" and entry["new"] == "包头市昆都仑区钢铁大街8号"
    assert entry["actor_id"] == actor["id"] and entry["at"]

    request = cluster.enterprise.request_change(actor, actor["id"], {
        "changes": {"legal_representative": "赵六"}, "reason": "法定代表人变更"})
    assert request["status"] == "pending" and request["changes"]["legal_representative"]["old"] == "张三"
    assert cluster.enterprise.get_enterprise(actor, actor["id"])["legal_representative"] == "张三"


def test_roster_duplicate_id_names_the_row_and_summary_counts(cluster):
    actor = new_enterprise(cluster)
    rng = random.Random()
    first = cluster.enterprise.save_record(actor, actor["id"], "staff", {
        "category": "electrician", "name": "周七", "id_number": resident_id(rng),
        "witness_phone": "13912345678",
        "certificates": [{"kind": "electrician", "number": "T1501"}]})
    second_id = resident_id(rng)
    cluster.enterprise.save_record(actor, actor["id"], "staff", {
        "category": "electrician", "name": "吴九", "id_number": second_id})
    with pytest.raises(ValidationFailed) as duplicate:
        cluster.enterprise.save_record(actor, actor["id"], "staff", {
            "category": "technical_lead", "name": "郑十", "id_number": second_id})
    message = duplicate.value.fields["id_number"][0]["message"]
    assert "电工" in message and "第2行" in message and "吴九" in message
    # updating a person with its own ID number is no duplicate
    cluster.enterprise.save_record(actor, actor["id"], "staff", {**first, "title": "技师"})
    listed = cluster.enterprise.list_records(actor, actor["id"], "staff", {"category": "electrician"})
    assert listed["total"] == 2 and [i["row"] for i in listed["items"]] == [1, 2]
    by = {r["category"]: r["count"] for r in listed["summary"]}
    assert by["electrician"] == 2 and by["total"] == 2
    found = cluster.enterprise.list_records(actor, actor["id"], "staff", {"q": "T1501"})
    assert [i["name"] for i in found["items"]] == ["周七"]
    # what a clerk types is matched literally: "%" and "_" are no wildcards
    for typed in ("%", "T15%1", "T\\_1501"):
        assert cluster.enterprise.list_records(actor, actor["id"], "staff", {"q": typed})["items"] == []


def test_precheck_view_and_records_changed(cluster, engines):
    actor = new_enterprise(cluster)
    complete(cluster, actor)
    cluster.enterprise.save_record(actor, actor["id"], "staff", {
        "category": "technical_lead", "name": "王五", "id_number": resident_id(), "title": "高级工程师",
        "title_level": "senior", "years_experience": "15",
        "certificates": [{"kind": "constructor_1", "number": "蒙1150001", "valid_until": "2029-12-31"}]})
    cluster.enterprise.save_record(actor, actor["id"], "projects", {
        "name": "110kV输电线路工程", "client": "内蒙古电力（集团）有限责任公司", "category": "install",
        "voltage_kv": "110", "contract_amount_wan": "800", "length_km": "20", "started_on": "2022-01-01",
        "completed_on": "2023-01-01"})
    cluster.enterprise.save_record(actor, actor["id"], "equipment", {"name": "张力机", "model": "SA-YQ90",
                                                                     "quantity": "2"})
    cluster.enterprise.save_record(actor, actor["id"], "shareholders", {"holder": "甲",
                                                                        "share_percent": "70"})
    with pytest.raises(ValidationFailed) as over:
        cluster.enterprise.save_record(actor, actor["id"], "shareholders", {"holder": "乙",
                                                                            "share_percent": "31"})
    assert over.value.fields["share_percent"][0]["code"] == "over_100"
    records = cluster.enterprise.records_for_precheck(None, actor["id"])
    assert records["uscc"] == actor["uscc"] and records["region_code"] == "150105"
    assert records["finance"] == {"registered_capital_wan": 5000.0, "net_assets_wan": 3200.5}
    assert records["staff"][0]["certificates"][0] == {"kind": "constructor_1", "number": "蒙1150001",
                                                       "specialty": None, "valid_until": "2029-12-31"}
    assert records["projects"][0]["voltage_kv"] == 110.0 and records["equipment"][0]["quantity"] == 2
    version = records["records_version"]
    published = engines("enterprise").connect().execute(text(
        "select max((envelope->'data'->>'records_version')::int) from outbox "
        "where event_type = 'records_changed' and envelope->'data'->>'enterprise_id' = :id"),
        {"id": actor["id"]}).scalar_one()
    assert published == version and version >= 5
    # permits' records cache (services/permits/records_cache.py): the version it holds, still
    # current, is answered without the records; one change later, the full records again.
    assert cluster.enterprise.records_for_precheck(None, actor["id"], known_version=version) == {
        "enterprise_id": actor["id"], "records_version": version, "unchanged": True}
    assert cluster.enterprise.records_for_precheck(None, actor["id"], known_version=version - 1) == records
    cluster.enterprise.save_record(actor, actor["id"], "equipment", {"name": "兆欧表", "quantity": 1})
    fresh = cluster.enterprise.records_for_precheck(None, actor["id"], known_version=version)
    assert fresh["records_version"] == version + 1 and "unchanged" not in fresh
    assert [e["name"] for e in fresh["equipment"]][-1] == "兆欧表"


def test_other_enterprise_and_staff_access(cluster, engines, running_platform):
    a, b = new_enterprise(cluster), new_enterprise(cluster)
    complete(cluster, b)
    staff = cluster.enterprise.save_record(b, b["id"], "staff", {
        "category": "electrician", "name": "冯十一", "id_number": resident_id()})
    with pytest.raises(Forbidden):
        cluster.enterprise.get_enterprise(a, b["id"])
    with pytest.raises(Forbidden):
        cluster.enterprise.list_records(a, b["id"], "staff", {})
    with pytest.raises(NotFound):  # B's record through A's own enterprise id
        cluster.enterprise.save_record(a, a["id"], "staff", {**staff, "name": "篡改"})
    with pytest.raises(NotFound):
        cluster.enterprise.delete_record(a, a["id"], "staff", staff["id"])
    licence = cluster.enterprise.get_enterprise(b, b["id"])["files"]["business_licence"]
    with pytest.raises(NotFound):
        cluster.enterprise.attachment_url(a, licence["id"])
    read_only_sub = {"id": str(uuid.uuid4()), "kind": "sub", "enterprise_id": b["id"],
                     "permissions": ["enterprise", "read_only"]}
    assert cluster.enterprise.get_enterprise(read_only_sub, b["id"])["uscc"] == b["uscc"]
    with pytest.raises(Forbidden):
        cluster.enterprise.update_basic_info(read_only_sub, b["id"], {"current_address": "某地某街某号"})
    reviewer = {"id": str(uuid.uuid4()), "kind": "reviewer", "enterprise_id": None, "permissions": [],
                "level": "city", "region_code": "150100"}
    # A reviewer sees an enterprise only through a case about it in their jurisdiction.
    with pytest.raises(Forbidden):
        cluster.enterprise.list_records(reviewer, b["id"], "staff", {})
    open_case_for(running_platform, b["id"], region_code="150105")
    wait_for(lambda: cluster.review.reviewer_may_read_enterprise(reviewer, b["id"])["allowed"],
             what="review to take the case")
    elsewhere = {**reviewer, "id": str(uuid.uuid4()), "region_code": "150200"}  # 包头市 desk
    assert cluster.review.reviewer_may_read_enterprise(elsewhere, b["id"])["allowed"] is False
    assert cluster.enterprise.list_records(reviewer, b["id"], "staff", {})["total"] == 1
    with pytest.raises(Forbidden):
        cluster.enterprise.save_record(reviewer, b["id"], "staff", {**staff, "name": "篡改"})
    url = cluster.enterprise.attachment_url(reviewer, licence["id"])["url"]
    download = requests.get(url, timeout=10)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    audits = engines("enterprise").connect().execute(text(
        "select action, detail->>'reason' as reason from audit_log where actor_id = :a"),
        {"a": a["id"]}).all()
    assert {r.reason for r in audits if r.action == "enterprise.access_refused"} >= {
        "other_enterprise", "record_of_other_enterprise"}
    assert engines("enterprise").connect().execute(text(
        "select count(*) from audit_log where actor_id = :r and action = 'enterprise.access_refused'"
        " and detail->>'reason' = 'no_case'"), {"r": reviewer["id"]}).scalar_one() == 1
    assert engines("enterprise").connect().execute(text(
        "select count(*) from audit_log where actor_id = :r and action = 'enterprise.read_by_staff'"),
        {"r": reviewer["id"]}).scalar_one() >= 2


def test_parent_organisation_fuzzy_search(cluster):
    parent = new_enterprise(cluster)
    tag = uuid.uuid4().hex[:4]
    complete(cluster, parent, name=f"内蒙古{tag}电力集团有限公司")
    child = new_enterprise(cluster)
    found = cluster.enterprise.search_organisations(child, f"{tag}电力集团")
    assert found and found[0]["id"] == parent["id"]
    assert cluster.enterprise.search_organisations(child, f"{tag}集团电力") == []
    saved = cluster.enterprise.update_basic_info(child, child["id"], {"parent_enterprise_id": parent["id"]})
    assert saved["parent_name"] == f"内蒙古{tag}电力集团有限公司"


def test_event_replay_is_idempotent(running_platform, cluster, engines):
    actor = new_enterprise(cluster)
    db = engines("enterprise")
    wait_for(lambda: db.connect().execute(
        text("select 1 from enterprises where id = :id"), {"id": actor["id"]}).first(), what="row")
    cluster.enterprise.update_basic_info(actor, actor["id"], {"contact_name": "后来改的"})
    envelope = engines("identity").connect().execute(text(
        "select envelope from outbox where event_type = 'enterprise_account_registered' "
        "and envelope->'data'->>'account_id' = :id"), {"id": actor["id"]}).scalar_one()
    dispatch = event_dispatcher(nameko_config(running_platform, "tests"))
    dispatch("identity", "enterprise_account_registered", envelope)  # a redelivery
    second = str(uuid.uuid4())
    dispatch("identity", "enterprise_account_registered", {**envelope, "id": second})
    claimed = "select count(*) from processed_events where consumer = :c and event_id = :id"
    consumer = "enterprise.on_enterprise_account_registered"
    wait_for(lambda: db.connect().execute(text(claimed), {"c": consumer, "id": second}).scalar_one() == 1,
             what="the second envelope handled")
    assert db.connect().execute(text(claimed), {"c": consumer, "id": envelope["id"]}).scalar_one() == 1
    row = db.connect().execute(text("select contact_name from enterprises where id = :id"),
                               {"id": actor["id"]}).first()
    assert row.contact_name == "后来改的"  # nothing overwritten, no second row


def province_reviewer() -> dict:
    return {"id": str(uuid.uuid4()), "kind": "reviewer", "level": "province", "region_code": "150000",
            "permissions": [], "enterprise_id": None, "name": "自治区审核员"}


def change_case(engines, request_id: str) -> str:
    def row():
        with engines("review").connect() as conn:
            return conn.execute(text("select id from cases where case_ref = :r"),
                                {"r": f"enterprise:change:{request_id}"}).scalar()
    return str(wait_for(row, what="the change request's review case"))


def test_change_request_is_decided_by_review(cluster, engines):
    """变更申请 → a review case (enterprise.change) → approved: the locked field changes, with
    history; a second request rejected keeps review's reason and changes nothing."""
    actor = new_enterprise(cluster)
    complete(cluster, actor)
    request = cluster.enterprise.request_change(actor, actor["id"], {
        "changes": {"legal_representative": "周九"}, "reason": "法定代表人变更"})
    case_id = change_case(engines, request["id"])
    province = province_reviewer()
    detail = cluster.review.case_detail(province, case_id)
    assert "张三 → 周九" in str(detail)
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "approve", "comment": "同意变更"})
    wait_for(lambda: cluster.enterprise.get_enterprise(actor, actor["id"])["legal_representative"] == "周九",
             what="the approved change applied")
    requests_ = cluster.enterprise.list_change_requests(actor, actor["id"])
    assert requests_[0]["status"] == "approved"
    history = cluster.enterprise.change_history(actor, actor["id"], {})["items"]
    assert any(h["field"] == "legal_representative" and h["new"] == "周九" for h in history)
    # 变更记录 names who decided (issue 15, item 5): the reviewer, their level and desk
    (applied,) = [h for h in history if h["action"] == "change_approved"]
    assert applied["actor_id"] == province["id"]
    assert applied["operator"] == "自治区审核员（自治区 150000 审核）"
    requested = next(h for h in history if h["action"] == "change_requested")
    assert requested["operator"] == "本单位"

    second = cluster.enterprise.request_change(actor, actor["id"], {
        "changes": {"registered_address": "呼和浩特市回民区某街1号"}, "reason": "住所变更"})
    case_id = change_case(engines, second["id"])
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "reject", "comment": "营业执照住所与申请不一致"})
    wait_for(lambda: cluster.enterprise.list_change_requests(actor, actor["id"])[0]["status"] == "rejected",
             what="the rejection recorded")
    rejected = cluster.enterprise.list_change_requests(actor, actor["id"])[0]
    assert rejected["decision_reason"] == "营业执照住所与申请不一致"
    unchanged = cluster.enterprise.get_enterprise(actor, actor["id"])["registered_address"]
    assert unchanged == "呼和浩特市新城区新华大街1号"


def test_a_name_change_carries_the_new_business_licence(cluster, engines):
    """issue 15, item 6 (seed 002): refused without the new 营业执照; the reviewer sees it on the
    case; on approval it becomes the enterprise's 营业执照."""
    actor = new_enterprise(cluster)
    complete(cluster, actor)
    renamed = f"内蒙古更名后电力工程{uuid.uuid4().hex[:6]}有限公司"
    with pytest.raises(ValidationFailed) as refused:
        cluster.enterprise.request_change(actor, actor["id"], {"changes": {"name": renamed}})
    assert refused.value.fields["business_licence"][0]["code"] == "required"
    assert cluster.enterprise.list_change_requests(actor, actor["id"]) == []
    request = cluster.enterprise.request_change(actor, actor["id"], {
        "changes": {"name": renamed}, "reason": "工商变更",
        "files": {"business_licence": upload("更名后营业执照.pdf", scan_pdf())}})
    licence_id = request["licence_attachment_id"]
    assert licence_id
    case_id = change_case(engines, request["id"])
    province = province_reviewer()
    detail = cluster.review.case_detail(province, case_id)
    carried = [a for a in detail["attachments"] if a["id"] == licence_id]
    assert [(a["label"], a["filename"]) for a in carried] == [("变更后的营业执照", "更名后营业执照.pdf")]
    assert cluster.enterprise.attachment_url(province, licence_id)["filename"] == "更名后营业执照.pdf"
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "approve", "comment": "同意更名"})
    wait_for(lambda: cluster.enterprise.get_enterprise(actor, actor["id"])["name"] == renamed,
             what="the approved name change applied")
    after = cluster.enterprise.get_enterprise(actor, actor["id"])
    assert after["files"]["business_licence"]["id"] == licence_id
    # a change that needs no file refuses one
    with pytest.raises(ValidationFailed) as extra:
        cluster.enterprise.request_change(actor, actor["id"], {
            "changes": {"registered_address": "呼和浩特市回民区某街2号"},
            "files": {"business_licence": upload("x.pdf", scan_pdf())}})
    assert extra.value.fields["business_licence"][0]["code"] == "not_needed"
