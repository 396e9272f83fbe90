"""CIP 旧数据导入 from the admin page (issue 16 item 9): the same Importer as the command line
(services/enterprise/importer.py), run as a background job of services/common/import_jobs.py (the
mechanism personnel's 考试合格数据导入 uses too): the file is read in enterprise's render pool
(importer.parse_xlsx, openpyxl in a worker process), the rows are imported in batches with the
job's progress, and the rejected rows make the page's table and the downloadable report."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.common import audit, import_jobs
from services.common.errors import Forbidden
from services.enterprise.importer import BATCH_ROWS, Importer, Outcome
from services.enterprise.models import ImportJob

KIND = "legacy_staff"
PARSE_JOB = "services.enterprise.importer:parse_xlsx"
ADMINS_ONLY = "只有管理员可以导入旧系统数据"
REPORT_LABELS = ["统一社会信用代码", "姓名", "证件号码"]


@dataclass
class Context:
    """What the use case needs from the service (built per call by its entrypoints)."""

    unit_of_work: Callable[[], AbstractContextManager[Any]]
    session: Callable[[], Session]            # a plain session for the Importer
    render: Callable[..., Any] | None
    spawn: Callable[[Callable[[], None]], None] | None
    audit_alone: Callable[..., None]


def _admin(ctx: Context, actor: dict | None, subject: object) -> None:
    if (actor or {}).get("kind") != "admin":
        ctx.audit_alone("enterprise.access_refused", actor, subject, what="legacy_import", reason="not_admin")
        raise Forbidden(ADMINS_ONLY)


def start(ctx: Context, actor: dict, payload: dict) -> dict:
    """Admins only: the file is checked at once, the job is queued and runs in the background."""
    _admin(ctx, actor, "legacy_import")
    filename, data = import_jobs.read_upload((payload or {}).get("file"))
    job = import_jobs.new_job(ImportJob, KIND, filename, data, (actor or {}).get("id"))
    with ctx.unit_of_work() as uow:
        uow.session.add(job)
        audit.record(uow.session, "enterprise.legacy_import_started", actor_id=actor.get("id"),
                     subject_id=str(job.id), filename=filename)
        uow.session.flush()
        view = import_jobs.job_view(job)
        uow.commit()
    if ctx.spawn is not None:
        job_id = job.id
        ctx.spawn(lambda: run(ctx, job_id))
    return view


def run(ctx: Context, job_id: uuid.UUID) -> None:
    importer = Importer(ctx.session)
    seen: dict[tuple[str, str], tuple[int, str, str]] = {}   # across batches: doubles in the file

    def parse(data: bytes) -> tuple[list[Any], list[dict[str, Any]]]:
        if ctx.render is not None:
            out = ctx.render(PARSE_JOB, data)
        else:
            from services.enterprise.importer import parse_xlsx

            out = parse_xlsx(data)
        if out.get("error"):
            raise import_jobs.ImportFileError(out["error"])
        return [tuple(r) for r in out["rows"]], []

    def apply(rows: list[Any]) -> tuple[dict[str, int], list[dict[str, Any]]]:
        outcome = Outcome(rows=len(rows))
        importer.import_batch(rows, outcome, seen)
        counts = {"enterprises_created": outcome.enterprises_created, "staff_created": outcome.staff_created,
                  "staff_updated": outcome.staff_updated, "unchanged": outcome.unchanged}
        return counts, [rejected_row(r) for r in outcome.rejected]

    import_jobs.run(ctx.unit_of_work, ImportJob, job_id, parse, apply, batch_rows=BATCH_ROWS)


def rejected_row(item: dict[str, Any]) -> dict[str, Any]:
    """The Importer's rejected row in import_jobs' shape (row, values by column label, errors)."""
    values = {"统一社会信用代码": item.get("uscc", ""), "姓名": item.get("name", ""),
              "证件号码": item.get("id_number", "")}
    return {"row": item.get("row"), "values": values, "errors": [item.get("reason", "")]}


def job(ctx: Context, actor: dict, job_id: str) -> dict:
    _admin(ctx, actor, job_id)
    with ctx.unit_of_work() as uow:
        return import_jobs.job_view(import_jobs.get(uow.session, ImportJob, KIND, job_id))


def report(ctx: Context, actor: dict, job_id: str) -> dict:
    _admin(ctx, actor, job_id)
    with ctx.unit_of_work() as uow:
        return import_jobs.report(import_jobs.get(uow.session, ImportJob, KIND, job_id), REPORT_LABELS)
