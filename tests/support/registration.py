"""Registration review through the review engine: the case ``identity:registration:<account>``
at the province desk of the enterprise's region (features.registration_review); and an active
enterprise for a test (registered through the gateway, e-mail verified, approved, signed in)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from deploy.mail_sink import read_mails
from services.common.errors import NotFound
from tests.support.data import registration
from tests.support.enterprise import submit_registration_profile
from tests.support.waiting import wait_for

PROVINCE = "150000"  # the test profiles' enterprises are in Inner Mongolia (150xxx)
PASSWORD = "Qlp#2026-enterprise"  # the accounts active_enterprise makes, and their reviewers


def case_ref(account_id: str) -> str:
    return f"identity:registration:{account_id}"


def province_reviewer(cluster: Any, password: str, name: str = "注册审核员",
                      region: str = PROVINCE) -> dict[str, Any]:
    """A province reviewer (the registration case's desk), as the actor RPCs take."""
    username = "reg" + uuid.uuid4().hex[:10]
    created = cluster.identity.create_staff_account(None, {
        "kind": "reviewer", "username": username, "contact_name": name,
        "email": f"{username}@example.com", "password": password, "level": "province",
        "region_code": region})
    return {"id": created["id"], "kind": "reviewer", "level": "province", "region_code": region,
            "permissions": [], "enterprise_id": None, "name": name, "login": username}


def registration_case(cluster: Any, reviewer: dict[str, Any], account_id: str,
                      revision: int = 1) -> dict[str, Any]:
    """The registration case once review has it (at ``revision``) in the reviewer's queue."""
    def ready() -> dict[str, Any] | None:
        try:
            case = cluster.review.case_detail(reviewer, case_ref(account_id))
        except NotFound:
            return None
        return case if case["revision"] >= revision and case["queue"] == "active" else None

    return wait_for(ready, timeout=30, what=f"registration case revision {revision} in review")


def decide_registration(cluster: Any, reviewer: dict[str, Any], account_id: str, *,
                        approve: bool = True, reason: str = "", revision: int = 1) -> dict[str, Any]:
    """Claim the case and decide it as a reviewer would; returns the account once identity
    has followed review's decision."""
    case = registration_case(cluster, reviewer, account_id, revision)
    cluster.review.claim(reviewer, case["id"])
    cluster.review.act(reviewer, case["id"], {"action": "approve" if approve else "reject",
                                              "comment": reason or ("同意" if approve else "")})
    status = "active" if approve else "rejected"
    return wait_for(lambda: (a := cluster.identity.session_account(account_id))["status"] == status and a,
                    what=f"identity to make the account {status}")


def decide_through_api(http: requests.Session, gateway: str, account_id: str, *, approve: bool = True,
                       reason: str = "", revision: int = 1) -> dict[str, Any]:
    """The same through the review console's JSON API, signed in as a province reviewer."""
    def ready() -> dict[str, Any] | None:
        response = http.get(f"{gateway}/api/v1/review/cases/{case_ref(account_id)}", timeout=30)
        if response.status_code == 404:
            return None
        case = response.json()
        return case if case["revision"] >= revision and case["queue"] == "active" else None

    case = wait_for(ready, timeout=30, what="the registration case in the review console")
    token = http.get(f"{gateway}/api/v1/session", timeout=30).json()["csrf_token"]
    headers = {"X-CSRF-Token": token}
    claimed = http.post(f"{gateway}/api/v1/review/cases/{case['id']}/claim", headers=headers, timeout=30)
    assert claimed.status_code == 200, claimed.text
    decided = http.post(f"{gateway}/api/v1/review/cases/{case['id']}/actions", headers=headers, timeout=30,
                        json={"action": "approve" if approve else "reject",
                              "comment": reason or ("同意" if approve else "")})
    assert decided.status_code == 200, decided.text
    return case


def login(gateway: str, name: str) -> tuple[requests.Session, str]:
    """A session signed in at the gateway as ``name`` (password PASSWORD): (session, csrf)."""
    http = requests.Session()
    response = http.post(gateway + "/api/v1/session", json={"login": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return http, response.json()["csrf_token"]


def verify_email(config: dict, email: str) -> None:
    mails = wait_for(
        lambda: [m for m in read_mails(config) if m["To"] == email and m["Subject"] == "请验证您的注册邮箱"],
        what="the verification mail",
    )
    link = re.search(r"http://\S+/verify-email\?token=\S+", mails[-1].get_content()).group(0)
    assert requests.get(link).status_code == 200


def active_enterprise(
    gateway: str, config: dict, approver: requests.Session
) -> tuple[requests.Session, str, dict]:
    """Registered (both steps), e-mail verified, approved in review (by ``approver``, the
    ``registration_reviewer`` fixture), signed in: (session, csrf, account)."""
    data = {**registration(), "password": PASSWORD}
    created = requests.post(gateway + "/api/v1/accounts", json=data)
    assert created.status_code == 201, created.text
    account = created.json()
    verify_email(config, data["email"])
    submit_registration_profile(config, account["id"])
    decide_through_api(approver, gateway, account["id"])
    credentials = {"login": data["uscc"], "password": PASSWORD}
    wait_for(lambda: requests.post(gateway + "/api/v1/session", json=credentials).json()
             .get("account", {}).get("status") == "active", what="identity to follow the approval")
    http, csrf = login(gateway, data["uscc"])
    return http, csrf, account


def page_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
