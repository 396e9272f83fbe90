"""The whole platform on this machine: servers, migrations, six services and the gateway.

    python -m deploy.platform up|down|status

`up` is idempotent (a running process is kept, never duplicated); `down` leaves nothing
running. QLP_PROFILE selects the profile as everywhere else.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

import requests

from deploy import servers
from deploy.processes import (
    DeployError,
    is_running,
    log_path,
    pid_path,
    port_open,
    read_pid,
    start_process,
    stop_processes,
    tail,
)
from services.common.config import SERVICE_NAMES, load_config

COMPONENTS = (*SERVICE_NAMES, "gateway")
HEALTH_TIMEOUT = 60.0

Config = Mapping[str, Any]


def argv_for(component: str) -> list[str]:
    if component == "gateway":
        return [sys.executable, "-m", "gateway"]
    return [sys.executable, "-m", "services.common.runner", component.split("-", 1)[0]]


def extra_instances(config: Config) -> list[str]:
    """Further processes of the review service (`review.instances` > 1): review-2, review-3, …
    They consume the same RPC and event queues, so the broker shares the work among them."""
    count = int((config.get("review") or {}).get("instances", 1))
    return [f"review-{n}" for n in range(2, count + 1)]


def running_extra_instances(config: Config) -> list[str]:
    """Extra instances with a pidfile, even if the configured count has since gone down."""
    run = pid_path("review", config).parent
    return sorted(p.stem for p in run.glob("review-*.pid")) if run.is_dir() else []


def instance_env(component: str, config: Config, env: dict[str, str]) -> dict[str, str]:
    """An extra instance serves its metrics on its own port: the service's + 1000 × (n − 1)."""
    if "-" not in component:
        return env
    service, number = component.split("-", 1)
    env = dict(env)
    env[f"QLP_METRICS_PORTS__{service.upper()}"] = str(
        int(config["metrics_ports"][service]) + 1000 * (int(number) - 1))
    return env


def component_env(config: Config) -> dict[str, str]:
    env = dict(os.environ)
    env["QLP_PROFILE"] = str(config["profile"])  # children load the same profile
    env.setdefault("PYTHONUNBUFFERED", "1")  # log lines reach var/log as they happen
    env.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")  # eventlet-friendly psycopg waits
    # glibc makes an arena per thread and keeps what it freed there: 2 bound what threads
    # (tpool, pika, the render pool's feeders) can hold on to. Read at process start.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def base_url(config: Config) -> str:
    return f"http://{config['gateway']['host']}:{config['gateway']['port']}"


def migrate(config: Config) -> None:
    if importlib.util.find_spec("services.common.migrations") is None:
        print("warning: services.common.migrations not found: migrations skipped", file=sys.stderr)
        return
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "services.common.migrations", "upgrade"],
        env=component_env(config), capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0:
        raise DeployError(f"migrations failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    print(f"migrations: done ({time.monotonic() - started:.1f} s)")


def start_components(config: Config) -> None:
    for module in ("services.common.runner", "gateway"):
        if importlib.util.find_spec(module) is None:
            raise DeployError(f"module {module} not found: cannot start the platform")
    gw = config["gateway"]
    if not is_running("gateway", config) and port_open(gw["host"], gw["port"]):
        # The gateway binds with SO_REUSEPORT: a stray old instance would silently share
        # the port and answer some requests with old code.
        raise DeployError(
            f"{gw['host']}:{gw['port']} is taken by a process without a pidfile here (an old "
            "gateway?): stop it first"
        )
    env = component_env(config)
    for component in (*COMPONENTS, *extra_instances(config)):
        kept = read_pid(component, config)
        pid = start_process(component, argv_for(component), config,
                            env=instance_env(component, config, env))
        print(f"{component}: {'running' if kept else 'started'} (pid {pid})")


def wait_healthy(config: Config, timeout: float = HEALTH_TIMEOUT) -> None:
    """Until /healthz answers 200; fails at once if a component process has exited."""
    url = base_url(config) + "/healthz"
    last: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while True:
        dead = [c for c in (*COMPONENTS, *extra_instances(config)) if not is_running(c, config)]
        if dead:
            raise DeployError(f"exited during start-up: {', '.join(dead)}\n{diagnose(config, {})}")
        try:
            response = requests.get(url, timeout=10)
            if response.status_code == 200:
                return
            last = {"status": response.status_code, "body": response.text[:2000]}
        except requests.RequestException as exc:
            last = {"status": "no answer", "body": type(exc).__name__}
        if time.monotonic() > deadline:
            raise DeployError(
                f"{url} not 200 after {timeout:g} s\n{diagnose(config, last)}"
            )
        time.sleep(0.5)


def diagnose(config: Config, last: Mapping[str, Any]) -> str:
    """Which components look broken, with the tail of each one's log."""
    suspects = [c for c in COMPONENTS if not is_running(c, config)]
    lines = []
    if last:
        lines.append(f"last /healthz answer: {last['status']} {last['body']}")
        try:
            services = json.loads(last["body"]).get("services", {})
        except (ValueError, AttributeError):
            services = {}
        # No per-service verdict means the gateway itself is the one to look at.
        suspects += [n for n, state in services.items() if state != "ok"] or ["gateway"]
    for component in dict.fromkeys(suspects):
        state = "running" if is_running(component, config) else "NOT running"
        lines.append(f"--- {component} ({state}), tail of {log_path(component, config)}")
        lines.append(tail(log_path(component, config), 25))
    return "\n".join(lines)


def supervisor_argv() -> list[str]:
    return [sys.executable, "-m", "deploy.supervisor"]


def start_supervisor(config: Config) -> int:
    """The supervisor (deploy/supervisor.py) that restarts exited or unresponsive components."""
    kept = read_pid("supervisor", config)
    pid = start_process("supervisor", supervisor_argv(), config, env=component_env(config))
    print(f"supervisor: {'running' if kept else 'started'} (pid {pid})")
    return pid


def stop_supervisor(config: Config) -> None:
    """First in `down`: nothing may restart what is being stopped. It finishes its round."""
    if stop_processes(["supervisor"], config, timeout=30):
        print("warning: had to SIGKILL the supervisor", file=sys.stderr)


def up(config: Config) -> None:
    began = time.monotonic()
    servers.start(config)
    migrate(config)
    start_components(config)
    start_supervisor(config)  # adopts the components by their pidfiles
    wait_healthy(config)
    print(f"platform up in {time.monotonic() - began:.1f} s: {base_url(config)}/")


def down(config: Config) -> None:
    # The supervisor first, so that nothing is restarted; then the gateway so no new requests
    # arrive, then all services at once, then the servers.
    stop_supervisor(config)
    stop_processes(["gateway"], config, timeout=10)
    extras = sorted({*extra_instances(config), *running_extra_instances(config)})
    killed = stop_processes([*SERVICE_NAMES, *extras], config, timeout=15)
    if killed:
        print(f"warning: had to SIGKILL {', '.join(killed)}", file=sys.stderr)
    print("gateway and services: stopped")
    servers.stop(config)


def status(config: Config) -> bool:
    from deploy.supervisor import read_state, restart_summary
    ok = servers.status(config)
    supervisor = read_pid("supervisor", config)
    print(f"{'supervisor':10} {'running' if supervisor else 'stopped':24} pid={supervisor or '-'}")
    state = read_state(config)  # the supervisor's view, kept by the last one after it stopped
    restarts = restart_summary(config, state.get("run"))  # that run's var/run/restarts.jsonl
    seen = state.get("components", {}) if supervisor else {}
    for component in (*COMPONENTS, *extra_instances(config)):
        pid = read_pid(component, config)
        ok = ok and pid is not None
        count, reason = restarts.get(component, (0, ""))
        word = "running" if pid else "stopped"
        if component in seen:  # the supervisor's view: healthy, starting, failing, restarting
            word += f" ({seen[component]['state']})"
        line = f"{component:10} {word:24} pid={pid or '-':<8} restarts={count}"
        print(line + (f"  last: {reason}" if reason else ""))
    try:
        response = requests.get(base_url(config) + "/healthz", timeout=10)
        print(f"healthz    {response.status_code} {response.text[:500]}")
        ok = ok and response.status_code == 200
    except requests.RequestException as exc:
        print(f"healthz    no answer ({type(exc).__name__})")
        ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.platform", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("up", "down", "status"))
    args = parser.parse_args(argv)
    config = load_config()
    print(f"profile {config['profile']}, state in {config['var_dir']}")
    try:
        if args.action == "up":
            up(config)
        elif args.action == "down":
            down(config)
        else:
            return 0 if status(config) else 3
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
