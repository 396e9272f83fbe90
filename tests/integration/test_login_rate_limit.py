"""The login rate limit through the real gateway, broker and database, with two identity
instances sharing the work (the counters are in PostgreSQL, so the limit holds across them):
attempts of any outcome past the per-account limit get 429 ``too_many_attempts`` with
``Retry-After``, whatever the client address; another account from the same address, and the
same account's neighbour from another address, are unaffected; the per-address limit counts
every login tried from it. Distinct client addresses are real: loopback answers on all of
127.0.0.0/8, so each client binds its own source address.

The test profile's limits are huge (every test signs in from 127.0.0.1); this module restarts
identity with small ones (environment overrides) and puts the usual identity back afterwards."""

from __future__ import annotations

import http.client
import json
import os
import random
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from deploy import platform as deploy_platform
from deploy import processes
from services.common.config import nameko_config
from services.common.migrations import upgrade
from tests.support import platform
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Qlp#2026-ratelimit"
PER_ACCOUNT, PER_IP = 4, 8
LIMITS = {
    "QLP_SECURITY__LOGIN_ATTEMPTS_PER_ACCOUNT": str(PER_ACCOUNT),
    "QLP_SECURITY__LOGIN_ATTEMPTS_PER_IP": str(PER_IP),
    # One window for the whole module (epoch-aligned: the next boundary is in 2033), so no
    # count starts again halfway through a test; the addresses are new in every run.
    "QLP_SECURITY__ATTEMPT_WINDOW_SECONDS": str(10**9),
}
INSTANCES = ("identity", "identity-2")


def identity_healthy(config: dict) -> None:
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=5) as cluster:
        def healthy() -> bool:
            try:
                return cluster.identity.health()["status"] == "ok"
            except Exception:
                return False
        wait_for(healthy, timeout=60, what="identity healthy")


@pytest.fixture(scope="module")
def limited(config):
    """identity and identity-2 with small limits, and a gateway; afterwards the usual identity."""
    upgrade(("identity", "gateway"), config=config)
    was_running = processes.is_running("identity", config)
    processes.stop_processes(["identity"], config, timeout=15)
    env = {**deploy_platform.component_env(config), **LIMITS}
    try:
        for name in INSTANCES:
            processes.start_process(name, deploy_platform.argv_for(name), config,
                                    env=deploy_platform.instance_env(name, config, env))
        platform.start_for_test(["gateway"], config)
        identity_healthy(config)
        gateway = config["gateway"]
        wait_for(lambda: processes.port_open(gateway["host"], int(gateway["port"])), timeout=60,
                 what="the gateway listening")
        with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
            logins = []
            for _ in range(2):
                username = "rl" + uuid.uuid4().hex[:10]
                cluster.identity.create_staff_account(None, {
                    "kind": "reviewer", "username": username, "contact_name": "限流测试",
                    "email": f"{username}@example.com", "password": PASSWORD,
                    "level": "province", "region_code": "150000"})
                logins.append(username)
        yield config, logins
    finally:
        processes.stop_processes(list(INSTANCES), config, timeout=15)
        platform.stop_for_test(["gateway"], config)
        if was_running:
            platform.start("identity", config)
            identity_healthy(config)


def new_address() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def sign_in(config: dict, address: str, login: str, password: str = PASSWORD) -> tuple[int, dict, dict]:
    """POST /api/v1/session from ``address``: (status, headers, body)."""
    gateway = config["gateway"]
    conn = http.client.HTTPConnection(gateway["host"], int(gateway["port"]), timeout=30,
                                      source_address=(address, 0))
    try:
        conn.request("POST", "/api/v1/session", json.dumps({"login": login, "password": password}),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_an_account_past_its_limit_gets_429_from_any_address_and_others_go_on(limited):
    config, (first, second) = limited
    here, elsewhere = new_address(), new_address()
    statuses = [sign_in(config, here, first)[0] for _ in range(PER_ACCOUNT - 1)]
    statuses.append(sign_in(config, here, first, password="Wrong#2026-pass")[0])  # counts too
    assert statuses == [200] * (PER_ACCOUNT - 1) + [401]

    status, headers, body = sign_in(config, here, first)
    assert status == 429, body
    assert body["error"]["code"] == "too_many_attempts"
    assert body["error"]["message"].startswith("登录尝试过于频繁，请 ")
    assert int(headers["Retry-After"]) > 0
    status, _, body = sign_in(config, elsewhere, first)  # the right password, a new address
    assert status == 429 and body["error"]["code"] == "too_many_attempts"

    status, _, body = sign_in(config, here, second)  # another account from the same address
    assert status == 200 and body["account"]["login"] == second


def test_an_address_past_its_limit_gets_429_whatever_the_account(limited):
    config, (_, second) = limited
    sweeper, neighbour = new_address(), new_address()
    for n in range(PER_IP):  # a sweep over logins that do not exist: refused, and counted
        status, _, body = sign_in(config, sweeper, f"nobody{uuid.uuid4().hex[:8]}{n}")
        assert status == 401 and body["error"]["code"] == "invalid_credentials"
    status, headers, body = sign_in(config, sweeper, second)
    assert status == 429 and body["error"]["code"] == "too_many_attempts"
    assert "Retry-After" in headers
    status, _, body = sign_in(config, neighbour, "nobody-at-all")  # another address: as usual
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    assert os.environ.get("QLP_SECURITY__LOGIN_ATTEMPTS_PER_IP") is None  # ours stayed ours
