"""Keeps the platform's processes running: ``python -m deploy.supervisor`` (started by
``python -m deploy.platform up`` with its own pidfile, stopped first by ``down``).

Every ``supervisor.interval_seconds`` it looks at each component (six services, review-N
extras, gateway) through its pidfile (deploy/processes.py: it adopts whatever runs, however
it was started) and asks its ``/livez`` (a service's metrics port, the gateway's own port).
A component whose process is gone, or whose /livez has failed for ``liveness_grace_seconds``
(a new process gets ``start_grace_seconds`` first), is SIGKILLed with its process group and
started again after a back-off (``backoff_seconds``: 1, 2, 5, 10, 30 s in a row; back to the
first delay once it stayed healthy for ``healthy_reset_seconds``). Every restart is one JSON
line in ``var/run/restarts.jsonl`` with its reason, and one log line in var/log/supervisor.log.

The decisions are pure functions (``decide``, ``after_start``, ``backoff_delay``), unit-tested
in tests/unit/test_supervisor.py; ``Supervisor`` only observes and acts.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploy import processes
from services.common.config import load_config

log = logging.getLogger("supervisor")

NAME = "supervisor"  # its pidfile and log: var/run/supervisor.pid, var/log/supervisor.log
NONE, WAIT, KILL, START = "none", "wait", "kill", "start"
EXITED_BLOCKED = 70  # services.common.liveness.EXIT_HUB_BLOCKED (not imported: no eventlet here)
HUB_BLOCKED_LINE = "event loop blocked: no heartbeat"  # the start of the watchdog's message


@dataclass(frozen=True)
class Policy:
    interval: float = 1.0
    probe_timeout: float = 2.0
    liveness_grace: float = 10.0
    start_grace: float = 120.0
    healthy_reset: float = 60.0
    backoff: tuple[float, ...] = (1, 2, 5, 10, 30)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        section = config.get("supervisor") or {}
        default = cls()
        return cls(
            interval=float(section.get("interval_seconds", default.interval)),
            probe_timeout=float(section.get("probe_timeout_seconds", default.probe_timeout)),
            liveness_grace=float(section.get("liveness_grace_seconds", default.liveness_grace)),
            start_grace=float(section.get("start_grace_seconds", default.start_grace)),
            healthy_reset=float(section.get("healthy_reset_seconds", default.healthy_reset)),
            backoff=tuple(float(d) for d in section.get("backoff_seconds", default.backoff)),
        )


@dataclass(frozen=True)
class Watch:
    """What the supervisor remembers of one component between two looks."""

    pid: int | None = None
    started: float = 0.0  # monotonic time its process started (estimated for an adopted one)
    was_healthy: bool = False  # /livez answered at least once since this process started
    healthy_since: float | None = None
    failing_since: float | None = None
    streak: int = 0  # restarts in a row, without healthy_reset seconds of health between
    restarts: int = 0  # restarts by this supervisor
    restart_due: float | None = None  # when the pending restart may happen
    reason: str | None = None  # why the pending restart


@dataclass(frozen=True)
class Look:
    """One observation of a component."""

    pid: int | None  # None: no live process under its pidfile
    live: bool | None = None  # /livez answered 200 (None: not asked)
    age: float = 0.0  # seconds its process has been running
    exit_code: int | None = None  # when it was our child and has exited
    hub_blocked: bool = False  # its log ends with the liveness watchdog's line
    probe_error: str = ""


def backoff_delay(streak: int, delays: Sequence[float]) -> float:
    """Seconds to wait before the restart that follows `streak` restarts in a row."""
    return float(delays[min(max(streak, 0), len(delays) - 1)])


def exit_reason(exit_code: int | None, hub_blocked: bool = False) -> str:
    if exit_code is None:
        # Not our child (started by `platform up` or a test): its exit code is not ours to
        # read, but the watchdog's last line in its log says why.
        return "exited (event loop blocked, said its log)" if hub_blocked else "exited"
    if exit_code == EXITED_BLOCKED:
        return f"exited (code {exit_code}: event loop blocked)"
    if exit_code < 0:
        return f"exited (signal {signal.Signals(-exit_code).name})" \
            if -exit_code in signal.valid_signals() else f"exited (signal {-exit_code})"
    return f"exited (code {exit_code})"


def decide(watch: Watch, look: Look, now: float, policy: Policy) -> tuple[Watch, str, str | None]:
    """The next state of a component's watch and what to do: NONE, WAIT (a restart is
    pending), KILL (it stopped answering) or START (its back-off is over); with the reason."""
    if look.pid is None:
        if watch.restart_due is None:
            delay = backoff_delay(watch.streak, policy.backoff)
            why = exit_reason(look.exit_code, look.hub_blocked) if watch.pid is not None \
                else "not running"
            watch = replace(watch, pid=None, healthy_since=None, failing_since=None,
                            restart_due=now + delay, reason=watch.reason or why)
        if now >= watch.restart_due:
            return watch, START, watch.reason
        return watch, WAIT, watch.reason
    if look.pid != watch.pid:  # a new process: ours, adopted, or started by someone else
        watch = replace(watch, pid=look.pid, started=now - look.age, was_healthy=False,
                        healthy_since=None, failing_since=None, restart_due=None, reason=None)
    if look.live is None or look.live:
        since = watch.healthy_since if watch.healthy_since is not None else now
        streak = 0 if now - since >= policy.healthy_reset else watch.streak
        return replace(watch, was_healthy=True, healthy_since=since, failing_since=None,
                       streak=streak), NONE, None
    watch = replace(watch, healthy_since=None)
    if not watch.was_healthy and now - watch.started < policy.start_grace:
        return watch, NONE, None  # still starting up
    since = watch.failing_since if watch.failing_since is not None else now
    watch = replace(watch, failing_since=since)
    if now - since < policy.liveness_grace:
        return watch, NONE, None
    detail = f": {look.probe_error}" if look.probe_error else ""
    reason = f"liveness: /livez failing for {now - since:.0f} s{detail}"
    return replace(watch, reason=reason), KILL, reason


def after_start(watch: Watch, ok: bool) -> Watch:
    """A restart was attempted: counted either way; a failed one is tried again, later."""
    if ok:
        return replace(watch, restarts=watch.restarts + 1, streak=watch.streak + 1,
                       restart_due=None, reason=None)
    return replace(watch, streak=watch.streak + 1, restart_due=None)


# ---- observing and acting ---------------------------------------------------------------

def components(config: Mapping[str, Any]) -> list[str]:
    from deploy.platform import COMPONENTS, extra_instances
    return [*COMPONENTS, *extra_instances(config)]


def livez_address(component: str, config: Mapping[str, Any]) -> tuple[str, int] | None:
    """Where component answers /livez: the gateway's port, a service's metrics port."""
    if component == "gateway":
        return config["gateway"]["host"], int(config["gateway"]["port"])
    service, _, number = component.partition("-")
    port = (config.get("metrics_ports") or {}).get(service)
    if not port:
        return None
    return "127.0.0.1", int(port) + (1000 * (int(number) - 1) if number else 0)


def probe(address: tuple[str, int], timeout: float) -> tuple[bool, str]:
    connection = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        connection.request("GET", "/livez")
        status = connection.getresponse().status
        return status == 200, "" if status == 200 else f"HTTP {status}"
    except (OSError, http.client.HTTPException) as exc:
        return False, type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def watch_state(watch: Watch, now: float) -> str:
    """A word for status: healthy, starting, failing, restarting (its back-off running)."""
    if watch.restart_due is not None:
        return "restarting"
    if watch.failing_since is not None:
        return f"failing for {now - watch.failing_since:.0f} s"
    return "healthy" if watch.was_healthy else "starting"


def state_path(config: Mapping[str, Any]) -> Path:
    return processes.var_path(config, "run", "supervisor.json")


def read_state(config: Mapping[str, Any]) -> dict[str, Any]:
    """The running supervisor's latest view (empty when it never ran)."""
    try:
        return json.loads(state_path(config).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def restarts_path(config: Mapping[str, Any]) -> Path:
    return processes.var_path(config, "run", "restarts.jsonl")


def read_restarts(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    try:
        lines = restarts_path(config).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def restart_summary(config: Mapping[str, Any], run: str | None = None) -> dict[str, tuple[int, str]]:
    """component -> (restarts, last reason) of one supervisor run (default: the latest that
    restarted anything) in var/run/restarts.jsonl."""
    records = read_restarts(config)
    if not records:
        return {}
    run = run or records[-1].get("run")
    summary: dict[str, tuple[int, str]] = {}
    for record in records:
        if record.get("run") == run:
            count, _ = summary.get(record["component"], (0, ""))
            summary[record["component"]] = (count + 1, str(record.get("reason", "")))
    return summary


def _exit_code_of_child(pid: int | None) -> int | None:
    """The exit code of pid if it is our own child that has exited (reaping it)."""
    if pid is None:
        return None
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if done else None


@dataclass
class Supervisor:
    config: Mapping[str, Any]
    names: list[str]
    policy: Policy
    clock: Callable[[], float] = time.monotonic
    watches: dict[str, Watch] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.run = f"{datetime.now(UTC).isoformat(timespec='seconds')} pid {os.getpid()}"
        self.watches = {name: Watch() for name in self.names}
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self.names)),
                                        thread_name_prefix="probe")

    def look(self, name: str) -> Look:
        exit_code = _exit_code_of_child(self.watches[name].pid)  # before read_pid reaps it
        pid = processes.read_pid(name, self.config)
        if pid is None:
            blocked = False
            if self.watches[name].pid is not None and exit_code is None:
                blocked = HUB_BLOCKED_LINE in processes.tail(processes.log_path(name, self.config), 3)
            return Look(pid=None, exit_code=exit_code, hub_blocked=blocked)
        return Look(pid=pid, age=processes.process_age(pid) or 0.0)

    def tick(self) -> None:
        looks = {name: self.look(name) for name in self.names}
        probes = {}
        for name, look in looks.items():
            address = livez_address(name, self.config)
            if look.pid is not None and address is not None:
                probes[name] = self._pool.submit(probe, address, self.policy.probe_timeout)
        for name, look in looks.items():
            if name in probes:
                live, error = probes[name].result()
                look = replace(look, live=live, probe_error=error)
            self.act(name, look)
        self.write_state()

    def write_state(self) -> None:
        now = self.clock()
        state = {"run": self.run, "pid": os.getpid(),
                 "at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "components": {name: {"pid": w.pid, "state": watch_state(w, now),
                                       "restarts": w.restarts, "reason": w.reason}
                                for name, w in self.watches.items()}}
        path = state_path(self.config)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def act(self, name: str, look: Look) -> None:
        before = self.watches[name]
        watch, action, reason = decide(before, look, self.clock(), self.policy)
        if action == WAIT and before.restart_due is None:
            log.warning("%s: %s; restarting it in %.1f s", name, reason,
                        watch.restart_due - self.clock())
        if action == KILL:
            log.error("%s (pid %s): %s; killing it", name, look.pid, reason)
            try:
                processes.kill_group(name, look.pid, self.config)
            except processes.DeployError as exc:
                log.error("%s: could not kill pid %s: %s", name, look.pid, exc)
        elif action == START and not self.stopping.is_set():
            watch = self.restart(name, watch, reason or "exited")
        self.watches[name] = watch

    def restart(self, name: str, watch: Watch, reason: str) -> Watch:
        from deploy.platform import argv_for, component_env, instance_env
        try:
            pid = processes.start_process(name, argv_for(name), self.config,
                                          env=instance_env(name, self.config,
                                                           component_env(self.config)))
        except processes.DeployError as exc:
            log.error("%s: restart failed: %s", name, exc)
            return after_start(watch, ok=False)
        watch = after_start(watch, ok=True)
        record = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "run": self.run,
                  "component": name, "reason": reason, "pid": pid, "restart": watch.restarts,
                  "in_a_row": watch.streak}
        path = restarts_path(self.config)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        log.warning("%s: restarted (pid %d, restart %d, %d in a row) after: %s",
                    name, pid, watch.restarts, watch.streak, reason)
        return watch

    def serve(self) -> None:
        log.info("supervising %s (policy %s)", ", ".join(self.names), self.policy)
        self.write_state()  # `make status` counts this run's restarts from now on
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:  # one bad look must not end supervision
                log.exception("supervisor round failed")
            self.stopping.wait(self.policy.interval)
        self._pool.shutdown(wait=False)
        log.info("supervisor stopped")


def main() -> int:
    import warnings
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")  # via logs.py
    from services.common.logs import configure_logging
    configure_logging(NAME)
    config = load_config()
    supervisor = Supervisor(config, components(config), Policy.from_config(config))

    def stop(signum: int, frame: object) -> None:
        supervisor.stopping.set()  # the round under way finishes: never half a restart

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    supervisor.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
