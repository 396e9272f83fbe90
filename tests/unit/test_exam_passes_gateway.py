"""考试合格数据 in the gateway (issue 15, item 17): admins import an Excel sheet and see the rejected
rows; reviewers search; enterprises are refused. Fake RPC, no servers."""

import io

import pytest
from werkzeug.test import Client

from gateway.app import GatewayApp, menu_for
from tests.unit.test_gateway_app import FakeRpc, MemorySessions, account, sign_in_as

KINDS = {"a": "admin", "r": "reviewer", "e": "enterprise"}


@pytest.fixture
def rpc():
    fake = FakeRpc()
    fake.behaviour[("identity", "session_account")] = lambda account_id: account(
        account_id, kind=KINDS[account_id[0]], level="province", region_code="150000")
    fake.behaviour[("personnel", "import_exam_passes")] = lambda actor, payload: {
        "filename": "合格.xlsx", "rows": 3, "added": 2, "already": 0,
        "rejected": [{"row": 4, "values": {"姓名": "孙考试", "身份证号": "123"},
                      "errors": ["身份证号：位数不对", "专业：不对"]}]}
    fake.behaviour[("personnel", "search_exam_passes")] = lambda actor, query: {"q": query["q"], "items": [
        {"id_number": "150102199001011234", "name": "赵考试", "specialty": "建筑工程",
         "certificate_number": "NMG1234567", "passed_on": "2025-06-01"}]}
    return fake


@pytest.fixture
def client(rpc):
    return Client(GatewayApp(rpc, MemorySessions(), {"gateway": {}}))


def test_admin_imports_a_sheet_and_sees_the_rejected_rows(client, rpc):
    sign_in_as(client, "a1")
    page = client.post("/admin/exam-passes", data={
        "csrf_token": "t0ken", "file": (io.BytesIO(b"PK\x03\x04 sheet"), "合格.xlsx")})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<b id="added">2</b>' in html
    assert 'data-row="4"' in html and "身份证号：位数不对；专业：不对" in html
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
    assert not [c for c in rpc.calls if c[1] == "import_exam_passes"]
