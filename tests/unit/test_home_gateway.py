"""The 首页 of each role (issue 16 item 3) in the gateway, with a fake RPC (no servers)."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp
from gateway.rpc import ServiceUnavailable
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

KINDS = {"e": "enterprise", "r": "reviewer", "a": "admin", "p": "person"}


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind=KINDS[account_id[0]], contact_name="张经办",
        permissions=["enterprise", "personnel", "permits"],
        **({"level": "city", "region_code": "150100"} if account_id.startswith("r") else {}))
    fake.behaviour[("notify", "unread_counts")] = {"messages": 0, "todos": 1}
    fake.behaviour[("notify", "list_todos")] = {"todos": [
        {"id": "t1", "title": "补正：公路养护作业单位资质申报", "due_date": "2026-12-20", "done_at": None}],
        "open": 1}
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def test_an_enterprise_sees_its_to_dos_cases_drafts_licences_and_expiring_certificates(client, rpc):
    rpc.behaviour[("review", "enterprise_cases")] = {"cases": [
        {"case_ref": "permits:application:a1", "title": "公路养护作业单位资质申报", "queue": "active",
         "step_label": "盟市审核", "status_label": "审核中",
         "clock": {"expected_decision_date": "2027-01-05", "overdue": False, "paused": False}},
        {"case_ref": "permits:application:a0", "title": "已办结的申请", "queue": "done", "clock": {}}]}
    rpc.behaviour[("permits", "list_applications")] = [
        {"id": "d1", "type_name": "公路养护作业单位资质", "transaction_label": "资质申报",
         "state_label": "草稿"}]
    rpc.behaviour[("permits", "my_licences")] = [
        {"number": "L-1", "certificate_name": "资质证书", "valid_until": "2099-01-01", "at_risk": "人员不足"}]
    rpc.behaviour[("personnel", "expiring")] = {"items": [
        {"id": "c1", "person": {"name": "李四"}, "type_name": "二级建造师", "valid_until": "2027-01-01",
         "days_left": 30}]}
    sign_in_as(client, "e1")
    html = client.get("/").get_data(as_text=True)
    assert "新用户注册" not in html.split("<main", 1)[1]  # not the anonymous welcome page
    assert "补正：公路养护作业单位资质申报" in html and "/todos/t1" in html
    assert "法定办结期限 2027-01-05" in html and "已办结的申请" not in html
    assert "公路养护作业单位资质申报</a>" in html and "资质资质" not in html  # the draft, named once
    assert "存在风险" in html and "人员不足" in html
    assert "李四 · 二级建造师" in html and "剩余 30 天" in html
    asked = [(service, method) for service, method, _, _ in rpc.calls]
    assert asked.count(("review", "enterprise_cases")) == 1  # one call per panel, never per row


def test_a_panel_whose_service_is_down_says_so_and_the_page_still_shows(client, rpc):
    rpc.behaviour[("review", "enterprise_cases")] = ServiceUnavailable("review", "timed out")
    rpc.behaviour[("permits", "list_applications")] = []
    rpc.behaviour[("permits", "my_licences")] = []
    rpc.behaviour[("personnel", "expiring")] = {"items": []}
    sign_in_as(client, "e1")
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "暂时无法获取" in html and "补正：公路养护作业单位资质申报" in html


def test_a_reviewer_sees_the_desk_counts_overdue_and_due_this_week(client, rpc):
    rpc.behaviour[("review", "workload")] = {
        "desks": [{"level": "city", "desk_region": "150100", "active": 7, "unclaimed": 2, "waiting": 1,
                   "overdue": 1}],
        "reviewers": [{"reviewer_id": "r1", "active": 3, "waiting": 0, "overdue": 1}]}
    rpc.behaviour[("review", "queue")] = {
        "items": [{"id": "c1", "title": "逾期的申请", "enterprise_name": "甲公司", "step_label": "盟市审核",
                   "due_date": "2020-01-01", "overdue": True, "claimed_name": None}],
        "next_cursor": None, "desk": {"level": "city", "region_code": "150100", "level_label": "盟市"}}
    sign_in_as(client, "r1")
    html = client.get("/").get_data(as_text=True)
    assert 'data-count="active">7<' in html and 'data-count="overdue">1<' in html
    assert "呼和浩特市（盟市级）" in html and "150100" not in html
    assert "逾期的申请" in html and "我领取的案件：在办 3 件" in html
    ((_, _, (_, query), _),) = [c for c in rpc.calls if c[:2] == ("review", "queue")]
    assert query["sort"] == "due"


def test_an_admin_sees_the_backlog_by_desk_name_and_a_person_goes_to_the_personal_page(client, rpc):
    rpc.behaviour[("review", "workload")] = {"desks": [
        {"level": "province", "desk_region": "150000", "active": 4, "unclaimed": 4, "waiting": 0,
         "overdue": 2}],
        "reviewers": []}
    rpc.behaviour[("review", "missing_holiday_notices")] = {"years": []}
    sign_in_as(client, "a1")
    html = client.get("/").get_data(as_text=True)
    assert "内蒙古自治区（自治区级）" in html and 'data-count="overdue">2<' in html
    sign_in_as(client, "p1")
    assert client.get("/").headers["Location"] == "/personal"
