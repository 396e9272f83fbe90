"""Heavy library work (WeasyPrint PDFs, openpyxl workbooks) in separate OS processes.

Why: every service process is monkey-patched by eventlet. Python library code run in an
``eventlet.tpool`` thread that touches a patched lock (logging does) can switch greenlets across
OS threads (``greenlet.error: Cannot switch to a different thread``) and the hub hangs for good
while the process stays alive: two concurrent WeasyPrint renders did exactly that to permits.
Run inline instead, a render blocks the hub for its whole second. So a service owns a small pool
of plain (not monkey-patched) worker processes (``services/common/renderworker.py``) and talks
to them over green pipes: the hub only waits on file descriptors.

- ``RenderPool.run(job, *args, **kwargs)`` runs ``module:function`` in a worker and returns its
  result; ``job`` must be one the pool was made with (the worker refuses others).
- At most ``workers`` jobs run at once; at most ``queue`` more wait (for up to ``timeout_seconds``).
  Beyond that the caller gets :class:`~services.common.errors.Busy` ("系统繁忙，请稍后再试",
  code ``busy``) at once instead of a pile-up.
- A job over ``timeout_seconds`` kills its worker (:class:`RenderTimeout`); a worker that died
  (:class:`WorkerDied`, tried once more on a fresh worker) or was stuck is replaced at once. A job
  that raised comes back as :class:`RenderFailed` with the worker still in service.
- A worker is retired (stdin closed, a fresh one started) after ``max_jobs`` jobs or when its peak
  RSS passes ``max_rss_mb``: library caches and fragmentation never grow without bound.
- ``stop()`` closes every worker's stdin (they exit), killing what does not leave in time; a
  worker whose service was killed notices its parent is gone and exits too.

``Renderers(...)`` is the nameko DependencyProvider a service declares (config ``render:``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import eventlet
from eventlet.green import subprocess as green_subprocess
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.common.errors import Busy
from services.common.metrics import (
    RENDER_BUSY,
    RENDER_REFUSED,
    RENDER_WAITING,
    RENDER_WORKERS,
    RENDER_WORKERS_REPLACED,
)
from services.common.renderworker import PARENT_ENV, read_frame, write_frame

log = logging.getLogger(__name__)

BUSY_MESSAGE = "系统繁忙，请稍后再试。"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class RenderFailed(Exception):
    """The job raised in its worker (the text is the worker's ``Type: message``)."""


class RenderTimeout(RenderFailed):
    """The job ran over the timeout; its worker was killed."""


class WorkerDied(RenderFailed):
    """The worker process ended while running the job."""


@dataclass(frozen=True)
class RenderSettings:
    workers: int = 2
    queue: int = 16
    timeout_seconds: float = 60.0
    max_jobs: int = 200
    max_rss_mb: int = 600
    start_timeout_seconds: float = 120.0
    stop_grace_seconds: float = 5.0

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> RenderSettings:
        types = {f.name: type(f.default) for f in fields(cls)}
        return cls(**{k: types[k](v) for k, v in (section or {}).items() if k in types})


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = green_subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           close_fds=True, cwd=str(PROJECT_ROOT),
                                           env={**os.environ, PARENT_ENV: str(os.getpid())})
        self.jobs = 0
        self.rss_kb = 0
        self.ready = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float) -> None:
        """The worker's first frame says its imports are done (a fresh worker's first job must
        not be timed with them: a loaded machine can take seconds to import WeasyPrint)."""
        timer = eventlet.Timeout(timeout)
        try:
            read_frame(self.proc.stdout)
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            raise WorkerDied(f"render worker {self.pid} did not start within {timeout:g} s") from exc
        except (EOFError, OSError) as exc:
            raise WorkerDied(f"render worker {self.pid} failed to start "
                             f"(exit status {self.proc.poll()})") from exc
        finally:
            timer.cancel()
        self.ready = True

    def call(self, job: str, args: tuple, kwargs: dict, timeout: float) -> tuple[bool, Any]:
        if self.proc.stdin.closed:  # the pool was stopped while this worker started
            raise WorkerDied(f"render worker {self.pid} was stopped before {job}")
        timer = eventlet.Timeout(timeout)
        try:
            write_frame(self.proc.stdin, (job, args, kwargs))
            ok, value, rss = read_frame(self.proc.stdout)
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise  # someone else's timeout
            raise RenderTimeout(f"{job} ran over {timeout:g} s in render worker {self.pid}") from exc
        except (EOFError, OSError) as exc:
            raise WorkerDied(f"render worker {self.pid} ended during {job} "
                             f"(exit status {self.proc.poll()})") from exc
        finally:
            timer.cancel()
        self.jobs += 1
        self.rss_kb = rss
        return ok, value

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self._reap(5)

    def close(self, grace: float) -> None:
        """Ask it to leave (stdin closed), kill it if it is still there after grace seconds."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if not self._reap(grace):
            self.kill()

    def _reap(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        return True


class RenderPool:
    """A bounded pool of render worker processes, used from green threads."""

    def __init__(self, component: str, jobs: Sequence[str], settings: RenderSettings | None = None,
                 preload: Sequence[str] = ()) -> None:
        self.component = component
        self.jobs = frozenset(jobs)
        self.settings = settings or RenderSettings()
        preloads = [arg for target in preload for arg in ("--preload", target)]
        self.argv = [sys.executable, "-m", "services.common.renderworker", component,
                     *preloads, *sorted(self.jobs)]
        self._slots = Semaphore(self.settings.workers)
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._waiting = 0
        self._closed = False
        # Sampled at scrape time (the last pool made for a name is the one measured).
        RENDER_WORKERS.labels(component).set_function(lambda: len(self._workers))
        RENDER_BUSY.labels(component).set_function(self.busy)
        RENDER_WAITING.labels(component).set_function(lambda: self._waiting)

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers now (else the first jobs start them), so they load their libraries
        before the first request needs them."""
        self._closed = False
        while len(self._workers) < self.settings.workers:
            self._idle.append(self._spawn())

    def stop(self, grace: float | None = None) -> None:
        self._closed = True
        grace = self.settings.stop_grace_seconds if grace is None else grace
        workers, self._idle = list(self._workers), []
        for worker in workers:
            try:
                worker.proc.stdin.close()
            except OSError:
                pass
        for worker in workers:
            worker.close(grace)
            self._workers.discard(worker)

    def busy(self) -> int:
        """Jobs holding a slot now."""
        return self.settings.workers - max(0, self._slots.balance)

    def pids(self) -> list[int]:
        return sorted(w.pid for w in self._workers if w.alive())

    # ---- jobs ----------------------------------------------------------------------------
    def run(self, job: str, *args: Any, **kwargs: Any) -> Any:
        if job not in self.jobs:
            raise ValueError(f"{job!r} is not one of this pool's jobs")
        if self._closed:
            raise RenderFailed("the render pool is stopped")
        if self._slots.balance <= 0 and self._waiting >= self.settings.queue:
            log.warning("render queue full (%d waiting): refusing %s", self._waiting, job)
            RENDER_REFUSED.labels(self.component).inc()
            raise Busy(BUSY_MESSAGE, code="busy")
        self._waiting += 1
        try:
            acquired = self._slots.acquire(timeout=self.settings.timeout_seconds)
        finally:
            self._waiting -= 1
        if not acquired:
            RENDER_REFUSED.labels(self.component).inc()
            raise Busy(BUSY_MESSAGE, code="busy")
        try:
            try:
                return self._run_once(job, args, kwargs)
            except WorkerDied as exc:  # maybe killed while idle: once more, on a fresh worker
                if self._closed:
                    raise
                log.warning("%s; running %s again on a new worker", exc, job)
                return self._run_once(job, args, kwargs)
        finally:
            self._slots.release()

    def _run_once(self, job: str, args: tuple, kwargs: dict) -> Any:
        worker = self._take()
        try:
            if not worker.ready:
                worker.wait_ready(self.settings.start_timeout_seconds)
            ok, value = worker.call(job, args, kwargs, self.settings.timeout_seconds)
        except (RenderTimeout, WorkerDied) as exc:
            self._replace(worker, str(exc))
            raise
        except BaseException:  # the caller was killed, or the arguments did not pickle
            self._replace(worker, f"{job} interrupted")
            raise
        self._give_back(worker)
        if not ok:
            raise RenderFailed(f"{job}: {value}")
        return value

    def _spawn(self) -> _Worker:
        worker = _Worker(self.argv)
        self._workers.add(worker)
        return worker

    def _take(self) -> _Worker:
        if self._closed:
            raise RenderFailed("the render pool is stopped")
        while self._idle:
            worker = self._idle.pop()
            if worker.alive():
                return worker
            log.warning("render worker %s had died (exit status %s): replacing it", worker.pid,
                        worker.proc.returncode)
            self._workers.discard(worker)
            worker.kill()
        return self._spawn()

    def _replace(self, worker: _Worker, why: str) -> None:
        log.error("render worker %s killed and replaced: %s", worker.pid, why)
        RENDER_WORKERS_REPLACED.labels(self.component).inc()
        self._workers.discard(worker)
        worker.kill()
        if not self._closed:
            self._idle.append(self._spawn())

    def _give_back(self, worker: _Worker) -> None:
        worn = worker.jobs >= self.settings.max_jobs
        fat = worker.rss_kb > self.settings.max_rss_mb * 1024
        if self._closed or not (worn or fat):
            if not self._closed:
                self._idle.append(worker)
            return
        log.info("render worker %s retired after %d jobs (peak RSS %d MB)", worker.pid,
                 worker.jobs, worker.rss_kb // 1024)
        self._workers.discard(worker)
        eventlet.spawn_n(worker.close, self.settings.stop_grace_seconds)
        self._idle.append(self._spawn())


class Renderers(DependencyProvider):
    """The service's render pool (config ``render:``), started and stopped with its container.

    ``jobs`` are ``module:function`` names; ``preload`` entries are modules each worker imports
    or ``module:function`` warm-ups it calls at start; ``lazy`` leaves starting the workers to
    the first job.
    """

    def __init__(self, *jobs: str, preload: Sequence[str] = (), lazy: bool = False) -> None:
        self.job_names = jobs
        self.preload = tuple(preload)
        self.lazy = lazy

    def setup(self) -> None:
        settings = RenderSettings.from_config(self.container.config["PLATFORM"].get("render"))
        self.pool = RenderPool(f"{self.container.service_name}.render", self.job_names, settings,
                               self.preload)

    def start(self) -> None:
        if not self.lazy:
            self.pool.start()

    def stop(self) -> None:
        self.pool.stop()

    def kill(self) -> None:
        self.pool.stop(grace=0.5)

    def get_dependency(self, worker_ctx: object) -> RenderPool:
        return self.pool
