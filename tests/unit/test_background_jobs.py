"""The background-job mechanism (services/common/jobs.py) the export and import jobs share: the
status vocabulary and its transitions (queued → running once → done | failed), progress seen
by each transaction, a user's message or a plain one on failure, a stale job read as
interrupted, and a job found by id and kind only."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from services.common import jobs
from tests.support.fakes import FakeJobs


class Job(SimpleNamespace):
    pass


@pytest.fixture
def store() -> FakeJobs:
    return FakeJobs()


def test_a_new_job_is_queued_with_its_owner_and_its_own_fields(store):
    job = jobs.new(Job, "export", "actor-1", filters={"a": 1})
    assert (job.kind, job.status, job.actor_id, job.filters) == ("export", "queued", "actor-1", {"a": 1})
    assert (job.total, job.done, job.error, job.finished_at) == (0, 0, None, None)
    assert job.created_at == job.updated_at
    assert jobs.progress_view(job)["running"] is True and jobs.progress_view(job)["percent"] == 0


def test_a_job_runs_once_from_queued_to_done_with_its_result_and_progress(store):
    job = store.add(jobs.new(Job, "k", "a", source=b"in"))
    calls = []

    def work(data: bytes) -> dict:
        calls.append(data)
        jobs.progress(store.begin, Job, job.id, total=4, done=2)
        return {"done": 4, "result": "key"}

    jobs.run(store.begin, Job, job.id, work, read=lambda j: j.source, source=None)
    assert calls == [b"in"] and store.seen == [("running", 0, 0), ("running", 2, 4), ("done", 4, 4)]
    assert (job.status, job.result, job.source, job.error) == ("done", "key", None, None)
    assert job.finished_at is not None and all(store.locked)
    view = jobs.progress_view(job)
    assert (view["status"], view["running"], view["percent"]) == ("done", False, 100)
    jobs.run(store.begin, Job, job.id, work)  # not queued any more: left alone
    assert calls == [b"in"]
    assert jobs.start(store.begin, Job, uuid.uuid4()) == (False, None)  # gone


@pytest.mark.parametrize("error, message", [(jobs.JobFailed("表头缺少：姓名"), "表头缺少：姓名"),
                                            (RuntimeError("boom"), "系统出错")])
def test_a_failing_job_keeps_the_users_message_or_a_plain_one_and_never_raises(store, error, message):
    job = store.add(jobs.new(Job, "k", "a", source=b"in"))

    def work(data: Any) -> dict:
        raise error

    jobs.run(store.begin, Job, job.id, work, system_error="系统出错", source=None)
    assert (job.status, job.error, job.source) == ("failed", message, None)
    assert jobs.progress_view(job)["running"] is False


def test_a_job_whose_row_cannot_be_written_does_not_raise(store):
    job = store.add(jobs.new(Job, "k", "a"))

    @contextmanager
    def broken() -> Any:
        raise OSError("database gone")
        yield

    jobs.run(broken, Job, job.id, lambda data: {})
    assert job.status == "queued"


def test_an_active_job_without_progress_for_long_reads_as_interrupted():
    job = jobs.new(Job, "k", "a")
    later = job.updated_at + jobs.STALE_AFTER + timedelta(seconds=1)
    assert jobs.status_of(job) == "queued" and jobs.status_of(job, later) == "interrupted"
    job.status = "running"
    assert jobs.status_of(job, later) == "interrupted"
    assert jobs.progress_view(job, later)["running"] is False
    job.status = "done"
    assert jobs.status_of(job, later) == "done"


def test_a_job_is_found_by_its_id_and_kind_only(store):
    job = store.add(jobs.new(Job, "export", "a"))
    assert jobs.find(store, Job, str(job.id)) is job
    assert jobs.find(store, Job, str(job.id), "export") is job
    assert jobs.find(store, Job, str(job.id), "import") is None
    assert jobs.find(store, Job, "not-a-uuid") is None
    assert jobs.find(store, Job, str(uuid.uuid4())) is None
