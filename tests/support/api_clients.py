"""Signed-in API clients for the tiers that drive the JSON API as a client would (the fuzz tier,
the malformed-input tests): an approved enterprise and a city reviewer of its region."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from deploy.mail_sink import read_mails
from tests.support.data import registration
from tests.support.enterprise import submit_registration_profile
from tests.support.registration import decide_registration, province_reviewer
from tests.support.waiting import wait_for

PASSWORD = "Qlp#2026-api-client"
REVIEWER_REGION = "150100"  # the city of tests.support.enterprise.profile()'s district 150105


def sign_in(gateway: str, login: str) -> tuple[requests.Session, str]:
    """A session signed in through POST /api/v1/session, and its CSRF token."""
    http = requests.Session()
    response = http.post(gateway + "/api/v1/session", json={"login": login, "password": PASSWORD},
                         timeout=30)
    assert response.status_code == 200, response.text
    return http, response.json()["csrf_token"]


def approved_enterprise(gateway: str, config: dict, cluster: Any) -> str:
    """Registered through the API (both steps), e-mail verified, approved in review: its login."""
    data = {**registration(), "password": PASSWORD}
    created = requests.post(gateway + "/api/v1/accounts", json=data, timeout=30)
    assert created.status_code == 201, created.text
    account = created.json()
    mails = wait_for(lambda: [m for m in read_mails(config)
                              if m["To"] == data["email"] and m["Subject"] == "请验证您的注册邮箱"],
                     what="the verification mail")
    link = re.search(r"http://\S+/verify-email\?token=\S+", mails[-1].get_content()).group(0)
    assert requests.get(link, timeout=30).status_code == 200
    submit_registration_profile(config, account["id"])
    decide_registration(cluster, province_reviewer(cluster, PASSWORD), account["id"])
    return data["uscc"]


def city_reviewer(cluster: Any, name: str = "接口测试审核员") -> str:
    """A city reviewer of the enterprises' region: its login."""
    username = "api" + uuid.uuid4().hex[:10]
    cluster.identity.create_staff_account(None, {
        "kind": "reviewer", "username": username, "contact_name": name,
        "email": f"{username}@example.com", "password": PASSWORD, "level": "city",
        "region_code": REVIEWER_REGION})
    return username
