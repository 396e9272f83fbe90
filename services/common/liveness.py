"""A heartbeat on the eventlet hub, watched from a real OS thread.

Every monkey-patched process (each service runner and the gateway) starts one ``Heartbeat``:

- a green thread stamps a monotonic time every ``heartbeat_seconds`` (and sets the
  ``qlp_event_loop_lag_seconds`` gauge: how late the hub woke it);
- a real OS thread (``eventlet.patcher.original("threading")``) looks at that stamp; when
  the hub has not stamped for longer than ``liveness.hub_block_limit_seconds`` the hub is
  blocked (a green thread that never yields, a deadlock on a patched lock touched from a
  tpool thread), and the watcher writes one line to stderr and ends the process with
  ``EXIT_HUB_BLOCKED``, so that whatever supervises it restarts it.

The watcher must not use the logging module, nor anything else that takes a monkey-patched
lock: a green lock taken from a real thread is exactly how such hubs hang. It formats its
line with plain string operations and writes it with ``os.write``.

``/livez`` (the metrics port of a service, the gateway's own port) is served by the hub and
answers 200 while the stamp is fresh: a hub that is blocked or stopped does not answer at all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import eventlet
from eventlet import patcher
from prometheus_client import Gauge

EXIT_HUB_BLOCKED = 70  # EX_SOFTWARE: the supervisor's record shows it as "exited (code 70)"
DEFAULTS = {"hub_block_limit_seconds": 30.0, "heartbeat_seconds": 0.5, "livez_stale_seconds": 5.0}

_real_time = patcher.original("time")
_real_threading = patcher.original("threading")

EVENT_LOOP_LAG = Gauge(
    "qlp_event_loop_lag_seconds",
    "How late the eventlet hub last woke the heartbeat green thread",
    ["process"],
)


def liveness_settings(config: Mapping[str, Any]) -> dict[str, float]:
    """The ``liveness:`` section with its defaults, as floats."""
    section = config.get("liveness") or {}
    return {key: float(section.get(key, default)) for key, default in DEFAULTS.items()}


def blocked_line(process: str, age: float, limit: float, pid: int, now_epoch: float) -> bytes:
    """The watcher's last words: one JSON log line like the others (built without logging)."""
    stamp = _real_time.strftime("%Y-%m-%dT%H:%M:%S", _real_time.gmtime(now_epoch))
    millis = int((now_epoch % 1) * 1000)
    return (json.dumps({
        "ts": f"{stamp}.{millis:03d}+00:00",
        "level": "CRITICAL",
        "component": process,
        "logger": "services.common.liveness",
        "request_id": None,
        "message": (f"event loop blocked: no heartbeat for {age:.1f} s (limit {limit:g} s); "
                    f"exiting with code {EXIT_HUB_BLOCKED} (pid {pid}) so that it is restarted"),
    }, ensure_ascii=False) + "\n").encode()


class Heartbeat:
    """The hub's heartbeat (a green thread) and its watchdog (a real thread)."""

    def __init__(self, process: str, limit: float = 30.0, interval: float = 0.5,
                 stale_after: float = 5.0,
                 exit: Callable[[int], Any] = os._exit) -> None:
        self.process = process
        self.limit = limit
        self.interval = interval
        self.stale_after = stale_after
        self._exit = exit
        self.last = _real_time.monotonic()
        self.started = False
        self._gauge = EVENT_LOOP_LAG.labels(process)

    @classmethod
    def from_config(cls, process: str, config: Mapping[str, Any]) -> Heartbeat:
        settings = liveness_settings(config)
        return cls(process, limit=settings["hub_block_limit_seconds"],
                   interval=settings["heartbeat_seconds"],
                   stale_after=settings["livez_stale_seconds"])

    def age(self) -> float:
        """Seconds since the hub last stamped."""
        return _real_time.monotonic() - self.last

    def fresh(self) -> bool:
        return self.age() <= self.stale_after

    def start(self) -> Heartbeat:
        if not self.started:
            self.started = True
            self.last = _real_time.monotonic()
            eventlet.spawn_n(self._beat)
            watcher = _real_threading.Thread(target=self._watch, name="hub-watchdog", daemon=True)
            watcher.start()
        return self

    def _beat(self) -> None:  # a green thread: runs only when the hub runs
        while True:
            due = self.last + self.interval
            eventlet.sleep(self.interval)
            now = _real_time.monotonic()
            self._gauge.set(max(0.0, now - due))
            self.last = now

    def _watch(self) -> None:  # a real thread: runs when the hub does not
        check = min(1.0, max(0.05, self.limit / 10))
        while True:
            _real_time.sleep(check)
            age = self.age()
            if age > self.limit:
                line = blocked_line(self.process, age, self.limit, os.getpid(), _real_time.time())
                try:
                    os.write(2, line)
                except OSError:
                    pass
                self._exit(EXIT_HUB_BLOCKED)
                return


_current: Heartbeat | None = None


def start_heartbeat(process: str, config: Mapping[str, Any]) -> Heartbeat:
    """Start this process's heartbeat (once; later calls return the running one)."""
    global _current
    if _current is None:
        _current = Heartbeat.from_config(process, config).start()
    return _current


def current_heartbeat() -> Heartbeat | None:
    return _current


def livez_answer(heartbeat: Heartbeat | None) -> tuple[str, bytes]:
    """(HTTP status, JSON body) for /livez. Served by the hub, so answering at all means the
    hub runs; the stamp's age also catches a heartbeat green thread that died."""
    if heartbeat is None:
        return "200 OK", b'{"status": "ok", "heartbeat": "not started"}'
    age = heartbeat.age()
    body = json.dumps({"status": "ok" if heartbeat.fresh() else "stale",
                       "heartbeat_age_seconds": round(age, 3)}).encode()
    return ("200 OK" if heartbeat.fresh() else "503 Service Unavailable"), body


def livez_app(environ: dict, start_response: Callable) -> list[bytes]:
    """A WSGI app answering /livez from this process's heartbeat."""
    status, body = livez_answer(current_heartbeat())
    start_response(status, [("Content-Type", "application/json"),
                            ("Cache-Control", "no-store"), ("Content-Length", str(len(body)))])
    return [body]


def with_livez(app: Callable) -> Callable:
    """WSGI middleware: /livez answered here, everything else by app."""

    def wrapped(environ: dict, start_response: Callable) -> Any:
        if environ.get("PATH_INFO") == "/livez":
            return livez_app(environ, start_response)
        return app(environ, start_response)

    return wrapped
