"""The gateway app with a fake RPC and an in-memory session store: no broker, no database."""

import re

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp
from gateway.rpc import ServiceUnavailable
from gateway.sessions import Session, SessionStore
from services.common.errors import Busy, NotFound, TooManyAttempts, ValidationFailed


class MemorySessions(SessionStore):
    """The real store's logic (end) over a dict instead of PostgreSQL."""

    def __init__(self):
        self.rows = {}
        self.counter = 0

    def load(self, session_id):
        if session_id in self.rows:
            return Session(session_id, dict(self.rows[session_id]), is_new=False)
        return Session(None, {}, is_new=True)

    def save(self, session):
        if session.session_id is None:
            self.counter += 1
            session.session_id = f"s{self.counter}"
        self.rows[session.session_id] = dict(session)
        session.modified = False
        return session.session_id

    def rotate(self, session):
        if session.session_id in self.rows:  # as the real store: the old id keeps only its token
            self.rows[session.session_id] = {"csrf": session["csrf"]} if "csrf" in session else {}
        session.session_id = None
        session.modified = True

    def destroy(self, session):
        self.rows.pop(session.session_id, None)


class FakeRpc:
    def __init__(self):
        self.calls = []
        self.behaviour = {}

    def __call__(self, service, method, *args, request_id=""):
        self.calls.append((service, method, args, request_id))
        result = self.behaviour.get((service, method))
        if isinstance(result, Exception):
            raise result
        if callable(result):
            return result(*args)
        return result


def account(account_id="acc", kind="enterprise", status="active", epoch=0, **extra):
    return {"id": account_id, "kind": kind, "login": "91650100228680962Y", "status": status,
            "permissions": [], "session_epoch": epoch, "email": "z@example.com",
            "must_change_password": False, **extra}


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    return fake


def sign_in_as(client, account_id="acc", stage="signed_in", epoch=0):
    client.application.sessions.rows["s9"] = {"account_id": account_id, "stage": stage, "epoch": epoch,
                                              "csrf": "t0ken"}
    client.set_cookie("qlp_session", "s9")


@pytest.fixture
def sessions():
    return MemorySessions()


@pytest.fixture
def client(rpc, sessions):
    return Client(GatewayApp(rpc, sessions, {"gateway": {}}))


def csrf_from(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


FORM = {"uscc": "91650100228680962Y", "contact_name": "张三", "contact_mobile": "13800138000",
        "email": "z@example.com", "password": "Qlp#2026pass", "password_confirm": "Qlp#2026pass",
        "form_key": "k1"}


def test_register_page_is_chinese_and_sets_httponly_session_cookie(client):
    response = client.get("/register")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "统一社会信用代码" in html
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused_and_nothing_is_called(client, rpc):
    client.get("/register")
    response = client.post("/register", data=FORM)
    assert response.status_code == 403
    assert "页面已过期" in response.get_data(as_text=True)
    assert rpc.calls == []


def test_validation_errors_show_by_field_and_keep_input_but_not_password(client, rpc):
    rpc.behaviour[("identity", "register_account")] = ValidationFailed.from_fields(
        {"contact_mobile": [{"code": "invalid", "message": "请输入11位大陆手机号码"}]})
    token = csrf_from(client.get("/register").get_data(as_text=True))
    response = client.post("/register", data={**FORM, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-code="invalid">请输入11位大陆手机号码' in html
    assert 'value="张三"' in html
    assert "Qlp#2026pass" not in html


def test_successful_registration_rotates_session_and_shows_messages(client, rpc, sessions):
    rpc.behaviour[("identity", "register_account")] = lambda payload: {
        "id": "acc-1", "uscc": payload["uscc"]}
    rpc.behaviour[("notify", "list_messages")] = {
        "messages": [{"title": "企业账号注册成功", "body": "您好", "created_at": "2026-11-23T09:00:00",
                      "read_at": None}], "unread": 1}
    first = client.get("/register")
    old_cookie = first.headers["Set-Cookie"].split(";")[0]
    token = csrf_from(first.get_data(as_text=True))
    response = client.post("/register", data={**FORM, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/register/enterprise"
    assert response.headers["Set-Cookie"].split(";")[0] != old_cookie  # new session id
    payload = rpc.calls[-1][2][0]
    assert payload["request_key"] == "k1"  # a double submit carries the same key
    page = client.get("/messages").get_data(as_text=True)
    assert "企业账号注册成功" in page
    assert rpc.calls[-1][:3] == ("notify", "list_messages", ("acc-1",))


def test_messages_without_session_redirects_to_login(client):
    response = client.get("/messages")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


def test_service_down_gives_a_chinese_503_page_not_a_trace(client, rpc):
    rpc.behaviour[("identity", "register_account")] = ServiceUnavailable("identity", "timeout")
    token = csrf_from(client.get("/register").get_data(as_text=True))
    response = client.post("/register", data={**FORM, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "服务暂时不可用" in html
    assert "Traceback" not in html and "timeout" not in html


def test_unexpected_error_is_a_generic_500(client, rpc):
    rpc.behaviour[("notify", "list_messages")] = RuntimeError("secret internals")
    sign_in_as(client)
    response = client.get("/messages")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)


def test_api_errors_have_stable_codes_per_field(client, rpc):
    rpc.behaviour[("identity", "register_account")] = ValidationFailed.from_fields(
        {"uscc": [{"code": "check_digit", "message": "统一社会信用代码校验位不正确，请核对"}]})
    response = client.post("/api/v1/accounts", json={"uscc": "x"})
    body = response.get_json()
    assert response.status_code == 422
    assert body["error"]["code"] == "validation_failed"
    assert body["error"]["fields"]["uscc"][0]["code"] == "check_digit"


def test_api_rejects_non_json(client):
    response = client.post("/api/v1/accounts", data="uscc=1")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_api_not_found_maps_to_404(client, rpc):
    rpc.behaviour[("notify", "list_messages")] = NotFound("接收人不存在")
    sign_in_as(client)
    response = client.get("/api/v1/messages")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_request_id_is_passed_on_and_returned(client, rpc):
    rpc.behaviour[("identity", "register_account")] = {"id": "a", "uscc": "u"}
    response = client.post("/api/v1/accounts", json={}, headers={"X-Request-ID": "abcdef123456"})
    assert response.headers["X-Request-ID"] == "abcdef123456"
    assert rpc.calls[-1][3] == "abcdef123456"


def test_healthz_reports_each_service(client, rpc):
    for name in ("identity", "enterprise", "personnel", "permits", "review", "notify"):
        rpc.behaviour[(name, "health")] = {"status": "ok"}
    assert client.get("/healthz").status_code == 200
    rpc.behaviour[("review", "health")] = ServiceUnavailable("review", "timeout")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["services"]["review"].startswith("unavailable")


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_openapi_document_lists_the_api(client):
    doc = client.get("/api/openapi.json").get_json()
    assert "/api/v1/accounts" in doc["paths"]


def test_times_are_shown_in_beijing_time():
    from gateway.app import local_time

    assert local_time("2026-11-23T16:30:00+00:00") == "2026-11-24 00:30"
    assert local_time("2026-11-23T16:30:00") == "2026-11-24 00:30"  # naive means UTC
    assert local_time(None) == ""


def test_two_errors_on_one_field_share_one_described_container(client, rpc):
    rpc.behaviour[("identity", "register_account")] = ValidationFailed.from_fields(
        {"password": [{"code": "too_short", "message": "密码至少8位"},
                      {"code": "weak", "message": "密码须同时包含字母、数字和符号"}]})
    token = csrf_from(client.get("/register").get_data(as_text=True))
    html = client.post("/register", data={**FORM, "csrf_token": token}).get_data(as_text=True)
    assert html.count('id="e-password"') == 1
    assert 'aria-describedby="e-password"' in html
    assert 'data-code="too_short"' in html and 'data-code="weak"' in html


def test_second_submit_with_the_old_cookie_lands_in_the_same_account(client, rpc, sessions):
    rpc.behaviour[("identity", "register_account")] = lambda payload: {
        "id": "acc-1", "uscc": payload["uscc"]}
    first = client.get("/register")
    old_cookie = first.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    token = csrf_from(first.get_data(as_text=True))
    assert client.post("/register", data={**FORM, "csrf_token": token}).status_code == 303
    assert sessions.rows[old_cookie] == {"csrf": token}  # no account on the old id
    client.set_cookie("qlp_session", old_cookie)  # the browser sent the second click's POST first
    again = client.post("/register", data={**FORM, "csrf_token": token})
    assert again.status_code == 303 and again.headers["Location"] == "/register/enterprise"


# ---- sign-in, sessions, permissions -----------------------------------------------------
def test_login_rotates_the_session_and_lands_by_kind(client, rpc, sessions):
    rpc.behaviour[("identity", "login")] = {"account": account("r1", kind="reviewer"),
                                            "needs_totp": False}
    page = client.get("/login")
    old = page.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    response = client.post("/login", data={"login": "reviewer01", "password": "x",
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"] == "/"  # the reviewer's 首页
    new = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert new != old and "account_id" not in sessions.rows[old]
    assert sessions.rows[new]["stage"] == "signed_in"


def test_login_with_totp_goes_through_the_second_step(client, rpc, sessions):
    rpc.behaviour[("identity", "login")] = {"account": account("a1"), "needs_totp": True}
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", data={"login": "x", "password": "y", "csrf_token": token})
    assert response.headers["Location"] == "/login/totp"
    assert client.get("/messages").status_code == 303  # not signed in before the code
    rpc.behaviour[("identity", "verify_second_factor")] = {"account": account("a1")}
    rpc.behaviour[("notify", "list_messages")] = {"messages": [], "unread": 0}
    done = client.post("/login/totp", data={"code": "123456", "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert client.get("/messages").status_code == 200


def test_too_many_attempts_is_429_with_retry_after_on_the_api_and_in_the_login_form(client, rpc):
    rpc.behaviour[("identity", "login")] = TooManyAttempts("登录尝试过于频繁，请 42 秒后再试",
                                                           code="too_many_attempts", retry_after=42)
    response = client.post("/api/v1/session", json={"login": "x", "password": "y"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "42"
    assert response.get_json()["error"] == {"code": "too_many_attempts",
                                            "message": "登录尝试过于频繁，请 42 秒后再试"}
    token = csrf_from(client.get("/login").get_data(as_text=True))
    page = client.post("/login", data={"login": "x", "password": "y", "csrf_token": token})
    assert page.status_code == 429 and page.headers["Retry-After"] == "42"
    assert "登录尝试过于频繁，请 42 秒后再试" in page.get_data(as_text=True)
    assert 'value="x"' in page.get_data(as_text=True)  # the form again, with the login kept
    rpc.behaviour[("identity", "register_account")] = Busy("系统繁忙，请稍后再试", code="busy")
    busy = client.post("/api/v1/accounts", json={"uscc": "x", "ip": "6.6.6.6"})
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert busy.get_json()["error"]["code"] == "busy"
    assert rpc.calls[-1][2][0]["ip"] not in ("6.6.6.6", None)  # the gateway's, never the body's


def test_login_next_only_allows_local_paths(client, rpc):
    rpc.behaviour[("identity", "login")] = {"account": account("a1"), "needs_totp": False}
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"login": "x", "password": "y", "csrf_token": token,
                                           "next": "//evil.example.com/"})
    assert response.headers["Location"] == "/"


def test_disabled_account_loses_its_session(client, rpc, sessions):
    sign_in_as(client)
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(account_id,
                                                                                status="disabled")
    response = client.get("/messages")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert "s9" not in sessions.rows


def test_session_ends_when_the_account_epoch_moved_on(client, rpc, sessions):
    sign_in_as(client, epoch=0)
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(account_id, epoch=1)
    assert client.get("/api/v1/messages").status_code == 401
    assert "s9" not in sessions.rows


def test_sub_account_without_module_is_refused_in_chinese(client, rpc):
    sign_in_as(client, "sub1")
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="sub", permissions=["permits"])
    assert client.get("/permits").status_code == 200  # /enterprise is the real module now
    refused = client.get("/personnel")
    assert refused.status_code == 403
    assert "人员管理" in refused.get_data(as_text=True)
    assert client.get("/api/v1/modules/personnel").status_code == 403


def test_read_only_sub_account_may_view_but_not_act(client, rpc):
    sign_in_as(client, "sub2")
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind="sub", permissions=["permits", "read_only"])
    assert client.get("/api/v1/modules/permits").status_code == 200
    assert client.get("/api/v1/modules/permits?write=1").status_code == 403


def test_enterprise_pages_are_closed_to_reviewers(client, rpc):
    sign_in_as(client, "r1")
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(account_id,
                                                                                kind="reviewer")
    assert client.get("/account/users").status_code == 403
    assert client.get("/permits").status_code == 403


def test_logout_needs_the_csrf_token(client, sessions):
    sign_in_as(client)
    client.post("/logout", data={})
    assert "s9" in sessions.rows  # a cross-site form cannot sign people out
    client.post("/logout", data={"csrf_token": "t0ken"})
    assert "s9" not in sessions.rows


def test_api_change_without_csrf_header_is_refused(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("identity", "create_sub_account")] = {"id": "s"}
    assert client.post("/api/v1/sub-accounts", json={"username": "x"}).status_code == 403
    ok = client.post("/api/v1/sub-accounts", json={"username": "x"}, headers={"X-CSRF-Token": "t0ken"})
    assert ok.status_code == 201


def test_forced_password_change_redirects_everything_else(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, must_change_password=True)
    response = client.get("/enterprise")
    assert response.status_code == 303 and response.headers["Location"] == "/password/change"
    assert client.get("/password/change").status_code == 200


def test_every_route_declares_its_methods():
    from gateway.views import VIEW_CLASSES
    from gateway.views.public import PublicViews

    rules = [rule for views in VIEW_CLASSES for rule in views.ROUTES] + [PublicViews.ECHO_ROUTE]
    undeclared = [rule.rule for rule in rules if not rule.methods]
    assert undeclared == []


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_a_read_route_refuses_other_methods_with_405_and_calls_nothing(client, rpc, method):
    sign_in_as(client)
    rpc.calls.clear()
    response = client.open("/api/v1/messages", method=method, headers={"X-CSRF-Token": "t0ken"})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "http_405"
    assert [c for c in rpc.calls if c[0] == "notify"] == []



def test_a_nul_byte_in_a_query_parameter_is_a_422_not_a_500(client, rpc):
    sign_in_as(client)
    rpc.calls.clear()
    response = client.get("/api/v1/organisations?q=a%00b")
    assert response.status_code == 422
    body = response.get_json()["error"]
    assert body["code"] == "validation_failed"
    assert body["fields"]["q"][0]["code"] == "invalid_characters"
    assert [c for c in rpc.calls if c[1] != "session_account"] == []


def test_a_nul_byte_inside_a_json_body_is_a_422(client, rpc):
    sign_in_as(client)
    response = client.post("/api/v1/permits/batches", json={"name": ["a\x00"]},
                           headers={"X-CSRF-Token": "t0ken"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["name"][0]["code"] == "invalid_characters"
