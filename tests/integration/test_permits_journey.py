"""permits through the real bus, databases and S3, with the real identity and enterprise services:
draft → explained pre-check on the enterprise's records (fixed through enterprise's RPC, re-run
on enterprise.records_changed) → 申报表 PDF → signed scan → materials → preview → commitment
letter (refused before the configured seconds) → submit twice with one key (one application, one
review_requested on the broker) → review's case_decided → licence issued → public verify page.
Plus the optimistic lock, withdraw/terminate rules, batches and open_cases_of."""

from __future__ import annotations

import io
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from pypdf import PdfReader
from sqlalchemy import text

from services.common.config import nameko_config
from services.common.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from tests.support.enterprise import upload
from tests.support.permits import (
    CIP_ITEMS,
    CIP_STAFF,
    CIP_VALUES,
    fetch,
    new_enterprise,
    pdf_text,
    publish_review_event,
    signed_scan,
    staff,
    upload_all_materials,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_cip_application_from_draft_to_verified_licence(
    cluster, running_platform, permits_events, gateway, engines
):
    actor = new_enterprise(cluster, running_platform)
    key = uuid.uuid4().hex
    draft = {
        "type_code": "cip_safety",
        "transaction_kind": "new",
        "items": CIP_ITEMS,
        "values": CIP_VALUES,
        "request_key": key,
    }
    app = cluster.permits.create_draft(actor, draft)
    again = cluster.permits.create_draft(actor, draft)
    assert again["id"] == app["id"] and app["state"] == "draft"

    # Explained pre-check on empty records: every standard unmet, required vs actual, a fix link.
    checked = cluster.permits.run_precheck(actor, app["id"])
    assert checked["state"] == "draft"
    items = {i["id"]: i for i in checked["precheck"]["items"]}
    assert items["principal_a"]["status"] == "unmet"
    assert "安管人员A证" in items["principal_a"]["required"]
    assert items["principal_a"]["actual"].startswith("符合条件0人")
    assert items["principal_a"]["fix_link"].startswith("/enterprise")
    with pytest.raises(InvalidTransition) as refused:
        cluster.permits.generate_form(actor, app["id"])
    assert "预审通过后方可生成申报表" in refused.value.message

    # Fix the records in the enterprise service; its records_changed event re-runs the pre-check.
    for category, name, cert in CIP_STAFF:
        cluster.enterprise.save_record(actor, actor["id"], "staff", staff(category, name, cert))
    version = cluster.enterprise.records_for_precheck(None, actor["id"])["records_version"]
    app = wait_for(
        lambda: (
            (v := cluster.permits.get_application(actor, app["id"]))["precheck_records_version"] == version
            and v
        ),
        what="the pre-check re-run on records_changed",
    )
    assert app["state"] == "prechecked", app["precheck"]
    assert app["precheck"]["passed"] and all(i["status"] == "met" for i in app["precheck"]["items"])

    # 申报表: a PDF with the enterprise's fields in Chinese.
    app = cluster.permits.generate_form(actor, app["id"])
    assert app["state"] == "form_generated"
    form = fetch(cluster, actor, app["form_attachment_id"])
    text_of_form = pdf_text(form)
    assert "建筑施工企业安全生产许可证申请表" in text_of_form
    assert CIP_VALUES["legal_representative"] in text_of_form and app["number"] in text_of_form

    # The unsigned form itself is refused as the signed scan; a scan is taken.
    with pytest.raises(ValidationFailed) as unsigned:
        cluster.permits.upload_signed_scan(actor, app["id"], upload("申报表.pdf", form))
    assert unsigned.value.fields["signed_scan"][0]["code"] == "unsigned"
    with pytest.raises(ValidationFailed):
        cluster.permits.upload_signed_scan(actor, app["id"], upload("申报表.pdf", b"not a pdf at all"))
    app = cluster.permits.upload_signed_scan(
        actor, app["id"], upload("签章申报表.pdf", signed_scan(len(PdfReader(io.BytesIO(form)).pages)))
    )
    assert app["state"] == "signed_uploaded"

    # Preview needs every required material.
    with pytest.raises(InvalidTransition) as missing:
        cluster.permits.preview(actor, app["id"])
    assert missing.value.code == "materials_missing" and "营业执照" in missing.value.message
    upload_all_materials(cluster, actor, app)
    app = cluster.permits.preview(actor, app["id"])
    assert app["state"] == "previewed"

    # The commitment letter: refused before it was open for the configured seconds.
    seconds = running_platform["permits"]["commitment_seconds"]
    with pytest.raises(InvalidTransition):
        cluster.permits.confirm_commitment(actor, app["id"])
    opened = cluster.permits.open_commitment(actor, app["id"])
    assert opened["commitment_remaining_seconds"] > 0
    with pytest.raises(InvalidTransition) as early:
        cluster.permits.confirm_commitment(actor, app["id"])
    assert early.value.code == "commitment_too_early" and "承诺书" in early.value.message
    time.sleep(seconds + 0.3)
    app = cluster.permits.confirm_commitment(actor, app["id"])
    assert app["state"] == "committed"

    # Submit twice with one key: one application, one review_requested on the broker.
    submit_key = uuid.uuid4().hex
    first = cluster.permits.submit(actor, app["id"], submit_key)
    second = cluster.permits.submit(actor, app["id"], submit_key)
    assert (
        first["id"] == second["id"]
        and second["state"] == "submitted"
        and first["version"] == second["version"]
    )
    case_ref = f"permits:application:{app['id']}"
    requested = wait_for(
        lambda: permits_events.of("review_requested", case_ref=case_ref),
        what="permits.review_requested on the broker",
    )
    time.sleep(1.5)  # a duplicate, if any, would be published by now
    assert len(permits_events.of("review_requested", case_ref=case_ref)) == 1
    data = requested[0]["data"]
    assert data["case_type"] == "cip.safety.new" and data["revision"] == 1
    assert data["enterprise_id"] == actor["id"] and data["region_code"] == "150105"
    assert data["fields"]["enterprise.legal_representative"]["value"] == "张三"
    assert data["fields"]["enterprise.economic_type"] == {"label": "经济类型", "value": "有限责任公司"}
    assert {a["label"] for a in data["attachments"]} >= {
        "营业执照",
        "签章申报表扫描件",
        "建筑施工企业安全生产许可证申请表",
    }
    assert all(len(a["sha256"]) == 64 for a in data["attachments"])
    with engines("permits").connect() as conn:
        count = conn.execute(
            text("select count(*) from applications where enterprise_id = :e"), {"e": actor["id"]}
        ).scalar_one()
    assert count == 1
    assert cluster.permits.open_cases_of(actor["id"])["open"][0]["id"] == app["id"]

    licence_attachment = next(a for a in data["attachments"] if a["label"] == "营业执照")
    # 补正: review names one field and one attachment; only those may change; resubmit = revision 2.
    publish_review_event(
        running_platform,
        "correction_requested",
        {
            "case_ref": case_ref,
            "case_id": str(uuid.uuid4()),
            "enterprise_id": actor["id"],
            "items": [
                # as review names them: the form's field name, the attachment's id it was sent with
                {"target": "field", "name": "enterprise.legal_representative", "reason": "与营业执照不一致"},
                {"target": "attachment", "name": licence_attachment["id"], "reason": "扫描不清晰"},
            ],
            "deadline": "2030-01-31",
            "revision": 1,
            "at": datetime.now(UTC).isoformat(),
        },
    )
    wait_for(
        lambda: cluster.permits.get_application(actor, app["id"])["state"] == "correction_requested",
        what="correction_requested",
    )
    with pytest.raises(ValidationFailed) as not_reopened:
        cluster.permits.update_correction(actor, app["id"], {"email": "x@example.com"})
    assert not_reopened.value.fields["email"][0]["code"] == "not_reopened"
    with pytest.raises(InvalidTransition):
        cluster.permits.upload_material(actor, app["id"], "insurance", upload("保险.pdf", signed_scan(1)))
    cluster.permits.update_correction(actor, app["id"], {"legal_representative": "张三丰"})
    cluster.permits.upload_material(
        actor, app["id"], "business_licence", upload("营业执照新.pdf", signed_scan(1))
    )
    resubmitted = cluster.permits.resubmit(actor, app["id"], uuid.uuid4().hex)
    assert resubmitted["state"] == "resubmitted" and resubmitted["revision"] == 2
    second_request = wait_for(
        lambda: [
            e for e in permits_events.of("review_requested", case_ref=case_ref) if e["data"]["revision"] == 2
        ],
        what="review_requested revision 2",
    )[0]["data"]
    assert second_request["fields"]["enterprise.legal_representative"]["value"] == "张三丰"
    assert "营业执照新.pdf" in {a["filename"] for a in second_request["attachments"]}

    # Withdrawing is for before acceptance; review accepts, then approves at the last step.
    publish_review_event(
        running_platform,
        "case_accepted",
        {
            "case_ref": case_ref,
            "case_id": str(uuid.uuid4()),
            "enterprise_id": actor["id"],
            "step": "city_review",
            "at": datetime.now(UTC).isoformat(),
        },
    )
    wait_for(
        lambda: cluster.permits.get_application(actor, app["id"])["state"] == "under_review",
        what="under_review after case_accepted",
    )
    with pytest.raises(InvalidTransition) as late:
        cluster.permits.withdraw(actor, app["id"], "不想办了")
    assert "终止" in late.value.message
    publish_review_event(
        running_platform,
        "case_decided",
        {
            "case_ref": case_ref,
            "case_id": str(uuid.uuid4()),
            "enterprise_id": actor["id"],
            "decision": "approved",
            "reason": None,
            "decided_by": "审核员",
            "at": datetime.now(UTC).isoformat(),
        },
    )
    done = wait_for(
        lambda: (v := cluster.permits.get_application(actor, app["id"]))["state"] == "licence_issued" and v,
        timeout=30,
        what="the licence issued after case_decided",
    )
    assert [e for e in permits_events.of("licence_issued") if e["data"]["application_id"] == app["id"]]
    assert cluster.permits.open_cases_of(actor["id"]) == {"open": []}
    history = [h["action"] for h in done["history"]]
    assert history[:2] == ["create", "run_precheck"] and history[-3:] == [
        "accept",
        "approve",
        "issue_licence",
    ]
    assert "request_correction" in history and "resubmit" in history

    licence = cluster.permits.my_licences(actor)[0]
    assert licence["number"].startswith("(蒙)JZ安许证字[") and licence["status"] == "valid"
    certificate = fetch(cluster, actor, licence["certificate_attachment_id"])
    assert licence["number"] in pdf_text(certificate)
    public = cluster.permits.verify_licence(licence["verify_token"])
    assert public["status_label"] == "有效" and "id" not in public and public["number"] == licence["number"]
    page = requests.get(f"{gateway}/verify/{licence['verify_token']}", timeout=10)
    assert page.status_code == 200 and "有效" in page.text and licence["number"] in page.text
    assert requests.get(f"{gateway}/verify/not-a-token", timeout=10).status_code == 404
    suspend_and_reinstate(cluster, gateway, licence)


def suspend_and_reinstate(cluster, gateway: str, licence: dict) -> None:
    """证书管理: an admin finds the licence by number, suspends it with a reason (the public
    verify page says so at once), a suspension without a reason is refused, then reinstates it."""
    username = "adm" + uuid.uuid4().hex[:9]
    cluster.identity.create_staff_account(None, {
        "kind": "admin", "username": username, "contact_name": "证书管理员",
        "email": f"{username}@example.com", "password": "Qlp#2026-admin", "level": None,
        "region_code": None})
    admin = requests.Session()
    assert admin.post(f"{gateway}/api/v1/session",
                      json={"login": username, "password": "Qlp#2026-admin"}).status_code == 200
    token = admin.get(f"{gateway}/api/v1/session").json()["csrf_token"]
    page = admin.get(f"{gateway}/admin/licences", params={"q": licence["number"]})
    assert page.status_code == 200 and licence["number"] in page.text
    form = {"csrf_token": token, "licence_id": licence["id"], "q": licence["number"]}
    refused = admin.post(f"{gateway}/admin/licences", data={**form, "status": "suspended", "reason": ""})
    assert refused.status_code == 422 and "须填写原因" in refused.text
    done = admin.post(f"{gateway}/admin/licences",
                      data={**form, "status": "suspended", "reason": "安全生产条件不符合，责令整改"})
    assert done.status_code == 200 and "暂扣" in done.text
    assert cluster.permits.verify_licence(licence["verify_token"])["status"] == "suspended"
    assert "暂扣" in requests.get(f"{gateway}/verify/{licence['verify_token']}", timeout=10).text
    admin.post(f"{gateway}/admin/licences", data={**form, "status": "valid", "reason": ""})
    assert cluster.permits.verify_licence(licence["verify_token"])["status"] == "valid"


def test_optimistic_lock_refuses_a_stale_version(cluster, running_platform):
    actor = new_enterprise(cluster, running_platform)
    app = cluster.permits.create_draft(actor, {"type_code": "cip_safety", "items": CIP_ITEMS})
    seen = app["version"]
    changed = cluster.permits.update_draft(
        actor, app["id"], {"version": seen, "values": {"email": "a@example.com"}}
    )
    assert changed["version"] == seen + 1
    with pytest.raises(Conflict) as stale:  # a second window still holding the old version
        cluster.permits.update_draft(
            actor, app["id"], {"version": seen, "values": {"email": "b@example.com"}}
        )
    assert stale.value.code == "stale_version" and "刷新" in stale.value.message
    assert cluster.permits.get_application(actor, app["id"])["values"]["email"] == "a@example.com"


def test_concurrent_changes_of_one_application_conflict(cluster, running_platform):
    """Two writers load the same version at once; the version column lets only one win."""
    actor = new_enterprise(cluster, running_platform)
    app = cluster.permits.create_draft(actor, {"type_code": "cip_safety", "items": CIP_ITEMS})
    outcomes: list[str] = []

    def write(value: str) -> None:
        with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as own:
            try:
                own.permits.update_draft(
                    actor, app["id"], {"version": app["version"], "values": {"email": value}}
                )
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(f"w{i}@example.com",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    assert cluster.permits.get_application(actor, app["id"])["version"] == app["version"] + 1


def test_access_rules_and_batches(cluster, running_platform):
    actor = new_enterprise(cluster, running_platform)
    other = new_enterprise(cluster, running_platform)
    app = cluster.permits.create_draft(actor, {"type_code": "cip_safety", "items": CIP_ITEMS})
    with pytest.raises(NotFound):
        cluster.permits.get_application(other, app["id"])
    read_only = {**actor, "id": str(uuid.uuid4()), "kind": "sub", "permissions": ["permits", "read_only"]}
    assert cluster.permits.get_application(read_only, app["id"])["id"] == app["id"]
    with pytest.raises(Exception) as refused:
        cluster.permits.discard(read_only, app["id"])
    assert "办理权限" in str(refused.value)

    with pytest.raises(ValidationFailed):
        cluster.permits.create_draft(
            actor, {"type_code": "cip_safety", "items": [{"category": "x", "grade": "y"}]}
        )

    batch = cluster.permits.create_batch(actor, "2026年第一批")
    second = cluster.permits.create_draft(
        actor, {"type_code": "cip_safety", "items": CIP_ITEMS, "batch_id": batch["id"]}
    )
    cluster.permits.add_to_batch(actor, batch["id"], app["id"])
    listed = cluster.permits.list_applications(actor, {"state_group": "pending", "batched": True})
    assert {a["id"] for a in listed} == {app["id"], second["id"]}
    result = cluster.permits.submit_batch(actor, batch["id"], uuid.uuid4().hex)
    assert len(result["results"]) == 2 and not any(r["ok"] for r in result["results"])
    assert all("提交" in r["message"] for r in result["results"])
    deleted = cluster.permits.delete_batch(actor, batch["id"])
    assert deleted["deleted"] and all(r["ok"] for r in deleted["results"])
    assert cluster.permits.get_application(actor, app["id"])["state"] == "discarded"
    assert cluster.permits.open_cases_of(actor["id"]) == {"open": []}
