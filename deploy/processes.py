"""Background processes with pidfiles under var/run and logs under var/log.

Shared by deploy.servers, deploy.platform and test fixtures (chaos tests kill and restart
things by name). Every process gets its own session, so its whole process group can be
signalled and nothing it forks is left behind.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from services.common.config import PROJECT_ROOT


class DeployError(RuntimeError):
    """A server or process could not be started, provisioned or stopped."""


def var_path(config: Mapping[str, Any], *parts: str) -> Path:
    return Path(config["var_dir"], *parts)


def log_path(name: str, config: Mapping[str, Any]) -> Path:
    return var_path(config, "log", f"{name}.log")


def pid_path(name: str, config: Mapping[str, Any]) -> Path:
    return var_path(config, "run", f"{name}.pid")


def tail(path: Path, lines: int = 30) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def proc_stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat fields from field 3 (state) on; None if gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # Field 2 (comm) may contain spaces and parentheses; what follows the last ')' is plain.
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] == "Z" else fields


def pid_alive(pid: int) -> bool:
    """pid exists and is not a zombie (kill(pid, 0) alone says yes to zombies)."""
    return proc_stat(pid) is not None


def _start_time(pid: int) -> str | None:
    """Kernel start time of pid: tells the process we started from a recycled pid."""
    fields = proc_stat(pid)
    return fields[19] if fields else None


def _reap(pid: int) -> None:
    """Collect our own dead child so it does not linger as a zombie that looks alive."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def read_pid(name: str, config: Mapping[str, Any]) -> int | None:
    """The pid recorded for name if that process is still alive, else None."""
    try:
        lines = pid_path(name, config).read_text().split()
        pid = int(lines[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    _reap(pid)
    started = _start_time(pid)
    if started is None or (len(lines) > 1 and lines[1] != started):
        return None
    return pid


def is_running(name: str, config: Mapping[str, Any]) -> bool:
    return read_pid(name, config) is not None


def start_process(
    name: str,
    argv: Sequence[str],
    config: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> int:
    """Start argv detached in its own session; a process already running under name is reused.

    env is the complete environment (default: ours). user runs it as that account (for
    PostgreSQL, which refuses root). Output is appended to var/log/<name>.log.
    """
    log = log_path(name, config)
    pidfile = pid_path(name, config)
    log.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    # Held from the check to the pidfile write: two concurrent starts make one process.
    with open(pidfile.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = read_pid(name, config)
        if existing is not None:
            return existing
        pid = _spawn(name, argv, log, env, user, cwd)
        tmp = pidfile.with_suffix(".tmp")
        tmp.write_text(f"{pid} {_start_time(pid) or ''}\n")
        tmp.replace(pidfile)
        return pid


def _spawn(
    name: str,
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None,
    user: str | None,
    cwd: Path | None,
) -> int:
    with open(log, "ab") as out:
        out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} start {name}\n".encode())
        out.flush()
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=dict(os.environ if env is None else env),
                cwd=str(cwd or PROJECT_ROOT),
                user=user,
                group=pwd.getpwnam(user).pw_gid if user else None,
                extra_groups=[] if user else None,
            )
        except OSError as exc:
            raise DeployError(f"cannot start {name} ({argv[0]}): {exc}") from exc
    return proc.pid


def group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is left in process group pgid."""
    _reap(pgid)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = proc_stat(int(entry))
            if fields and int(fields[2]) == pgid:
                return True
    return False


def _signal_group(pid: int, sig: int) -> None:
    """Signal the process group we created for pid (or just pid if it left the group)."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_processes(
    names: Iterable[str],
    config: Mapping[str, Any],
    timeout: float = 10,
    sig: int = signal.SIGTERM,
) -> list[str]:
    """Signal all, wait up to timeout for each group to end, then SIGKILL what is left.

    Returns the names that had to be killed. Signalling all first makes stopping the
    seven platform processes take one timeout, not seven.
    """
    targets: dict[str, int] = {}
    for name in names:
        pid = read_pid(name, config)
        if pid is None:
            forget_pid(name, config)
            continue
        targets[name] = pid
        _signal_group(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(group_alive(p) for p in targets.values()):
        time.sleep(0.1)
    killed = []
    for name, pid in targets.items():
        if group_alive(pid):
            killed.append(name)
            _signal_group(pid, signal.SIGKILL)
    for name, pid in targets.items():
        wait_until(lambda pid=pid: not group_alive(pid), 10, f"{name} (pid {pid}) to die")
        forget_pid(name, config, pid)
    return killed


def stop_process(
    name: str, config: Mapping[str, Any], timeout: float = 10, sig: int = signal.SIGTERM
) -> bool:
    """Stop name gracefully (sig, then SIGKILL after timeout). False if it was not running."""
    was_running = is_running(name, config)
    stop_processes([name], config, timeout=timeout, sig=sig)
    return was_running


def kill_group(name: str, pid: int, config: Mapping[str, Any], timeout: float = 10) -> None:
    """SIGKILL pid's process group (also a stopped or hung one) and wait until it is gone;
    name's pidfile is removed only if it still records pid (someone may have started a new
    one meanwhile). The supervisor's way to end a component that stopped answering."""
    _signal_group(pid, signal.SIGKILL)
    wait_until(lambda: not group_alive(pid), timeout, f"{name} (pid {pid}) to die")
    forget_pid(name, config, pid)


def forget_pid(name: str, config: Mapping[str, Any], pid: int | None = None) -> None:
    """Remove name's pidfile if it still records pid (None: if it records no live process).

    Under start_process's lock: a process started meanwhile (by the supervisor, say) keeps
    its fresh pidfile instead of becoming a process nobody knows about.
    """
    pidfile = pid_path(name, config)
    if not pidfile.parent.is_dir():
        return
    with open(pidfile.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if pid is None:
            if read_pid(name, config) is None:
                pidfile.unlink(missing_ok=True)
            return
        try:
            recorded = int(pidfile.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return
        if recorded == pid:
            pidfile.unlink(missing_ok=True)


def process_age(pid: int) -> float | None:
    """Seconds since pid started (None if it is gone)."""
    started = _start_time(pid)
    if started is None:
        return None
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return max(0.0, uptime - int(started) / os.sysconf("SC_CLK_TCK"))


def kill_process(name: str, config: Mapping[str, Any]) -> bool:
    """SIGKILL name and its process group at once (chaos tests: a crash, not a shutdown)."""
    return stop_process(name, config, timeout=0, sig=signal.SIGKILL)


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1
) -> Any:
    """Poll predicate until it returns something truthy; DeployError after timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # the predicate failing means "not yet"
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise DeployError(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(interval)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
