"""A stopped service gives a clear Chinese 503 within the RPC timeout, never a hang or a trace."""

import time

import requests

from tests.support import platform
from tests.support.data import registration


def test_stopped_service_gives_503_page_then_recovers(gateway, running_platform):
    http = requests.Session()
    # A session that has an account (the form signs the new account in; the API does not).
    page = http.get(gateway + "/register").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    data = registration()
    http.post(gateway + "/register", data={**data, "password_confirm": data["password"],
                                           "csrf_token": token, "form_key": key})
    platform.stop("notify", running_platform)
    try:
        started = time.monotonic()
        response = http.get(gateway + "/messages", timeout=30)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert "服务暂时不可用" in response.text
        assert "Traceback" not in response.text and "RpcTimeout" not in response.text
        # Bounded by the configured RPC timeout (plus slack), not a hang.
        assert elapsed < running_platform["gateway"]["rpc_timeout_seconds"] + 5
        api = http.get(gateway + "/api/v1/messages", timeout=30)
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "service_unavailable"
        health = requests.get(gateway + "/healthz", timeout=30)
        assert health.status_code == 503
        assert health.json()["services"]["notify"].startswith("unavailable")
        assert health.json()["services"]["identity"] == "ok"
    finally:
        platform.start("notify", running_platform)
    platform.wait_healthy(running_platform)
    assert http.get(gateway + "/messages").status_code == 200
