"""Background jobs: the one mechanism behind work a service does after the RPC that asked for
it has answered (the 注册人员 Excel export, services/personnel/usecases/exports.py; the admin
imports, services/common/import_jobs.py).

- A service keeps its jobs in tables of its own (never shared across services), each a model of
  :class:`JobMixin` plus the kind's own columns: ``kind``, ``status``, progress (``done`` of
  ``total``), ``error``, the owner (``actor_id``) and the timestamps.
- The status vocabulary and its transitions: :func:`new` records a job ``queued``; the work,
  run by the service's ``Background`` provider (services/common/background.py), :func:`start`\\ s
  it (``queued`` → ``running``, once: a job not queued any more is left alone), reports
  :func:`progress` and ends it with :func:`finish` (``done``) or :func:`fail` (``failed``).
  :func:`run` is that whole life for work that is one call.
- A job left ``queued`` or ``running`` by a process that died shows as ``interrupted`` once it
  has made no progress for :data:`STALE_AFTER` (:func:`status_of`); the user starts it again.
- :func:`find` reads a job by its id as a caller gave it; :func:`progress_view` is the part of
  a job's view every kind answers.

``begin`` is a unit of work (a context manager whose value has ``.session`` and ``.commit()``):
a service's raw ``Database.unit_of_work`` or its use cases' ``Deps.begin``. Every transition is
a transaction of its own that locks the job's row, so a job's page sees it as it moves.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, INTERRUPTED = "queued", "running", "done", "failed", "interrupted"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)      # stored; INTERRUPTED is only ever read
ACTIVE = (QUEUED, RUNNING)
STALE_AFTER = timedelta(minutes=10)
SYSTEM_ERROR = "系统错误，请稍后重试"

Begin = Callable[[], AbstractContextManager[Any]]


class JobFailed(Exception):
    """The work cannot be done, for a reason the user is told (Chinese): the job fails with
    this message. Any other exception fails it with the kind's system-error message."""


class JobMixin:
    """The columns every background job has (a kind adds its own)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def now() -> datetime:
    return datetime.now(UTC)


def new(model: type, kind: str, actor_id: str | None, **fields: Any) -> Any:
    """A ``queued`` job of ``kind`` owned by ``actor_id`` (not yet added to a session)."""
    at = now()
    return model(id=uuid.uuid4(), kind=kind, status=QUEUED, total=0, done=0, error=None,
                 actor_id=actor_id, created_at=at, updated_at=at, finished_at=None, **fields)


def status_of(job: Any, at: datetime | None = None) -> str:
    """The job's status as its page shows it: a queued or running job without progress for
    STALE_AFTER was left by a process that died (``interrupted``)."""
    if job.status in ACTIVE and job.updated_at is not None and (at or now()) - job.updated_at > STALE_AFTER:
        return INTERRUPTED
    return job.status


def progress_view(job: Any, at: datetime | None = None) -> dict[str, Any]:
    """What every kind's view of a job holds: id, kind, status, whether it still runs, progress
    (done of total, percent) and when it was asked for and finished."""
    status = status_of(job, at)
    total, done = int(job.total or 0), int(job.done or 0)
    percent = 100 if status == DONE else (min(99, done * 100 // total) if total else 0)
    return {"id": str(job.id), "kind": job.kind, "status": status, "running": status in ACTIVE,
            "total": total, "done": done, "percent": percent,
            "created_at": job.created_at.isoformat() if job.created_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


def find(session: Any, model: type, job_id: object, kind: str | None = None) -> Any:
    """The job with that id (as a caller gave it: a malformed id finds none), of ``kind`` if
    given; None otherwise (the caller answers NotFound; whose job it is, the caller checks)."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        return None
    job = session.get(model, key)
    return None if job is None or (kind is not None and job.kind != kind) else job


def start(begin: Begin, model: type, job_id: uuid.UUID,
          read: Callable[[Any], Any] = lambda job: None) -> tuple[bool, Any]:
    """``queued`` → ``running``: (True, ``read(job)`` taken in the same transaction, e.g. the
    job's input); (False, None) for a job that is gone or not queued any more."""
    with begin() as uow:
        job = uow.session.get(model, job_id, with_for_update=True)
        if job is None or job.status != QUEUED:
            return False, None
        job.status, job.updated_at = RUNNING, now()
        value = read(job)
        uow.commit()
    return True, value


def progress(begin: Begin, model: type, job_id: uuid.UUID, **values: Any) -> None:
    """Set ``values`` (``done``, ``total``, a kind's own columns) on the job, in a transaction
    of its own: its page sees the progress at once."""
    with begin() as uow:
        job = uow.session.get(model, job_id, with_for_update=True)
        if job is None:
            return
        for name, value in values.items():
            setattr(job, name, value)
        job.updated_at = now()
        uow.commit()


def finish(begin: Begin, model: type, job_id: uuid.UUID, **values: Any) -> None:
    """The job is ``done``, with its result (``values``)."""
    progress(begin, model, job_id, status=DONE, finished_at=now(), **values)


def fail(begin: Begin, model: type, job_id: uuid.UUID, error: str, **values: Any) -> None:
    """The job ``failed`` with ``error`` (what its page says)."""
    progress(begin, model, job_id, status=FAILED, error=error, finished_at=now(), **values)


def run(begin: Begin, model: type, job_id: uuid.UUID, work: Callable[[Any], dict[str, Any]],
        read: Callable[[Any], Any] = lambda job: None, system_error: str = SYSTEM_ERROR,
        **cleanup: Any) -> None:
    """A queued job's whole life for work that is one call: start it, ``work(read(job))``
    answers the values the done job keeps; JobFailed fails it with its message, any other
    exception with ``system_error`` (logged). ``cleanup`` values are set however it ends (e.g.
    ``source=None``: the input is not kept). Never raises: it runs in a background thread."""
    try:
        started, value = start(begin, model, job_id, read)
        if not started:
            return
        try:
            result = work(value)
        except JobFailed as exc:
            fail(begin, model, job_id, str(exc), **cleanup)
            return
        except Exception:
            log.exception("background job %s failed", job_id)
            fail(begin, model, job_id, system_error, **cleanup)
            return
        finish(begin, model, job_id, **{**cleanup, **result})
    except Exception:  # the job's own row could not be written: log, never kill the container
        log.exception("background job %s: its status could not be stored", job_id)
