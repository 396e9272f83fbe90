"""注册人员 Excel export as a background job: the request answers at once with a job id, the
workbook is made in the service (openpyxl in the render pool, services/common/renderpool.py)
and put in object storage, and the requester's page refreshes until it can download it. A
large export or a cold render worker never outlasts the gateway's RPC timeout (issue 17).

A job that never finished (its process died meanwhile) reads as failed after
``STUCK_AFTER``; the user exports again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.errors import NotFound
from services.common.schema_errors import load_or_fail
from services.personnel import export
from services.personnel.models import ExportJob
from services.personnel.schemas import SearchSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases._support import Deps
from services.personnel.usecases.registry import export_workbook

log = logging.getLogger(__name__)

JOB_NOT_FOUND = "导出任务不存在"
FAILED = "导出失败，请稍后重新导出。"
STUCK_AFTER = timedelta(minutes=10)
PREFIX = "personnel/exports"


def _now() -> datetime:
    return datetime.now(UTC)


def start_export(deps: Deps, actor: dict, filters: dict | None = None) -> dict:
    """Record the job (the actor's access to the register is checked first) and make the
    workbook in the background (``deps.spawn``); answers the job as it stands."""
    kept = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    load_or_fail(SearchSchema(), {**kept, "limit": 5000})  # refuse bad filters now, not later
    s.search_scope(deps, actor)
    job = ExportJob(id=uuid.uuid4(), requested_by=str((actor or {}).get("id")), filters=kept,
                    status="running")
    with deps.begin() as uow:
        uow.repo.add(job)
        uow.commit()
        answer = job_view(deps, job)
    spawn: Callable[..., Any] = deps.spawn or (lambda work, *args: work(*args))
    spawn(run_export, deps, str(job.id), actor, kept)
    return answer


def run_export(deps: Deps, job_id: str, actor: dict, filters: dict) -> None:
    """Make the workbook, store it, mark the job done (or failed: never raises)."""
    try:
        filename, data, rows = export_workbook(deps, actor, filters)
        key = deps.store().put(PREFIX, data, export.XLSX_CONTENT_TYPE)
        outcome: dict[str, Any] = {"status": "done", "rows": rows, "filename": filename, "storage_key": key}
    except Exception as exc:  # noqa: BLE001 (the job says so; the page offers to export again)
        log.exception("export job %s failed", job_id)
        outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
    try:
        with deps.begin() as uow:
            job = uow.repo.export_job(uuid.UUID(job_id), for_update=True)
            if job is not None:
                for name, value in outcome.items():
                    setattr(job, name, value)
                job.finished_at = _now()
                uow.commit()
    except Exception:  # noqa: BLE001 (a background job must not take the service down)
        log.exception("export job %s: its outcome could not be stored", job_id)


def export_status(deps: Deps, actor: dict, job_id: str) -> dict:
    """The requester's job: status, rows, and when done a short-lived download URL."""
    try:
        jid = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound(JOB_NOT_FOUND) from None
    with deps.begin() as uow:
        job = uow.repo.export_job(jid)
        if job is None or job.requested_by != str((actor or {}).get("id")):
            if job is not None:
                deps.audit_alone("personnel.access_refused", actor, str(jid), reason="export_job")
            raise NotFound(JOB_NOT_FOUND)
        return job_view(deps, job)


def job_view(deps: Deps, job: ExportJob) -> dict:
    status = job.status
    created = job.created_at or _now()
    if status == "running" and _now() - created > STUCK_AFTER:
        status = "failed"
    done = status == "done" and job.storage_key
    return {
        "id": str(job.id),
        "status": status,
        "rows": job.rows,
        "filename": job.filename,
        "created_at": created.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "message": FAILED if status == "failed" else None,
        "download_url": deps.store().download_url(job.storage_key, job.filename or "注册人员.xlsx")
        if done
        else None,
    }
