"""Until registration review approves it, an enterprise account uses no module (rule issue 15
item 4, security issue 14 item 10), through the real gateway and services: pending (待审核) and
rejected (审核不通过) accounts get 403 ``registration_not_approved`` on module APIs (reads and
writes) and a Chinese reason on module pages, while registration status, step 2, messages,
password change and 前往修改 still work; once approved, the same requests get through. The
services refuse such an actor themselves too (defence in depth behind the gateway)."""

from __future__ import annotations

import re

import pytest
import requests

from services.common.errors import Forbidden
from tests.support.data import registration
from tests.support.enterprise import submit_registration_profile
from tests.support.registration import PASSWORD, decide_registration, province_reviewer, verify_email
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

CODE = "registration_not_approved"
MODULE_READS = ["/api/v1/enterprise", "/api/v1/enterprise/staff", "/api/v1/permits/applications",
                "/api/v1/personnel/people", "/api/v1/personnel/declarations", "/api/v1/sub-accounts",
                "/api/v1/todos", "/api/v1/review/my-cases"]
MODULE_WRITES = [("POST", "/api/v1/enterprise/staff"), ("POST", "/api/v1/enterprise/projects"),
                 ("POST", "/api/v1/permits/applications"), ("POST", "/api/v1/personnel/people"),
                 ("PATCH", "/api/v1/enterprise"), ("POST", "/api/v1/sub-accounts")]
MODULE_PAGES = ["/enterprise", "/enterprise/staff", "/permits", "/permits/mine", "/personnel",
                "/personnel/people", "/account/users", "/cases", "/todos"]
STILL_OPEN = ["/account", "/messages", "/password/change", "/account/security", "/register/enterprise",
              "/api/v1/session", "/api/v1/messages", "/api/v1/notify/counts",
              "/api/v1/enterprise/registration-profile"]


def signed_in(gateway: str, login: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    answer = http.post(gateway + "/api/v1/session", json={"login": login, "password": PASSWORD}, timeout=30)
    assert answer.status_code == 200, answer.text
    return http, answer.json()["csrf_token"]


def refused_everywhere(http: requests.Session, csrf: str, gateway: str, words: str) -> None:
    for path in MODULE_READS:
        answer = http.get(gateway + path, timeout=30)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == CODE, (path, answer.text)
        assert words in answer.json()["error"]["message"]
    for method, path in MODULE_WRITES:
        answer = http.request(method, gateway + path, json={}, headers={"X-CSRF-Token": csrf}, timeout=30)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == CODE, (path, answer.text)
    for path in MODULE_PAGES:
        page = http.get(gateway + path, allow_redirects=False, timeout=30)
        assert page.status_code == 403 and words in page.text, (path, page.status_code)
    for path in STILL_OPEN:
        assert http.get(gateway + path, allow_redirects=False, timeout=30).status_code == 200, path


def test_pending_and_rejected_accounts_use_no_module_until_approved(gateway, running_platform, cluster):
    data = {**registration(), "password": PASSWORD}
    created = requests.post(gateway + "/api/v1/accounts", json=data, timeout=30)
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    verify_email(running_platform, data["email"])
    submit_registration_profile(running_platform, account_id)
    http, csrf = signed_in(gateway, data["uscc"])
    assert http.get(gateway + "/api/v1/session", timeout=30).json()["account"]["status"] == "pending_review"
    refused_everywhere(http, csrf, gateway, "正在审核")
    # The menu offers only what the account may use.
    menu = http.get(gateway + "/account", timeout=30).text
    assert 'href="/permits"' not in menu and 'href="/enterprise"' not in menu

    # Behind the gateway, the services refuse the actor the gateway builds for it.
    actor = {"id": account_id, "kind": "enterprise", "enterprise_id": account_id, "permissions": [],
             "level": None, "region_code": None, "registration_status": "pending_review"}
    for call in (lambda: cluster.enterprise.get_enterprise(actor, account_id),
                 lambda: cluster.permits.list_applications(actor, {}),
                 lambda: cluster.personnel.list_people(actor, {})):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.code == CODE

    reviewer = province_reviewer(cluster, PASSWORD)
    decide_registration(cluster, reviewer, account_id, approve=False, reason="营业执照扫描件模糊")
    wait_for(lambda: http.get(gateway + "/api/v1/session", timeout=30).json()["account"]["status"]
             == "rejected", what="the gateway to see the rejection")
    refused_everywhere(http, csrf, gateway, "审核未通过")

    # 前往修改 is still open to it; review approves the next revision; now every module answers.
    page = http.get(gateway + "/account", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resubmitted = http.post(gateway + "/account/resubmit", allow_redirects=False, timeout=30,
                            data={"csrf_token": token, "contact_name": "王五", "email": data["email"]})
    assert resubmitted.status_code == 303
    decide_registration(cluster, reviewer, account_id, revision=2)
    wait_for(lambda: http.get(gateway + "/api/v1/enterprise", timeout=30).status_code == 200,
             what="the gateway to see the approval")
    for path in MODULE_READS:
        answer = http.get(gateway + path, timeout=30)
        assert answer.status_code == 200, (path, answer.text)
    for path in MODULE_PAGES:
        assert http.get(gateway + path, allow_redirects=False, timeout=30).status_code == 200, path
    invalid = http.post(gateway + "/api/v1/enterprise/staff", json={}, headers={"X-CSRF-Token": csrf},
                        timeout=30)
    assert invalid.status_code == 422  # through to the rules: the body is what is wrong now
