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
