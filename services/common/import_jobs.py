"""Admin imports that run in the background, with progress and a rejected-row report: the one
mechanism behind 考试合格数据导入 (personnel, issue 15 item 17) and CIP 旧数据导入 (enterprise,
issue 16 item 9).

- A service keeps its jobs in its own ``import_jobs`` table (a model of :class:`ImportJobMixin`:
  the background-job columns of services/common/jobs.py plus the file and its outcome). The
  job's statuses, transitions and staleness are services/common/jobs.py's.
  The admin's upload is checked at once (an .xlsx, not too large: :func:`read_upload`), stored in
  the job row and the RPC answers with the job (``queued``); the service's ``Background``
  provider (services/common/background.py) runs :func:`run` in a managed thread of its container.
- :func:`run` parses the whole file with ``parse(data)`` (the service passes a function that runs
  openpyxl in its render pool, services/common/renderpool.py: never in the eventlet process or a
  tpool thread), then writes the rows in batches with ``apply(batch)``, each batch committed and
  followed by the job's ``done`` / ``total`` so the page can show the progress; rejected rows
  (parse's and apply's) are kept on the job, row by row with their reasons.
- :func:`job_view` is what the RPCs answer (status with its Chinese label, percent, counts, the
  first rejected rows); :func:`report_csv` is the downloadable report (UTF-8 with BOM: Excel
  opens it). A job left ``running`` by a process that died shows as 已中断 after
  jobs.STALE_AFTER without progress (re-importing the file is safe: both imports are idempotent).

A rejected row is ``{"row": <Excel row number>, "values": {<column label>: <text>}, "errors": [..]}``.
"""

from __future__ import annotations

import base64
import csv
import io
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from services.common import jobs
from services.common.attachments import read_transient
from services.common.errors import NotFound, ValidationFailed, field_error

XLSX_MAGIC = b"PK\x03\x04"
MAX_BYTES = 10 * 1024 * 1024
BATCH_ROWS = 200
SHOWN_REJECTED = 200          # rejected rows a job view carries (the report has them all)
STALE_AFTER = jobs.STALE_AFTER
STATUS_LABELS = {jobs.QUEUED: "等待导入", jobs.RUNNING: "正在导入", jobs.DONE: "导入完成",
                 jobs.FAILED: "导入失败", jobs.INTERRUPTED: "导入中断（请重新导入）"}
NOT_FOUND = "没有找到该导入任务"
SYSTEM_ERROR = "导入失败：系统错误，请稍后重新导入"


class ImportFileError(jobs.JobFailed):
    """The file as a whole cannot be imported (the message is for the admin, in Chinese)."""


class ImportJobMixin(jobs.JobMixin):
    """Columns of a service's ``import_jobs`` table: a background job's, and the file's."""

    filename: Mapped[str] = mapped_column(String(255))
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    rejected: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


def read_upload(upload: Any) -> tuple[str, bytes]:
    """(file name, bytes) of an uploaded .xlsx (the gateway's claim check, or {filename,
    content_b64} from a service's own caller); ValidationFailed on ``file`` otherwise, at once,
    before any job exists."""
    upload = upload if isinstance(upload, dict) else {}
    data = read_transient(upload, "file") if upload else b""
    problem = None
    if not data:
        problem = ("required", "请选择要导入的Excel文件")
    elif len(data) > MAX_BYTES:
        problem = ("too_large", f"文件不能超过{MAX_BYTES // (1024 * 1024)}MB，请分批导入")
    elif not data.startswith(XLSX_MAGIC):
        problem = ("invalid", "请上传Excel文件（.xlsx）")
    if problem:
        raise ValidationFailed(problem[1], {"file": [field_error(*problem)]})
    name = str(upload.get("filename") or "import.xlsx").replace("/", "_").replace("\\", "_")[-200:]
    return name, data


def new_job(model: type, kind: str, filename: str, data: bytes, actor_id: str | None) -> Any:
    return jobs.new(model, kind, actor_id, filename=filename, summary={}, rejected=[], source=data)


status_of = jobs.status_of


def job_view(job: Any, now: datetime | None = None) -> dict[str, Any]:
    view = jobs.progress_view(job, now)
    rejected = list(job.rejected or [])
    return {**view, "filename": job.filename, "status_label": STATUS_LABELS[view["status"]],
            "summary": dict(job.summary or {}), "rejected_count": len(rejected),
            "rejected": rejected[:SHOWN_REJECTED], "error": job.error}


def report_csv(rejected: list[dict[str, Any]], labels: list[str]) -> bytes:
    """The rejected rows as CSV: 行号, the file's columns (labels), 原因."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号", *labels, "原因"])
    for item in rejected:
        values = item.get("values") or {}
        writer.writerow([item.get("row", ""), *[values.get(label, "") for label in labels],
                         "；".join(item.get("errors") or [])])
    return out.getvalue().encode("utf-8-sig")


def report_filename(job: Any) -> str:
    stem = job.filename.rsplit(".", 1)[0] if "." in job.filename else job.filename
    return f"{stem}-未导入行.csv"


def get(session: Any, model: type, kind: str, job_id: object) -> Any:
    """The import job of ``kind`` with that id; NotFound otherwise (a malformed id too)."""
    job = jobs.find(session, model, job_id, kind)
    if job is None:
        raise NotFound(NOT_FOUND)
    return job


def report(job: Any, labels: list[str]) -> dict[str, Any]:
    """The job's rejected rows as a CSV download (:func:`report_csv`), as the RPCs answer it."""
    rejected = list(job.rejected or [])
    return {"filename": report_filename(job), "content_type": "text/csv; charset=utf-8",
            "content_b64": base64.b64encode(report_csv(rejected, labels)).decode(), "rows": len(rejected)}


Session = Callable[[], AbstractContextManager[Any]]   # a unit of work: .session, .commit()
Parse = Callable[[bytes], tuple[list[Any], list[dict[str, Any]]]]
Apply = Callable[[list[Any]], tuple[dict[str, int], list[dict[str, Any]]]]


def run(unit_of_work: Session, model: type, job_id: uuid.UUID, parse: Parse, apply: Apply,
        batch_rows: int = BATCH_ROWS) -> None:
    """Run a queued job to its end (done or failed; jobs.run); a job not queued any more is
    left alone. The file is not kept once the job has ended."""

    def work(data: bytes) -> dict[str, Any]:
        rows, rejected = parse(data)
        summary: dict[str, int] = {}
        done = len(rejected)
        jobs.progress(unit_of_work, model, job_id, total=len(rows) + len(rejected), done=done,
                      summary=summary, rejected=rejected)
        for start in range(0, len(rows), batch_rows):
            part = rows[start:start + batch_rows]
            counts, more = apply(part)
            for key, value in counts.items():
                summary[key] = summary.get(key, 0) + int(value)
            rejected = [*rejected, *more]
            done += len(part)
            jobs.progress(unit_of_work, model, job_id, done=done, summary=summary, rejected=rejected)
        rejected.sort(key=lambda r: r.get("row") or 0)
        return {"summary": summary, "rejected": rejected}

    jobs.run(unit_of_work, model, job_id, work, read=lambda job: bytes(job.source or b""),
             system_error=SYSTEM_ERROR, source=None)
