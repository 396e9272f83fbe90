"""The enterprise pages and API of the gateway with a fake RPC: what is passed to the service
(the actor, the signed-in enterprise's own id), what is rendered, and the refusals at the door."""

from __future__ import annotations

import hashlib

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp
from services.common.errors import Forbidden, ValidationFailed
from services.enterprise import domain
from tests.support.enterprise import scan_pdf
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

ENT = "acc"


def basic(**extra):
    return {
        "enterprise_id": ENT,
        "uscc": "91650100228680962Y",
        "name": "内蒙古测试电力有限公司",
        "enterprise_type": "private",
        "enterprise_type_label": "私营企业",
        "legal_person": "内蒙古测试电力有限公司",
        "legal_representative": "张三",
        "registered_address": "呼和浩特市新城区新华大街1号",
        "current_address": "呼和浩特市赛罕区大学东街2号",
        "region_code": "150105",
        "contact_name": "李四",
        "contact_phone": "13912345678",
        "email": "a@b.cn",
        "registered_capital_wan": 100.0,
        "net_assets_wan": None,
        "established_on": None,
        "business_scope": None,
        "parent_enterprise_id": None,
        "parent_name": None,
        "needs_completion": False,
        "profile_status": "draft",
        "pending_change_request": None,
        "missing": {},
        "files": {
            "legal_rep_id": {
                "id": "f1",
                "filename": "身份证.pdf",
                "pages": 1,
                "min_dpi": 150.0,
                "is_colour": False,
                "warnings": ["扫描分辨率约为150 DPI，要求300 DPI彩色扫描件"],
            }
        },
        **extra,
    }


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    fake.behaviour[("enterprise", "reference_data")] = {
        "enterprise_types": domain.ENTERPRISE_TYPES,
        "regions": domain.region_choices(),
        "staff_categories": domain.STAFF_CATEGORIES,
        "certificate_kinds": domain.CERTIFICATE_KINDS,
        "id_types": domain.ID_TYPES,
        "levels": domain.LEVELS,
        "project_categories": domain.PROJECT_CATEGORIES,
        "field_labels": domain.FIELD_LABELS,
    }
    fake.behaviour[("enterprise", "get_enterprise")] = lambda actor, eid: basic()
    fake.behaviour[("enterprise", "registration_profile")] = lambda actor, eid: basic()
    fake.behaviour[("enterprise", "summary")] = {"staff": domain.staff_summary({"electrician": 3})}
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def calls(rpc, method):
    return [c for c in rpc.calls if c[1] == method]


def test_basic_info_page_shows_locked_fields_disabled_and_file_warnings(client, rpc):
    sign_in_as(client)
    page = client.get("/enterprise")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="f-name" name="name" type="text"' in html and "disabled" in html
    assert "扫描分辨率约为150 DPI" in html and "变更申请" in html
    assert 'data-category="electrician">3<' in html
    actor, eid = calls(rpc, "get_enterprise")[0][2]
    assert eid == ENT and actor["kind"] == "enterprise" and actor["enterprise_id"] == ENT


def test_saving_basic_info_sends_only_fields_on_the_form_and_keeps_typed_values(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("enterprise", "update_basic_info")] = ValidationFailed.from_fields(
        {"email": [{"code": "invalid", "message": "电子邮箱格式不正确"}]}
    )
    page = client.post("/enterprise", data={"csrf_token": "t0ken", "email": "bad@", "contact_name": "王五"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "电子邮箱格式不正确" in html and 'value="bad@"' in html
    payload = calls(rpc, "update_basic_info")[0][2][2]
    assert payload == {"email": "bad@", "contact_name": "王五", "files": {}}


def test_upload_goes_to_the_service_as_a_claim_check_with_its_name(client, rpc):
    """The file waits in quarantine; the RPC carries its key, size and hash, never its bytes."""
    sign_in_as(client)
    rpc.behaviour[("enterprise", "update_basic_info")] = lambda actor, eid, payload: basic()
    pdf = scan_pdf()
    page = client.post(
        "/enterprise",
        data={"csrf_token": "t0ken", "business_licence": (__import__("io").BytesIO(pdf), "营业执照.pdf")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 303
    sent = calls(rpc, "update_basic_info")[0][2][2]["files"]["business_licence"]
    assert "content_b64" not in sent and sent["filename"] == "营业执照.pdf"
    assert sent["size"] == len(pdf) and sent["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert sent["key"].startswith("quarantine/")
    assert client.application.upload_store.objects[sent["key"]][0] == pdf


def test_form_without_csrf_is_refused(client, rpc):
    sign_in_as(client)
    page = client.post("/enterprise", data={"email": "x@y.cn"})
    assert page.status_code == 403 and not calls(rpc, "update_basic_info")


def test_sub_account_without_the_module_is_refused_and_read_only_cannot_write(client, rpc):
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="sub", permissions=["permits"], enterprise_account_id=ENT
    )
    sign_in_as(client, "sub1")
    assert client.get("/enterprise").status_code == 403
    assert client.get("/api/v1/enterprise").status_code == 403
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="sub", permissions=["enterprise", "read_only"], enterprise_account_id=ENT
    )
    client.application.forget_account("sub1")
    page = client.get("/enterprise")
    assert page.status_code == 200 and "更新保存" not in page.get_data(as_text=True)
    assert calls(rpc, "get_enterprise")[-1][2][1] == ENT  # the sub acts for its enterprise
    assert client.post("/enterprise", data={"csrf_token": "t0ken"}).status_code == 403
    assert (
        client.post("/api/v1/enterprise/staff", json={}, headers={"X-CSRF-Token": "t0ken"}).status_code == 403
    )


def test_roster_page_lists_with_category_tabs_and_pagination(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("enterprise", "list_records")] = lambda actor, eid, section, query: {
        "items": [
            {
                "id": "s1",
                "row": 51,
                "name": "周七",
                "category_label": "电工",
                "id_number": "X",
                "title": None,
                "specialty": None,
                "years_experience": 3,
                "attachments": [],
                "needs_completion": True,
            }
        ],
        "total": 120,
        "page": query["page"],
        "per_page": 50,
        "summary": domain.staff_summary({}),
    }
    page = client.get("/enterprise/staff?category=electrician&page=2")
    html = page.get_data(as_text=True)
    assert "周七" in html and "待补录" in html and "第2/3页" in html and "人员汇总" in html
    query = calls(rpc, "list_records")[0][2][3]
    assert query == {"q": None, "page": 2, "per_page": 50, "category": "electrician"}
    assert client.get("/enterprise/staff/new?category=safety_lead").status_code == 200


def test_staff_form_errors_on_nested_rows_are_shown_next_to_them(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("enterprise", "save_record")] = ValidationFailed.from_fields(
        {
            "id_number": [{"code": "duplicate", "message": "证件号码已登记在“电工”中的第2行（吴九）"}],
            "work_experience.0.witness_phone": [{"code": "invalid", "message": "证明人电话应为11位手机号码"}],
        }
    )
    page = client.post(
        "/enterprise/staff/new",
        data={
            "csrf_token": "t0ken",
            "category": "safety_lead",
            "name": "郑十",
            "id_number": "150102",
            "work_experience.0.employer": "某公司",
            "work_experience.0.witness_phone": "123",
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "第2行（吴九）" in html and "证明人电话应为11位手机号码" in html
    assert 'value="某公司"' in html
    sent = calls(rpc, "save_record")[0][2][3]
    assert sent["work_experience"][0]["employer"] == "某公司" and sent["category"] == "safety_lead"


def test_registration_step_2_is_for_registering_accounts_and_active_ones_go_to_enterprise(client, rpc):
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, status="pending_review"
    )
    sign_in_as(client, stage="registering")
    page = client.get("/register/enterprise")
    assert page.status_code == 200 and "提交注册" in page.get_data(as_text=True)
    rpc.behaviour[("enterprise", "save_registration_profile")] = lambda actor, payload: basic()
    rpc.behaviour[("enterprise", "submit_registration_profile")] = ValidationFailed(
        "注册企业信息不完整",
        {"business_licence": [{"code": "required", "message": "请上传营业执照（副本）（PDF）"}]},
    )
    page = client.post(
        "/register/enterprise", data={"csrf_token": "t0ken", "name": "内蒙古新公司", "action": "submit"}
    )
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 422 and "请上传营业执照（副本）（PDF）" in html and 'value="内蒙古新公司"' in html
    )
    assert calls(rpc, "save_registration_profile")[0][2][1] == {"name": "内蒙古新公司", "files": {}}
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    client.application.forget_account("acc")
    sign_in_as(client)
    assert client.get("/register/enterprise").headers["Location"] == "/enterprise"


def test_file_download_redirects_to_the_presigned_url_or_is_refused(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("enterprise", "attachment_url")] = lambda actor, aid: {"url": "http://s3/x?sig=1"}
    response = client.get("/files/enterprise/f1")
    assert response.status_code == 303 and response.headers["Location"] == "http://s3/x?sig=1"
    rpc.behaviour[("enterprise", "attachment_url")] = Forbidden("无权访问其他单位的信息")
    assert client.get("/files/enterprise/f2").status_code == 403


def test_api_routes_are_in_the_openapi_document(client):
    doc = client.get("/api/openapi.json").get_json()
    for path in (
        "/api/v1/enterprise",
        "/api/v1/enterprise/{section}",
        "/api/v1/enterprise/{section}/{record_id}",
        "/api/v1/enterprises/{enterprise_id}",
        "/api/v1/enterprise/registration-profile",
    ):
        assert path in doc["paths"], path
    assert "Enterprise" in doc["components"]["schemas"]
