"""Malformed JSON through the real gateway and services is a 4xx with a stable code, never a 500
(issue 14 item 4: the inputs schemathesis found, each answered 500 before)."""

from __future__ import annotations

import re

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.config import nameko_config
from tests.support.api_clients import approved_enterprise, sign_in

pytestmark = pytest.mark.integration

STABLE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.fixture(scope="module")
def enterprise(running_platform, gateway):
    with ClusterRpcProxy(nameko_config(running_platform, "tests"), timeout=30) as cluster:
        login = approved_enterprise(gateway, running_platform, cluster)
    http, csrf = sign_in(gateway, login)
    http.headers["X-CSRF-Token"] = csrf
    yield http
    http.close()


def refused(response: requests.Response, status: int = 422, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert STABLE_CODE.match(error["code"]) and error["code"] != "none", error
    if field is not None:
        assert [STABLE_CODE.match(p["code"]) is not None for p in error["fields"][field]] == [True], error
    return error


@pytest.mark.parametrize("name", [[None, None], {"a": 1}, 12.5])
def test_a_permit_batch_name_that_is_not_text(gateway, enterprise, name):
    refused(enterprise.post(gateway + "/api/v1/permits/batches", json={"name": name}), field="name")


@pytest.mark.parametrize("title", [[None, None], 7])
def test_a_personnel_batch_title_that_is_not_text(gateway, enterprise, title):
    refused(enterprise.post(gateway + "/api/v1/personnel/batches", json={"title": title}), field="title")


@pytest.mark.parametrize("login", [-2.6e-197, [None, None], {"x": "y"}])
def test_a_password_reset_for_a_login_that_is_not_text(gateway, login):
    refused(requests.post(gateway + "/api/v1/password/forgot", json={"login": login}, timeout=30),
            field="login")


def test_rating_reasons_that_are_not_reason_codes(gateway):
    body = {"score": 1, "reasons": [{}], "comment": "", "mobile": "13000000000"}
    refused(requests.post(gateway + "/api/v1/ratings/0", json=body, timeout=30), field="reasons")


@pytest.mark.parametrize("path", ["/api/v1/organisations?q=a%00b", "/api/v1/enterprise/staff?q=a%00b",
                                  "/api/v1/personnel/people?q=%00", "/api/v1/permits/applications?q=a%00"])
def test_a_nul_byte_in_a_search_parameter(gateway, enterprise, path):
    error = refused(enterprise.get(gateway + path))
    assert error["code"] == "validation_failed"
    assert [p["code"] for p in error["fields"]["q"]] == ["invalid_characters"]


def test_a_nul_byte_in_a_json_string(gateway, enterprise):
    error = refused(enterprise.post(gateway + "/api/v1/permits/batches", json={"name": "批次\x00"}))
    assert [p["code"] for p in error["fields"]["name"]] == ["invalid_characters"]
