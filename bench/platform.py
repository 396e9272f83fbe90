"""Start and stop the whole platform under the bench profile (var/bench, its own ports).

Servers through deploy.servers, schema through services.common.migrations, the six
services and the gateway through deploy.processes (as tests/support/platform.py does).
Every process gets deploy.servers' var-dir marker in its environment, so the final
``servers.stop`` sweep kills anything of var/bench that a graceful stop missed.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from typing import IO, Any

import requests

from bench.children import BenchError, kill_live
from deploy import processes, servers
from services.common import migrations
from services.common.config import SERVICE_NAMES

COMPONENTS = (*SERVICE_NAMES, "gateway")


def argv_for(component: str) -> list[str]:
    if component == "gateway":
        return [sys.executable, "-m", "gateway"]
    return [sys.executable, "-m", "services.common.runner", component]


class BenchPlatform:
    def __init__(self, config: dict[str, Any]) -> None:
        if config["profile"] != "bench":
            raise BenchError(f"refusing to run under profile {config['profile']!r}, not 'bench'")
        self.config = config
        self.env = servers.server_env(config)  # our environment plus the var-dir marker
        self.url = f"http://{config['gateway']['host']}:{config['gateway']['port']}"
        self._lock: IO[str] | None = None
        self.started = False

    # ---- start ------------------------------------------------------------------------
    def lock(self) -> None:
        """One bench at a time: a second run would share (and then stop) our servers."""
        path = processes.var_path(self.config, "bench.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "w")  # noqa: SIM115 - held open for the whole run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise BenchError(f"another bench run holds {path}") from None
        self._lock = handle

    def start(self) -> float:
        """Servers, migrations, processes, /healthz. Returns seconds taken."""
        began = time.monotonic()
        self.lock()
        self.started = True
        leftovers = [c for c in COMPONENTS if processes.is_running(c, self.config)]
        if leftovers:
            # From an interrupted run: restart them, so this run measures the current code.
            print(f"bench: stopping leftover {', '.join(leftovers)}", flush=True)
            processes.stop_processes(leftovers, self.config, timeout=15)
        servers.start(self.config)
        migrations.upgrade(config=self.config)
        gateway = self.config["gateway"]
        if processes.port_open(gateway["host"], gateway["port"]):
            raise BenchError(f"{self.url} is taken by a process that is not the bench's gateway")
        for component in COMPONENTS:
            processes.start_process(component, argv_for(component), self.config, env=self.env)
        self.wait_healthy()
        return time.monotonic() - began

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            dead = [c for c in COMPONENTS if not processes.is_running(c, self.config)]
            if dead:
                raise BenchError(f"{', '.join(dead)} exited during start-up\n{self.logs(dead)}")
            try:
                response = requests.get(self.url + "/healthz", timeout=10)
                last = response.text[:300]
                if response.status_code == 200:
                    return
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.3)
        raise BenchError(f"platform not healthy after {timeout:g} s: {last}\n"
                         f"{self.logs(COMPONENTS)}")

    def logs(self, components: tuple[str, ...] | list[str], lines: int = 12) -> str:
        return "\n".join(
            f"--- {processes.log_path(c, self.config)}\n"
            f"{processes.tail(processes.log_path(c, self.config), lines)}"
            for c in components
        )

    def leaders(self) -> dict[int, str]:
        """pid -> component, for CPU accounting (a server's helpers count as that server)."""
        names = {c: c for c in COMPONENTS}
        for server in servers.SERVERS.values():
            for proc_name in server.processes:
                names[proc_name] = server.name
        pids = {}
        for proc_name, component in names.items():
            pid = processes.read_pid(proc_name, self.config)
            if pid is not None:
                pids[pid] = component
        pids[os.getpid()] = "bench"
        return pids

    # ---- stop -------------------------------------------------------------------------
    def stop(self) -> list[str]:
        """Stop everything of the bench profile; returns what is still alive (should be [])."""
        kill_live()
        if not self.started:
            return []
        problems: list[str] = []
        try:
            killed = processes.stop_processes(COMPONENTS, self.config, timeout=15)
            if killed:
                print(f"bench: had to SIGKILL {', '.join(killed)}", flush=True)
        except Exception as exc:  # go on to the servers whatever happened here
            problems.append(f"stopping processes: {exc}")
        try:
            servers.stop(self.config)
        except Exception as exc:
            problems.append(f"stopping servers: {exc}")
        left = [servers.describe(pid) for pid in servers.strays(self.config)]
        left += [c for c in COMPONENTS if processes.is_running(c, self.config)]
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        self.started = False
        return problems + left
