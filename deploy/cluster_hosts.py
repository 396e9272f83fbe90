"""The "hosts" of `make cluster-test`: Linux network namespaces joined by a bridge on a private
test subnet (nothing routed or NATed out of it), and a RabbitMQ node on each broker host.

Addresses: the bridge (the root namespace: PostgreSQL primary, S3, SMTP, HAProxy, the load
driver) is .1; broker hosts .11-.13; services hosts .21-.22; the agency host (agency consumer,
PostgreSQL replica) .31.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pika
import requests

from services.common.config import PROJECT_ROOT

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
PREFIX = os.environ.get("QLP_CLUSTER_PREFIX", "qlpct")  # names of namespaces, bridge, veths
SUBNET = os.environ.get("QLP_CLUSTER_SUBNET", "10.231.77")  # /24, private
BROKERS = [f"{PREFIX}-r{n}" for n in (1, 2, 3)]
SERVICES_HOSTS = [f"{PREFIX}-s{n}" for n in (1, 2)]
AGENCY_HOST = f"{PREFIX}-a1"
HOSTS = [*BROKERS, *SERVICES_HOSTS, AGENCY_HOST]
_OCTET = {**{h: 11 + n for n, h in enumerate(BROKERS)},
          **{h: 21 + n for n, h in enumerate(SERVICES_HOSTS)}, AGENCY_HOST: 31}
BRIDGE = f"{PREFIX}-br"
VHOST = "qlp"
USER = "qlp"
STATE = PROJECT_ROOT / "var" / "cluster"


def bridge_address() -> str:
    return f"{SUBNET}.1"


def address(host: str) -> str:
    return f"{SUBNET}.{_OCTET[host]}"


def node(host: str) -> str:
    return f"rabbit@{address(host)}"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def log(message: str) -> None:
    print(f"cluster-test: {time.strftime('%H:%M:%S')} {message}", flush=True)


def inside(host: str) -> str:
    """The host's end of its veth pair (in its namespace)."""
    return f"{PREFIX}-p{HOSTS.index(host) + 1}"


def create_network() -> None:
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "addr", "add", f"{bridge_address()}/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")
    for n, host in enumerate(HOSTS, start=1):
        outside = f"{PREFIX}-v{n}"
        sh("ip", "netns", "add", host)
        sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside(host))
        sh("ip", "link", "set", inside(host), "netns", host)
        sh("ip", "link", "set", outside, "master", BRIDGE)
        sh("ip", "link", "set", outside, "up")
        sh("ip", "netns", "exec", host, "ip", "addr", "add", f"{address(host)}/24", "dev", inside(host))
        sh("ip", "netns", "exec", host, "ip", "link", "set", inside(host), "up")
        sh("ip", "netns", "exec", host, "ip", "link", "set", "lo", "up")


def cut(host: str, down: bool) -> None:
    """Take the host's link to the bridge down (cut off) or up again (its address stays)."""
    sh("ip", "netns", "exec", host, "ip", "link", "set", inside(host), "down" if down else "up")


def host_pids(host: str) -> list[int]:
    return [int(p) for p in sh("ip", "netns", "pids", host, check=False).stdout.split()]


def kill_host(host: str) -> int:
    """SIGKILL every process of a host; how many there were."""
    pids = host_pids(host)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(pids)


def remove_network() -> None:
    listed = sh("ip", "netns", "list", check=False).stdout
    for n, host in enumerate(HOSTS, start=1):
        if host in listed:
            kill_host(host)
            sh("ip", "netns", "del", host, check=False)
        sh("ip", "link", "del", f"{PREFIX}-v{n}", check=False)
    sh("ip", "link", "del", BRIDGE, check=False)


def wait(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.5) -> float:
    """Seconds until predicate() was truthy; SystemExit (the test fails) after timeout."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            if predicate():
                return time.monotonic() - began
        except (requests.RequestException, pika.exceptions.AMQPError, OSError, KeyError, ValueError):
            pass
        time.sleep(interval)
    raise SystemExit(f"cluster-test: FAILED: {what} within {timeout:.0f} s")


# --- RabbitMQ on each broker host ------------------------------------------------------------

def node_env(host: str, cookie: str) -> dict[str, str]:
    base = STATE / host
    home = base / "home"
    if not home.exists():
        home.mkdir(parents=True)
        (home / ".erlang.cookie").write_text(cookie)
        (home / ".erlang.cookie").chmod(0o400)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
    env.update({
        "PATH": f"{RABBITMQ_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "RABBITMQ_NODENAME": node(host),
        "RABBITMQ_USE_LONGNAME": "true",
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
    })
    return env


def write_node_files(host: str, password: str) -> None:
    base = STATE / host
    (base / "log").mkdir(parents=True, exist_ok=True)
    peers = "".join(f"cluster_formation.classic_config.nodes.{n} = {node(h)}\n"
                    for n, h in enumerate(BROKERS, start=1))
    (base / "rabbitmq.conf").write_text(
        "listeners.tcp.1 = 0.0.0.0:5672\n"
        "management.tcp.port = 15672\n"
        "loopback_users = none\n"
        f"default_vhost = {VHOST}\n"
        f"default_user = {USER}\n"
        f"default_pass = {password}\n"
        "default_user_tags.administrator = true\n"
        "default_permissions.configure = .*\n"
        "default_permissions.read = .*\n"
        "default_permissions.write = .*\n"
        "cluster_partition_handling = pause_minority\n"
        "cluster_formation.peer_discovery_backend = classic_config\n" + peers
    )
    (base / "advanced.config").write_text("[].\n")
    (base / "rabbitmq-env.conf").write_text("")
    (base / "enabled_plugins").write_text("[rabbitmq_management].\n")


def start_node(host: str, cookie: str) -> subprocess.Popen:
    env = node_env(host, cookie)
    out = open(STATE / host / "log" / "rabbitmq.log", "ab")  # noqa: SIM115 (the child keeps it)
    return subprocess.Popen(["ip", "netns", "exec", host, str(RABBITMQ_BIN / "rabbitmq-server")],
                            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def management(host: str, path: str, password: str, **params: str) -> requests.Response:
    return requests.get(f"http://{address(host)}:15672/api/{path}", auth=(USER, password),
                        timeout=10, params=params or None)


def running_nodes(host: str, password: str) -> set[str]:
    response = management(host, "nodes", password)
    return {n["name"] for n in response.json() if n.get("running")} if response.ok else set()
