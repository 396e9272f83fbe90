"""The exam-pass register (人社厅考试合格数据) has a way in (issue 15, item 17): an admin imports an
Excel sheet through real personnel; refused rows come back with their row and reasons, a second
import doubles nothing, and the register can be searched (reviewers and admins only)."""

from __future__ import annotations

import base64
import io
import random
import uuid

import pytest
from openpyxl import Workbook

from services.common.errors import Forbidden, ValidationFailed
from tests.support.enterprise import resident_id
from tests.support.personnel import ADMIN
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def sheet(*rows) -> dict:
    book = Workbook()
    book.active.append(["姓名", "身份证号", "专业", "资格证书编号", "考试合格日期"])
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return {"filename": "考试合格数据.xlsx", "content_b64": base64.b64encode(buffer.getvalue()).decode()}


def finished(cluster, job: dict) -> dict:
    """The job once it has run (it runs in the background, in personnel's render pool)."""
    assert job["status"] in ("queued", "running", "done")
    return wait_for(lambda: (lambda j: j if not j["running"] else None)(
        cluster.personnel.import_job(ADMIN, job["id"])), timeout=120, what="the import job")


def test_admin_imports_the_register_with_a_rejected_row_report_and_searches_it(cluster):
    first, second = resident_id(), resident_id()
    number = f"NMG{random.randrange(10**6, 10**7)}"
    upload = sheet(("赵考试", first, "建筑工程", number, "2025-06-01"),
                   ("钱考试", second, "市政公用工程", f"NMG{random.randrange(10**6, 10**7)}", None),
                   ("孙考试", "123", "园林工程", "X1", "2025-06-01"))
    result = finished(cluster, cluster.personnel.import_exam_passes(ADMIN, {"file": upload}))
    assert (result["status"], result["total"], result["done"]) == ("done", 3, 3)
    assert result["summary"] == {"added": 2, "already": 0}
    (refused,) = result["rejected"]
    assert refused["row"] == 4 and refused["values"]["姓名"] == "孙考试" and len(refused["errors"]) == 3
    report = base64.b64decode(cluster.personnel.import_report(ADMIN, result["id"])["content_b64"])
    assert report.decode("utf-8-sig").splitlines()[1].startswith("4,孙考试,123,园林工程,X1,")

    again = finished(cluster, cluster.personnel.import_exam_passes(ADMIN, {"file": upload}))
    assert again["summary"] == {"added": 0, "already": 2}

    found = cluster.personnel.search_exam_passes(ADMIN, {"q": first[:14]})["items"]
    mine = [(p["name"], p["specialty"], p["certificate_number"]) for p in found if p["id_number"] == first]
    assert mine == [("赵考试", "建筑工程", number)]
    assert cluster.personnel.search_exam_passes(ADMIN, {"q": "钱考"})["items"]
    assert [p["certificate_number"] for p in cluster.personnel.exam_passes(ADMIN, first)] == [number]

    enterprise = {"id": str(uuid.uuid4()), "kind": "enterprise", "permissions": [], "enterprise_id": None}
    with pytest.raises(Forbidden):
        cluster.personnel.import_exam_passes(enterprise, {"file": upload})
    with pytest.raises(ValidationFailed) as not_excel:
        cluster.personnel.import_exam_passes(ADMIN, {"file": {"filename": "x.xlsx",
                                                               "content_b64": "JVBERg=="}})
    assert "Excel" in not_excel.value.fields["file"][0]["message"]
