"""The thin slice across the real bus: form → identity → event → notify → message + mail → page."""

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import text

from deploy.mail_sink import read_mails
from tests.support.data import registration
from tests.support.waiting import wait_for


def csrf_and_key(html):
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    return token, key


def register_through_form(gateway, http, data):
    token, key = csrf_and_key(http.get(gateway + "/register").text)
    return http.post(gateway + "/register", data={**data, "password_confirm": data["password"],
                                                  "csrf_token": token, "form_key": key},
                     allow_redirects=False)


def test_form_to_message_and_mail(gateway, http, running_platform):
    data = registration()
    response = register_through_form(gateway, http, data)
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/register/enterprise"  # step 2 next
    step_two = http.get(gateway + "/register/enterprise")
    assert step_two.status_code == 200 and "营业执照" in step_two.text

    page = wait_for(lambda: (p := http.get(gateway + "/messages").text) and
                    "企业账号注册成功" in p and p, what="the message on 我的消息")
    assert data["uscc"] in page

    mail = wait_for(lambda: [m for m in read_mails(running_platform)
                             if m["To"] == data["email"] and m["Subject"] == "企业账号注册成功"],
                    what="the registration mail")[0]
    assert mail["Subject"] == "企业账号注册成功"
    assert data["uscc"] in mail.get_content()


def test_bad_form_is_answered_in_chinese_and_keeps_input(gateway, http):
    data = {**registration(), "uscc": "91650100228680962X", "contact_mobile": "123"}
    response = register_through_form(gateway, http, data)
    assert response.status_code == 422
    assert "统一社会信用代码校验位不正确" in response.text
    assert "请输入11位大陆手机号码" in response.text
    assert f'value="{data["email"]}"' in response.text
    assert data["password"] not in response.text


def test_api_validation_codes(gateway):
    response = requests.post(gateway + "/api/v1/accounts",
                             json={**registration(), "email": "not-an-email", "password": "abc"})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["email"][0]["code"] == "invalid"
    assert {e["code"] for e in fields["password"]} >= {"too_short", "weak"}


def test_concurrent_double_submit_creates_one_account_and_one_event(gateway, engines):
    data = registration()
    key = uuid.uuid4().hex

    def submit(_):
        return requests.post(gateway + "/api/v1/accounts", json=data,
                             headers={"X-Idempotency-Key": key}, timeout=20)

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(submit, range(4)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    account_id = responses[0].json()["id"]
    with engines("identity").connect() as conn:
        assert conn.execute(text("select count(*) from accounts where uscc = :u"),
                            {"u": data["uscc"]}).scalar_one() == 1
    wait_for(lambda: _messages_for(engines, account_id) >= 1, what="the message")
    time.sleep(1.0)  # a duplicate event, if any, would land within this
    assert _messages_for(engines, account_id) == 1


def test_second_account_with_same_uscc_is_refused(gateway):
    data = registration()
    assert requests.post(gateway + "/api/v1/accounts", json=data).status_code == 201
    again = requests.post(gateway + "/api/v1/accounts",
                          json={**data, "contact_mobile": registration()["contact_mobile"]})
    assert again.status_code == 422
    assert again.json()["error"]["fields"]["uscc"][0]["code"] == "taken"


def test_healthz_and_metrics(gateway, running_platform):
    health = requests.get(gateway + "/healthz").json()
    assert health["status"] == "ok"
    assert set(health["services"]) == {"identity", "enterprise", "personnel", "permits",
                                       "review", "notify"}
    # the gateway's metrics are for operators: on their own loopback port, not the public one
    assert requests.get(gateway + "/metrics").status_code == 404
    gateway_metrics = requests.get(f"http://127.0.0.1:{running_platform['metrics_ports']['gateway']}/metrics")
    assert "qlp_gateway_requests_total" in gateway_metrics.text
    port = running_platform["metrics_ports"]["identity"]
    service_metrics = requests.get(f"http://127.0.0.1:{port}/metrics").text
    assert 'qlp_worker_total{entrypoint="health"' in service_metrics


def _messages_for(engines, account_id):
    with engines("notify").connect() as conn:
        return conn.execute(text("select count(*) from messages where recipient_id = :a"),
                            {"a": account_id}).scalar_one()


def test_request_id_travels_from_gateway_through_rpc_and_event_into_logs(gateway, engines,
                                                                         running_platform):
    from deploy.processes import log_path

    request_id = "trace-" + uuid.uuid4().hex
    response = requests.post(gateway + "/api/v1/accounts", json=registration(),
                             headers={"X-Request-ID": request_id})
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == request_id
    wait_for(lambda: _messages_for(engines, response.json()["id"]) == 1, what="the message")

    def logged_by(component):
        lines = log_path(component, running_platform).read_text(encoding="utf-8").splitlines()
        return [line for line in lines if f'"request_id": "{request_id}"' in line]

    # identity logs the RPC; notify logs handling the event that RPC caused.
    wait_for(lambda: logged_by("notify"), what="a notify log line with the request id")
    assert logged_by("identity")


def test_a_known_idempotency_key_with_another_password_gets_no_account(gateway):
    data = registration()
    key = uuid.uuid4().hex
    first = requests.post(gateway + "/api/v1/accounts", json=data,
                          headers={"X-Idempotency-Key": key})
    assert first.status_code == 201
    stolen = requests.post(gateway + "/api/v1/accounts",
                           json={**data, "password": "Other#2026pass"},
                           headers={"X-Idempotency-Key": key})
    assert stolen.status_code == 422
    assert stolen.json()["error"]["fields"]["uscc"][0]["code"] == "taken"
