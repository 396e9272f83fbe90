"""The access matrix (security issue 14): every route of the gateway's route table × seven kinds of
caller → the expected status, through the real gateway and services.

Callers: anonymous, an enterprise that owns nothing the request names ("other enterprise"), a
sub-account without the route's module, a person (个人用户), a 包头市 city reviewer (another
region than the test enterprises' 呼和浩特市), a 呼和浩特市 city reviewer, and an admin. Ids in
paths are fresh random values, so a caller that passes the access decision meets 404 (or 422
for a body that is not valid): what each cell shows is *where* the caller stops — 303 to the
login page / 401, 403, or on to the rules. Owners reaching their own rows, and callers who do
not, are the IDOR tests (test_enterprise_gateway, test_case_documents_access,
test_personnel_access).

One request per cell: GET where the route allows it; otherwise its first method with an empty
body (form or JSON) and the session's CSRF token, which shows the access decision before any
rule (401/403/404 before 422). Sessions are signed in once; each caller's column runs in its
own thread. The expected table is tests/support/access_matrix.py; a route without an entry
there fails here. ``QLP_ACCESS_MATRIX_DUMP=<file>`` writes what was observed (for a new route).
"""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.views import VIEW_CLASSES
from services.common.config import nameko_config
from tests.support import access_matrix as matrix
from tests.support.persons import verified_person
from tests.support.registration import PASSWORD

pytestmark = pytest.mark.integration


def routes() -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, endpoint, methods) of every route the gateway serves (HEAD aside)."""
    found = []
    for views in VIEW_CLASSES:
        for rule in views.ROUTES:
            methods = tuple(sorted(m for m in (rule.methods or ()) if m != "HEAD"))
            found.append((rule.rule, rule.endpoint, methods))
    return found


def test_every_route_has_an_entry_in_the_expected_table():
    missing = [rule for rule, endpoint, _ in routes() if matrix.group_of(rule) is None]
    assert not missing, f"routes without an access rule in tests/support/access_matrix.py: {missing}"


def sign_in(gateway: str, login: str, password: str = PASSWORD) -> tuple[requests.Session, str]:
    http = requests.Session()
    answer = http.post(gateway + "/api/v1/session", json={"login": login, "password": password}, timeout=30)
    assert answer.status_code == 200, answer.text
    return http, answer.json()["csrf_token"]


@pytest.fixture(scope="module")
def callers(gateway, running_platform, new_active_enterprise):
    """Every caller's signed-in session and CSRF token (anonymous: a fresh session, no token)."""
    owner, owner_csrf, account = new_active_enterprise()
    found: dict[str, tuple[requests.Session, str]] = {"anonymous": (requests.Session(), ""),
                                                      "other_enterprise": (owner, owner_csrf),
                                                      "owner_id": (requests.Session(), account["id"])}
    for module, holds in matrix.SUB_ACCOUNTS.items():
        username = "sub" + uuid.uuid4().hex[:12]
        made = owner.post(gateway + "/api/v1/sub-accounts", headers={"X-CSRF-Token": owner_csrf}, json={
            "username": username, "contact_name": "子账号", "email": f"{username}@example.com",
            "password": PASSWORD, "permissions": [holds]}, timeout=30)
        assert made.status_code == 201, made.text
        found[f"sub_without_{module}"] = sign_in(gateway, username)
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=60) as cluster:
        person = verified_person(cluster, running_platform, password=PASSWORD)
        found["person"] = sign_in(gateway, person["account"]["login"])
        for caller, (kind, level, region) in matrix.STAFF.items():
            username = "mx" + uuid.uuid4().hex[:12]
            cluster.identity.create_staff_account(None, {
                "kind": kind, "username": username, "contact_name": "矩阵测试",
                "email": f"{username}@example.com", "password": PASSWORD, "level": level,
                "region_code": region})
            found[caller] = sign_in(gateway, username)
    return found


def ask(http: requests.Session, csrf: str, gateway: str, method: str, path: str) -> str:
    """The cell's answer: the status, or "login" for a redirect to the login page."""
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    if method == "GET":
        answer = http.get(gateway + path, headers=headers, allow_redirects=False, timeout=60)
    elif path.startswith("/api/"):
        answer = http.request(method, gateway + path, json={}, headers=headers, allow_redirects=False,
                              timeout=60)
    else:
        answer = http.request(method, gateway + path, data={}, headers=headers, allow_redirects=False,
                              timeout=60)
    if answer.status_code == 303 and answer.headers.get("Location", "").startswith("/login"):
        return "login"
    return str(answer.status_code)


def test_access_matrix(gateway, callers):
    cells = []
    for rule, endpoint, methods in routes():
        method = "GET" if "GET" in methods else methods[0]
        cells.append((rule, endpoint, method, matrix.sample_path(rule)))

    def column(caller: str) -> dict[str, str]:
        if caller.startswith("sub"):
            return {}  # the sub-accounts' cells are asked per route below (the right sub per module)
        http, csrf = callers[caller]
        return {rule: ask(http, csrf, gateway, method, path) for rule, _, method, path in cells
                if not matrix.skip(rule, caller)}

    def sub_column(module: str) -> dict[str, str]:
        http, csrf = callers[f"sub_without_{module}"]
        return {rule: ask(http, csrf, gateway, method, path) for rule, _, method, path in cells
                if matrix.module_of(rule) == module and not matrix.skip(rule, "sub")}

    with ThreadPoolExecutor(max_workers=len(matrix.CALLERS) + len(matrix.SUB_ACCOUNTS)) as pool:
        plain = {caller: pool.submit(column, caller) for caller in matrix.CALLERS if caller != "sub"}
        subs = {module: pool.submit(sub_column, module) for module in matrix.SUB_ACCOUNTS}
        observed = {caller: future.result() for caller, future in plain.items()}
        observed["sub"] = {rule: status for future in subs.values()
                           for rule, status in future.result().items()}

    if dump := os.environ.get("QLP_ACCESS_MATRIX_DUMP"):
        table = {rule: {caller: observed[caller].get(rule) for caller in matrix.CALLERS}
                 for rule, *_ in cells}
        with open(dump, "w", encoding="utf-8") as out:
            json.dump(table, out, ensure_ascii=False, indent=1)

    wrong = []
    for rule, _, method, path in cells:
        for caller in matrix.CALLERS:
            if rule not in observed[caller]:
                continue
            expected = matrix.expected(rule, caller, method)
            if observed[caller][rule] not in expected:
                wrong.append(f"{method} {path} as {caller}: {observed[caller][rule]}, "
                             f"expected {sorted(expected)}")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong)
    assert sum(len(column) for column in observed.values()) > 6 * len(cells)  # the matrix was asked


def test_reviewers_reset_passwords_only_of_enterprises_their_desk_works_on(gateway, callers):
    """重置密码 (found by the matrix: any reviewer could give any enterprise, reviewer or person a
    temporary password, i.e. take the account over). A reviewer of either region, with no case
    about the enterprise, gets 404; a reviewer never resets another reviewer's or an admin's."""
    owner_id = callers["owner_id"][1]
    admin_id = callers["admin"][0].get(f"{gateway}/api/v1/session", timeout=60).json()["account"]["id"]
    for caller in ("reviewer_other_region", "reviewer_region"):
        http, csrf = callers[caller]
        for target, status in ((owner_id, 404), (admin_id, 403)):
            answer = http.post(f"{gateway}/admin/accounts/{target}/reset-password",
                               headers={"X-CSRF-Token": csrf}, allow_redirects=False, timeout=60)
            assert answer.status_code == status, (caller, target, answer.status_code)
    owner, _ = callers["other_enterprise"]
    assert owner.get(f"{gateway}/api/v1/enterprise", timeout=60).status_code == 200  # still signed in
