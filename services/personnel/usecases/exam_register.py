"""考试合格数据导入 as a background job (issue 15 item 17): the admin uploads the Excel sheet, the
job parses it in the render pool (exam_import.parse_sheet, openpyxl in a worker process), records
the valid passes in batches with its progress, and keeps the rejected rows for the page and the
downloadable report. The mechanism is services/common/import_jobs.py, shared with enterprise's
CIP 旧数据导入."""

from __future__ import annotations

import uuid
from typing import Any

from services.common import import_jobs
from services.personnel import exam_import
from services.personnel.models import ExamPass, ImportJob
from services.personnel.usecases import _support as s
from services.personnel.usecases._support import Deps, _today

KIND = "exam_passes"
PARSE_JOB = "services.personnel.exam_import:parse_sheet"
EXAM_TYPE = "constructor_2"  # the type whose 初始注册 / 增项 check the exam-pass register
REPORT_LABELS = ["姓名", "身份证号", "专业", "资格证书编号", "考试合格日期"]


def start_import(deps: Deps, actor: dict, payload: dict) -> dict:
    """Admins only: the file is checked at once, the job is queued and runs in the background."""
    s.require_staff(deps, actor, admin=True)
    filename, data = import_jobs.read_upload((payload or {}).get("file"))
    job = import_jobs.new_job(ImportJob, KIND, filename, data, actor.get("id"))
    with deps.begin() as uow:
        uow.repo.add(job)
        uow.audit("personnel.exam_passes.import", actor_id=actor.get("id"), subject_id=str(job.id),
                  filename=filename)
        uow.flush()
        view = import_jobs.job_view(job)
        uow.commit()
    if deps.spawn is not None and deps.unit_of_work is not None:
        job_id = job.id
        deps.spawn(lambda: run_import(deps, job_id))
    return view


def run_import(deps: Deps, job_id: uuid.UUID) -> None:
    t = deps.types.type(EXAM_TYPE)
    specialties = list((t.specialties or {}).get("choices") or [])
    pattern = t.numbers["qualification_number"]["pattern"]

    def parse(data: bytes) -> tuple[list[Any], list[dict[str, Any]]]:
        args = (data, specialties, pattern, _today())
        out = deps.render(PARSE_JOB, *args) if deps.render else exam_import.parse_sheet(*args)
        if out.get("error"):
            raise import_jobs.ImportFileError(out["error"])
        return out["passes"], out["rejected"]

    import_jobs.run(deps.unit_of_work, ImportJob, job_id, parse, lambda batch: record_passes(deps, batch))


def record_passes(deps: Deps, passes: list[dict[str, Any]]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """One batch of checked passes: new ones recorded, those on record counted (never doubled)."""
    added = already = 0
    with deps.begin() as uow:
        repo = uow.repo
        for item in passes:
            if repo.has_exam_pass(item["id_number"], item["specialty"], item["certificate_number"]):
                already += 1
                continue
            repo.add(ExamPass(**item))
            added += 1
        uow.commit()
    return {"added": added, "already": already}, []


def _job(deps: Deps, actor: dict, uow: Any, job_id: str) -> ImportJob:
    s.require_staff(deps, actor, admin=True)
    return import_jobs.get(uow.repo.session, ImportJob, KIND, job_id)


def import_job(deps: Deps, actor: dict, job_id: str) -> dict:
    with deps.begin() as uow:
        return import_jobs.job_view(_job(deps, actor, uow, job_id))


def import_report(deps: Deps, actor: dict, job_id: str) -> dict:
    """The rejected rows as a CSV download (行号, the sheet's columns, 原因)."""
    with deps.begin() as uow:
        return import_jobs.report(_job(deps, actor, uow, job_id), REPORT_LABELS)
