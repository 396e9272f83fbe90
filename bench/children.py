"""Run the bench's measuring child processes, and account for CPU while they measure.

A child (wrk, bench.http_load, bench.rpc_echo) runs with a deadline; a Python child says
``MEASURE`` when its warm-up ends, and the CPU of every platform process is sampled from
then until it exits, so each figure comes with where the two cores went.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.config import PROJECT_ROOT

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LIVE: set[subprocess.Popen] = set()  # children still running: killed by kill_live()


class BenchError(RuntimeError):
    """A measurement could not be made (child failed, timed out, platform not answering)."""


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far) for every live process.

    Includes the CPU of children it has reaped (cutime, cstime): PostgreSQL forks a
    backend per connection, and one that ended during a measurement still counts for
    postgres. Not for the bench itself, whose reaped children are the load generators,
    counted apart as "client".
    """
    me = os.getpid()
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16,
        # cstime 17.
        ticks = int(fields[11]) + int(fields[12])
        if int(entry) != me:
            ticks += int(fields[13]) + int(fields[14])
        table[int(entry)] = (int(fields[1]), ticks / CLOCK_TICKS)
    return table


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds all cores have spent not idle since boot, and of those in (soft)irq.

    Interrupt time is no process's: on loopback it is mostly the network stack carrying
    our own requests, so it is shown apart from "not ours".
    """
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    busy = sum(values[:8]) - idle  # guest time is already in user
    return busy / CLOCK_TICKS, (values[5] + values[6]) / CLOCK_TICKS


@dataclass
class Snapshot:
    at: float
    cpu: dict[str, float]
    machine: float
    irq: float


@dataclass
class CpuSampler:
    """Attributes each process to the nearest ancestor (or itself) that is a known leader."""

    leaders: dict[int, str] = field(default_factory=dict)

    def snapshot(self, client_pid: int | None = None) -> Snapshot:
        leaders = dict(self.leaders)
        if client_pid is not None:
            leaders[client_pid] = "client"
        table = _proc_table()
        cpu: dict[str, float] = {}
        for pid, (_, seconds) in table.items():
            owner, hops = pid, 0
            while owner not in leaders and owner in table and owner > 1 and hops < 64:
                owner, hops = table[owner][0], hops + 1
            if owner in leaders:
                cpu[leaders[owner]] = cpu.get(leaders[owner], 0.0) + seconds
        return Snapshot(time.perf_counter(), cpu, *machine_busy_seconds())


def cpu_use(first: Snapshot, last: Snapshot) -> dict[str, float]:
    """% of one core per component between two snapshots (a 2-core machine has 200 %)."""
    wall = max(last.at - first.at, 1e-9)
    use = {
        name: round(100 * max(0.0, last.cpu.get(name, 0.0) - first.cpu.get(name, 0.0)) / wall, 1)
        for name in sorted(set(first.cpu) | set(last.cpu))
    }
    ours = sum(use.values())
    machine = round(100 * (last.machine - first.machine) / wall, 1)
    use["irq"] = round(100 * (last.irq - first.irq) / wall, 1)
    use["machine"] = machine
    use["not_bench"] = round(max(0.0, machine - ours - use["irq"]), 1)
    return use


@dataclass
class ChildResult:
    lines: list[str]
    result: dict[str, Any]
    cpu: dict[str, float]
    client_cpu_seconds: float


def _terminate(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    LIVE.discard(proc)


def kill_live() -> None:
    """Stop every measuring child still running (Ctrl-C, failure)."""
    for proc in list(LIVE):
        _terminate(proc)


def run_child(
    argv: Sequence[str],
    *,
    sampler: CpuSampler,
    timeout: float,
    env: Mapping[str, str],
    log: Path,
    result_prefix: str = "RESULT ",
    waits_for_marker: bool = True,
) -> ChildResult:
    """Run argv to completion; parse the line starting with result_prefix as JSON.

    waits_for_marker: CPU is sampled from the child's ``MEASURE`` line (its warm-up is
    over), else from its start.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as err:
        err.write(f"\n--- {time.strftime('%H:%M:%S')} {' '.join(argv)}\n".encode())
        err.flush()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err, env=dict(env), cwd=str(PROJECT_ROOT))
    LIVE.add(proc)
    try:
        first = None if waits_for_marker else sampler.snapshot(proc.pid)
        lines: list[str] = []
        buffer = b""
        deadline = time.monotonic() + timeout
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError(f"{argv[0]} {argv[1:3]} did not finish in {timeout:g} s")
                if not selector.select(min(left, 0.5)):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    raw, buffer = buffer.split(b"\n", 1)
                    line = raw.decode(errors="replace").rstrip("\r")
                    if line == "MEASURE" and waits_for_marker and first is None:
                        first = sampler.snapshot(proc.pid)
                    else:
                        lines.append(line)
        if buffer:
            lines.append(buffer.decode(errors="replace"))
        usage = None
        while usage is None:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                usage = rusage
                proc.returncode = os.waitstatus_to_exitcode(status)
            elif time.monotonic() > deadline:
                raise BenchError(f"{argv[0]} did not exit in {timeout:g} s")
            else:
                time.sleep(0.02)
        last = sampler.snapshot()
        client_total = usage.ru_utime + usage.ru_stime
        if first is None:
            raise BenchError(f"{argv[0]} ended before its warm-up was over (rc "
                             f"{proc.returncode}); see {log}")
        last.cpu["client"] = client_total
        result = next((json.loads(line[len(result_prefix):]) for line in lines
                       if line.startswith(result_prefix)), None)
        if proc.returncode != 0 or result is None:
            tail = "\n".join(lines[-10:])
            raise BenchError(f"{argv[0]} failed (rc {proc.returncode}); see {log}\n{tail}")
        return ChildResult(lines, result, cpu_use(first, last), client_total)
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.returncode is None:
            _terminate(proc)
        LIVE.discard(proc)
