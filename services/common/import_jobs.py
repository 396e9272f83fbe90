"""Admin imports that run in the background, with progress and a rejected-row report: the one
mechanism behind 考试合格数据导入 (personnel, issue 15 item 17) and CIP 旧数据导入 (enterprise,
issue 16 item 9).

- A service keeps its jobs in its own ``import_jobs`` table (a model of :class:`ImportJobMixin`).
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
  :data:`STALE_AFTER` without progress (re-importing the file is safe: both imports are idempotent).

A rejected row is ``{"row": <Excel row number>, "values": {<column label>: <text>}, "errors": [..]}``.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.common.attachments import read_transient
from services.common.errors import ValidationFailed, field_error

log = logging.getLogger(__name__)

XLSX_MAGIC = b"PK\x03\x04"
MAX_BYTES = 10 * 1024 * 1024
BATCH_ROWS = 200
SHOWN_REJECTED = 200          # rejected rows a job view carries (the report has them all)
STALE_AFTER = timedelta(minutes=10)
STATUS_LABELS = {"queued": "等待导入", "running": "正在导入", "done": "导入完成", "failed": "导入失败",
                 "interrupted": "导入中断（请重新导入）"}
NOT_FOUND = "没有找到该导入任务"
SYSTEM_ERROR = "导入失败：系统错误，请稍后重新导入"


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (the message is for the admin, in Chinese)."""


class ImportJobMixin:
    """Columns of a service's ``import_jobs`` table."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    rejected: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def _now() -> datetime:
    return datetime.now(UTC)


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
    now = _now()
    return model(id=uuid.uuid4(), kind=kind, filename=filename, status="queued", total=0, done=0,
                 summary={}, rejected=[], error=None, source=data, actor_id=actor_id, created_at=now,
                 updated_at=now, finished_at=None)


def status_of(job: Any, now: datetime | None = None) -> str:
    if job.status in ("queued", "running") and (now or _now()) - job.updated_at > STALE_AFTER:
        return "interrupted"
    return job.status


def job_view(job: Any, now: datetime | None = None) -> dict[str, Any]:
    status = status_of(job, now)
    total, done = int(job.total or 0), int(job.done or 0)
    percent = 100 if status == "done" else (min(99, done * 100 // total) if total else 0)
    rejected = list(job.rejected or [])
    return {"id": str(job.id), "kind": job.kind, "filename": job.filename, "status": status,
            "status_label": STATUS_LABELS[status], "running": status in ("queued", "running"),
            "total": total, "done": done, "percent": percent, "summary": dict(job.summary or {}),
            "rejected_count": len(rejected), "rejected": rejected[:SHOWN_REJECTED], "error": job.error,
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


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


Session = Callable[[], AbstractContextManager[Any]]   # a unit of work: .session, .commit()
Parse = Callable[[bytes], tuple[list[Any], list[dict[str, Any]]]]
Apply = Callable[[list[Any]], tuple[dict[str, int], list[dict[str, Any]]]]


def run(unit_of_work: Session, model: type, job_id: uuid.UUID, parse: Parse, apply: Apply,
        batch_rows: int = BATCH_ROWS) -> None:
    """Run a queued job to its end (done or failed); a job not queued any more is left alone."""
    with unit_of_work() as uow:
        job = uow.session.get(model, job_id, with_for_update=True)
        if job is None or job.status != "queued":
            return
        job.status, job.updated_at = "running", _now()
        data = bytes(job.source or b"")
        uow.commit()
    try:
        rows, rejected = parse(data)
        summary: dict[str, int] = {}
        _progress(unit_of_work, model, job_id, total=len(rows) + len(rejected), done=len(rejected),
                  summary=summary, rejected=rejected)
        done = len(rejected)
        for start in range(0, len(rows), batch_rows):
            part = rows[start:start + batch_rows]
            counts, more = apply(part)
            for key, value in counts.items():
                summary[key] = summary.get(key, 0) + int(value)
            rejected = [*rejected, *more]
            done += len(part)
            _progress(unit_of_work, model, job_id, done=done, summary=summary, rejected=rejected)
        rejected.sort(key=lambda r: r.get("row") or 0)
        _progress(unit_of_work, model, job_id, status="done", summary=summary, rejected=rejected,
                  source=None, finished_at=_now())
    except ImportFileError as exc:
        _progress(unit_of_work, model, job_id, status="failed", error=str(exc), source=None,
                  finished_at=_now())
    except Exception:
        log.exception("import job %s failed", job_id)
        _progress(unit_of_work, model, job_id, status="failed", error=SYSTEM_ERROR, source=None,
                  finished_at=_now())


def _progress(unit_of_work: Session, model: type, job_id: uuid.UUID, **values: Any) -> None:
    with unit_of_work() as uow:
        job = uow.session.get(model, job_id, with_for_update=True)
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = _now()
        uow.commit()
