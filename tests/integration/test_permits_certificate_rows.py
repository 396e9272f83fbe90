"""我的证书 (seed 000): each certificate row offers 我的换证 / 遗失补办 / 延续; 遗失补办 started from
the row names that certificate (original_licence_id) on the real /permits/new page, goes to
review at the 自治区 desk the catalogue names (levels: [province], not 盟市), and its approval
issues the next edition of the same certificate (issue 15, items 11 and 13)."""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.support.enterprise import upload
from tests.support.permits import publish_review_event, signed_scan
from tests.support.registration import page_csrf
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def held_licence(engines, enterprise_id: str, name: str) -> str:
    """An HMQ certificate the enterprise already holds (as the legacy import would leave it),
    expiring in about four and a half months."""
    licence_id, today = uuid.uuid4(), date.today()
    with engines("permits").begin() as conn:
        conn.execute(
            text(
                "insert into licences (id, number, type_code, items, enterprise_id, holder_name,"
                " holder_uscc, issued_on, first_issued_on, valid_from, valid_until, edition, status,"
                " verify_token, details) values (:id, :number, 'hmq_maintenance', cast(:items as json),"
                " :eid, :name, '91650100228680962Y', :issued, :issued, :issued, :until, 1, 'valid',"
                " :token, cast('{}' as json))"
            ),
            {
                "id": licence_id,
                "number": f"蒙公养资2024{secrets.randbelow(10**6):06d}",
                "items": json.dumps([{"category": "bridge", "grade": "乙"}]),
                "eid": uuid.UUID(enterprise_id),
                "name": name,
                "issued": today - timedelta(days=365),
                # inside HMQ's renewal window (6 to 3 months before expiry), so the row offers 延续
                "until": today + timedelta(days=135),
                "token": secrets.token_urlsafe(24),
            },
        )
    return str(licence_id)


def submit(cluster, config, actor, app_id) -> str:
    """Through the wizard to submit (RPC: the pages are covered elsewhere); the case_ref."""
    cluster.permits.generate_form(actor, app_id)
    cluster.permits.upload_signed_scan(actor, app_id, upload("签章申请表.pdf", signed_scan(8)))
    for spec in cluster.permits.get_application(actor, app_id)["required_attachments"]:
        if spec["required"] and not spec["uploaded"]:
            cluster.permits.upload_material(actor, app_id, spec["code"], upload(f"{spec['code']}.pdf",
                                                                                signed_scan(1)))
    cluster.permits.preview(actor, app_id)
    cluster.permits.open_commitment(actor, app_id)
    time.sleep(config["permits"]["commitment_seconds"] + 0.3)
    cluster.permits.confirm_commitment(actor, app_id)
    return cluster.permits.submit(actor, app_id, uuid.uuid4().hex)["case_ref"]


def review_case(engines, case_ref: str):
    """Review's case row (level, step, type, limit) and its first revision's 申报表 fields."""
    def row():
        with engines("review").connect() as conn:
            return conn.execute(text(
                "select c.id, c.level, c.step_key, c.case_type, c.limit_days, r.fields from cases c"
                " join case_revisions r on r.case_id = c.id and r.revision = 1 where c.case_ref = :ref"),
                {"ref": case_ref}).one_or_none()
    return wait_for(row, what=f"review's case {case_ref}")


def reissue_draft(cluster, engines, actor) -> str:
    licence_id = held_licence(engines, actor["id"], "测试养护公司")
    app = cluster.permits.create_draft(actor, {
        "type_code": "hmq_maintenance", "transaction_kind": "reissue", "items": [
            {"category": "bridge", "grade": "乙"}], "original_licence_id": licence_id})
    return cluster.permits.run_precheck(actor, app["id"])["id"]


def test_reissue_started_from_the_certificate_row_names_it_and_issues_it(
    gateway, running_platform, new_active_enterprise, engines, cluster
):
    http, _, account = new_active_enterprise()
    eid = account["id"]
    actor = {"id": eid, "kind": "enterprise", "enterprise_id": eid, "permissions": []}
    licence_id = held_licence(engines, eid, "测试养护公司")

    # The row offers the three actions, each a link naming this certificate.
    page = http.get(gateway + "/permits/licences")
    assert page.status_code == 200
    links = dict(re.findall(r'href="([^"]+)" data-action="(\w+)"', page.text.replace("&amp;", "&")))
    by_kind = {kind: href for href, kind in links.items()}
    assert set(by_kind) == {"replacement", "reissue", "renewal"}, page.text
    assert all(f"licence={licence_id}" in href for href in by_kind.values())
    assert "我的换证" in page.text and "遗失补办" in page.text and "延续" in page.text

    # The link opens the form filled for that certificate; posting it creates the application.
    form_page = http.get(gateway + by_kind["reissue"])
    assert form_page.status_code == 200
    assert f'name="original_licence_id" value="{licence_id}"' in form_page.text
    assert re.search(r'<option value="reissue"\s+selected', form_page.text)
    assert re.search(r'<option value="乙"\s+selected', form_page.text)
    key = re.search(r'name="form_key" value="([^"]+)"', form_page.text).group(1)
    created = http.post(
        gateway + "/permits/new",
        data={"csrf_token": page_csrf(form_page.text), "form_key": key, "type": "hmq_maintenance",
              "transaction_kind": "reissue", "lane": "normal", "grade.bridge": "乙",
              "original_licence_id": licence_id},
        allow_redirects=False,
    )
    assert created.status_code == 303, created.text
    app_id = created.headers["Location"].rsplit("/", 1)[-1]
    with engines("permits").connect() as conn:
        stored = conn.execute(
            text("select original_licence_id, transaction_kind from applications where id = :id"),
            {"id": uuid.UUID(app_id)},
        ).one()
    assert str(stored.original_licence_id) == licence_id and stored.transaction_kind == "reissue"

    case_ref = submit(cluster, running_platform, actor, app_id)

    # Item 13: the catalogue says levels [province]: the case waits at the 自治区 desk.
    case = review_case(engines, case_ref)
    assert (case.level, case.step_key, case.case_type) == ("province", "province_approval",
                                                           "hmq.maintenance.reissue")
    assert case.limit_days == 10
    # Item 12: the reviewer's case shows what the enterprise gave, not 无.
    assert case.fields["enterprise.legal_representative"]["value"] == "张三"
    assert case.fields["enterprise.address"]["value"] == "呼和浩特市新城区新华大街1号"
    assert case.fields["enterprise.contact_phone"]["value"] == "13912345678"

    # Approval issues the next edition of the same certificate; the lost one is replaced.
    now = datetime.now(UTC).isoformat()
    publish_review_event(running_platform, "case_accepted", {
        "case_ref": case_ref, "case_id": str(uuid.uuid4()), "enterprise_id": eid,
        "step": "province_approval", "at": now})
    wait_for(lambda: cluster.permits.get_application(actor, app_id)["state"] == "under_review",
             what="under_review")
    publish_review_event(running_platform, "case_decided", {
        "case_ref": case_ref, "case_id": str(uuid.uuid4()), "enterprise_id": eid,
        "decision": "approved", "reason": None, "decided_by": "审核员", "at": now})
    wait_for(lambda: cluster.permits.get_application(actor, app_id)["state"] == "licence_issued",
             timeout=30, what="licence issued")
    mine = {lic["id"]: lic for lic in cluster.permits.my_licences(actor)}
    old = mine[licence_id]
    new = next(lic for lic in mine.values() if lic["id"] != licence_id)
    assert old["status"] == "replaced" and new["status"] == "valid"
    assert new["number"] == old["number"] and new["application_id"] == app_id


def test_correction_edits_through_the_json_api(
    gateway, running_platform, new_active_enterprise, engines, cluster
):
    """补正 has an API (issue 15 item 14): PUT .../correction changes only the reopened fields."""
    http, csrf, account = new_active_enterprise()
    eid = account["id"]
    actor = {"id": eid, "kind": "enterprise", "enterprise_id": eid, "permissions": []}
    headers = {"X-CSRF-Token": csrf}
    spec = http.get(gateway + "/api/openapi.json").json()
    assert "put" in spec["paths"]["/api/v1/permits/applications/{application_id}/correction"]

    app_id = reissue_draft(cluster, engines, actor)
    url = f"{gateway}/api/v1/permits/applications/{app_id}/correction"
    early = http.put(url, json={"values": {"enterprise.contact_name": "赵六"}}, headers=headers)
    assert early.status_code == 409 and early.json()["error"]["code"] == "invalid_transition"

    case_ref = submit(cluster, running_platform, actor, app_id)
    publish_review_event(running_platform, "correction_requested", {
        "case_ref": case_ref, "case_id": str(uuid.uuid4()), "enterprise_id": eid,
        "items": [{"target": "field", "name": "enterprise.contact_name", "reason": "联系人已变更"}],
        "deadline": (date.today() + timedelta(days=10)).isoformat(), "revision": 1,
        "at": datetime.now(UTC).isoformat()})
    wait_for(lambda: cluster.permits.get_application(actor, app_id)["state"] == "correction_requested",
             what="correction_requested")

    other = http.put(url, json={"values": {"enterprise.legal_representative": "王五"}}, headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["error"]["fields"]["enterprise.legal_representative"][0]["code"] == "not_reopened"
    bad = http.put(url, json={"values": {"enterprise.contact_name": 5}}, headers=headers)
    assert bad.status_code == 422, bad.text
    assert http.put(url, json={"values": {"enterprise.contact_name": "赵六"}}).status_code == 403  # CSRF
    version = cluster.permits.get_application(actor, app_id)["version"]
    stale = http.put(url, json={"values": {"enterprise.contact_name": "赵六"}, "version": version - 1},
                     headers=headers)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    done = http.put(url, json={"values": {"enterprise.contact_name": "赵六"}, "version": version},
                    headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["values"]["contact_name"] == "赵六"
    assert done.json()["values"]["legal_representative"] == "张三"
