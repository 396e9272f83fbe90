"""注册人员 Excel export as a background job (services/common/jobs.py, the mechanism the admin
imports use too): the request answers at once with a ``queued`` job, the workbook is made in
the service (openpyxl in the render pool, services/common/renderpool.py) and put in object
storage, and the requester's page refreshes until it can download it. A large export or a cold
render worker never outlasts the gateway's RPC timeout (issue 17).

The page knows three states: ``running`` (queued or running), ``done`` and ``failed`` (also a
job whose process died: ``interrupted`` after jobs.STALE_AFTER); the user exports again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from services.common import jobs
from services.common.errors import NotFound
from services.common.schema_errors import load_or_fail
from services.personnel import export
from services.personnel.models import ExportJob
from services.personnel.schemas import SearchSchema
from services.personnel.usecases import _support as s
from services.personnel.usecases._support import Deps
from services.personnel.usecases.registry import export_workbook

KIND = "registered_people"
JOB_NOT_FOUND = "导出任务不存在"
FAILED = "导出失败，请稍后重新导出。"
STUCK_AFTER = jobs.STALE_AFTER
PREFIX = "personnel/exports"
PAGE_STATUS = {jobs.QUEUED: "running", jobs.RUNNING: "running", jobs.DONE: "done",
               jobs.FAILED: "failed", jobs.INTERRUPTED: "failed"}


def start_export(deps: Deps, actor: dict, filters: dict | None = None) -> dict:
    """Record the job (the actor's access to the register is checked first) and make the
    workbook in the background (``deps.spawn``); answers the job as it stands."""
    kept = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    load_or_fail(SearchSchema(), {**kept, "limit": 5000})  # refuse bad filters now, not later
    s.search_scope(deps, actor)
    job = jobs.new(ExportJob, KIND, str((actor or {}).get("id")), filters=kept)
    job_id = job.id
    with deps.begin() as uow:
        uow.repo.add(job)
        uow.commit()
        answer = job_view(deps, job)
    spawn: Callable[..., Any] = deps.spawn or (lambda work, *args: work(*args))
    spawn(run_export, deps, str(job_id), actor)
    return answer


def run_export(deps: Deps, job_id: str, actor: dict) -> None:
    """Make the workbook with the job's filters, store it, mark the job done (or failed:
    never raises)."""

    def work(filters: dict) -> dict[str, Any]:
        filename, data, rows = export_workbook(deps, actor, filters)
        key = deps.store().put(PREFIX, data, export.XLSX_CONTENT_TYPE)
        return {"rows": rows, "total": rows, "done": rows, "filename": filename, "storage_key": key}

    jobs.run(deps.begin, ExportJob, uuid.UUID(job_id), work, read=lambda job: dict(job.filters or {}),
             system_error=FAILED)


def export_status(deps: Deps, actor: dict, job_id: str) -> dict:
    """The requester's job: status, rows, and when done a short-lived download URL."""
    with deps.begin() as uow:
        job = jobs.find(uow.session, ExportJob, job_id, KIND)
        if job is None or job.actor_id != str((actor or {}).get("id")):
            if job is not None:
                deps.audit_alone("personnel.access_refused", actor, str(job.id), reason="export_job")
            raise NotFound(JOB_NOT_FOUND)
        return job_view(deps, job)


def job_view(deps: Deps, job: ExportJob) -> dict:
    view = jobs.progress_view(job)
    status = PAGE_STATUS[view["status"]]
    done = status == "done" and job.storage_key
    return {
        **view,
        "status": status,
        "rows": job.rows,
        "filename": job.filename,
        "message": FAILED if status == "failed" else None,
        "download_url": deps.store().download_url(job.storage_key, job.filename or "注册人员.xlsx")
        if done
        else None,
    }
