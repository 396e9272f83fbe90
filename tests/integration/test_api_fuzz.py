"""The JSON API keeps its own contract under generated input (schemathesis, issue 14).

Every operation of ``/api/openapi.json`` (built in-process from ``gateway.openapi.document()``,
the same document the gateway serves) gets generated requests, valid and invalid (schemathesis's
examples, coverage and fuzzing phases), each sent as a signed-in, approved enterprise and as a
city reviewer of the enterprise's region (and anonymously for the public operations). Two checks
on every answer: no 5xx, and the answer conforms to the documented schema for its status.

``make test`` runs a fixed seed and QLP_FUZZ_EXAMPLES (default 5) fuzzing examples per
operation, plus the coverage phase's boundary cases: deterministic, about 7,000 calls.
``make fuzz`` runs more examples with a fresh seed (QLP_FUZZ_SEED).

Left out, because they would end or replace the fuzzer's own sessions: logout
(DELETE /api/v1/session), sign-in and its TOTP step (POST /api/v1/session, /session/totp: a
sign-in attempt rotates the session), password change (ends every other session and would
change the password under the fuzzer). Registration (POST /api/v1/accounts, /accounts/person)
and the password-reset routes are fuzzed anonymously, on a session of their own.
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from nameko.standalone.rpc import ClusterRpcProxy
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.openapi import document
from services.common.config import nameko_config
from tests.support.api_clients import approved_enterprise, city_reviewer, sign_in

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("QLP_FUZZ_EXAMPLES", "5"))
SEED = os.environ.get("QLP_FUZZ_SEED")  # unset: the fixed seed of `make test`
MIN_CALLS = int(os.environ.get("QLP_FUZZ_MIN_CALLS", "5000"))

SESSION_ENDING = {("DELETE", "/api/v1/session"), ("POST", "/api/v1/session"),
                  ("POST", "/api/v1/session/totp"), ("POST", "/api/v1/password/change")}
# Operations an anonymous client uses; they are sent anonymously (too) rather than signed in only.
PUBLIC = re.compile(r"^/(healthz|api/v1/(accounts|accounts/person|password/(forgot|reset)|"
                    r"verify/.*|ratings/\{token\}))$")
ANONYMOUS_ONLY = {("POST", "/api/v1/accounts"), ("POST", "/api/v1/accounts/person"),
                  ("POST", "/api/v1/password/forgot"), ("POST", "/api/v1/password/reset")}

schema = schemathesis.openapi.from_dict(document(), config=schemathesis.Config.from_dict({
    "seed": int(SEED) if SEED else 20260614,
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": not SEED},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
})).exclude(func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in SESSION_ENDING)

STABLE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def error_code_is_stable(ctx, response, case) -> None:
    """docs/contracts.md: an error answer carries a stable machine code (never "None" or "")."""
    if response.status_code < 400 or "json" not in (response.headers.get("content-type") or [""])[0]:
        return
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        assert isinstance(code, str) and STABLE_CODE.match(code) and code != "none", \
            f"unstable error code {code!r} in {response.status_code} answer"
        for name, problems in (error.get("fields") or {}).items():
            for problem in problems:
                assert STABLE_CODE.match(str(problem.get("code"))), f"field {name}: code {problem!r}"


CHECKS = [not_a_server_error, response_schema_conformance, error_code_is_stable]


@dataclass
class Client:
    name: str
    http: requests.Session
    csrf: str = ""


class Fuzzer:
    """The signed-in clients and the count of calls made."""

    def __init__(self, gateway: str, clients: list[Client]) -> None:
        self.gateway = gateway
        self.clients = clients
        self.anonymous = Client("anonymous", requests.Session())
        self.calls = 0
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="fuzz")

    def clients_for(self, method: str, path: str) -> list[Client]:
        if (method, path) in ANONYMOUS_ONLY:
            return [self.anonymous]
        if PUBLIC.match(path):
            return [*self.clients, self.anonymous]
        return self.clients

    def send(self, case: schemathesis.Case) -> None:
        """The case from each client at once (the clients' requests overlap in the platform, which
        keeps the tier short), then each answer through the checks."""
        clients = self.clients_for(case.method.upper(), case.path)
        with self._lock:
            self.calls += len(clients)
        prepared = [(client, case.as_transport_kwargs(base_url=self.gateway, headers=self._headers(client)))
                    for client in clients]
        answers = list(self.pool.map(lambda sent: sent[0].http.request(
            **sent[1], timeout=60, allow_redirects=False), prepared))
        for client, response in zip(clients, answers, strict=True):
            case.validate_response(response, checks=CHECKS, headers=self._headers(client),
                                   transport_kwargs={"base_url": self.gateway})

    @staticmethod
    def _headers(client: Client) -> dict[str, str]:
        return {"X-CSRF-Token": client.csrf} if client.csrf else {}


@pytest.fixture(scope="module")
def fuzzer(running_platform, gateway):
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        enterprise = approved_enterprise(gateway, running_platform, cluster)
        reviewer = city_reviewer(cluster, "模糊测试审核员")
    clients = [Client(name, *sign_in(gateway, login))
               for name, login in (("enterprise", enterprise), ("reviewer", reviewer))]
    made = Fuzzer(gateway, clients)
    yield made
    made.pool.shutdown()
    for client in [*clients, made.anonymous]:
        client.http.close()


@schema.parametrize()
@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_answers_conform_to_openapi(case, fuzzer):
    fuzzer.send(case)


def test_fuzzing_made_enough_calls(fuzzer, request):
    """Runs after the operations' tests (module order): the tier's size is part of its promise."""
    if request.config.option.keyword or request.config.option.markexpr:
        pytest.skip("only part of the fuzz tier was selected")
    print(f"\nschemathesis: {fuzzer.calls} generated calls")
    assert fuzzer.calls >= MIN_CALLS
