"""The gateway's own defences, with Werkzeug's test client and a fake RPC: request bodies bounded
before they are read (413), filter values checked (422), security headers on every answer, and
HTML form posts without a valid CSRF token refused with 403."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import Client, EnvironBuilder

from gateway.app import GatewayApp
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

LIMIT = 64 * 1024


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(account_id)
    return fake


@pytest.fixture
def app(rpc):
    return GatewayApp(rpc, MemorySessions(), {"gateway": {"max_request_bytes": LIMIT}})


@pytest.fixture
def client(app):
    return Client(app)


class CountingStream(io.BytesIO):
    """A request body that counts how much of it the application read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        chunk = super().readline(size)
        self.consumed += len(chunk)
        return chunk


def call(app, environ):
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return int(captured["status"].split()[0]), captured["headers"], body


def test_a_declared_body_over_the_limit_is_refused_unread(app, rpc):
    stream = CountingStream(b"{" + b" " * (2 * LIMIT) + b"}")
    environ = EnvironBuilder(path="/api/v1/session", method="POST", input_stream=stream,
                             content_type="application/json", content_length=2 * LIMIT + 2).get_environ()
    status, headers, body = call(app, environ)
    assert status == 413 and stream.consumed == 0 and rpc.calls == []
    error = json.loads(body)["error"]
    assert error["code"] == "request_too_large" and "上限" in error["message"]
    assert headers["Content-Type"].startswith("application/json")


def test_a_chunked_body_is_refused_once_it_passes_the_limit(app, rpc):
    stream = CountingStream(b'{"login": "' + b"a" * (4 * LIMIT) + b'"}')
    environ = EnvironBuilder(path="/api/v1/session", method="POST", input_stream=stream,
                             content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    status, _, body = call(app, environ)
    assert status == 413 and json.loads(body)["error"]["code"] == "request_too_large"
    assert stream.consumed <= LIMIT + 64 * 1024  # read no further than the limit (and one buffer)
    assert not [c for c in rpc.calls if c[1] == "login"]


def test_a_chunked_body_under_the_limit_is_read(app, rpc):
    rpc.behaviour[("identity", "login")] = lambda *a: {"account": account("acc"), "needs_totp": False}
    stream = CountingStream(json.dumps({"login": "x", "password": "y"}).encode())
    environ = EnvironBuilder(path="/api/v1/session", method="POST", input_stream=stream,
                             content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    status, _, _ = call(app, environ)
    assert status == 200 and [c for c in rpc.calls if c[1] == "login"]


def test_a_page_post_over_the_limit_gets_the_chinese_page(client):
    response = client.post("/register", data={"x": "a" * (2 * LIMIT)})
    assert response.status_code == 413 and "上限" in response.get_data(as_text=True)


# -- filter values ------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/permits/applications?state_group=' OR '1'='1", "state_group"),
    ("/api/v1/permits/applications?batched=%25' UNION SELECT 1--", "batched"),
    ("/api/v1/review/cases?status=bogus", "status"),
    ("/api/v1/review/cases?sort=id;drop", "sort"),
    ("/api/v1/review/cases?limit=ten", "limit"),
    ("/api/v1/review/cases?limit=100000", "limit"),
    ("/api/v1/review/cases?cursor=not-a-cursor!", "cursor"),
    ("/api/v1/review/cases?case_type=pfl' OR 1=1", "case_type"),
    ("/api/v1/personnel/declarations?status=nope", "status"),
    ("/api/v1/personnel/people?cursor=2026-01-01|x' OR 1=1", "cursor"),
    ("/api/v1/personnel/expiring?within_days=-5", "within_days"),
    ("/api/v1/personnel/transfers?direction=sideways", "direction"),
    ("/api/v1/enterprise/staff?page=abc", "page"),
    ("/api/v1/messages?all=yes", "all"),
])
def test_bad_filter_values_are_a_422_with_a_stable_code(client, rpc, path, field):
    sign_in_as(client)
    response = client.get(path)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_query" and error["fields"][field][0]["code"] == "invalid_query"
    assert not [c for c in rpc.calls if c[1] != "session_account"]  # refused before any service call


def test_good_filter_values_reach_the_service(client, rpc):
    sign_in_as(client)
    rpc.behaviour[("permits", "list_applications")] = []
    listed = client.get("/api/v1/permits/applications?state_group=pending&batched=1&unknown=x")
    assert listed.status_code == 200
    query = [c for c in rpc.calls if c[1] == "list_applications"][0][2][1]
    assert query == {"state_group": "pending", "batched": True}
    cursor = "WyJyZWNlaXZlZCIsICIyMDI2LTEyLTA2VDA4OjAwOjAwKzAwOjAwIiwgImFiYyJd"
    rpc.behaviour[("review", "queue")] = {"items": []}
    assert client.get(f"/api/v1/review/cases?status=done&cursor={cursor}&case_type=pfl.power.*").status_code \
        != 422


# -- headers and CSRF ----------------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/register")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy",
                 "Cross-Origin-Opener-Policy"):
        assert response.headers.get(name), name
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests


def test_api_answers_and_errors_carry_a_policy_that_loads_nothing(client):
    for response in (client.get("/api/v1/session"), client.get("/api/v1/nothing-here")):
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_object_storage_is_allowed_for_images_frames_and_downloads():
    app = GatewayApp(FakeRpc(), MemorySessions(), {"gateway": {"secure_cookies": True},
                                                    "s3": {"host": "files.example.org", "port": 443,
                                                           "secure": True}})
    response = Client(app).get("/register")
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://files.example.org:443;" in policy
    assert "frame-src 'self' https://files.example.org:443;" in policy
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_inline_script_handlers_or_styles():
    """What the policy forbids must not be in the pages: it would silently stop working."""
    import re
    from pathlib import Path

    offenders = []
    for path in sorted(Path("gateway/templates").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"\sstyle\s*=", r"<style\b",
                        r"javascript:"):
            offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, html, re.I)]
    assert offenders == []


@pytest.mark.parametrize("path", ["/register", "/enterprise", "/logout", "/personnel/people/new"])
def test_a_form_post_without_a_valid_csrf_token_is_403_before_any_view(client, rpc, path):
    sign_in_as(client)
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(path, data=data)
        assert response.status_code == 403, (path, data)
        assert "页面已过期" in response.get_data(as_text=True)
    assert not [c for c in rpc.calls if c[1] != "session_account"]


def test_a_signed_in_api_write_without_the_header_is_403_before_any_view(client, rpc):
    sign_in_as(client)
    for method, path in (("post", "/api/v1/enterprise/staff"),
                         ("put", "/api/v1/enterprise/registration-profile"),
                         ("patch", "/api/v1/enterprise"), ("delete", "/api/v1/enterprise/staff/s1")):
        response = getattr(client, method)(path, json={})
        assert response.status_code == 403, method
        assert response.get_json()["error"]["code"] == "http_403"
    assert client.post("/api/v1/enterprise/attachments", json={}, headers={"X-CSRF-Token": "forged"}
                       ).status_code == 403
    assert not [c for c in rpc.calls if c[1] != "session_account"]


def test_a_new_api_write_that_forgets_its_own_check_is_still_protected(app):
    """The check is the dispatcher's, not each view's: a route added without require_api_csrf
    (this probe) is refused without the header all the same; public writes stay open."""
    from werkzeug.routing import Rule

    from gateway.http import json_response

    app.url_map.add(Rule("/api/v1/_probe", endpoint="probe", methods=["POST"]))
    app.on_probe = lambda request: json_response({"ok": True}, 200)
    client = Client(app)
    assert client.post("/api/v1/_probe", json={}).status_code == 200  # no session: nothing to forge
    sign_in_as(client)
    assert client.post("/api/v1/_probe", json={}).status_code == 403
    assert client.post("/api/v1/_probe", json={}, headers={"X-CSRF-Token": "t0ken"}).status_code == 200


def test_signing_out_through_the_api_needs_the_token_even_without_an_account(client, rpc):
    """POST /api/v1/session (signing in) is exempt: it issues the token; DELETE (signing out)
    ends whatever the session holds and is checked like every other write."""
    sign_in_as(client)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        assert client.delete("/api/v1/session", headers=headers).status_code == 403
    assert "s9" in client.application.sessions.rows
    client.application.sessions.rows["s9"] = {"totp_pending": "acc", "csrf": "t0ken"}  # no account yet
    assert client.delete("/api/v1/session").status_code == 403
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": "t0ken"}).status_code == 204


def test_no_view_checks_csrf_itself():
    """CSRF is checked in one place, GatewayApp's dispatch (``_check_form_csrf``), for every
    state-changing method: a view that checked it again would answer its own way (400, a
    re-rendered form) for what the dispatcher refuses with 403 before any view runs."""
    import re
    from pathlib import Path

    check = re.compile(r"csrf_ok\(|csrf_valid\(|require_api_csrf|_check_csrf|_pn_csrf|CSRF_ERROR")
    offenders = [f"{path}:{number}" for path in sorted(Path("gateway/views").rglob("*.py"))
                 if path.name != "forms.py"
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if check.search(line)]
    assert offenders == []
    assert "csrf_ok(" in Path("gateway/app.py").read_text(encoding="utf-8")
