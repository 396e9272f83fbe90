"""注册人员 export jobs (services/personnel/usecases/exports.py, a background job of
services/common/jobs.py) over the personnel use-case fakes: the job is recorded queued before
the work, the work's outcome lands on it (done with a stored workbook, or failed without
raising), only the requester reads it, and a job whose process died reads as failed after
STUCK_AFTER without progress."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any

import pytest

from services.common.errors import Forbidden, NotFound
from services.personnel.models import ExportJob
from services.personnel.usecases import exports
from tests.support.fakes import FakeObjectStore
from tests.unit.test_personnel_usecases import ACTOR, PERSON_ACTOR, FakeTx, FakeWorld


class Session:
    """The part of a SQLAlchemy session services/common/jobs.py uses, over the fake rows."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def get(self, model: type, key: uuid.UUID, with_for_update: bool = False) -> Any:
        return self.world.repo._by_id(model, key)


class World(FakeWorld):
    @contextmanager
    def begin(self) -> Any:
        tx = FakeTx(self)
        tx.session = Session(self)
        yield tx


@pytest.fixture
def world() -> FakeWorld:
    return World()


def deps_of(world: FakeWorld, store: FakeObjectStore, spawned: list) -> Any:
    deps = world.deps()
    deps.store = lambda: store
    deps.spawn = lambda work, *args: spawned.append((work, args))  # run later, by the test
    return deps


def test_a_job_is_recorded_first_then_made_and_read_by_its_requester_only(world, monkeypatch):
    store, spawned = FakeObjectStore(), []
    made = []
    monkeypatch.setattr(exports, "export_workbook",
                        lambda deps, actor, filters: made.append(filters) or ("注册人员.xlsx", b"PK", 3))
    deps = deps_of(world, store, spawned)
    job = exports.start_export(deps, ACTOR, {"name": "张", "status": ""})
    assert job["status"] == "running" and job["download_url"] is None and made == []
    row = world.repo._by_id(ExportJob, uuid.UUID(job["id"]))
    assert (row.kind, row.status, row.actor_id) == (exports.KIND, "queued", ACTOR["id"])
    (work, args), = spawned
    work(*args)  # the background part
    assert (row.status, row.total, row.done) == ("done", 3, 3) and row.finished_at is not None
    work(*args)  # a job that is not queued any more is left alone
    assert made == [{"name": "张"}]
    assert made == [{"name": "张"}]
    done = exports.export_status(deps, ACTOR, job["id"])
    assert done["status"] == "done" and done["rows"] == 3 and list(store.objects.values()) == [b"PK"]
    assert done["download_url"].startswith("https://s3.test/personnel/exports/")
    other = dict(ACTOR, id=str(uuid.uuid4()))
    with pytest.raises(NotFound):
        exports.export_status(deps, other, job["id"])
    assert world.refusals[-1][0] == "personnel.access_refused"
    with pytest.raises(NotFound):
        exports.export_status(deps, ACTOR, "not-a-uuid")


def test_a_failed_export_marks_the_job_failed_without_raising(world, monkeypatch):
    store, spawned = FakeObjectStore(), []

    def broken(deps: Any, actor: dict, filters: dict) -> tuple[str, bytes, int]:
        raise RuntimeError("render worker died")

    monkeypatch.setattr(exports, "export_workbook", broken)
    deps = deps_of(world, store, spawned)
    job = exports.start_export(deps, ACTOR, {})
    (work, args), = spawned
    work(*args)
    failed = exports.export_status(deps, ACTOR, job["id"])
    assert failed["status"] == "failed" and failed["message"] == exports.FAILED and store.objects == {}
    assert world.repo._by_id(ExportJob, uuid.UUID(job["id"])).error == exports.FAILED


def test_a_job_left_running_by_a_dead_process_reads_as_failed(world):
    deps = deps_of(world, FakeObjectStore(), [])
    job = exports.start_export(deps, ACTOR, {})
    row = world.repo._by_id(ExportJob, uuid.UUID(job["id"]))
    row.status = "running"
    assert exports.export_status(deps, ACTOR, job["id"])["status"] == "running"
    row.updated_at = row.updated_at - exports.STUCK_AFTER * 2
    assert exports.export_status(deps, ACTOR, job["id"])["status"] == "failed"


def test_who_may_not_search_the_register_starts_no_job(world):
    spawned: list = []
    with pytest.raises(Forbidden):
        exports.start_export(deps_of(world, FakeObjectStore(), spawned), PERSON_ACTOR, {})
    assert spawned == [] and not any(isinstance(r, ExportJob) for r in world.repo.rows)
