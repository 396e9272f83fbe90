"""CIP 旧数据导入 as an admin page (issue 16 item 9) and the import-job mechanism it shares with
考试合格数据导入 (services/common/import_jobs.py), through the real gateway, enterprise, render pool
and database: the admin uploads an Excel file, the job runs in the background and its page shows
the progress (refreshing itself while it runs), the rejected rows are listed and downloadable as
a report, a second run changes nothing; non-admins are refused and a file that is not Excel is
refused at once."""

from __future__ import annotations

import base64
import io
import random
import uuid

import pytest
import requests
from openpyxl import Workbook

from services.common.errors import Forbidden
from tests.support.data import random_uscc
from tests.support.enterprise import resident_id
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Qlp#2026-import-admin"
ROWS = 1200  # more than two of the importer's 500-row batches
BAD = 4


@pytest.fixture(scope="module")
def admin(cluster, running_platform, gateway) -> tuple[requests.Session, str]:
    username = "imp" + uuid.uuid4().hex[:9]
    cluster.identity.create_staff_account(None, {
        "kind": "admin", "username": username, "contact_name": "数据管理员",
        "email": f"{username}@example.com", "password": PASSWORD, "level": None, "region_code": None})
    http = requests.Session()
    assert http.post(f"{gateway}/api/v1/session", json={"login": username, "password": PASSWORD},
                     timeout=30).status_code == 200
    return http, http.get(f"{gateway}/api/v1/session", timeout=30).json()["csrf_token"]


def legacy_sheet(rng: random.Random) -> tuple[bytes, list[int], list[str]]:
    """ROWS staff rows of three enterprises; BAD of them without a name (their Excel row numbers)."""
    usccs = [random_uscc(rng) for _ in range(3)]
    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "企业名称", "人员类别", "姓名", "证件类型", "证件号码", "证书类别",
                  "证书编号", "证书有效期"])
    bad = sorted(rng.sample(range(ROWS), BAD))
    used: set[str] = set()
    for index in range(ROWS):
        number = resident_id(rng)
        while number in used:
            number = resident_id(rng)
        used.add(number)
        sheet.append([usccs[index % 3], f"旧数据导入测试{index % 3}电力有限公司", "电工",
                      "" if index in bad else f"导入{index:04d}", "居民身份证", number, "电工证",
                      f"T{rng.randrange(10**8)}", "2030-12-31"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), [i + 2 for i in bad], usccs


def start(http: requests.Session, token: str, gateway: str, kind: str, data: bytes, name: str):
    return http.post(f"{gateway}/api/v1/admin/imports/{kind}", headers={"X-CSRF-Token": token}, timeout=60,
                     json={"file": {"filename": name, "content_b64": base64.b64encode(data).decode()}})


def finished(http: requests.Session, gateway: str, kind: str, job_id: str) -> dict:
    def done():
        job = http.get(f"{gateway}/api/v1/admin/imports/{kind}/{job_id}", timeout=30).json()
        return None if job["running"] else job
    return wait_for(done, timeout=300, interval=1, what="the import job")


def test_cip_legacy_import_runs_as_a_job_with_progress_and_a_rejected_row_report(admin, gateway, cluster):
    http, token = admin
    data, bad_rows, usccs = legacy_sheet(random.Random())

    # The upload page and the menu entry.
    page = http.get(f"{gateway}/admin/legacy-import", timeout=30)
    assert page.status_code == 200 and 'id="legacy-import"' in page.text and "旧数据导入" in page.text

    started = start(http, token, gateway, "legacy-staff", data, "旧系统人员.xlsx")
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("queued", "running", "done") and job["filename"] == "旧系统人员.xlsx"
    # While it runs the page refreshes itself and shows a progress bar (no script: CSP).
    running = http.get(f"{gateway}/admin/imports/legacy-staff/{job['id']}", timeout=30)
    assert running.status_code == 200 and 'id="import-bar"' in running.text
    assert "<script>" not in running.text

    job = finished(http, gateway, "legacy-staff", job["id"])
    assert job["status"] == "done", job
    assert (job["total"], job["done"], job["percent"]) == (ROWS, ROWS, 100)
    assert job["summary"]["staff_created"] == ROWS - BAD
    assert job["summary"]["enterprises_created"] == 3
    assert [r["row"] for r in job["rejected"]] == bad_rows
    assert all(r["errors"] == ["姓名：此项为必填项"] for r in job["rejected"]), job["rejected"]

    page = http.get(f"{gateway}/admin/imports/legacy-staff/{job['id']}", timeout=30)
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text
    assert f'<b id="staff-created">{ROWS - BAD}</b>' in page.text
    assert all(f'data-row="{row}"' in page.text for row in bad_rows)
    report = http.get(f"{gateway}/admin/imports/legacy-staff/{job['id']}/report", timeout=30)
    assert report.status_code == 200 and "attachment" in report.headers["Content-Disposition"]
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "行号,统一社会信用代码,姓名,证件号码,原因"
    assert [int(line.split(",")[0]) for line in lines[1:]] == bad_rows

    # The imported people are there for 信息补录 (enterprise's staff_imported), marked imported.
    records = cluster.enterprise.records_for_precheck(None, _enterprise_id(cluster, usccs[0]))
    assert len(records["staff"]) == len([i for i in range(ROWS) if i % 3 == 0 and i + 2 not in bad_rows])

    # A second run of the same file changes nothing.
    again = finished(http, gateway, "legacy-staff",
                     start(http, token, gateway, "legacy-staff", data, "旧系统人员.xlsx").json()["id"])
    assert again["summary"]["staff_created"] == 0 and again["summary"]["unchanged"] == ROWS - BAD


def _enterprise_id(cluster, uscc: str) -> str:
    from services.enterprise.importer import imported_id

    return str(imported_id(uscc))


def test_a_file_that_is_not_excel_is_refused_at_once_and_non_admins_are_refused(admin, gateway, cluster):
    http, token = admin
    refused = start(http, token, gateway, "legacy-staff", b"uscc,name\n", "旧系统人员.csv")
    assert refused.status_code == 422 and "Excel" in refused.text
    page = http.post(f"{gateway}/admin/legacy-import", data={"csrf_token": token}, timeout=30)
    assert page.status_code == 422 and "请选择要导入的Excel文件" in page.text
    broken = start(http, token, gateway, "legacy-staff", b"PK\x03\x04not really", "坏文件.xlsx").json()
    failed = finished(http, gateway, "legacy-staff", broken["id"])
    assert failed["status"] == "failed" and failed["error"] == "Excel文件无法读取，请检查文件"
    other_kind = http.get(f"{gateway}/api/v1/admin/imports/exam-passes/{broken['id']}", timeout=30)
    assert other_kind.status_code == 404
    reviewer = {"id": str(uuid.uuid4()), "kind": "reviewer", "level": "province", "region_code": "150000",
                "permissions": [], "enterprise_id": None}
    with pytest.raises(Forbidden):
        cluster.enterprise.import_job(reviewer, broken["id"])


def test_the_exam_pass_register_imports_through_the_same_job_page(admin, gateway, cluster):
    http, token = admin
    book = Workbook()
    book.active.append(["姓名", "身份证号", "专业", "资格证书编号"])
    first = resident_id()
    book.active.append(["周合格", first, "建筑工程", f"NMG{random.randrange(10**6, 10**7)}"])
    book.active.append(["吴不合格", "15", "建筑工程", "bad"])
    out = io.BytesIO()
    book.save(out)
    upload = http.post(f"{gateway}/admin/exam-passes", allow_redirects=False, timeout=60,
                       data={"csrf_token": token}, files={"file": ("合格.xlsx", out.getvalue())})
    assert upload.status_code == 303 and "/admin/imports/exam-passes/" in upload.headers["Location"]
    job_id = upload.headers["Location"].rsplit("/", 1)[1]
    job = finished(http, gateway, "exam-passes", job_id)
    assert (job["status"], job["summary"]["added"], job["rejected_count"]) == ("done", 1, 1)
    report = http.get(f"{gateway}/admin/imports/exam-passes/{job_id}/report", timeout=30)
    assert report.content.decode("utf-8-sig").splitlines()[1].startswith("3,吴不合格,15,建筑工程,bad,")
    found = http.get(f"{gateway}/admin/exam-passes", params={"q": first}, timeout=30)
    assert "周合格" in found.text
