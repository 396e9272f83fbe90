"""Person accounts (个人用户) in the gateway, with a fake RPC: the registration form, the personal
home and its menu; a person never reaches an enterprise module, nobody else the personal area."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp, menu_for
from services.common.errors import ValidationFailed
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, csrf_from, sign_in_as

PERSON = account("p1", kind="person", login="11010519491231002X", id_type="resident_id",
                 id_number="11010519491231002X", contact_name="王个人")
FORM = {"name": "王个人", "id_type": "resident_id", "id_number": "11010519491231002x",
        "mobile": "13900139000", "email": "w@example.com", "password": "Qlp#2026pass",
        "password_confirm": "Qlp#2026pass", "form_key": "k7"}


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: (
        PERSON if account_id == "p1" else account(account_id))
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def test_the_form_offers_the_id_types_and_sends_the_key(client, rpc):
    html = client.get("/register/person").get_data(as_text=True)
    assert '<option value="resident_id" selected>身份证</option>' in html and "护照" in html
    rpc.behaviour[("identity", "register_person")] = lambda payload: {
        "id": "p2", "login": "11010519491231002X", "kind": "person"}
    response = client.post("/register/person", data={**FORM, "csrf_token": csrf_from(html)})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    payload = rpc.calls[-1][2][0]
    assert payload["request_key"] == "k7" and payload["id_number"] == "11010519491231002x"


def test_a_refused_number_is_shown_at_its_field_keeping_the_input(client, rpc):
    rpc.behaviour[("identity", "register_person")] = ValidationFailed.from_fields(
        {"id_number": [{"code": "check_digit", "message": "身份证号校验位不正确（GB 11643-1999），请核对"}]})
    token = csrf_from(client.get("/register/person").get_data(as_text=True))
    response = client.post("/register/person", data={**FORM, "id_type": "passport", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-code="check_digit">身份证号校验位不正确' in html
    assert 'value="11010519491231002x"' in html and "Qlp#2026pass" not in html
    assert '<option value="passport" selected>' in html


def test_a_person_has_the_personal_home_and_no_enterprise_module(client):
    sign_in_as(client, "p1")
    home = client.get("/personal")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and "个人空间" in html and "11010519491231002X" in html
    for path in ("/enterprise", "/permits", "/personnel", "/account/users", "/review/cases"):
        assert client.get(path).status_code == 403, path


def test_nobody_else_opens_the_personal_home(client):
    sign_in_as(client, "e1")
    assert client.get("/personal").status_code == 403


def test_person_menu_and_landing():
    assert [href for href, _ in menu_for(PERSON, None)] == [
        "/personal", "/messages", "/notices", "/guides", "/account", "/account/security", "/password/change"]
    app = GatewayApp(FakeRpc(), MemorySessions(), {"gateway": {}})
    assert app.landing_for(PERSON) == "/personal"
