"""Identity through the real gateway, bus, database and mail sink: registration → e-mail
verification (link from the SMTP sink) → registration review → login → TOTP → sub-accounts
and module permissions; lockout, session rotation, cross-enterprise refusal."""

import re
import time
import uuid

import pyotp
import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from deploy.mail_sink import read_mails
from services.common.config import nameko_config
from tests.support.data import registration
from tests.support.enterprise import submit_registration_profile
from tests.support.waiting import wait_for

PASSWORD = "Qlp#2026-journey"


@pytest.fixture(scope="module")
def reviewer(running_platform):
    """A reviewer created the way the bootstrap command does (no acting admin)."""
    username = "rev" + uuid.uuid4().hex[:10]
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        cluster.identity.create_staff_account(None, {
            "kind": "reviewer", "username": username, "contact_name": "审核员甲",
            "email": f"{username}@example.com", "password": PASSWORD, "level": "city",
            "region_code": "150100"})
    return username


def login(gateway, login_name, password=PASSWORD):
    http = requests.Session()
    response = http.post(gateway + "/api/v1/session", json={"login": login_name, "password": password})
    return http, response


def csrf(http, gateway):
    return http.get(gateway + "/api/v1/session").json()["csrf_token"]


def verification_link(config, email):
    mails = wait_for(lambda: [m for m in read_mails(config)
                              if m["To"] == email and m["Subject"] == "请验证您的注册邮箱"],
                     what="the verification mail")
    return re.search(r"http://\S+/verify-email\?token=\S+", mails[-1].get_content()).group(0)


def registered_and_approved(gateway, config, reviewer):
    data = {**registration(), "password": PASSWORD}
    assert requests.post(gateway + "/api/v1/accounts", json=data).status_code == 201
    _, refused = login(gateway, data["uscc"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "account_pending_email_verification"

    link = verification_link(config, data["email"])
    page = requests.get(link)
    assert page.status_code == 200 and "邮箱验证成功" in page.text and "待审核" in page.text
    assert requests.get(link).status_code == 400  # single use

    staff, response = login(gateway, reviewer)
    assert response.status_code == 200
    pending = staff.get(gateway + "/api/v1/registrations/pending").json()
    account = next(a for a in pending if a["login"] == data["uscc"])
    assert account["profile_submitted"] is False
    token = csrf(staff, gateway)
    # Without registration step 2 (enterprise info + licence scans) it cannot be approved.
    early = staff.post(gateway + f"/api/v1/registrations/{account['id']}/decision",
                       json={"approve": True}, headers={"X-CSRF-Token": token})
    assert early.status_code == 409, early.text
    submit_registration_profile(config, account["id"])
    wait_for(lambda: next(a for a in staff.get(gateway + "/api/v1/registrations/pending").json()
                          if a["id"] == account["id"])["profile_submitted"],
             what="identity to learn that step 2 was submitted")
    detail = staff.get(gateway + f"/review/registrations/{account['id']}")
    assert detail.status_code == 200 and "营业执照.pdf" in detail.text and "张三" in detail.text
    no_reason = staff.post(gateway + f"/api/v1/registrations/{account['id']}/decision",
                           json={"approve": False}, headers={"X-CSRF-Token": token})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"]["reason"][0]["code"] == "required"
    approved = staff.post(gateway + f"/api/v1/registrations/{account['id']}/decision",
                          json={"approve": True}, headers={"X-CSRF-Token": token})
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    return data


def test_register_verify_review_login_totp_sub_account(gateway, running_platform, reviewer):
    data = registered_and_approved(gateway, running_platform, reviewer)

    # Login with a new session id; enrol TOTP through the pages.
    http = requests.Session()
    page = http.get(gateway + "/login")
    before = http.cookies.get("qlp_session")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = http.post(gateway + "/login", data={"login": data["uscc"].lower(), "password": PASSWORD,
                                                   "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303
    assert http.cookies.get("qlp_session") != before  # a new session id at login
    page = http.post(gateway + "/account/security", data={"action": "begin", "csrf_token": token})
    assert "<svg" in page.text  # the QR code
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text).group(1)
    wrong = http.post(gateway + "/account/security", data={
        "action": "confirm", "csrf_token": token, "secret": secret, "code": "000000"})
    assert wrong.status_code == 422 and "动态口令不正确" in wrong.text
    codes_page = http.post(gateway + "/account/security", data={
        "action": "confirm", "csrf_token": token, "secret": secret,
        "code": pyotp.TOTP(secret).now()})
    recovery = re.findall(r"<code>([A-Z0-9]{4}-[A-Z0-9]{4})</code>", codes_page.text)
    assert len(recovery) == 10

    # Next login needs the second factor; a recovery code works once.
    second, response = login(gateway, data["uscc"])
    assert response.json()["needs_totp"] is True
    assert second.get(gateway + "/api/v1/messages").status_code == 401  # not yet signed in
    assert second.post(gateway + "/api/v1/session/totp", json={"code": "123456"}).status_code == 401
    # The enrolment used this step's code: the next step's (within the allowed drift) signs in.
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    ok = second.post(gateway + "/api/v1/session/totp", json={"code": next_code})
    assert ok.status_code == 200
    replay, _ = login(gateway, data["uscc"])  # the same code again: refused (single use)
    refused = replay.post(gateway + "/api/v1/session/totp", json={"code": next_code})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_totp"
    third, _ = login(gateway, data["uscc"])
    assert third.post(gateway + "/api/v1/session/totp", json={"code": recovery[0]}).status_code == 200
    fourth, _ = login(gateway, data["uscc"])
    assert fourth.post(gateway + "/api/v1/session/totp", json={"code": recovery[0]}).status_code == 401

    # A sub-account with one module is refused another; disabling it ends its session.
    token = csrf(second, gateway)
    username = "sub" + uuid.uuid4().hex[:8]
    created = second.post(gateway + "/api/v1/sub-accounts", headers={"X-CSRF-Token": token}, json={
        "username": username, "contact_name": "子账号甲", "email": f"{username}@example.com",
        "password": PASSWORD, "permissions": ["enterprise"]})
    assert created.status_code == 201, created.text
    sub, response = login(gateway, username)
    assert response.status_code == 200
    assert sub.get(gateway + "/api/v1/modules/enterprise").status_code == 200
    refused = sub.get(gateway + "/api/v1/modules/personnel")
    assert refused.status_code == 403 and "人员管理" in refused.json()["error"]["message"]
    assert sub.get(gateway + "/api/v1/sub-accounts").status_code == 403  # not an admin
    disabled = second.patch(gateway + f"/api/v1/sub-accounts/{created.json()['id']}",
                            headers={"X-CSRF-Token": token}, json={"disabled": True})
    assert disabled.status_code == 200
    assert sub.get(gateway + "/api/v1/modules/enterprise").status_code == 401


def test_enterprise_cannot_touch_another_enterprises_accounts(gateway, running_platform, reviewer):
    first = registered_and_approved(gateway, running_platform, reviewer)
    other = registered_and_approved(gateway, running_platform, reviewer)
    a, _ = login(gateway, first["uscc"])
    b, _ = login(gateway, other["uscc"])
    username = "sub" + uuid.uuid4().hex[:8]
    created = b.post(gateway + "/api/v1/sub-accounts", headers={"X-CSRF-Token": csrf(b, gateway)}, json={
        "username": username, "contact_name": "乙的子账号", "email": f"{username}@example.com",
        "password": PASSWORD, "permissions": ["permits"]})
    assert created.status_code == 201
    stolen = a.patch(gateway + f"/api/v1/sub-accounts/{created.json()['id']}",
                     headers={"X-CSRF-Token": csrf(a, gateway)}, json={"disabled": True})
    assert stolen.status_code == 404
    assert all(u["login"] != username for u in a.get(gateway + "/api/v1/sub-accounts").json())
    assert a.get(gateway + "/api/v1/registrations/pending").status_code == 403


def test_five_wrong_passwords_lock_the_login(gateway, running_platform, reviewer):
    data = registered_and_approved(gateway, running_platform, reviewer)
    for _ in range(5):
        _, response = login(gateway, data["uscc"], "Wrong#2026pass")
        assert response.json()["error"]["code"] == "invalid_credentials"
    _, locked = login(gateway, data["uscc"])  # even the right password
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "locked"
    assert "锁定" in locked.json()["error"]["message"]
