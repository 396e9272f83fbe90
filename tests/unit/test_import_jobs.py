"""The shared import-job mechanism (services/common/import_jobs.py): the upload check, the run
in batches with progress, rejected rows kept and reported, failures recorded, the view and the
CSV report; and the two kinds' pieces (CIP importer's byte parser, its rejected-row shape)."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import Workbook

from services.common import import_jobs
from services.common.errors import ValidationFailed
from services.enterprise import importer
from services.enterprise.usecases.legacy_import import rejected_row
from tests.support.fakes import FakeJobs


def _upload(data: bytes, name: str = "数据.xlsx") -> dict:
    return {"filename": name, "content_b64": base64.b64encode(data).decode()}


@pytest.mark.parametrize("data, code", [(b"", "required"), (b"name,id\n", "invalid"),
                                        (b"PK\x03\x04" + b"0" * import_jobs.MAX_BYTES, "too_large")])
def test_a_file_that_is_not_an_xlsx_is_refused_at_once(data, code):
    with pytest.raises(ValidationFailed) as caught:
        import_jobs.read_upload(_upload(data))
    assert caught.value.fields["file"][0]["code"] == code


def test_an_xlsx_is_taken_with_a_safe_name():
    name, data = import_jobs.read_upload(_upload(b"PK\x03\x04rest", "../a/b.xlsx"))
    assert data == b"PK\x03\x04rest" and "/" not in name


class Job(SimpleNamespace):
    pass


def _job() -> Job:
    return Job(**{**import_jobs.new_job(Job, "k", "f.xlsx", b"data", "admin").__dict__})


def test_a_job_runs_in_batches_with_its_progress_and_keeps_the_rejected_rows_in_row_order():
    job = _job()
    store = FakeJobs(job)
    batches: list[list[int]] = []

    def parse(data: bytes):
        assert data == b"data"
        return list(range(5)), [{"row": 9, "values": {}, "errors": ["坏"]}]

    def apply(batch: list[int]):
        batches.append(batch)
        return {"added": len(batch)}, [{"row": 2, "values": {}, "errors": ["重复"]}] if 0 in batch else []

    import_jobs.run(store.begin, Job, job.id, parse, apply, batch_rows=2)
    assert batches == [[0, 1], [2, 3], [4]]
    assert [s for s in store.seen if s[0] == "running"] == [("running", 0, 0), ("running", 1, 6),
                                                            ("running", 3, 6), ("running", 5, 6),
                                                            ("running", 6, 6)]
    assert job.status == "done" and job.summary == {"added": 5} and job.source is None
    assert [r["row"] for r in job.rejected] == [2, 9]
    view = import_jobs.job_view(job)
    assert (view["percent"], view["rejected_count"], view["running"]) == (100, 2, False)

    import_jobs.run(store.begin, Job, job.id, parse, apply)  # not queued any more: left alone
    assert len(batches) == 3


def test_a_file_error_fails_the_job_with_its_message_and_a_crash_with_a_plain_one():
    for error, message in ((import_jobs.ImportFileError("表头缺少：身份证号"), "表头缺少：身份证号"),
                           (RuntimeError("boom"), import_jobs.SYSTEM_ERROR)):
        job = _job()

        def parse(data: bytes, error: Exception = error):
            raise error

        import_jobs.run(FakeJobs(job).begin, Job, job.id, parse, lambda b: ({}, []))
        assert (job.status, job.error, job.source) == ("failed", message, None)
        assert import_jobs.job_view(job)["status_label"] == "导入失败"


def test_a_job_without_progress_for_long_shows_as_interrupted():
    job = _job()
    job.status = "running"
    assert import_jobs.job_view(job)["status"] == "running"
    later = job.updated_at + import_jobs.STALE_AFTER + timedelta(seconds=1)
    view = import_jobs.job_view(job, later)
    assert view["status"] == "interrupted" and not view["running"] and "中断" in view["status_label"]


def test_the_report_lists_row_columns_and_reasons():
    rejected = [{"row": 4, "values": {"姓名": "孙", "身份证号": "123"},
                 "errors": ["身份证号：位数不对", "专业：不对"]}]
    data = import_jobs.report_csv(rejected, ["姓名", "身份证号", "专业"])
    text = data.decode("utf-8-sig").splitlines()
    assert text == ["行号,姓名,身份证号,专业,原因", "4,孙,123,,身份证号：位数不对；专业：不对"]


def _xlsx(*rows: list[Any]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_cip_parser_reads_rows_by_header_and_refuses_a_file_without_the_key_columns():
    out = importer.parse_xlsx(_xlsx(["统一社会信用代码", "姓名", "证件号码"], ["X", "张三", "150"],
                                    [None, None, None], ["Y", "李四", "151"]))
    assert out["rows"] == [(2, {"uscc": "X", "name": "张三", "id_number": "150"}),
                           (4, {"uscc": "Y", "name": "李四", "id_number": "151"})]
    assert "表头缺少" in importer.parse_xlsx(_xlsx(["姓名"], ["张三"]))["error"]
    assert importer.parse_xlsx(b"PK\x03\x04broken")["error"] == "Excel文件无法读取，请检查文件"


def test_the_cip_rejected_row_takes_the_shared_shape():
    row = rejected_row({"row": 7, "uscc": "U", "name": "张三", "id_number": "1", "reason": "姓名：必填"})
    assert row == {"row": 7, "values": {"统一社会信用代码": "U", "姓名": "张三", "证件号码": "1"},
                   "errors": ["姓名：必填"]}
