"""The heartbeat's watchdog and /livez (services/common/liveness.py), without a process exit:
the watcher is given a recording exit function and a stale stamp."""

import json
import threading

from services.common import liveness
from services.common.liveness import EXIT_HUB_BLOCKED, Heartbeat, livez_answer, with_livez


def test_watchdog_writes_why_and_exits_when_the_hub_stops_stamping(capfd):
    exits = []
    heartbeat = Heartbeat("permits", limit=0.2, exit=exits.append)
    heartbeat.last -= 5  # the hub last stamped five seconds ago
    watcher = threading.Thread(target=heartbeat._watch)
    watcher.start()
    watcher.join(timeout=30)
    assert exits == [EXIT_HUB_BLOCKED]
    line = json.loads(capfd.readouterr().err.strip().splitlines()[-1])
    assert line["level"] == "CRITICAL" and line["component"] == "permits"
    assert line["message"].startswith("event loop blocked: no heartbeat for 5.")


def test_watchdog_is_quiet_while_the_stamp_is_fresh():
    exits = []
    heartbeat = Heartbeat("identity", limit=3600, exit=exits.append)
    assert heartbeat.age() < 1 and heartbeat.fresh()
    assert exits == []


def test_livez_answers_from_the_stamp_age():
    heartbeat = Heartbeat("notify", stale_after=5)
    status, body = livez_answer(heartbeat)
    assert status.startswith("200") and json.loads(body)["status"] == "ok"
    heartbeat.last -= 6
    status, body = livez_answer(heartbeat)
    assert status.startswith("503") and json.loads(body)["status"] == "stale"
    assert livez_answer(None)[0].startswith("200")


def test_with_livez_answers_livez_itself_and_passes_the_rest_on(monkeypatch):
    monkeypatch.setattr(liveness, "_current", Heartbeat("gateway"))
    seen = []

    def app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("204 No Content", [])
        return [b""]

    wrapped = with_livez(app)
    statuses = []
    body = wrapped({"PATH_INFO": "/livez"}, lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK"] and json.loads(b"".join(body))["status"] == "ok"
    wrapped({"PATH_INFO": "/healthz"}, lambda status, headers: statuses.append(status))
    assert seen == ["/healthz"] and statuses[-1] == "204 No Content"


def test_settings_from_config_with_defaults():
    settings = liveness.liveness_settings({"liveness": {"hub_block_limit_seconds": 10}})
    assert settings == {"hub_block_limit_seconds": 10.0, "heartbeat_seconds": 0.5,
                        "livez_stale_seconds": 5.0}


def test_the_supervisor_recognises_the_watchdogs_line():
    from deploy.supervisor import EXITED_BLOCKED, HUB_BLOCKED_LINE
    line = liveness.blocked_line("review", 31.2, 30, 4242, 1_800_000_000.5).decode()
    assert HUB_BLOCKED_LINE in line and line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line)["ts"] == "2027-01-15T08:00:00.500+00:00"
    assert EXITED_BLOCKED == EXIT_HUB_BLOCKED


def test_gateway_readyz_is_what_healthz_checks():
    from werkzeug.test import Client

    from gateway.app import GatewayApp
    from gateway.rpc import ServiceUnavailable
    from tests.unit.test_gateway_app import FakeRpc, MemorySessions

    rpc = FakeRpc()
    for name in ("identity", "enterprise", "personnel", "permits", "review", "notify"):
        rpc.behaviour[(name, "health")] = {"status": "ok"}
    client = Client(with_livez(GatewayApp(rpc, MemorySessions(), {"gateway": {}})))
    assert client.get("/readyz").status_code == 200
    rpc.behaviour[("permits", "health")] = ServiceUnavailable("permits", "timeout")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["services"]["permits"].startswith("unavailable")
    assert client.get("/livez").status_code == 200  # the hub answers: alive, if not ready
