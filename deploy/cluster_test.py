"""`make cluster-test` (PARTIAL, issue 18 item 2): RabbitMQ as a 3-node cluster on three "hosts"
of this machine, and the loss of the node that leads the platform's queues.

Hosts are Linux network namespaces joined by a bridge on a private test subnet that this script
creates and removes itself; nothing is routed or NATed out of it. On each host a RabbitMQ node
(Debian's rabbitmq-server) named after the host's address, all with one generated Erlang cookie,
clustered by classic peer discovery. Then, from the root namespace (the bridge's own address):

1. the platform's queue declarations (services/common/queues.py: quorum, delivery limit,
   dead-lettering) for a few handler queues, and MESSAGES persistent messages published with
   confirms, spread over them;
2. the node leading the most of those queues is killed (SIGKILL, every process of its host);
3. publishing goes on through a surviving node: the time to the first confirmed publish is the
   failover window;
4. every queue is drained from the survivors: each message exactly once (no loss, no duplicate),
   nothing left; then the killed node is started again and rejoins (every queue back to three
   members).

Not yet here (see docs/operations.md): PostgreSQL with a replica, the services on two hosts,
review 1 → 3, HAProxy and two gateways, the load scenario, the network cut.
Needs root (ip netns). State and logs: var/cluster/ (removed at the start of the next run).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import string
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pika
import requests
from pika.adapters.blocking_connection import BlockingChannel

from services.common.config import PROJECT_ROOT
from services.common.queues import handler_queue_arguments

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
PREFIX = os.environ.get("QLP_CLUSTER_PREFIX", "qlpct")  # names of namespaces, bridge, veths
SUBNET = os.environ.get("QLP_CLUSTER_SUBNET", "10.231.77")  # /24, private
HOSTS = [f"{PREFIX}-h{n}" for n in (1, 2, 3)]
BRIDGE = f"{PREFIX}-br"
VHOST = "qlp"
USER = "qlp"
QUEUES = [f"evt-cluster-test--q{n}" for n in range(6)]
STATE = PROJECT_ROOT / "var" / "cluster"


def address(host: str) -> str:
    return f"{SUBNET}.{10 + HOSTS.index(host) + 1}"


def node(host: str) -> str:
    return f"rabbit@{address(host)}"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def log(message: str) -> None:
    print(f"cluster-test: {message}", flush=True)


# --- the hosts ---------------------------------------------------------------------------

def create_network() -> None:
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "addr", "add", f"{SUBNET}.1/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")
    for n, host in enumerate(HOSTS, start=1):
        outside, inside = f"{PREFIX}-v{n}", f"{PREFIX}-p{n}"
        sh("ip", "netns", "add", host)
        sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        sh("ip", "link", "set", inside, "netns", host)
        sh("ip", "link", "set", outside, "master", BRIDGE)
        sh("ip", "link", "set", outside, "up")
        sh("ip", "netns", "exec", host, "ip", "addr", "add", f"{address(host)}/24", "dev", inside)
        sh("ip", "netns", "exec", host, "ip", "link", "set", inside, "up")
        sh("ip", "netns", "exec", host, "ip", "link", "set", "lo", "up")


def kill_host(host: str) -> None:
    """SIGKILL every process of a host (the broker, its epmd, anything else)."""
    pids = sh("ip", "netns", "pids", host, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


def remove_network() -> None:
    for n, host in enumerate(HOSTS, start=1):
        if host in sh("ip", "netns", "list", check=False).stdout:
            kill_host(host)
            sh("ip", "netns", "del", host, check=False)
        sh("ip", "link", "del", f"{PREFIX}-v{n}", check=False)
    sh("ip", "link", "del", BRIDGE, check=False)


# --- RabbitMQ on each host ------------------------------------------------------------------

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
                    for n, h in enumerate(HOSTS, start=1))
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


def management(host: str, path: str, password: str) -> requests.Response:
    return requests.get(f"http://{address(host)}:15672/api/{path}", auth=(USER, password),
                        timeout=5)


def wait(predicate: Callable[[], object], timeout: float, what: str) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            if predicate():
                return time.monotonic() - began
        except (requests.RequestException, pika.exceptions.AMQPError, OSError, KeyError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"cluster-test: FAILED: {what} within {timeout:.0f} s")


def running_nodes(host: str, password: str) -> set[str]:
    response = management(host, "nodes", password)
    return {n["name"] for n in response.json() if n.get("running")} if response.ok else set()


# --- the checks -------------------------------------------------------------------------------

def connect(host: str, password: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.ConnectionParameters(
        host=address(host), port=5672, virtual_host=VHOST,
        credentials=pika.PlainCredentials(USER, password), connection_attempts=1,
        socket_timeout=5, blocked_connection_timeout=10))


def publish(channel: BlockingChannel, start: int, count: int) -> None:
    for n in range(start, start + count):
        channel.basic_publish("", QUEUES[n % len(QUEUES)], json.dumps({"n": n}).encode(),
                              pika.BasicProperties(delivery_mode=2, message_id=str(n)),
                              mandatory=True)


def leaders(host: str, password: str) -> dict[str, str]:
    queues = management(host, f"queues/{VHOST}", password).json()
    return {q["name"]: q.get("leader") or q.get("node") for q in queues if q["name"] in QUEUES}


def drain(host: str, password: str) -> Counter:
    seen: Counter = Counter()
    with connect(host, password) as connection:
        channel = connection.channel()
        for queue in QUEUES:
            while True:
                method, _, body = channel.basic_get(queue, auto_ack=False)
                if method is None:
                    break
                seen[json.loads(body)["n"]] += 1
                channel.basic_ack(method.delivery_tag)
    return seen


def run(messages: int, password: str, cookie: str) -> dict[str, object]:
    figures: dict[str, object] = {}
    began = time.monotonic()
    for host in HOSTS:
        write_node_files(host, password)
        start_node(host, cookie)
    formed = wait(lambda: len(running_nodes(HOSTS[0], password)) == 3, 300,
                  "three RabbitMQ nodes clustered")
    figures["cluster formed (s)"] = round(formed, 1)
    log(f"3 nodes clustered in {formed:.1f} s: {sorted(running_nodes(HOSTS[0], password))}")

    with connect(HOSTS[0], password) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for queue in QUEUES:  # the platform's own declaration of an event-handler queue
            channel.queue_declare(queue, durable=True,
                                  arguments=handler_queue_arguments("clustertest", 5))
        publish(channel, 0, messages)
    wait(lambda: all(management(HOSTS[0], f"queues/{VHOST}/{q}", password).json()
                     .get("members", []).__len__() == 3 for q in QUEUES), 60,
         "every queue replicated on three nodes")
    lead = Counter(leaders(HOSTS[0], password).values())
    victim_node, led = lead.most_common(1)[0]
    victim = next(h for h in HOSTS if node(h) == victim_node)
    survivor = next(h for h in HOSTS if h != victim)
    figures["queue leaders before"] = dict(lead)
    log(f"{messages} messages on {len(QUEUES)} quorum queues; killing {victim_node} (leads {led})")

    kill_host(victim)
    killed_at = time.monotonic()

    def one_publish() -> bool:
        with connect(survivor, password) as connection:
            channel = connection.channel()
            channel.confirm_delivery()
            publish(channel, messages, len(QUEUES))  # one more on every queue
        return True
    window = wait(one_publish, 120, "a confirmed publish to every queue after the kill")
    figures["failover window (s)"] = round(window, 1)
    figures["publish after kill (s after kill)"] = round(time.monotonic() - killed_at, 1)
    log(f"publishing to every queue again {window:.1f} s after the kill")

    total = messages + len(QUEUES)
    seen = drain(survivor, password)
    lost = [n for n in range(total) if seen[n] == 0]
    duplicated = [n for n, c in seen.items() if c > 1]
    with connect(survivor, password) as connection:  # the broker's count, not the stats'
        channel = connection.channel()
        left = sum(channel.queue_declare(q, passive=True).method.message_count for q in QUEUES)
    figures.update({"messages published": total, "received": sum(seen.values()),
                    "lost": len(lost), "duplicated": len(duplicated), "left in queues": left})

    restart = time.monotonic()
    start_node(victim, cookie)
    wait(lambda: len(running_nodes(survivor, password)) == 3, 300, "the killed node rejoining")
    wait(lambda: all(len(management(survivor, f"queues/{VHOST}/{q}", password).json()
                         .get("online", [])) == 3 for q in QUEUES), 120,
         "every queue with three members online again")
    figures["killed node back, queues at 3 members (s)"] = round(time.monotonic() - restart, 1)
    figures["total (s)"] = round(time.monotonic() - began, 1)
    if lost or duplicated or left:
        figures["verdict"] = "FAILED"
    else:
        figures["verdict"] = "passed"
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("cluster-test: needs root (network namespaces)")
        return 2
    remove_network()  # leftovers of an interrupted run
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir(parents=True)
    password = secrets.token_urlsafe(16)
    cookie = "".join(secrets.choice(string.ascii_uppercase) for _ in range(32))
    try:
        create_network()
        figures = run(args.messages, password, cookie)
    finally:
        remove_network()
    for key, value in figures.items():
        print(f"  {key}: {value}")
    return 0 if figures["verdict"] == "passed" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
