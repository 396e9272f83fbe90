"""企业信息 through the real gateway, bus, databases and S3: registration step 2 on its page,
the pages and API of an active enterprise, and IDOR: enterprise A cannot read or change
enterprise B's records or files through any route (API and pages)."""

from __future__ import annotations

import io
import re
import uuid

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.common.config import nameko_config
from tests.support.data import registration
from tests.support.enterprise import (
    open_case_for,
    profile,
    resident_id,
    scan_pdf,
    upload,
)
from tests.support.registration import (
    PASSWORD,
    login,
    page_csrf,
)
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def reviewer(running_platform, gateway):
    username = "rev" + uuid.uuid4().hex[:10]
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        cluster.identity.create_staff_account(
            None,
            {
                "kind": "reviewer",
                "username": username,
                "contact_name": "审核员乙",
                "email": f"{username}@example.com",
                "password": PASSWORD,
                "level": "city",
                "region_code": "150100",
            },
        )
    http, token = login(gateway, username)
    return http, token, username


def test_registration_step_two_on_its_page(gateway, running_platform):
    http = requests.Session()
    page = http.get(gateway + "/register")
    data = registration()
    response = http.post(
        gateway + "/register",
        data={
            **data,
            "password_confirm": data["password"],
            "csrf_token": page_csrf(page.text),
            "form_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code in (200, 303), response.text
    page = http.get(gateway + "/register/enterprise")
    assert page.status_code == 200 and "提交注册" in page.text and data["uscc"] in page.text
    token = page_csrf(page.text)

    # a half-finished registration is saved and can be continued; typed values kept on errors
    saved = http.post(
        gateway + "/register/enterprise",
        data={"csrf_token": token, "name": "内蒙古分步注册电力有限公司", "email": "bad@", "action": "save"},
    )
    assert saved.status_code == 422 and "电子邮箱格式不正确" in saved.text
    assert 'value="内蒙古分步注册电力有限公司"' in saved.text and 'value="bad@"' in saved.text
    saved = http.post(
        gateway + "/register/enterprise",
        data={"csrf_token": token, "name": "内蒙古分步注册电力有限公司", "action": "save"},
    )
    assert saved.status_code == 200 and "已保存" in saved.text
    again = http.get(gateway + "/register/enterprise")
    assert 'value="内蒙古分步注册电力有限公司"' in again.text

    incomplete = http.post(gateway + "/register/enterprise", data={"csrf_token": token, "action": "submit"})
    assert incomplete.status_code == 422 and "请上传营业执照（副本）（PDF）" in incomplete.text

    fields = {k: v for k, v in profile("内蒙古分步注册电力有限公司").items() if k != "net_assets_wan"}
    not_pdf = http.post(
        gateway + "/register/enterprise",
        data={**fields, "csrf_token": token, "action": "submit"},
        files={"business_licence": ("营业执照.pdf", io.BytesIO(b"\x89PNG\r\n\x1a\nxx"), "application/pdf")},
    )
    assert not_pdf.status_code == 422 and "文件内容不是PDF文档" in not_pdf.text
    done = http.post(
        gateway + "/register/enterprise",
        data={**fields, "csrf_token": token, "action": "submit"},
        files={
            "business_licence": ("营业执照（副本）.pdf", io.BytesIO(scan_pdf()), "application/pdf"),
            "legal_rep_id": (
                "法人身份证.pdf",
                io.BytesIO(scan_pdf(colour=False, dpi=150)),
                "application/pdf",
            ),
        },
    )
    assert done.status_code == 200, done.text
    assert "注册企业信息已提交" in done.text
    assert "营业执照（副本）.pdf" in done.text  # the original Chinese name is kept
    assert "扫描分辨率约为150 DPI" in done.text and "扫描件为黑白/灰度" in done.text


def test_enterprise_pages_and_api(gateway, new_active_enterprise):
    http, csrf, account = new_active_enterprise()
    assert (
        http.get(gateway + "/register/enterprise", allow_redirects=False).headers["Location"] == "/enterprise"
    )
    page = http.get(gateway + "/enterprise")
    assert page.status_code == 200 and "更新保存" in page.text and "变更申请" in page.text
    token = page_csrf(page.text)
    locked = http.patch(
        gateway + "/api/v1/enterprise", json={"name": "直接改名有限公司"}, headers={"X-CSRF-Token": csrf}
    )
    assert locked.status_code == 422 and locked.json()["error"]["fields"]["name"][0]["code"] == "locked"
    updated = http.post(
        gateway + "/enterprise",
        data={"csrf_token": token, "current_address": "乌海市海勃湾区新华街3号"},
        allow_redirects=False,
    )
    assert updated.status_code == 303
    assert http.get(gateway + "/api/v1/enterprise").json()["current_address"] == "乌海市海勃湾区新华街3号"

    # roster through the pages: add, duplicate named with its row, edit, 查询, delete
    number = resident_id()
    added = http.post(
        gateway + "/enterprise/staff/new",
        data={
            "csrf_token": token,
            "category": "electrician",
            "name": "周七",
            "id_type": "resident_id",
            "id_number": number,
            "certificates.0.kind": "electrician",
            "certificates.0.number": "T150102",
        },
        allow_redirects=False,
    )
    assert added.status_code == 303, added.text
    duplicate = http.post(
        gateway + "/enterprise/staff/new",
        data={
            "csrf_token": token,
            "category": "technical_lead",
            "name": "郑十",
            "id_type": "resident_id",
            "id_number": number,
        },
    )
    assert (
        duplicate.status_code == 422
        and "第1行（周七）" in duplicate.text
        and 'value="郑十"' in duplicate.text
    )
    roster = http.get(gateway + "/enterprise/staff?category=electrician")
    assert "周七" in roster.text
    staff_id = re.search(r'data-id="([0-9a-f-]{36})"', roster.text).group(1)
    assert http.get(gateway + "/enterprise/staff?category=electrician&q=T150102").text.count('data-id="') == 1
    assert http.get(gateway + "/enterprise/staff?category=electrician&q=nobody").text.count('data-id="') == 0
    summary = http.get(gateway + "/api/v1/enterprise/summary").json()
    assert next(r for r in summary["staff"] if r["category"] == "electrician")["count"] == 1
    edited = http.post(
        gateway + f"/enterprise/staff/{staff_id}/edit",
        data={
            "csrf_token": token,
            "category": "electrician",
            "name": "周七",
            "id_type": "resident_id",
            "id_number": number,
            "title": "技师",
        },
        files={"attachment": ("电工证.pdf", io.BytesIO(scan_pdf()))},
        allow_redirects=False,
    )
    assert edited.status_code == 303
    person = http.get(gateway + f"/api/v1/enterprise/staff/{staff_id}").json()
    assert person["title"] == "技师" and person["attachments"][0]["filename"] == "电工证.pdf"
    download = http.get(
        gateway + f"/files/enterprise/{person['attachments'][0]['id']}", allow_redirects=False
    )
    assert download.status_code == 303
    assert requests.get(download.headers["Location"]).content.startswith(b"%PDF")
    deleted = http.post(
        gateway + f"/enterprise/staff/{staff_id}/delete", data={"csrf_token": token}, allow_redirects=False
    )
    assert deleted.status_code == 303
    assert http.get(gateway + f"/api/v1/enterprise/staff/{staff_id}").status_code == 404

    # change request page and history
    changes = http.post(
        gateway + "/enterprise/changes",
        data={"csrf_token": token, "legal_representative": "赵六", "reason": "工商变更"},
        allow_redirects=False,
    )
    assert changes.status_code == 303
    page = http.get(gateway + "/enterprise/changes")
    assert "待审核" in page.text and "张三 → 赵六" in page.text and "乌海市海勃湾区新华街3号" in page.text
    for section in ("projects", "equipment", "shareholders"):
        assert http.get(gateway + f"/enterprise/{section}").status_code == 200
        assert http.get(gateway + f"/enterprise/{section}/new").status_code == 200


def test_enterprise_a_cannot_reach_b_through_any_route(
    gateway, running_platform, reviewer, new_active_enterprise, engines
):
    a_http, a_csrf, a = new_active_enterprise()
    b_http, b_csrf, b = new_active_enterprise()
    headers = {"X-CSRF-Token": b_csrf}
    records = {
        "staff": {"category": "electrician", "name": "冯十一", "id_number": resident_id()},
        "projects": {
            "name": "35kV变电站工程",
            "client": "某供电公司",
            "category": "install",
            "contract_amount_wan": "300",
            "started_on": "2021-01-01",
        },
        "equipment": {"name": "耐压试验装置", "quantity": "1"},
        "shareholders": {"holder": "乙方股东", "share_percent": "100"},
    }
    ids = {}
    for section, body in records.items():
        created = b_http.post(gateway + f"/api/v1/enterprise/{section}", json=body, headers=headers)
        assert created.status_code == 201, created.text
        ids[section] = created.json()["id"]
    attached = b_http.post(
        gateway + "/api/v1/enterprise/attachments",
        headers=headers,
        json={"purpose": "staff_document", "owner_id": ids["staff"], "file": upload("证书.pdf", scan_pdf())},
    )
    assert attached.status_code == 201, attached.text
    b_files = [attached.json()["id"]] + [
        f["id"] for f in b_http.get(gateway + "/api/v1/enterprise").json()["files"].values()
    ]
    before = b_http.get(gateway + "/api/v1/enterprise").json()["records_version"]

    page_token = page_csrf(a_http.get(gateway + "/enterprise").text)
    ah = {"X-CSRF-Token": a_csrf}
    assert a_http.get(gateway + f"/api/v1/enterprises/{b['id']}").status_code == 403
    for section, record_id in ids.items():
        assert a_http.get(gateway + f"/api/v1/enterprises/{b['id']}/{section}").status_code == 403
        assert a_http.get(gateway + f"/api/v1/enterprise/{section}/{record_id}").status_code == 404
        assert (
            a_http.put(
                gateway + f"/api/v1/enterprise/{section}/{record_id}", json=records[section], headers=ah
            ).status_code
            == 404
        )
        assert (
            a_http.delete(gateway + f"/api/v1/enterprise/{section}/{record_id}", headers=ah).status_code
            == 404
        )
        assert a_http.get(gateway + f"/enterprise/{section}/{record_id}/edit").status_code == 404
        assert (
            a_http.post(
                gateway + f"/enterprise/{section}/{record_id}/edit",
                data={**records[section], "csrf_token": page_token},
            ).status_code
            == 404
        )
        assert (
            a_http.post(
                gateway + f"/enterprise/{section}/{record_id}/delete", data={"csrf_token": page_token}
            ).status_code
            == 404
        )
    assert (
        a_http.post(
            gateway + "/api/v1/enterprise/attachments",
            headers=ah,
            json={"purpose": "staff_document", "owner_id": ids["staff"], "file": upload("x.pdf", scan_pdf())},
        ).status_code
        == 404
    )
    for file_id in b_files:
        refused = a_http.get(gateway + f"/files/enterprise/{file_id}", allow_redirects=False)
        assert refused.status_code == 404
    assert a_http.get(gateway + f"/files/enterprise/{uuid.uuid4()}", allow_redirects=False).status_code == 404
    # A's own listing never shows B's records
    assert a_http.get(gateway + "/api/v1/enterprise/staff").json()["total"] == 0
    # nothing of B changed
    after = b_http.get(gateway + "/api/v1/enterprise").json()["records_version"]
    assert after == before
    assert b_http.get(gateway + "/api/v1/enterprise/staff").json()["total"] == 1
    # every refusal audited
    reasons = (
        engines("enterprise")
        .connect()
        .execute(
            text(
                "select detail->>'reason' from audit_log "
                "where actor_id = :a and action = 'enterprise.access_refused'"
            ),
            {"a": a["id"]},
        )
        .scalars()
        .all()
    )
    assert reasons.count("other_enterprise") >= 5 + len(b_files)
    assert reasons.count("record_of_other_enterprise") >= 4 * 5
    # a reviewer reads B only through a case about it (audited), and never changes it
    staff_http, staff_token, _ = reviewer
    assert staff_http.get(gateway + f"/api/v1/enterprises/{b['id']}/staff").status_code == 403
    open_case_for(running_platform, b["id"], region_code=profile()["region_code"])
    wait_for(lambda: staff_http.get(gateway + f"/api/v1/enterprises/{b['id']}/staff").status_code == 200,
             what="the reviewer's case about B")
    assert staff_http.get(gateway + f"/api/v1/enterprises/{b['id']}/staff").json()["total"] == 1
    assert (
        staff_http.get(gateway + f"/files/enterprise/{b_files[0]}", allow_redirects=False).status_code == 303
    )
    assert staff_http.get(gateway + "/enterprise").status_code == 403
