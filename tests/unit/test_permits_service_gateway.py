"""The permits pages and API in the gateway, with a fake RPC: what reaches the permits service
(actor first, the idempotency key, the version), the public verify page, module permissions."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp
from services.common.errors import InvalidTransition, NotFound
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

APP = {
    "id": "app-1",
    "number": "SB2026112300001",
    "type_name": "建筑施工企业安全生产许可证",
    "transaction_label": "新增申报",
    "selection": "建筑施工",
    "lane": "normal",
    "lane_label": "一般程序",
    "state": "previewed",
    "state_label": "已预览",
    "version": 5,
    "revision": 0,
    "review_step": None,
    "decision_reason": None,
    "progress": {"step": 5, "of": 10, "final": False},
    "precheck": {
        "summary": "共1项标准，符合0项，不符合1项",
        "items": [
            {
                "key": "principal_a",
                "label": "主要负责人A证",
                "status": "unmet",
                "status_label": "不符合",
                "required": "持有效安管人员A证证书不少于1人",
                "actual": "符合条件0人（全部人员共0人）",
                "fix_link": "/enterprise?tab=staff",
                "details": [],
            }
        ],
    },
    "form_attachment_id": "f-1",
    "attachments": [],
    "required_attachments": [],
    "owed_materials": [],
    "correction_items": [],
    "allowed_actions": ["confirm_commitment", "discard"],
    "history": [],
    "commitment_seconds": 60.0,
    "commitment_remaining_seconds": 42.3,
}
LICENCE = {
    "number": "(蒙)JZ安许证字[2026]000001",
    "certificate_name": "安全生产许可证",
    "type_name": "x",
    "authority": "内蒙古自治区住房和城乡建设厅",
    "holder_name": "测试建筑有限公司",
    "holder_uscc": "91150100MA0000000X",
    "items": ["建筑施工"],
    "issued_on": "2026-11-23",
    "valid_from": "2026-11-23",
    "valid_until": "2029-11-22",
    "edition": 1,
    "status": "suspended",
    "status_label": "暂扣",
}


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    fake.behaviour[("permits", "get_application")] = lambda actor, app_id: APP
    fake.behaviour[("permits", "open_commitment")] = lambda actor, app_id: APP
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def test_verify_page_is_public_and_shows_the_live_status(client, rpc):
    rpc.behaviour[("permits", "verify_licence")] = lambda token: LICENCE
    page = client.get("/verify/tok123")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "暂扣" in html and LICENCE["number"] in html
    assert ("permits", "verify_licence", ("tok123",), page.headers["X-Request-ID"]) in rpc.calls
    rpc.behaviour[("permits", "verify_licence")] = NotFound("未查询到该证书，请核对二维码或证书编号。")
    missing = client.get("/verify/nope")
    assert missing.status_code == 404 and "未查询到该证书" in missing.get_data(as_text=True)


def test_the_wizard_shows_unmet_standards_with_required_actual_and_fix_link(client):
    sign_in_as(client)
    html = client.get("/permits/applications/app-1").get_data(as_text=True)
    assert "持有效安管人员A证证书不少于1人" in html and "符合条件0人" in html
    assert 'href="/enterprise/staff"' in html and 'href="/permits/applications/app-1/commitment"' in html


def test_opening_the_commitment_page_starts_the_server_clock(client, rpc):
    sign_in_as(client)
    html = client.get("/permits/applications/app-1/commitment").get_data(as_text=True)
    assert [c for c in rpc.calls if c[1] == "open_commitment"]
    assert 'data-seconds="43"' in html and "disabled" in html


def test_an_early_confirm_is_shown_with_the_servers_rule(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("permits", "confirm_commitment")] = InvalidTransition(
        "承诺书须打开阅读满60秒后方可确认（已打开17秒，还需43秒）。"
    )
    client.get("/permits/applications/app-1")
    token = client.application.sessions.rows["s9"]["csrf"]
    response = client.post(
        "/permits/applications/app-1/do/confirm", data={"csrf_token": token, "version": "5"}
    )
    assert response.status_code == 409 and "还需43秒" in response.get_data(as_text=True)
    call = next(c for c in rpc.calls if c[1] == "confirm_commitment")
    assert call[2][0]["id"] == "acc" and call[2][1:] == ("app-1", 5)


def test_api_submit_passes_the_idempotency_key_and_version(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("permits", "submit")] = lambda actor, app_id, key, version: {**APP, "state": "submitted"}
    response = client.post(
        "/api/v1/permits/applications/app-1/submit",
        json={"version": 5},
        headers={"X-CSRF-Token": "t0ken", "X-Idempotency-Key": "k-1"},
    )
    assert response.status_code == 200 and response.get_json()["state"] == "submitted"
    call = next(c for c in rpc.calls if c[1] == "submit")
    assert call[2][1:] == ("app-1", "k-1", 5) and call[2][0]["kind"] == "enterprise"
    refused = client.post(
        "/api/v1/permits/applications/app-1/submit", json={}, headers={"X-Idempotency-Key": "k"}
    )
    assert refused.status_code == 403


def test_read_only_sub_account_reads_but_cannot_act(client, rpc):
    sign_in_as(client, "sub9")
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="sub", permissions=["permits", "read_only"], enterprise_account_id="acc"
    )
    rpc.behaviour[("permits", "list_applications")] = lambda actor, query: [APP]
    assert client.get("/api/v1/permits/applications").status_code == 200
    refused = client.post(
        "/api/v1/permits/applications/app-1/discard", json={}, headers={"X-CSRF-Token": "t0ken"}
    )
    assert refused.status_code == 403 and not [c for c in rpc.calls if c[1] == "discard"]


AT_RISK = ("重新预审有1项资质标准不再符合：企业主要负责人安全生产考核合格（A证）"
           "（要求：持有效安管人员A证证书不少于1人；现有：符合条件0人）")


def test_a_licence_at_risk_shows_its_reason_on_my_licences(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("permits", "my_licences")] = lambda actor: [
        {**LICENCE, "status": "valid", "status_label": "有效", "at_risk": AT_RISK,
         "verify_path": "/verify/t"},
        {**LICENCE, "number": "N2", "status": "valid", "status_label": "有效", "at_risk": None,
         "verify_path": "/verify/u"}]
    html = client.get("/permits/licences").get_data(as_text=True)
    assert html.count('data-at-risk="1"') == 1 and "存在风险" in html and AT_RISK in html


def test_admins_filter_licences_at_risk_and_see_the_reason(client, rpc):
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(account_id, kind="admin")
    rpc.behaviour[("permits", "find_licences")] = lambda actor, q, at_risk: [
        {**LICENCE, "id": "l1", "status": "valid", "status_label": "有效", "at_risk": AT_RISK,
         "verify_path": "/verify/t"}]
    sign_in_as(client)
    html = client.get("/admin/licences?at_risk=1").get_data(as_text=True)
    assert AT_RISK in html and 'name="at_risk" value="1" checked' in html
    call = next(c for c in rpc.calls if c[1] == "find_licences")
    assert call[2][1:] == ("", True)
    client.get("/admin/licences?q=N")
    assert [c for c in rpc.calls if c[1] == "find_licences"][-1][2][1:] == ("N", False)


def test_the_application_page_shows_both_legal_clocks_of_its_case(client, rpc):
    """issue 15, item 2: the deadline on the application's own page, not only on 审核进度."""
    sign_in_as(client)
    submitted = {**APP, "state": "under_review", "case_ref": "permits:application:app-1"}
    rpc.behaviour[("permits", "get_application")] = lambda actor, app_id: submitted
    waiting = {"received_on": "2026-12-01", "acceptance_due": "2026-12-08", "decision_clock_started": False,
               "limit_days": 20, "deemed_accepted": False, "expected_decision_date": None}
    rpc.behaviour[("review", "case_history")] = lambda actor, ref: {"clock": waiting}
    html = client.get("/permits/applications/app-1").get_data(as_text=True)
    assert 'data-decision-started="no"' in html and "2026-12-08 前受理或一次告知补正" in html
    assert "受理后起算 20 个工作日" in html
    running = {**waiting, "acceptance_due": None, "decision_clock_started": True, "started_on": "2026-12-03",
               "expected_decision_date": "2026-12-31", "extension_days": 0}
    rpc.behaviour[("review", "case_history")] = lambda actor, ref: {"clock": running}
    html = client.get("/permits/applications/app-1").get_data(as_text=True)
    assert "自 2026-12-03 受理起 20 个工作日" in html and '<span id="clock-due">2026-12-31</span>' in html
    rpc.behaviour[("review", "case_history")] = NotFound("案件不存在")
    assert 'id="legal-clock"' not in client.get("/permits/applications/app-1").get_data(as_text=True)
