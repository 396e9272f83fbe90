"""考试合格数据 in the gateway (issue 15, item 17): admins import an Excel sheet and see the rejected
rows; reviewers search; enterprises are refused. Fake RPC, no servers."""

import base64
import io

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp, menu_for
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

KINDS = {"a": "admin", "r": "reviewer", "e": "enterprise"}
JOB = {"id": "j1", "kind": "exam_passes", "filename": "合格.xlsx", "status": "done",
       "status_label": "导入完成",
       "running": False, "total": 3, "done": 3, "percent": 100, "summary": {"added": 2, "already": 0},
       "rejected_count": 1, "rejected": [{"row": 4, "values": {"姓名": "孙考试", "身份证号": "123"},
                                          "errors": ["身份证号：位数不对", "专业：不对"]}],
       "error": None, "created_at": "2026-12-06T10:00:00+00:00", "finished_at": "2026-12-06T10:00:05+00:00"}


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind=KINDS[account_id[0]], level="province", region_code="150000")
    fake.behaviour[("personnel", "import_exam_passes")] = lambda actor, payload: dict(JOB, status="queued")
    fake.behaviour[("personnel", "import_job")] = lambda actor, job_id: dict(JOB)
    fake.behaviour[("personnel", "import_report")] = lambda actor, job_id: {
        "filename": "合格-未导入行.csv", "content_type": "text/csv; charset=utf-8",
        "content_b64": base64.b64encode("行号,原因\n4,不对\n".encode("utf-8-sig")).decode(), "rows": 1}
    fake.behaviour[("personnel", "search_exam_passes")] = lambda actor, query: {"q": query["q"], "items": [
        {"id_number": "150102199001011234", "name": "赵考试", "specialty": "建筑工程",
         "certificate_number": "NMG1234567", "passed_on": "2025-06-01"}]}
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def test_admin_imports_a_sheet_follows_the_job_and_downloads_the_rejected_rows(client, rpc):
    sign_in_as(client, "a1")
    page = client.post("/admin/exam-passes", data={
        "csrf_token": "t0ken", "file": (io.BytesIO(b"PK\x03\x04 sheet"), "合格.xlsx")})
    assert page.status_code == 303 and page.headers["Location"].endswith("/admin/imports/exam-passes/j1")
    job_page = client.get("/admin/imports/exam-passes/j1")
    html = job_page.get_data(as_text=True)
    assert job_page.status_code == 200 and '<b id="added">2</b>' in html
    assert 'http-equiv="refresh"' not in html
    assert 'data-row="4"' in html and "身份证号：位数不对；专业：不对" in html and 'id="report-link"' in html
    report = client.get("/admin/imports/exam-passes/j1/report")
    assert report.status_code == 200 and report.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in report.headers["Content-Disposition"]
    assert "4,不对" in report.get_data().decode("utf-8-sig")
    ((_, _, (actor, payload), _),) = [c for c in rpc.calls if c[1] == "import_exam_passes"]
    assert actor["kind"] == "admin" and payload["file"]["filename"] == "合格.xlsx"
    assert ("/admin/exam-passes", "考试合格数据") in menu_for({"kind": "admin"}, None)


def test_reviewers_search_but_cannot_import_and_enterprises_are_refused(client, rpc):
    sign_in_as(client, "r1")
    html = client.get("/admin/exam-passes?q=1501").get_data(as_text=True)
    assert "NMG1234567" in html and 'id="exam-import"' not in html
    assert client.post("/admin/exam-passes", data={"csrf_token": "t0ken"}).status_code == 403
    sign_in_as(client, "e1")
    assert client.get("/admin/exam-passes").status_code == 403
    assert client.get("/admin/imports/exam-passes/j1").status_code == 403
    assert not [c for c in rpc.calls if c[1] in ("import_exam_passes", "import_job")]


def test_a_running_job_page_refreshes_itself_and_shows_its_progress(client, rpc):
    rpc.behaviour[("personnel", "import_job")] = lambda actor, job_id: dict(
        JOB, status="running", status_label="正在导入", running=True, done=1200, total=5000, percent=24,
        rejected=[], rejected_count=0)
    sign_in_as(client, "a1")
    html = client.get("/admin/imports/exam-passes/j1").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html and 'value="24"' in html
    assert "1200" in html and "5000" in html and "<script" not in html.split("</head>")[0].split("app.css")[1]
    assert client.get("/admin/imports/nothing/j1").status_code == 404
