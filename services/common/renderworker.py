"""One render worker: a plain, NOT monkey-patched Python process that runs heavy library code
(WeasyPrint, openpyxl, ...) for a service process (``services/common/renderpool.py``).

Started as ``python -m services.common.renderworker <component> [--preload X ...] <job> ...``,
where each job is ``module:function``: the only functions this worker will run. A preload ``X``
is a module to import (``weasyprint``) or a ``module:function`` to call once at start (a warm-up
render that loads the fonts). Jobs and preloads are imported once (WeasyPrint, fonts and
templates stay loaded for every later job); then the worker says it is ready (one answer frame)
and answers frames on stdin with frames on stdout until stdin closes:

- a frame is a 4-byte big-endian length and a pickle;
- request ``(job, args, kwargs)``; answer ``(True, result, rss_kb)`` or
  ``(False, "ExceptionType: message", rss_kb)`` (a failing job leaves the worker usable).

Pickle is safe here: both ends are our own processes over private pipes. The worker exits when
stdin closes (its service stopped) or when its parent process is gone (it was killed), so it
never outlives the service; SIGTERM / SIGINT sent to the service's process group are left to the
service (it finishes its jobs, then closes our stdin). Its logs go to stderr (the service's log
file) as JSON lines.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import resource
import signal
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
PROTOCOL = pickle.HIGHEST_PROTOCOL
PARENT_ENV = "QLP_RENDER_PARENT"

log = logging.getLogger("services.common.renderworker")


def write_frame(stream: BinaryIO, obj: Any) -> None:
    """Write one frame whole (a raw pipe may take less than offered per write)."""
    data = pickle.dumps(obj, protocol=PROTOCOL)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        written = stream.write(view)
        if written is None:  # a non-blocking raw stream that took nothing
            continue
        view = view[written:]
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> Any:
    """The next object, or EOFError when the stream ends (also in the middle of a frame)."""
    (size,) = HEADER.unpack(_read_exactly(stream, HEADER.size))
    return pickle.loads(_read_exactly(stream, size))


def resolve(job: str) -> Callable[..., Any]:
    module_name, _, name = job.partition(":")
    if not module_name or not name:
        raise ValueError(f"job {job!r} is not 'module:function'")
    return getattr(importlib.import_module(module_name), name)


def rss_kb() -> int:
    """The worker's own peak resident set size in kB: ``VmHWM`` of /proc/self/status. Not
    ``ru_maxrss``: Linux carries that over fork and exec, so a worker started by a process of
    600 MB reported 600 MB after its first job and was retired after every job."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _exit_when_orphaned(parent: int, interval: float = 1.0) -> None:
    """A killed service cannot close our stdin in time if we are busy: leave when it is gone."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(interval)


def serve(jobs: dict[str, Callable[..., Any]], inp: BinaryIO, out: BinaryIO) -> None:
    while True:
        try:
            job, args, kwargs = read_frame(inp)
        except EOFError:
            return
        function = jobs.get(job)
        if function is None:
            write_frame(out, (False, f"LookupError: job {job!r} is not registered", rss_kb()))
            continue
        try:
            result = function(*args, **kwargs)
        except Exception as exc:  # the job failed, the worker did not: answer and go on
            log.exception("render job %s failed", job)
            write_frame(out, (False, f"{type(exc).__name__}: {exc}", rss_kb()))
        else:
            write_frame(out, (True, result, rss_kb()))


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print("usage: python -m services.common.renderworker <component> [--preload X ...] "
              "[module:function ...]", file=sys.stderr)
        return 2
    component, names = argv[0], list(argv[1:])
    # The protocol owns the original stdin/stdout; anything printed goes to stderr instead.
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    from services.common.logs import configure_logging

    configure_logging(component)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # A stop signal to the service's process group (make down, Ctrl-C) is for the service: it
    # lets running jobs finish, then closes our stdin; if it dies instead, the watch below ends us.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())  # the env: it may be gone already
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    jobs = {}
    while names:
        name = names.pop(0)
        if name == "--preload":
            target = names.pop(0)
            if ":" in target:
                resolve(target)()
            else:
                importlib.import_module(target)
        else:
            jobs[name] = resolve(name)
    write_frame(out, (True, "ready", rss_kb()))  # job timeouts start counting after this
    serve(jobs, inp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
