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
from sqlalchemy import text

from deploy.mail_sink import read_mails
from services.common.config import nameko_config
from services.common.errors import Forbidden
from tests.support.data import registration
from tests.support.enterprise import submit_registration_profile
from tests.support.registration import (
    case_ref,
    decide_registration,
    province_reviewer,
    registration_case,
)
from tests.support.waiting import wait_for

PASSWORD = "Qlp#2026-journey"


@pytest.fixture(scope="module")
def reviewer(running_platform):
    """A province reviewer (registration cases wait at the province desk), created the way the
    bootstrap command does (no acting admin)."""
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        return province_reviewer(cluster, PASSWORD, "审核员甲")["login"]


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
    created = requests.post(gateway + "/api/v1/accounts", json=data)
    assert created.status_code == 201
    account_id = created.json()["id"]
    _, refused = login(gateway, data["uscc"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "account_pending_email_verification"

    link = verification_link(config, data["email"])
    page = requests.get(link)
    assert page.status_code == 200 and "邮箱验证成功" in page.text and "待审核" in page.text
    assert requests.get(link).status_code == 400  # single use

    staff, response = login(gateway, reviewer)
    assert response.status_code == 200
    ref = case_ref(account_id)
    # Without registration step 2 (enterprise info + licence scans) review has no case yet.
    assert staff.get(gateway + f"/api/v1/review/cases/{ref}").status_code == 404
    submit_registration_profile(config, account_id)
    case = wait_for(lambda: (r := staff.get(gateway + f"/api/v1/review/cases/{ref}")).status_code == 200
                    and r.json(), what="the registration case in the review console")
    assert case["case_type"] == "identity.registration" and case["level"] == "province"
    assert case["fields"]["uscc"]["value"] == data["uscc"]
    assert case["fields"]["legal_representative"]["value"] == "张三"
    assert [a["filename"] for a in case["attachments"]] == ["营业执照.pdf", "法定代表人身份证.pdf"]
    # The old address now leads to the case in the console; its scans download as before.
    page = staff.get(gateway + f"/review/registrations/{account_id}")
    assert page.status_code == 200 and "营业执照.pdf" in page.text and "张三" in page.text
    assert f'href="/documents/enterprise/{case["attachments"][0]["id"]}"' in page.text
    scan = staff.get(gateway + f"/files/enterprise/{case['attachments'][0]['id']}")
    assert scan.status_code == 200 and scan.content.startswith(b"%PDF")
    inline = staff.get(gateway + f"/documents/enterprise/{case['attachments'][0]['id']}")
    assert inline.headers["Content-Type"] == "application/pdf" and inline.content == scan.content
    token = csrf(staff, gateway)
    assert staff.post(gateway + f"/api/v1/review/cases/{case['id']}/claim",
                      headers={"X-CSRF-Token": token}).status_code == 200
    no_reason = staff.post(gateway + f"/api/v1/review/cases/{case['id']}/actions",
                           json={"action": "reject"}, headers={"X-CSRF-Token": token})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"]["comment"][0]["code"] == "required"
    approved = staff.post(gateway + f"/api/v1/review/cases/{case['id']}/actions",
                          json={"action": "approve", "comment": "同意"}, headers={"X-CSRF-Token": token})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    wait_for(lambda: login(gateway, data["uscc"])[1].json().get("account", {}).get("status") == "active",
             what="identity to follow review's approval")
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
    assert a.get(gateway + "/api/v1/review/cases").status_code == 403


def test_five_wrong_passwords_lock_the_login(gateway, running_platform, reviewer):
    data = registered_and_approved(gateway, running_platform, reviewer)
    for _ in range(5):
        _, response = login(gateway, data["uscc"], "Wrong#2026pass")
        assert response.json()["error"]["code"] == "invalid_credentials"
    _, locked = login(gateway, data["uscc"])  # even the right password
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "locked"
    assert "锁定" in locked.json()["error"]["message"]


def test_rejected_registration_shows_the_reason_and_resubmits_as_the_next_revision(
        gateway, running_platform):
    """审核不通过 (with the reason) → 前往修改 → the same review case, revision 2 → approved."""
    data = {**registration(), "password": PASSWORD}
    account_id = requests.post(gateway + "/api/v1/accounts", json=data).json()["id"]
    assert requests.get(verification_link(running_platform, data["email"])).status_code == 200
    submit_registration_profile(running_platform, account_id)
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        reviewer = province_reviewer(cluster, PASSWORD)
        decide_registration(cluster, reviewer, account_id, approve=False, reason="营业执照扫描件模糊")
        # The enterprise sees the reason and goes to 前往修改.
        http = requests.Session()
        page = http.get(gateway + "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        http.post(gateway + "/login", data={"login": data["uscc"], "password": PASSWORD,
                                            "csrf_token": token})
        status_page = http.get(gateway + "/account").text
        assert "审核不通过" in status_page and "营业执照扫描件模糊" in status_page
        assert "前往修改" in status_page
        resubmitted = http.post(gateway + "/account/resubmit", allow_redirects=False, data={
            "csrf_token": token, "contact_name": "王五", "email": data["email"]})
        assert resubmitted.status_code == 303
        case = registration_case(cluster, reviewer, account_id, revision=2)
        assert case["status"] == "in_review" and case["fields"]["account_contact"]["value"] == "王五"
        assert [h["result"] for h in case["history"]] == ["不同意"]  # the first round stays
        assert {f["name"] for f in case["diff"]["fields"]} == {"account_contact"}
        account = decide_registration(cluster, reviewer, account_id, revision=2)
        assert account["status"] == "active" and account["review_reason"] is None
        elsewhere = province_reviewer(cluster, PASSWORD, "辽宁审核员", region="210000")
        with pytest.raises(Forbidden):  # another province's desk does not see the case
            cluster.review.case_detail(elsewhere, case_ref(account_id))


def test_step_two_submitted_again_after_rejection_is_the_next_revision(gateway, running_platform,
                                                                       engines):
    """前往修改 through step 2 (a corrected enterprise name): revision 2 of the same case carries
    it, once, although two things make the registration due again (the status change and step 2)."""
    data = {**registration(), "password": PASSWORD}
    account_id = requests.post(gateway + "/api/v1/accounts", json=data).json()["id"]
    assert requests.get(verification_link(running_platform, data["email"])).status_code == 200
    submit_registration_profile(running_platform, account_id, name="内蒙古错名称工程有限公司")
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        reviewer = province_reviewer(cluster, PASSWORD)
        decide_registration(cluster, reviewer, account_id, approve=False, reason="企业名称与营业执照不一致")
        submit_registration_profile(running_platform, account_id, name="内蒙古正名称工程有限公司")
        case = registration_case(cluster, reviewer, account_id, revision=2)
        assert case["enterprise_name"] == "内蒙古正名称工程有限公司"
        changed = ("内蒙古错名称工程有限公司", "内蒙古正名称工程有限公司")
        assert [(f["name"], f["old"], f["new"]) for f in case["diff"]["fields"]] == [
            ("name", *changed), ("legal_person", *changed)]  # the support profile uses it as both
        decide_registration(cluster, reviewer, account_id, revision=2)
    with engines("identity").connect() as conn:
        sent = conn.execute(text("select count(*) from audit_log where action = "
                                 "'registration.review_requested' and subject_id = :id"),
                            {"id": account_id}).scalar()
    assert sent == 2
