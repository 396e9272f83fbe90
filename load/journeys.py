"""The enterprise's whole journeys through the gateway's JSON API (and the pages where there is
none): registration with scans → records → CIP 安全生产许可 application → certificate → verify
page; personnel batches with declarations. Every request is named after its step."""

from __future__ import annotations

import io
import random
import uuid
from typing import Any

from pypdf import PdfReader

from load import payloads
from load.api import Api
from load.mails import MailIndex
from tests.support.data import CIP_STAFF

FINAL_STATES = ("rejected", "licence_issued", "withdrawn", "terminated")
APPROVAL_WAIT = 600.0  # registration approval by a province reviewer (virtual users)
DECISION_WAIT = 900.0  # city → province review of an application


def register_enterprise(api: Api, mails: MailIndex) -> dict[str, Any]:
    """Account → e-mail link → sign in → registration step 2 with scans → a province reviewer's
    approval (another virtual user) → signed in as the active enterprise."""
    data = payloads.account()
    created = api.json("registration: account", "POST", "/api/v1/accounts", json=data, ok=(201,))
    link = api.wait("the verification mail", lambda: mails.link_for(data["email"]), 120, 1.0)
    api.call("registration: verify e-mail", "GET", link, ok=(200, 303))
    api.login("registration: sign in", data["uscc"], data["password"])
    api.call("registration: profile with scans", "PUT", "/api/v1/enterprise/registration-profile",
             json=payloads.registration_profile(created["id"][:6]))
    api.call("registration: submit", "POST", "/api/v1/enterprise/registration-profile/submit")

    def active() -> bool:
        body = api.json("registration: wait for approval", "GET", "/api/v1/session")
        return body.get("account", {}).get("status") == "active"

    api.wait("the registration approval", active, APPROVAL_WAIT, 3.0)
    api.login("sign in", data["uscc"], data["password"])
    return {"id": created["id"], "uscc": data["uscc"], "password": data["password"]}


def fill_records(api: Api) -> None:
    for category, name, cert in CIP_STAFF:
        api.call("records: add staff", "POST", "/api/v1/enterprise/staff", ok=(201,),
                 json=payloads.staff_member(category, name, cert))


def download(api: Api, step: str, attachment_id: str) -> bytes:
    """An attachment through the gateway (303 to a presigned S3 address, followed)."""
    return api.call(step, "GET", f"/api/v1/permits/attachments/{attachment_id}").content


def permits_application(api: Api, commitment_seconds: float, submitted: list[str]) -> str:
    """Draft → pre-check → 申报表 PDF → signed scan → materials → preview → commitment → submit.
    The submitted application's id is appended to ``submitted``."""
    apps = "/api/v1/permits/applications"
    app = api.json("permits: create draft", "POST", apps, ok=(201,), json=payloads.cip_draft(),
                   headers={"X-Idempotency-Key": uuid.uuid4().hex})
    path = f"{apps}/{app['id']}"

    def prechecked() -> dict[str, Any] | None:  # records_changed may still be on its way
        view = api.json("permits: pre-check", "POST", f"{path}/precheck", ok=(200, 409))
        return view if view.get("state") == "prechecked" else None

    api.wait("a passed pre-check", prechecked, 120, 2.0)
    app = api.json("permits: 申报表 PDF", "POST", f"{path}/form")
    form = download(api, "permits: download 申报表", app["form_attachment_id"])
    pages = len(PdfReader(io.BytesIO(form)).pages)
    api.call("permits: signed scan", "POST", f"{path}/signed-scan",
             json=payloads.upload("签章申报表.pdf", payloads.signed_scan(pages)))
    view = api.json("permits: view application", "GET", path)
    for spec in view["required_attachments"]:
        if spec["required"] and not spec["uploaded"]:
            api.call("permits: upload material", "POST", f"{path}/materials/{spec['code']}",
                     json=payloads.upload(f"{spec['name']}.pdf", payloads.signed_scan(1)))
    api.call("permits: preview", "POST", f"{path}/preview")
    api.call("permits: open commitment", "POST", f"{path}/commitment-open")
    api.sleep(commitment_seconds + 0.5)
    api.call("permits: confirm commitment", "POST", f"{path}/commitment-confirm")
    done = api.json("permits: submit", "POST", f"{path}/submit", json={},
                    headers={"X-Idempotency-Key": uuid.uuid4().hex})
    submitted.append(app["id"])
    if done.get("state") != "submitted":
        raise AssertionError(f"submit answered state {done.get('state')}")
    return str(app["id"])


def licence_and_verify(api: Api, application_id: str) -> str:
    """Wait for review's decision (other virtual users), then the certificate PDF and the public
    verify page. Returns the final state."""
    path = f"/api/v1/permits/applications/{application_id}"

    def decided() -> str | None:
        state = api.json("permits: wait for decision", "GET", path)["state"]
        return state if state in FINAL_STATES else None

    state = api.wait("review's decision", decided, DECISION_WAIT, 5.0)
    if state != "licence_issued":
        return str(state)

    def licence() -> dict[str, Any] | None:
        for lic in api.json("permits: my licences", "GET", "/api/v1/permits/licences"):
            if lic.get("application_id") == application_id and lic.get("certificate_attachment_id"):
                return dict(lic)
        return None

    lic = api.wait("the certificate PDF", licence, 120, 2.0)
    download(api, "permits: download certificate PDF", lic["certificate_attachment_id"])
    page = api.call("verify page", "GET", f"/verify/{lic['verify_token']}")
    if "有效" not in page.text:
        raise AssertionError("the verify page does not say 有效")
    api.call("verify API", "GET", f"/api/v1/verify/{lic['verify_token']}")
    return str(state)


def personnel_batch(api: Api, commitment_seconds: float, reported: list[str], size: int = 3) -> None:
    """People → 安管人员 新增 declarations with materials → a batch → commitment → 上报."""
    rng = random.Random()
    base = "/api/v1/personnel"
    ids = []
    for _ in range(size):
        person = api.json("personnel: add person", "POST", f"{base}/people", ok=(201,),
                          json=payloads.person(rng))
        declaration = api.json("personnel: start declaration", "POST", f"{base}/declarations", ok=(201,),
                               json={"type_code": "safety", "kind": "new", "person_id": person["id"],
                                     "form": {"class_code": "C2"}})
        for spec in declaration["required_attachments"]:
            if spec["required"] and not spec["uploaded"]:
                data = (payloads.upload("照片.png", payloads.photo()) if spec.get("photo")
                        else payloads.upload(f"{spec['code']}.jpg", payloads.material_scan()))
                api.call("personnel: upload material", "POST",
                         f"{base}/declarations/{declaration['id']}/attachments/{spec['code']}", json=data)
        ids.append(declaration["id"])
    batch = api.json("personnel: create batch", "POST", f"{base}/batches", ok=(201,),
                     json={"title": f"负载批次{uuid.uuid4().hex[:6]}", "declaration_ids": ids})
    letter = api.json("personnel: open commitment", "POST", f"{base}/bulk/commitment",
                      json={"batch_id": batch["id"]})
    api.sleep(commitment_seconds + 0.5)
    result = api.json("personnel: report batch", "POST", f"{base}/bulk/report",
                      json={"batch_id": batch["id"], "commitment_token": letter["token"], "confirmed": True,
                            "form_key": uuid.uuid4().hex})
    reported.extend(r["id"] for r in result["results"] if r.get("ok"))
    failed = [r for r in result["results"] if not r.get("ok")]
    if failed:
        raise AssertionError(f"report refused {len(failed)} declarations: {failed[0]}")
