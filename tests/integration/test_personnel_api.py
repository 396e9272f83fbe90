"""人员管理's JSON API through the real gateway, personnel, review, the bus and S3: an enterprise
adds a person (403 without X-CSRF-Token, 422 on a wrong ID check digit), starts a 安管人员 新增申报,
uploads its materials as base64, opens the commitment letter and is refused a report before the
server's seconds have passed (422 commitment_too_soon); then reports with a result per
declaration (the same form_key answers the same results), finds it under 已上报, sees review's
case; another enterprise gets 404 for it; 注册人员查询 downloads as Excel."""

from __future__ import annotations

import base64
import io
import random
import time
import uuid

import openpyxl
import pytest
import requests
from sqlalchemy import text

from tests.support.data import random_mobile, random_resident_id
from tests.support.personnel import imported_person
from tests.support.personnel_pages import scan_file
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def enterprises(new_active_enterprise):
    """Two active enterprises: (session, csrf header, account) each."""
    made = []
    for _ in range(2):
        http, csrf, account = new_active_enterprise()
        made.append((http, {"X-CSRF-Token": csrf}, account))
    return made


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_declaration_through_the_api_with_the_server_kept_commitment_clock(
    gateway, running_platform, enterprises, engines, tmp_path
):
    (http, csrf, account), (other, _, _) = enterprises
    rng = random.Random()
    id_number = random_resident_id(rng)
    person = {
        "name": "郑安全",
        "id_type": "resident_id",
        "id_number": id_number,
        "mobile": random_mobile(rng),
    }
    api = gateway + "/api/v1/personnel"

    assert http.post(api + "/people", json=person).status_code == 403  # no X-CSRF-Token
    wrong = {**person, "id_number": id_number[:-1] + ("1" if id_number[-1] == "0" else "0")}
    refused = http.post(api + "/people", json=wrong, headers=csrf)
    assert refused.status_code == 422, refused.text
    id_errors = refused.json()["error"]["fields"]["id_number"]
    assert "校验" in id_errors[0]["message"], id_errors
    created = http.post(api + "/people", json=person, headers=csrf)
    assert created.status_code == 201, created.text
    person_id = created.json()["id"]

    started = http.post(
        api + "/declarations",
        headers=csrf,
        json={"type_code": "safety", "kind": "new", "person_id": person_id, "form": {"class_code": "C2"}},
    )
    assert started.status_code == 201, started.text
    declaration = started.json()
    assert (
        declaration["status"] == "draft"
        and declaration["case_ref"] == f"personnel:declaration:{declaration['id']}"
    )
    scan = scan_file(tmp_path).read_bytes()
    for material in declaration["required_attachments"]:
        uploaded = http.post(
            api + f"/declarations/{declaration['id']}/attachments/{material['code']}",
            headers=csrf,
            json={"filename": f"{material['code']}.jpg", "content_b64": b64(scan)},
        )
        assert uploaded.status_code == 200, uploaded.text
    assert all(m["uploaded"] for m in uploaded.json()["required_attachments"])

    letter = http.post(api + "/bulk/commitment", headers=csrf, json={"declaration_ids": [declaration["id"]]})
    assert letter.status_code == 200, letter.text
    token = letter.json()["token"]
    report = {
        "declaration_ids": [declaration["id"]],
        "commitment_token": token,
        "confirmed": True,
        "form_key": uuid.uuid4().hex,
    }
    early = http.post(api + "/bulk/report", headers=csrf, json=report)
    assert early.status_code == 422 and early.json()["error"]["fields"], early.text
    assert "commitment_too_soon" in str(early.json()["error"]["fields"])
    time.sleep(float(running_platform["personnel"]["commitment_seconds"]) + 0.5)
    reported = http.post(api + "/bulk/report", headers=csrf, json=report)
    assert reported.status_code == 200, reported.text
    results = reported.json()["results"]
    assert [(r["id"], r["ok"], r["status"]) for r in results] == [
        (declaration["id"], True, "city_unaccepted")
    ]
    again = http.post(api + "/bulk/report", headers=csrf, json=report)
    assert again.json()["results"] == results  # the same form_key: the first answer, nothing twice

    listed = http.get(api + "/declarations", params={"reported": "1"}).json()["items"]
    assert [d["status"] for d in listed if d["id"] == declaration["id"]] == ["city_unaccepted"]
    with engines("review").connect() as conn:
        wait_for(
            lambda: conn.execute(
                text("select 1 from cases where case_ref = :r"), {"r": declaration["case_ref"]}
            ).first(),
            what="review's case",
        )
    assert other.get(api + f"/declarations/{declaration['id']}").status_code == 404
    assert other.get(api + f"/people/{person_id}").status_code == 404
    assert requests.get(api + f"/declarations/{declaration['id']}").status_code == 401


def test_registered_staff_export_downloads_as_excel(gateway, enterprises):
    http, csrf, account = enterprises[0]
    rng = random.Random()
    api = gateway + "/api/v1/personnel"
    person = http.post(
        api + "/people",
        headers=csrf,
        json={
            "name": "冯导出",
            "id_type": "resident_id",
            "id_number": random_resident_id(rng),
            "mobile": random_mobile(rng),
        },
    ).json()
    imported_person(person["id"])  # 信息补录 is only for people the legacy import brought
    number = f"蒙交安C{rng.randint(10**9, 10**10 - 1)}"
    recorded = http.post(
        api + f"/people/{person['id']}/certificates",
        headers=csrf,
        json={
            "type_code": "transport_safety",
            "class_code": "C",
            "certificate_number": number,
            "issued_on": "2025-01-10",
            "valid_until": "2028-01-09",
        },
    )
    assert recorded.status_code == 201, recorded.text
    found = http.get(api + "/registered", params={"name": "冯导出"}).json()["items"]
    assert [c["certificate_number"] for c in found] == [number]
    export = http.get(api + "/registered/export", params={"name": "冯导出"})
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in export.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r["姓名"], r["证书编号"]) for r in rows] == [("冯导出", number)]
