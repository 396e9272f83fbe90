"""The 人员管理 pages and API in the gateway, with a fake RPC: what reaches the personnel service
(actor first, the form's typed values, uploads as base64, the commitment token and form_key), what
the clerk sees (Chinese field errors next to the field with the input kept, a result per item),
module permissions, read-only sub-accounts and the person's own pages."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp
from services.common.errors import Conflict, InvalidTransition, ValidationFailed
from tests.support.uploads import as_inline
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

CONSTRUCTOR = {
    "code": "constructor_2",
    "name": "二级建造师",
    "system": "CIP",
    "module": "constructor",
    "authority": "内蒙古自治区住房和城乡建设厅",
    "classes": {},
    "specialties": {"multiple": True, "choices": ["建筑工程", "公路工程"]},
    "numbers": {
        "qualification_number": {
            "label": "资格证书编号",
            "pattern": r"^NMG\d{7}$",
            "message": "资格证书编号应为NMG（大写字母）加7位数字，如NMG1234567",
        },
        "registration_number": {
            "label": "注册编号",
            "pattern": "",
            "message": "注册编号应为“蒙”加11-12位数字",
        },
    },
    "renewal": {"opens_months_before": 3, "closes_months_after": 2, "adds_years": 3},
    "operations": [
        {
            "kind": "initial",
            "label": "初始注册",
            "attachments": [
                {"code": "photo", "name": "个人照片（小于1MB，单一底色）", "required": True, "photo": True},
                {"code": "id_card", "name": "身份证明（正反面）", "required": True, "photo": False},
            ],
        },
        {"kind": "renewal", "label": "延续注册", "window": True, "attachments": []},
        {
            "kind": "change",
            "label": "变更注册",
            "attachments": [],
            "change_items": [
                {"code": "enterprise_name", "label": "企业名称变更"},
                {"code": "name", "label": "姓名变更"},
            ],
        },
        {"kind": "transfer_out", "label": "人员调出", "attachments": []},
        {"kind": "transfer_in", "label": "人员调入", "attachments": []},
        {
            "kind": "cancellation",
            "label": "注销注册",
            "attachments": [],
            "reasons": ["死亡或不具有完全民事行为能力的"],
            "applicants": ["本人", "聘用企业"],
        },
    ],
}
TSA = {
    "code": "transport_safety",
    "name": "交通运输工程施工单位安管人员",
    "system": "TSA",
    "module": "transport_safety",
    "authority": "交通运输主管部门（考核部门）",
    "classes": {"A": "主要负责人", "B": "项目负责人", "C": "专职安全生产管理人员"},
    "specialties": None,
    "numbers": {},
    "renewal": {"opens_months_before": 3, "closes_months_after": 2, "adds_years": 3},
    "operations": [
        {"kind": "renewal", "label": "延续申请", "window": True, "attachments": []},
        {"kind": "transfer_out", "label": "人员调出申请", "consent": True, "attachments": []},
    ],
}
CATALOGUE = {
    "types": [CONSTRUCTOR, TSA],
    "id_types": {"resident_id": "身份证", "officer_id": "军官证", "police_id": "警官证", "passport": "护照"},
    "genders": {"male": "男", "female": "女"},
    "education": {"bachelor": "大学本科"},
    "title_levels": {"none": "无", "senior": "高级"},
}
PERSON = {
    "id": "p-1",
    "name": "张伟",
    "gender": "male",
    "gender_label": "男",
    "id_type": "resident_id",
    "id_type_label": "身份证",
    "id_number": "11010519491231002X",
    "birth_date": "1949-12-31",
    "mobile": "13800138000",
    "photo": None,
    "certificates": [],
    "declarations": [],
    "transfers": [],
}
CERTIFICATE = {
    "id": "c-1",
    "person_id": "p-1",
    "person": PERSON,
    "type_code": "constructor_2",
    "type_name": "二级建造师",
    "registration_number": "蒙215080907445",
    "qualification_number": "NMG1234567",
    "specialties": ["建筑工程"],
    "valid_until": "2027-03-01",
    "status": "valid",
    "status_label": "有效",
    "enterprise_name": "甲建筑公司",
    "imported": False,
    "renewal_window": {"opens_on": "2026-12-01", "closes_on": "2027-05-01"},
    "history": [],
}
DECLARATION = {
    "id": "d-1",
    "enterprise_name": "甲建筑公司",
    "person_id": "p-1",
    "person": PERSON,
    "certificate_id": None,
    "certificate": None,
    "type_code": "constructor_2",
    "type_name": "二级建造师",
    "kind": "initial",
    "kind_label": "初始注册",
    "status": "draft",
    "status_label": "未上报",
    "origin": "enterprise",
    "version": 3,
    "batch_id": None,
    "batch_title": None,
    "case_ref": "personnel:declaration:d-1",
    "reported_at": None,
    "form": {"qualification_number": "NMG1234567", "specialties": ["建筑工程"]},
    "fields": {
        "person.name": {"label": "姓名", "value": "张伟"},
        "operation": {"label": "业务类型", "value": "初始注册"},
    },
    "inputs": ["person", "qualification_number", "specialties"],
    "attachments": [
        {"id": "a-1", "code": "photo", "label": "个人照片", "filename": "me.jpg", "warnings": []}
    ],
    "required_attachments": [
        {
            "code": "photo",
            "name": "个人照片（小于1MB，单一底色）",
            "required": True,
            "photo": True,
            "uploaded": True,
        },
        {
            "code": "id_card",
            "name": "身份证明（正反面）",
            "required": True,
            "photo": False,
            "uploaded": False,
        },
    ],
    "correction_items": [],
    "withdrawal": None,
    "history": [],
    "allowed_actions": ["save", "report", "delete"],
    "created_at": "2026-12-01T02:00:00+00:00",
}


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    fake.behaviour[("personnel", "catalogue")] = lambda actor: CATALOGUE
    fake.behaviour[("personnel", "get_person")] = lambda actor, person_id: PERSON
    fake.behaviour[("personnel", "get_declaration")] = lambda actor, declaration_id: {
        **DECLARATION,
        "id": declaration_id,
    }
    fake.behaviour[("personnel", "certificate")] = lambda actor, certificate_id: CERTIFICATE
    fake.behaviour[("personnel", "list_people")] = lambda actor, query: {
        "items": [{**PERSON, "certificates": [CERTIFICATE]}],
        "next_cursor": None,
    }
    fake.behaviour[("personnel", "list_declarations")] = lambda actor, query: {
        "items": [DECLARATION],
        "next_cursor": None,
    }
    fake.behaviour[("personnel", "expiring")] = lambda actor, query: {"items": []}
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def calls(rpc, method):
    return [c[2] for c in rpc.calls if c[0] == "personnel" and c[1] == method]


def as_sub(rpc, *permissions):
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="sub", permissions=list(permissions), enterprise_account_id="acc"
    )


def as_person(rpc):
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="person", id_number="11010519491231002X", contact_name="张伟", id_type="resident_id"
    )


CSRF = {"csrf_token": "t0ken"}
API = {"X-CSRF-Token": "t0ken"}


def test_home_shows_the_catalogues_menus_by_system_with_their_operations(client, rpc):
    sign_in_as(client)
    page = client.get("/personnel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "建筑市场（二级建造师、安管人员）" in html and "交通运输工程（安管人员）" in html
    assert 'href="/personnel/types/constructor_2/initial"' in html and "初始注册" in html
    assert 'href="/personnel/types/transport_safety"' in html  # the side menu's entry
    # 调出 acts on a record, 调入 is accepted under 人员调转, a consent transfer comes from the person
    assert 'href="/personnel/types/constructor_2#certificates" data-kind="transfer_out"' in html
    assert 'href="/personnel/transfers" data-kind="transfer_in"' in html
    assert 'href="/personnel/requests" data-kind="transfer_out"' in html
    assert calls(rpc, "list_declarations")[0][1] == {"reported": False, "limit": 10}


def test_the_module_permission_decides_and_read_only_sees_no_buttons(client, rpc):
    sign_in_as(client, "sub1")
    as_sub(rpc, "permits")
    refused = client.get("/personnel")
    assert refused.status_code == 403 and "人员管理" in refused.get_data(as_text=True)
    sign_in_as(client, "sub2")  # a new account id: the gateway caches accounts a few seconds
    as_sub(rpc, "personnel", "read_only")
    html = client.get("/personnel").get_data(as_text=True)
    assert "只读" in html and 'id="add-person"' not in html
    response = client.post("/personnel/people/new", data={**CSRF, "name": "李四"})
    assert response.status_code == 403 and not calls(rpc, "create_person")
    api = client.post("/api/v1/personnel/people", json={"name": "李四"}, headers=API)
    assert api.status_code == 403 and not calls(rpc, "create_person")


def test_an_invalid_id_number_is_shown_next_to_the_field_and_the_input_is_kept(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "create_person")] = ValidationFailed.from_fields(
        {
            "id_number": [
                {"code": "check_digit", "message": "身份证号校验位不正确（GB 11643），请核对最后一位"}
            ]
        }
    )
    response = client.post(
        "/personnel/people/new",
        data={
            **CSRF,
            "name": "王五",
            "id_type": "resident_id",
            "id_number": "110105194912310021",
            "mobile": "13800138000",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="f-id_number"[^>]*value="110105194912310021"', html)
    assert 'id="e-id_number"' in html and "校验位不正确" in html and 'value="王五"' in html
    sent = calls(rpc, "create_person")[0]
    assert sent[0]["kind"] == "enterprise" and sent[1] == {
        "name": "王五",
        "id_type": "resident_id",
        "id_number": "110105194912310021",
        "mobile": "13800138000",
    }


def test_adding_a_person_needs_csrf_and_then_opens_the_persons_page(client, rpc):
    sign_in_as(client)
    assert client.post("/personnel/people/new", data={"name": "王五"}).status_code == 403
    rpc.behaviour[("personnel", "create_person")] = lambda actor, data: {**PERSON, "id": "p-9"}
    response = client.post("/personnel/people/new", data={**CSRF, "name": "王五", "id_number": "x"})
    assert response.status_code == 303 and response.headers["Location"].startswith(
        "/personnel/people/p-9?notice="
    )


def test_photo_goes_to_the_service_as_base64_and_its_warning_is_shown(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "upload_photo")] = lambda actor, pid, upload: {
        **PERSON,
        "photo": {"id": "ph", "warnings": ["照片背景不是单一底色"]},
    }
    response = client.post(
        "/personnel/people/p-1/photo",
        data={**CSRF, "file": (io.BytesIO(b"\xff\xd8jpeg"), "me.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and "单一底色" in unquote(response.headers["Location"])
    _, person_id, upload = calls(rpc, "upload_photo")[0]
    assert person_id == "p-1" and as_inline(client, upload) == {
        "filename": "me.jpg",
        "content_b64": base64.b64encode(b"\xff\xd8jpeg").decode(),
    }


def test_starting_an_initial_registration_offers_the_operations_inputs_and_sends_them(client, rpc):
    sign_in_as(client)
    html = client.get("/personnel/types/constructor_2/initial?person_id=p-1").get_data(as_text=True)
    assert 'name="form.qualification_number"' in html and "NMG（大写字母）加7位数字" in html
    assert 'name="form.specialties" value="公路工程"' in html
    rpc.behaviour[("personnel", "new_declaration")] = lambda actor, payload: {**DECLARATION, "id": "d-7"}
    response = client.post(
        "/personnel/types/constructor_2/initial",
        data={
            **CSRF,
            "person_id": "p-1",
            "form.qualification_number": "NMG1234567",
            "form.specialties": ["建筑工程", "公路工程"],
        },
    )
    assert response.status_code == 303 and response.headers["Location"].startswith(
        "/personnel/declarations/d-7"
    )
    assert calls(rpc, "new_declaration")[0][1] == {
        "type_code": "constructor_2",
        "kind": "initial",
        "person_id": "p-1",
        "form": {"qualification_number": "NMG1234567", "specialties": ["建筑工程", "公路工程"]},
    }


def test_a_person_held_by_another_enterprise_is_refused_with_who_holds_them(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "new_declaration")] = Conflict(
        "该人员已在“乙建设集团有限公司”注册二级建造师，须先办理调出后方可申报", code="employed_elsewhere"
    )
    response = client.post(
        "/personnel/types/constructor_2/initial",
        data={**CSRF, "person_id": "p-1", "form.qualification_number": "NMG1234567"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "乙建设集团有限公司" in html
    assert 'value="NMG1234567"' in html  # what the clerk typed stays


def test_renewal_lists_the_types_certificates_and_keeps_the_certificate_id(client, rpc):
    sign_in_as(client)
    html = client.get("/personnel/types/constructor_2/renewal").get_data(as_text=True)
    assert 'href="?certificate_id=c-1"' in html and "延续注册" in html
    assert calls(rpc, "list_people")[0][1]["type_code"] == "constructor_2"
    rpc.behaviour[("personnel", "new_declaration")] = InvalidTransition(
        "证书有效期至2027-03-01，延续注册自2026-12-01起方可申请", code="renewal_too_early"
    )
    response = client.post("/personnel/types/constructor_2/renewal", data={**CSRF, "certificate_id": "c-1"})
    assert response.status_code == 422 and "2026-12-01起方可申请" in response.get_data(as_text=True)
    assert calls(rpc, "new_declaration")[0][1]["certificate_id"] == "c-1"


def test_declaration_page_shows_fields_materials_and_the_report_button(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "get_declaration")] = lambda actor, i: {
        **DECLARATION,
        "history": [
            {
                "at": "2026-12-01T02:00:00+00:00",
                "action": "create",
                "action_label": "create",
                "actor": "enterprise",
                "status": "draft",
                "note": "新建初始注册申报",
            }
        ],
    }
    html = client.get("/personnel/declarations/d-1").get_data(as_text=True)
    assert "<td>新建申报</td>" in html and "<td>申报企业</td><td>未上报</td>" in html
    assert "张伟" in html and 'data-code="id_card"' in html and "未上传" in html
    assert 'href="/personnel/files/a-1"' in html and 'id="report-button"' in html
    assert 'name="form.qualification_number"' in html and 'value="NMG1234567"' in html


def test_saving_sends_the_form_and_version_and_a_stale_version_is_explained(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "update_declaration")] = Conflict(
        "申报已被他人修改，请刷新后再保存", code="stale_version"
    )
    response = client.post(
        "/personnel/declarations/d-1/save",
        data={
            **CSRF,
            "version": "3",
            "form.qualification_number": "NMG7654321",
            "form.specialties": "公路工程",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "请刷新后再保存" in html and 'value="NMG7654321"' in html
    assert calls(rpc, "update_declaration")[0][1:] == (
        "d-1",
        {"form": {"qualification_number": "NMG7654321", "specialties": ["公路工程"]}, "expected_version": 3},
    )


def test_an_attachment_refused_by_content_is_shown_at_its_material(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "upload_declaration_attachment")] = ValidationFailed.from_fields(
        {"file": [{"code": "bad_type", "message": "附件须为jpg/png图片（小于2MB）或PDF文件"}]}
    )
    response = client.post(
        "/personnel/declarations/d-1/attachment",
        data={**CSRF, "code": "id_card", "file": (io.BytesIO(b"MZ"), "id.jpg")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="e-attachment-id_card"' in html and "小于2MB" in html
    assert calls(rpc, "upload_declaration_attachment")[0][1:3] == ("d-1", "id_card")


def test_bulk_report_goes_through_the_commitment_letter_and_batch_and_delete_answer_per_item(client, rpc):
    sign_in_as(client)
    response = client.post(
        "/personnel/declarations/bulk", data={**CSRF, "action": "report", "ids": ["d-1", "d-2"]}
    )
    assert (
        response.status_code == 303
        and unquote(response.headers["Location"]) == "/personnel/commitment?ids=d-1,d-2"
    )
    rpc.behaviour[("personnel", "create_batch")] = lambda actor, data: {"id": "b-1", "title": data["title"]}
    batch = client.post(
        "/personnel/declarations/bulk",
        data={**CSRF, "action": "batch", "ids": ["d-1", "d-2"], "title": "2026年第一批"},
    )
    assert batch.status_code == 303 and calls(rpc, "create_batch")[0][1] == {
        "title": "2026年第一批",
        "declaration_ids": ["d-1", "d-2"],
    }
    rpc.behaviour[("personnel", "delete_declarations")] = lambda actor, data: {
        "results": [
            {"id": "d-1", "ok": True, "status": "deleted", "code": "ok", "message": "已删除"},
            {
                "id": "d-2",
                "ok": False,
                "status": "city_unaccepted",
                "code": "already_reported",
                "message": "已上报的申报不能删除",
            },
        ]
    }
    html = client.post(
        "/personnel/declarations/bulk", data={**CSRF, "action": "delete", "ids": ["d-1", "d-2"]}
    ).get_data(as_text=True)
    assert 'data-id="d-1" data-ok="true"' in html and 'data-id="d-2" data-ok="false"' in html
    assert "已上报的申报不能删除" in html
    nothing = client.post("/personnel/declarations/bulk", data={**CSRF, "action": "delete"})
    assert nothing.status_code == 422 and "请先勾选申报" in nothing.get_data(as_text=True)


def test_the_commitment_letter_opens_on_the_server_and_an_early_confirm_is_refused(client, rpc):
    sign_in_as(client)
    opened = (datetime.now(UTC) - timedelta(seconds=15)).isoformat()
    rpc.behaviour[("personnel", "open_commitment")] = lambda actor, target: {
        "token": "tok-1",
        "opened_at": opened,
        "seconds_required": 60,
        "text": "本单位郑重承诺：所申报人员真实受聘。",
    }
    page = client.get("/personnel/commitment?ids=d-1,d-2")
    html = page.get_data(as_text=True)
    assert calls(rpc, "open_commitment")[0][1] == {"declaration_ids": ["d-1", "d-2"]}
    seconds = int(re.search(r'data-seconds="(\d+)"', html).group(1))
    assert 44 <= seconds <= 46 and 'id="confirm-button" disabled' in html and "真实受聘" in html
    rpc.behaviour[("personnel", "report")] = ValidationFailed.from_fields(
        {
            "commitment": [
                {"code": "commitment_too_soon", "message": "承诺书须阅读满60秒后方可确认（还需45秒）"}
            ]
        }
    )
    form_key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    early = client.post(
        "/personnel/commitment",
        data={
            **CSRF,
            "ids": ["d-1", "d-2"],
            "token": "tok-1",
            "opened_at": opened,
            "seconds_required": "60",
            "confirmed": "1",
            "form_key": form_key,
        },
    )
    early_html = early.get_data(as_text=True)
    assert early.status_code == 422 and "还需45秒" in early_html and 'value="tok-1"' in early_html
    assert f'value="{form_key}"' in early_html  # the same key: a repeated confirm reports once
    assert calls(rpc, "report")[0][1] == {
        "declaration_ids": ["d-1", "d-2"],
        "commitment_token": "tok-1",
        "confirmed": True,
        "form_key": form_key,
    }
    assert len(calls(rpc, "open_commitment")) == 1  # the refusal does not restart the clock


def test_a_confirmed_report_shows_a_result_per_declaration(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "report")] = lambda actor, data: {
        "summary": "共2项，成功1项，失败1项",
        "results": [
            {
                "id": "d-1",
                "ok": True,
                "status": "city_unaccepted",
                "code": "ok",
                "message": "已上报，盟市未受理",
            },
            {
                "id": "d-2",
                "ok": False,
                "status": "draft",
                "code": "missing_attachments",
                "message": "缺少附件：身份证明（正反面）",
            },
        ],
    }
    response = client.post(
        "/personnel/commitment",
        data={
            **CSRF,
            "batch": "b-1",
            "token": "tok",
            "opened_at": "2026-12-01T00:00:00+00:00",
            "seconds_required": "60",
            "confirmed": "1",
            "form_key": "k-1",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "共2项，成功1项，失败1项" in html and "缺少附件：身份证明" in html
    assert calls(rpc, "report")[0][1]["batch_id"] == "b-1"


def test_tracking_asks_review_for_the_declarations_case_history(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "get_declaration")] = lambda actor, i: {
        **DECLARATION,
        "status": "province_unaccepted",
        "status_label": "省级未受理",
        "reported_at": "2026-12-01T03:00:00+00:00",
    }
    rpc.behaviour[("review", "case_history")] = lambda actor, key: {
        "step_label": "自治区审批",
        "chain": [{"label": "盟市审核", "level_label": "盟市", "current": False}],
        "history": [
            {
                "step_label": "盟市审核",
                "reviewer_name": "呼和浩特",
                "result": "同意",
                "handling": "报批",
                "comment": "",
                "at": "2026-12-02T01:00:00+00:00",
            }
        ],
        "tracking": [],
        "clock": {},
    }
    html = client.get("/personnel/declarations/d-1/history").get_data(as_text=True)
    review = [c for c in rpc.calls if c[0] == "review"][0]
    assert review[2][1] == "personnel:declaration:d-1" and review[2][0]["kind"] == "enterprise"
    assert "盟市审核" in html and "报批" in html and "呼和浩特" in html


def test_transfer_out_sends_the_new_employers_uscc_and_accepting_opens_the_transfer_in(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "transfer_out")] = lambda actor, data: {"id": "t-1"}
    response = client.post(
        "/personnel/certificates/c-1/transfer-out", data={**CSRF, "to_uscc": " 91150100MA0N1ABC2X "}
    )
    assert response.status_code == 303 and calls(rpc, "transfer_out")[0][1] == {
        "certificate_id": "c-1",
        "to_uscc": "91150100MA0N1ABC2X",
    }
    rpc.behaviour[("personnel", "accept_transfer")] = lambda actor, tid: {**DECLARATION, "id": "d-in"}
    accepted = client.post("/personnel/transfers/t-1/accept", data=CSRF)
    assert accepted.headers["Location"].startswith("/personnel/declarations/d-in")
    rpc.behaviour[("personnel", "return_transfer")] = InvalidTransition(
        "调入申报已上报，不能退回", code="in_review"
    )
    returned = client.post("/personnel/transfers/t-1/return", data={**CSRF, "reason": "不予接收"})
    assert "不能退回" in unquote(returned.headers["Location"])
    assert calls(rpc, "return_transfer")[0][1:] == ("t-1", "不予接收")


def test_withdrawal_requests_are_decided_together_with_a_result_each(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "list_transfers")] = lambda actor, query: {"items": []}

    def decide(actor, declaration_id, decision):
        if declaration_id == "d-2":
            raise InvalidTransition("该申报已被受理，不能撤回", code="withdrawal_not_allowed")
        return {**DECLARATION, "id": declaration_id, "status": "withdrawn", "status_label": "已撤回"}

    rpc.behaviour[("personnel", "decide_withdrawal")] = decide
    html = client.post(
        "/personnel/requests",
        data={**CSRF, "what": "withdrawals", "decision": "agree", "ids": ["d-1", "d-2"]},
    ).get_data(as_text=True)
    assert [c[1:] for c in calls(rpc, "decide_withdrawal")] == [
        ("d-1", {"agree": True, "reason": ""}),
        ("d-2", {"agree": True, "reason": ""}),
    ]
    assert "张伟：已撤回" in html and "该申报已被受理，不能撤回" in html
    rpc.behaviour[("personnel", "decide_transfers")] = lambda actor, data: {"results": []}
    client.post(
        "/personnel/requests",
        data={**CSRF, "what": "transfers", "decision": "refuse", "ids": ["t-1"], "reason": "项目未完工"},
    )
    assert calls(rpc, "decide_transfers")[0][1] == {
        "ids": ["t-1"],
        "decision": "refuse",
        "reason": "项目未完工",
    }


def test_registered_staff_export_is_an_excel_download_with_a_utf8_name(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "export_registered")] = lambda actor, filters: {
        "filename": "注册人员2026-12-01.xlsx",
        "content_b64": base64.b64encode(b"PK\x03\x04").decode(),
        "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = client.get("/personnel/registered/export?name=%E5%BC%A0&status=valid&bogus=1")
    assert response.status_code == 200 and response.data == b"PK\x03\x04"
    assert "filename*=UTF-8''%E6%B3%A8%E5%86%8C%E4%BA%BA%E5%91%98" in response.headers["Content-Disposition"]
    assert calls(rpc, "export_registered")[0][1] == {"name": "张", "status": "valid"}


def test_api_create_person_needs_the_csrf_header_and_answers_field_errors(client, rpc):
    sign_in_as(client)
    assert client.post("/api/v1/personnel/people", json={"name": "x"}).status_code == 403
    rpc.behaviour[("personnel", "create_person")] = ValidationFailed.from_fields(
        {"id_number": [{"code": "check_digit", "message": "身份证号校验位不正确"}]}
    )
    refused = client.post("/api/v1/personnel/people", json={"name": "x", "id_number": "1"}, headers=API)
    assert (
        refused.status_code == 422
        and refused.get_json()["error"]["fields"]["id_number"][0]["code"] == "check_digit"
    )
    assert client.post("/api/v1/personnel/people", data="nope", headers=API).status_code == 400


def test_api_lists_and_reports_with_the_contracts_shapes(client, rpc):
    sign_in_as(client)
    listed = client.get("/api/v1/personnel/declarations?reported=0&batch=1&type_code=constructor_2&limit=20")
    assert listed.status_code == 200 and calls(rpc, "list_declarations")[0][1] == {
        "reported": False,
        "batch": True,
        "type_code": "constructor_2",
        "limit": 20,
    }
    rpc.behaviour[("personnel", "report")] = lambda actor, data: {"results": [], "summary": ""}
    body = {"batch_id": "b-1", "commitment_token": "tok", "confirmed": True, "form_key": "k"}
    assert client.post("/api/v1/personnel/bulk/report", json=body, headers=API).status_code == 200
    assert calls(rpc, "report")[0][1] == body
    rpc.behaviour[("personnel", "cancel_declaration")] = lambda actor, i, reason: DECLARATION
    client.post("/api/v1/personnel/declarations/d-1/cancel", json={"reason": "信息有误"}, headers=API)
    assert calls(rpc, "cancel_declaration")[0][1:] == ("d-1", "信息有误")
    rpc.behaviour[("personnel", "attachment_url")] = lambda actor, i: {"url": "http://s3/x", "filename": "a"}
    download = client.get("/api/v1/personnel/attachments/a-1")
    assert download.status_code == 303 and download.headers["Location"] == "http://s3/x"


def test_a_person_has_own_pages_and_no_enterprise_module(client, rpc):
    sign_in_as(client, "per1")
    as_person(rpc)
    rpc.behaviour[("personnel", "my_declarations")] = lambda actor: {
        "items": [{**DECLARATION, "status": "province_unaccepted", "status_label": "省级未受理"}]
    }
    rpc.behaviour[("personnel", "my_certificates")] = lambda actor: {"items": [CERTIFICATE]}
    rpc.behaviour[("personnel", "my_transfers")] = lambda actor: {"items": []}
    html = client.get("/personal/declarations").get_data(as_text=True)
    assert "个人用户" in html and 'action="/personal/declarations/d-1/withdraw"' in html
    rpc.behaviour[("personnel", "request_withdrawal")] = lambda actor, i, reason: DECLARATION
    response = client.post("/personal/declarations/d-1/withdraw", data={**CSRF, "reason": "个人原因"})
    assert response.status_code == 303
    actor, declaration_id, reason = calls(rpc, "request_withdrawal")[0]
    assert actor["kind"] == "person" and (declaration_id, reason) == ("d-1", "个人原因")
    assert client.get("/personnel").status_code == 403
    assert client.get("/api/v1/personnel/people").status_code == 403


def test_enterprise_accounts_cannot_use_the_persons_pages(client, rpc):
    sign_in_as(client)
    assert client.get("/personal/declarations").status_code == 403
    assert client.post("/api/v1/personnel/me/transfers", json={}, headers=API).status_code == 403


def test_supplement_edit_of_an_imported_record_sends_the_version_and_explains_a_closed_record(client, rpc):
    sign_in_as(client)
    imported = {**CERTIFICATE, "imported": True, "version": 4}
    rpc.behaviour[("personnel", "certificate")] = lambda actor, certificate_id: imported
    page = client.get("/personnel/certificates/c-1").get_data(as_text=True)
    assert 'href="/personnel/certificates/c-1/supplement"' in page
    form = client.get("/personnel/certificates/c-1/supplement").get_data(as_text=True)
    assert 'value="NMG1234567"' in form and 'name="version" value="4"' in form
    rpc.behaviour[("personnel", "update_certificate_record")] = InvalidTransition(
        "该证书已有上报的申报，补录信息不能再修改，请办理变更", code="supplement_closed"
    )
    response = client.post(
        "/personnel/certificates/c-1/supplement",
        data={**CSRF, "version": "4", "qualification_number": "NMG7654321", "valid_until": "2027-03-01"},
    )
    assert response.status_code == 422 and "请办理变更" in response.get_data(as_text=True)
    assert calls(rpc, "update_certificate_record")[0][1:] == (
        "c-1",
        {"qualification_number": "NMG7654321", "valid_until": "2027-03-01", "expected_version": 4},
    )


def test_a_personal_declaration_names_the_employer_and_carries_the_persons_own_number(client, rpc):
    sign_in_as(client, "per2")
    as_person(rpc)
    reg = {
        "code": "reg_engineer",
        "name": "勘察设计注册工程师",
        "system": "REG",
        "classes": {},
        "numbers": {},
        "specialties": {"multiple": False, "choices": ["注册电气工程师"]},
        "operations": [{"kind": "initial", "label": "初始注册", "attachments": []}],
    }
    rpc.behaviour[("personnel", "catalogue")] = lambda actor: {
        **CATALOGUE,
        "types": [*CATALOGUE["types"], reg],
    }
    rpc.behaviour[("personnel", "my_certificates")] = lambda actor: {"items": []}
    form = client.get("/personal/start/reg_engineer/initial").get_data(as_text=True)
    assert "11010519491231002X" in form and '<select id="f-specialties" name="form.specialties"' in form
    rpc.behaviour[("personnel", "new_personal_declaration")] = Conflict(
        "未找到统一社会信用代码为91150100MA0000000X的企业", code="not_found"
    )
    refused = client.post(
        "/personal/start/reg_engineer/initial",
        data={
            **CSRF,
            "mobile": "13900139000",
            "enterprise_uscc": "91150100MA0000000X",
            "form.specialties": "注册电气工程师",
        },
    )
    assert refused.status_code == 422 and 'value="91150100MA0000000X"' in refused.get_data(as_text=True)
    actor, payload = calls(rpc, "new_personal_declaration")[0]
    assert actor["kind"] == "person" and payload == {
        "type_code": "reg_engineer",
        "kind": "initial",
        "enterprise_uscc": "91150100MA0000000X",
        "form": {"specialties": ["注册电气工程师"]},
        "person": {
            "name": "张伟",
            "id_number": "11010519491231002X",
            "id_type": "resident_id",
            "mobile": "13900139000",
        },
    }


def test_consenting_to_transfer_requests_links_each_drafted_declaration(client, rpc):
    sign_in_as(client)
    requested = {
        "id": "t-9",
        "mode": "consent",
        "status": "requested",
        "direction": "out",
        "person": PERSON,
        "certificate": CERTIFICATE,
        "from_enterprise_name": "甲建筑公司",
        "to_enterprise_name": "丙公司",
        "status_label": "待企业审核",
    }
    rpc.behaviour[("personnel", "list_transfers")] = lambda actor, query: {"items": [requested]}
    rpc.behaviour[("personnel", "list_declarations")] = lambda actor, query: {"items": []}
    page = client.get("/personnel/requests").get_data(as_text=True)
    assert 'name="ids" value="t-9"' in page and "待企业审核" in page
    rpc.behaviour[("personnel", "decide_transfers")] = lambda actor, data: {
        "results": [
            {
                "id": "t-9",
                "ok": True,
                "status": "consented",
                "code": None,
                "message": None,
                "declaration_id": "d-out",
            }
        ]
    }
    html = client.post(
        "/personnel/requests", data={**CSRF, "what": "transfers", "decision": "consent", "ids": ["t-9"]}
    ).get_data(as_text=True)
    assert 'href="/personnel/declarations/d-out"' in html and "已办理" in html


def test_batch_member_can_be_taken_out_and_qualification_is_corrected_with_a_copy(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "remove_from_batch")] = lambda actor, batch_id, data: {}
    response = client.post("/personnel/batches/b-1/remove", data={**CSRF, "ids": "d-1"})
    assert response.status_code == 303 and calls(rpc, "remove_from_batch")[0][1:] == (
        "b-1",
        {"declaration_ids": ["d-1"]},
    )
    rpc.behaviour[("personnel", "get_declaration")] = lambda actor, i: {
        **DECLARATION,
        "form": {"pre_registered": True},
    }
    assert 'id="qualification-form"' in client.get("/personnel/declarations/d-1").get_data(as_text=True)
    rpc.behaviour[("personnel", "correct_qualification")] = lambda actor, i, data: DECLARATION
    done = client.post(
        "/personnel/declarations/d-1/qualification",
        data={**CSRF, "qualification_number": "D215000001", "copy": (io.BytesIO(b"%PDF-1.4"), "资质.pdf")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 303
    _, declaration_id, data = calls(rpc, "correct_qualification")[0]
    assert declaration_id == "d-1" and as_inline(client, data) == {
        "qualification_number": "D215000001",
        "copy": {"filename": "资质.pdf", "content_b64": base64.b64encode(b"%PDF-1.4").decode()},
    }


def test_no_view_mixin_shadows_another_mixins_method():
    """GatewayApp combines the mixins: a helper defined twice would silently serve the wrong
    area (personnel's `_back` once redirected into /permits)."""
    from itertools import combinations

    from gateway.views import VIEW_CLASSES

    # An area package's mixin combines its parts (pages, API, a base of helpers): every class
    # in every area's MRO is compared with every other.
    parts = list(dict.fromkeys(cls for views in VIEW_CLASSES for cls in views.__mro__ if cls is not object))
    assert len(parts) > len(VIEW_CLASSES)  # the areas' parts are seen, not only the areas
    shared = {"ROUTES", "OPENAPI_OPERATIONS", "ECHO_ROUTE"}
    clashes = {
        (a.__name__, b.__name__, name)
        for a, b in combinations(parts, 2)
        for name in (set(vars(a)) & set(vars(b))) - shared
        if not name.startswith("__")
    }
    assert clashes == set()


def test_an_appeal_is_answered_with_an_explanation_and_evidence(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("personnel", "list_appeals")] = lambda actor, query: {
        "items": [
            {
                "id": "ap-1",
                "kind": "two_employers",
                "kind_label": "同一人员在两家单位注册",
                "status": "open",
                "status_label": "待申辩",
                "detail": "张伟同时在乙公司注册",
                "person_name": "张伟",
                "deadline": "2026-12-20",
            }
        ]
    }
    page = client.get("/personnel/appeals").get_data(as_text=True)
    assert "同时在乙公司注册" in page and 'action="/personnel/appeals/ap-1/answer"' in page
    rpc.behaviour[("personnel", "answer_appeal")] = lambda actor, appeal_id, data: {}
    response = client.post(
        "/personnel/appeals/ap-1/answer",
        data={
            **CSRF,
            "explanation": "已于11月解除与乙公司的劳动合同",
            "evidence": (io.BytesIO(b"%PDF-1.4"), "解除证明.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and "申辩已提交" in unquote(response.headers["Location"])
    assert as_inline(client, calls(rpc, "answer_appeal")[0][1:]) == (
        "ap-1",
        {
            "explanation": "已于11月解除与乙公司的劳动合同",
            "evidence": [{"filename": "解除证明.pdf", "content_b64": base64.b64encode(b"%PDF-1.4").decode()}],
        },
    )


def test_a_person_asks_to_transfer_a_consent_certificate(client, rpc):
    sign_in_as(client, "per3")
    as_person(rpc)
    tsa_certificate = {
        **CERTIFICATE,
        "id": "c-tsa",
        "type_code": "transport_safety",
        "type_name": TSA["name"],
    }
    rpc.behaviour[("personnel", "my_declarations")] = lambda actor: {"items": []}
    rpc.behaviour[("personnel", "my_certificates")] = lambda actor: {"items": [CERTIFICATE, tsa_certificate]}
    rpc.behaviour[("personnel", "my_transfers")] = lambda actor: {"items": []}
    page = client.get("/personal/declarations").get_data(as_text=True)
    assert '<option value="c-tsa"' in page and '<option value="c-1"' not in page  # only TSA moves on request
    rpc.behaviour[("personnel", "request_transfer")] = ValidationFailed.from_fields(
        {"to_uscc": [{"code": "not_found", "message": "未找到该统一社会信用代码的企业"}]}
    )
    refused = client.post(
        "/personal/transfer",
        data={**CSRF, "certificate_id": "c-tsa", "direction": "in", "to_uscc": "91150100MA0000000X"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "未找到该统一社会信用代码的企业" in html
    assert 'value="91150100MA0000000X"' in html
    assert calls(rpc, "request_transfer")[0][1] == {
        "certificate_id": "c-tsa",
        "direction": "in",
        "to_uscc": "91150100MA0000000X",
    }


def test_re_registration_finds_the_cancelled_record_by_name_and_id_number(client, rpc):
    sign_in_as(client)
    CONSTRUCTOR["operations"].append({"kind": "re_registration", "label": "重新注册", "attachments": []})
    try:
        rpc.behaviour[("personnel", "find_for_re_registration")] = Conflict(
            "该人员仍在注册有效期内，不能重新注册", code="still_registered"
        )
        refused = client.get(
            "/personnel/types/constructor_2/re_registration?name=张伟&id_number=11010519491231002X"
        )
        assert refused.status_code == 422 and "不能重新注册" in refused.get_data(as_text=True)
        assert calls(rpc, "find_for_re_registration")[0][1] == {
            "type_code": "constructor_2",
            "name": "张伟",
            "id_number": "11010519491231002X",
        }
        cancelled = {**CERTIFICATE, "status": "cancelled", "status_label": "已注销"}
        rpc.behaviour[("personnel", "find_for_re_registration")] = lambda actor, query: cancelled
        found = client.get(
            "/personnel/types/constructor_2/re_registration?name=张伟&id_number=11010519491231002X"
        )
        found_html = found.get_data(as_text=True)
        assert 'name="certificate_id" value="c-1"' in found_html and "已注销" in found_html
    finally:
        CONSTRUCTOR["operations"].pop()


def test_reviewers_search_registered_staff_of_their_region_from_their_menu(client, rpc):
    sign_in_as(client, "rev1")
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="reviewer", level="city", region_code="150100"
    )
    rpc.behaviour[("personnel", "search_registered")] = lambda actor, filters: {
        "items": [CERTIFICATE],
        "next_cursor": None,
    }
    page = client.get("/personnel/registered?enterprise_name=甲")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/personnel/registered"' in html and "蒙215080907445" in html
    actor, filters = calls(rpc, "search_registered")[0]
    assert actor["kind"] == "reviewer" and actor["region_code"] == "150100"
    assert filters == {"enterprise_name": "甲", "limit": 50}
    assert client.get("/personnel/people").status_code == 403  # the enterprise's pages stay theirs


def test_a_reviewer_raises_an_anomaly_from_the_search_and_decides_the_answer(client, rpc):
    sign_in_as(client, "rev2")
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="reviewer", level="city", region_code="150100"
    )
    rpc.behaviour[("personnel", "search_registered")] = lambda actor, filters: {
        "items": [{**CERTIFICATE, "enterprise_id": "e-1"}],
        "next_cursor": None,
    }
    html = client.get("/personnel/registered").get_data(as_text=True)
    assert 'name="enterprise_id" value="e-1"' in html and "同一人员在两家及以上单位注册" in html
    rpc.behaviour[("personnel", "raise_anomaly")] = lambda actor, data: {"id": "ap-2"}
    raised = client.post(
        "/personnel/appeals/raise",
        data={
            **CSRF,
            "enterprise_id": "e-1",
            "person_id": "p-1",
            "kind": "dual_employment",
            "detail": "社保显示在乙公司缴纳",
            "deadline": "2026-12-31",
        },
    )
    assert raised.status_code == 303 and raised.headers["Location"].startswith("/personnel/appeals?notice=")
    actor, data = calls(rpc, "raise_anomaly")[0]
    assert actor["kind"] == "reviewer" and data == {
        "enterprise_id": "e-1",
        "person_id": "p-1",
        "kind": "dual_employment",
        "detail": "社保显示在乙公司缴纳",
        "deadline": "2026-12-31",
    }
    rpc.behaviour[("personnel", "list_appeals")] = lambda actor, query: {
        "items": [
            {
                "id": "ap-2",
                "kind_label": "同一人员在两家及以上单位注册",
                "status": "answered",
                "status_label": "已申辩（待审核）",
                "detail": "社保显示在乙公司缴纳",
                "explanation": "已解除劳动合同",
                "evidence": ["att-9"],
            }
        ]
    }
    page = client.get("/personnel/appeals").get_data(as_text=True)
    assert 'action="/personnel/appeals/ap-2/close"' in page and 'href="/personnel/files/att-9"' in page
    assert 'action="/personnel/appeals/ap-2/answer"' not in page
    rpc.behaviour[("personnel", "close_appeal")] = lambda actor, appeal_id, data: {}
    client.post("/personnel/appeals/ap-2/close", data={**CSRF, "outcome": "uphold", "opinion": "材料属实"})
    assert calls(rpc, "close_appeal")[0][1:] == ("ap-2", {"outcome": "uphold", "opinion": "材料属实"})
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    sign_in_as(client)  # an enterprise may not raise or decide
    assert client.post("/personnel/appeals/raise", data=CSRF).status_code == 403
    assert client.post("/api/v1/personnel/appeals/ap-2/close", json={}, headers=API).status_code == 403
