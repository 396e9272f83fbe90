"""Person accounts (个人用户) through the real gateway, identity, notify and the mail sink:
register → verification link from the SMTP sink → login with the ID number → actor kind
person; a person sees the personal area only, never an enterprise's modules."""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pyotp
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.config import nameko_config
from tests.support.data import person_registration, random_resident_id
from tests.support.persons import mail_link, verified_person


def login(gateway, login_name, password):
    http = requests.Session()
    return http, http.post(gateway + "/api/v1/session", json={"login": login_name, "password": password})


def registered_person(gateway, config, check_early_login=False):
    data = person_registration()
    # Spaces and a lower case (a final x) as people type them: the login is the normalised number.
    typed = {**data, "id_number": f" {data['id_number'][:6]} {data['id_number'][6:].lower()} "}
    created = requests.post(gateway + "/api/v1/accounts/person", json=typed)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["kind"] == "person" and account["login"] == data["id_number"]
    assert account["status"] == "pending_email_verification"
    # Each refused login counts towards the per-IP limit (30 in 30 minutes, every test from
    # 127.0.0.1): checked once, not in every test.
    if check_early_login:
        _, early = login(gateway, data["id_number"], data["password"])
        assert early.status_code == 401
        assert early.json()["error"]["code"] == "account_pending_email_verification"
    page = requests.get(mail_link(config, data["email"]))
    assert page.status_code == 200 and "邮箱验证成功" in page.text
    assert "正常" in page.text and "待审核" not in page.text  # no registration review
    return data


def test_person_registers_verifies_and_logs_in_with_the_id_number(gateway, running_platform):
    data = registered_person(gateway, running_platform, check_early_login=True)
    http, response = login(gateway, data["id_number"].lower(), data["password"])
    assert response.status_code == 200, response.text
    account = response.json()["account"]
    assert account["kind"] == "person" and account["id_number"] == data["id_number"]
    assert account["contact_name"] == data["name"] and account["permissions"] == []

    home = http.get(gateway + "/personal")
    assert home.status_code == 200 and "个人空间" in home.text and data["id_number"] in home.text
    assert 'href="/personal"' in home.text and 'href="/enterprise"' not in home.text
    for path in ("/enterprise", "/permits", "/permits/licences", "/personnel"):
        refused = http.get(gateway + path, allow_redirects=False)
        assert refused.status_code in (403, 404), (path, refused.status_code)
    assert http.get(gateway + "/api/v1/modules/enterprise").status_code == 403
    assert http.get(gateway + "/messages").status_code == 200  # the person's own messages

    # The same number cannot register twice; the page answers in Chinese by the field.
    again = requests.post(gateway + "/api/v1/accounts/person", json=data)
    assert again.status_code == 422
    assert again.json()["error"]["fields"]["id_number"][0]["code"] == "taken"


def test_person_second_factor_and_password_reset_work_as_for_every_kind(gateway, running_platform):
    data = registered_person(gateway, running_platform)
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        http, response = login(gateway, data["id_number"], data["password"])
        account_id = response.json()["account"]["id"]
        secret = cluster.identity.begin_totp_enrolment(account_id)["secret"]
        codes = cluster.identity.confirm_totp_enrolment(account_id, pyotp.TOTP(secret).now())
    second, pending = login(gateway, data["id_number"], data["password"])
    assert pending.json()["needs_totp"] is True
    signed = second.post(gateway + "/api/v1/session/totp", json={"code": codes["recovery_codes"][0]})
    assert signed.status_code == 200 and signed.json()["account"]["kind"] == "person"
    assert second.get(gateway + "/personal").status_code == 200

    # 忘记密码 with the number as people type it: the reset link goes to the person's mailbox.
    spaced = f"{data['id_number'][:6]} {data['id_number'][6:]}".lower()
    assert requests.post(gateway + "/api/v1/password/forgot", json={"login": spaced}).status_code == 202
    assert "/password/reset?token=" in mail_link(running_platform, data["email"], "重置密码")


def test_person_login_lockout_is_the_same_as_for_enterprises(gateway, running_platform):
    data = registered_person(gateway, running_platform)
    for _ in range(5):
        _, response = login(gateway, data["id_number"], "Wrong#2026pass")
        assert response.json()["error"]["code"] == "invalid_credentials"
    _, locked = login(gateway, data["id_number"].lower(), data["password"])  # any spelling
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "locked"


def test_person_registration_page_keeps_the_form_and_names_the_rule(gateway, running_platform):
    http = requests.Session()
    form = http.get(gateway + "/register/person")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    data = person_registration()
    bad = data["id_number"][:17] + ("0" if data["id_number"][17] != "0" else "1")
    answer = http.post(gateway + "/register/person", data={
        **data, "id_number": bad, "password_confirm": data["password"], "csrf_token": token})
    assert answer.status_code == 422
    assert "身份证号校验位不正确" in answer.text and bad in answer.text
    assert data["password"] not in answer.text  # never echoed


def test_one_form_submitted_twice_creates_one_person_account(gateway, running_platform):
    data = person_registration()
    key = {"X-Idempotency-Key": uuid.uuid4().hex}
    with ThreadPoolExecutor(2) as pool:  # a double click: both race past the checks
        answers = list(pool.map(lambda _: requests.post(gateway + "/api/v1/accounts/person", json=data,
                                                        headers=key), range(2)))
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    again = requests.post(gateway + "/api/v1/accounts/person", json=data, headers=key)
    assert again.status_code == 201
    assert len({a.json()["id"] for a in [*answers, again]}) == 1
    # The key alone proves nothing: another password with the same key is a new, refused submit.
    other = requests.post(gateway + "/api/v1/accounts/person", headers=key,
                          json={**data, "password": "Qlp#2026-other"})
    assert other.status_code == 422 and other.json()["error"]["fields"]["id_number"][0]["code"] == "taken"


def test_the_support_helper_gives_a_verified_person_and_its_actor(running_platform):
    number = random_resident_id()
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        person = verified_person(cluster, running_platform, id_number=f" {number[:6]} {number[6:].lower()}")
    assert person["account"]["status"] == "active"
    assert person["actor"] == {"id": person["account"]["id"], "kind": "person", "id_number": number,
                               "name": person["name"], "enterprise_id": None, "permissions": []}
