"""注册人员's Excel export as a background job through the real gateway, personnel, its render
pool and object storage: the 导出Excel link starts a job and lands on its page, which refreshes
itself (``Refresh`` header) until the workbook is stored, then downloads it; another enterprise
is not told the job exists."""

from __future__ import annotations

import io
import random
import re

import openpyxl
import pytest
import requests

from tests.support.data import random_mobile, random_resident_id
from tests.support.personnel import imported_person
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_the_register_export_is_a_job_whose_page_refreshes_until_it_downloads(
        gateway, new_active_enterprise):
    http, csrf, _ = new_active_enterprise()
    other, _, _ = new_active_enterprise()
    rng = random.Random()
    api = gateway + "/api/v1/personnel"
    headers = {"X-CSRF-Token": csrf}
    person = http.post(api + "/people", headers=headers, json={
        "name": "褚后台导出", "id_type": "resident_id", "id_number": random_resident_id(rng),
        "mobile": random_mobile(rng)}).json()
    imported_person(person["id"])  # 信息补录 is only for people the legacy import brought
    number = f"蒙交安C{rng.randint(10**9, 10**10 - 1)}"
    recorded = http.post(api + f"/people/{person['id']}/certificates", headers=headers, json={
        "type_code": "transport_safety", "class_code": "C", "certificate_number": number,
        "issued_on": "2025-01-10", "valid_until": "2028-01-09"})
    assert recorded.status_code == 201, recorded.text

    page = http.get(gateway + "/personnel/registered", params={"name": "褚后台导出"}, timeout=60)
    link = re.search(r'href="([^"]+)" id="export-link"', page.text).group(1).replace("&amp;", "&")
    started = http.get(gateway + link, allow_redirects=False, timeout=60)
    assert started.status_code == 303, started.text
    job_page = started.headers["Location"]
    assert re.fullmatch(r"/personnel/exports/[0-9a-f-]{36}", job_page)

    def finished() -> requests.Response | None:
        answer = http.get(gateway + job_page, timeout=60)
        assert answer.status_code == 200
        running = 'data-status="running"' in answer.text
        assert running == ("Refresh" in answer.headers)  # it refreshes itself only while running
        return None if running else answer

    done = wait_for(finished, timeout=180, what="the export job")
    assert 'data-status="done"' in done.text and 'id="export-download"' in done.text, done.text
    download = http.get(gateway + job_page + "/download", allow_redirects=False, timeout=60)
    assert download.status_code == 303
    workbook = requests.get(download.headers["Location"], timeout=60)
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r["姓名"], r["证书编号"]) for r in rows] == [("褚后台导出", number)]

    assert other.get(gateway + job_page, timeout=60).status_code == 404  # not the requester's
    assert other.get(gateway + job_page + "/download", allow_redirects=False, timeout=60).status_code == 404
