"""The notify pages with a fake RPC: header badges (and none when notify is down), 我的待办,
the public rating page with the 5-day refusal, QR codes for staff only."""

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp
from gateway.rpc import ServiceUnavailable
from gateway.views.notify import NotifyViews
from services.common.errors import Conflict
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, csrf_from, sign_in_as


@pytest.fixture(autouse=True)
def no_backoff():
    NotifyViews._counts_unavailable_until = 0.0
    yield
    NotifyViews._counts_unavailable_until = 0.0


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {"public_url": "http://qlp.example"}}))


TODO = {"id": "t1", "kind": "correction", "subject_ref": "permits:application:a", "title": "补正：新办",
        "body": "请补正营业执照", "link": "/permits/applications/a", "due_date": "2026-12-01",
        "created_at": "2026-11-23T09:00:00+00:00", "read_at": None, "done_at": None, "done_reason": None}


def test_header_shows_unread_and_todo_badges_from_one_call(client, rpc):
    rpc.behaviour[("notify", "unread_counts")] = {"messages": 3, "todos": 2}
    rpc.behaviour[("notify", "list_todos")] = {"todos": [TODO], "open": 1}
    sign_in_as(client)
    html = client.get("/todos").get_data(as_text=True)
    assert 'aria-label="未读消息">3<' in html and 'aria-label="待办事项">2<' in html
    assert [c[1] for c in rpc.calls].count("unread_counts") == 1
    actor = next(c for c in rpc.calls if c[1] == "unread_counts")[2][0]
    assert actor["id"] == "acc" and actor["kind"] == "enterprise"  # the actor dict, not a bare id
    assert 'href="/todos/t1"' in html and "补正" in html


def test_pages_work_without_badges_when_notify_is_down(client, rpc):
    rpc.behaviour[("notify", "unread_counts")] = ServiceUnavailable("notify", "timeout")
    sign_in_as(client)
    first = client.get("/account/security")
    assert first.status_code == 200 and 'class="badge"' not in first.get_data(as_text=True)
    client.get("/account/security")
    assert [c[1] for c in rpc.calls].count("unread_counts") == 1  # not asked again meanwhile


def test_opening_a_todo_shows_where_it_is_done(client, rpc):
    rpc.behaviour[("notify", "open_todo")] = lambda actor, todo_id: {**TODO, "id": todo_id}
    rpc.behaviour[("notify", "unread_counts")] = {"messages": 0, "todos": 1}
    sign_in_as(client)
    html = client.get("/todos/t1").get_data(as_text=True)
    assert 'id="todo-go" href="/permits/applications/a"' in html


def test_rating_page_refuses_a_second_rating_with_the_date(client, rpc):
    rpc.behaviour[("notify", "rating_form")] = {"token": "tok", "mode": "visit", "mode_label": "一次一评",
                                                "case_ref": None, "title": None, "reasons": {}}
    message = "同一手机号5天内只能评价一次，请于 2026-11-28 10:00（北京时间）后再评价。"
    rpc.behaviour[("notify", "submit_rating")] = Conflict(
        message, {"mobile": [{"code": "rating_too_soon", "message": message}]}, "rating_too_soon")
    page = client.get("/rate/tok")
    assert page.status_code == 200 and "同一手机号5天内只能评价一次" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/rate/tok", data={"score": "4", "reasons": ["fast", "clear"], "comment": "好",
                                              "mobile": "13800138000", "csrf_token": token})
    assert response.status_code == 409
    assert "2026-11-28 10:00" in response.get_data(as_text=True)
    payload = rpc.calls[-1][2][1]
    assert payload == {"score": "4", "reasons": ["fast", "clear"], "comment": "好", "mobile": "13800138000"}


def test_qr_codes_are_for_staff_and_point_at_the_public_rating_page(client, rpc):
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="reviewer", level="city", region_code="150100", contact_name="赵审核") \
        if account_id.startswith("rev") else account(account_id)
    sign_in_as(client)
    assert client.get("/ratings/qr").status_code == 403  # an enterprise
    sign_in_as(client, "rev1")
    rpc.behaviour[("notify", "create_rating_token")] = lambda actor, payload: {
        "token": "abc", "mode": payload["mode"], "case_ref": None, "business_type": None, "title": None,
        "reviewer_name": payload["reviewer_name"], "created_at": "2026-11-23T09:00:00+00:00"}
    page = client.get("/ratings/qr")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/ratings/qr", data={"mode": "visit", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert 'href="http://qlp.example/rate/abc"' in html and "<svg" in html
    assert next(c for c in rpc.calls if c[1] == "create_rating_token")[2][1]["reviewer_name"] == "赵审核"
