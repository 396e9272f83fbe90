"""The platform on the hosts of `make cluster-test`: PostgreSQL (primary, and a streaming
replica on the agency host), S3 and the SMTP sink on the bridge's address; HAProxy in front of
the three RabbitMQ nodes (AMQP and management) and of the two gateways; the six services and a
gateway on each services host; the pika agency consumer on the agency host.

Every process is started with deploy.processes (pidfiles and logs under var/cluster/<host>/),
inside its host's namespace through `ip netns exec`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from deploy import servers
from deploy.cluster_hosts import (
    AGENCY_HOST,
    BROKERS,
    SUBNET,
    address,
    bridge_address,
    sh,
)
from deploy.processes import start_process, stop_processes
from services.common.config import PROJECT_ROOT, SERVICE_NAMES, load_config

ALL_SERVICES = tuple(SERVICE_NAMES)
HTTP_PORT = 8700  # HAProxy's front door for the gateways, on the bridge address
AGENCY_QUEUE = "cluster-test-agency"
REPLICA_PORT = 5433
REPLICATION_USER = "replicator"


def base_env(password: str) -> dict[str, str]:
    """The environment of every platform process: the cluster profile, the bridge's servers,
    AMQP through HAProxy. Our own QLP_* variables (a helper's moved ports) are dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QLP_")}
    bridge = bridge_address()
    env.update({
        "QLP_PROFILE": "cluster", "PYTHONUNBUFFERED": "1", "PSYCOPG_WAIT_FUNC": "wait_select",
        "QLP_AMQP__HOST": bridge, "QLP_AMQP__PASSWORD": password,
        "QLP_POSTGRES__HOST": bridge, "QLP_POSTGRES__PASSWORD": password,
        "QLP_S3__HOST": bridge, "QLP_SMTP__HOST": bridge,
        "QLP_GATEWAY__PUBLIC_URL": f"http://{bridge}:{HTTP_PORT}",
    })
    return env


def host_env(password: str, host: str | None) -> dict[str, str]:
    env = base_env(password)
    if host is not None:
        env["QLP_VAR_DIR"] = str(PROJECT_ROOT / "var" / "cluster" / host)
        env["QLP_GATEWAY__HOST"] = address(host)
    return env


def config_for(password: str, host: str | None = None) -> dict[str, Any]:
    return load_config("cluster", host_env(password, host))


# --- servers on the bridge ------------------------------------------------------------------

def start_servers(password: str) -> None:
    config = config_for(password)
    servers.start(config, ["postgres", "s3", "smtp"], timeout=180)
    pg = servers.Postgres(config)
    with pg.connect() as conn:
        conn.execute("ALTER SYSTEM SET max_connections = 400")  # 2 hosts x 7 processes' pools
        conn.execute("ALTER SYSTEM SET wal_keep_size = '512MB'")
        exists = conn.execute("select 1 from pg_roles where rolname = %s",
                              (REPLICATION_USER,)).fetchone()
        conn.execute(f"{'ALTER' if exists else 'CREATE'} ROLE {REPLICATION_USER} "
                     f"WITH LOGIN REPLICATION PASSWORD '{password}'")
    hba = pg.data / "pg_hba.conf"
    text = hba.read_text()
    line = (f"host all all {SUBNET}.0/24 scram-sha-256\n"
            f"host replication {REPLICATION_USER} {SUBNET}.0/24 scram-sha-256\n")
    if line not in text:
        hba.write_text(text + line)
    servers.stop(config, ["postgres"])  # max_connections needs a restart
    servers.start(config, ["postgres"], timeout=180)


def migrate(password: str) -> None:
    result = subprocess.run([sys.executable, "-m", "services.common.migrations", "upgrade"],
                            env=host_env(password, None), capture_output=True, text=True,
                            timeout=600, cwd=PROJECT_ROOT)
    if result.returncode != 0:
        raise SystemExit(f"cluster-test: FAILED: migrations\n{result.stderr[-3000:]}")


def stop_servers(password: str) -> None:
    config = config_for(password)
    stop_processes(["haproxy"], config, timeout=5)
    servers.stop(config, ["postgres", "s3", "smtp"])


# --- HAProxy --------------------------------------------------------------------------------

def haproxy_config(gateways: list[str]) -> str:
    bridge = bridge_address()
    brokers = "".join(f"    server {b} {address(b)}:5672 check inter 1s fall 2 rise 2\n"
                      for b in BROKERS)
    managers = "".join(f"    server {b} {address(b)}:15672 check inter 2s fall 2 rise 2\n"
                       for b in BROKERS)
    webs = "".join(f"    server {g} {address(g)}:8700 check inter 1s fall 2 rise 2\n"
                   for g in gateways)
    return (
        "global\n    maxconn 4000\n"
        "defaults\n    mode tcp\n    timeout connect 3s\n    timeout client 1h\n"
        "    timeout server 1h\n    retries 2\n    option redispatch\n"
        f"frontend amqp\n    bind {bridge}:5672\n    default_backend brokers\n"
        "backend brokers\n    balance leastconn\n" + brokers +
        f"frontend management\n    bind {bridge}:15672\n    default_backend managers\n"
        "backend managers\n    balance first\n" + managers +
        f"frontend web\n    mode http\n    bind {bridge}:{HTTP_PORT}\n    timeout client 120s\n"
        "    default_backend gateways\n"
        # Only a refused connection is retried (the request never reached a gateway).
        "backend gateways\n    mode http\n    balance roundrobin\n    timeout server 120s\n"
        "    retry-on conn-failure\n" + webs
    )


def start_haproxy(password: str, gateways: list[str]) -> None:
    config = config_for(password)
    path = Path(config["var_dir"], "haproxy.cfg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(haproxy_config(gateways))
    check = sh("haproxy", "-c", "-f", str(path), check=False)
    if check.returncode != 0:
        raise SystemExit(f"cluster-test: FAILED: haproxy.cfg\n{check.stdout}{check.stderr}")
    start_process("haproxy", ["haproxy", "-db", "-f", str(path)], config)


# --- the platform's processes on a host -------------------------------------------------

def argv(component: str) -> list[str]:
    if component == "gateway":
        return [sys.executable, "-m", "gateway"]
    return [sys.executable, "-m", "services.common.runner", component.split("-", 1)[0]]


def start_component(password: str, host: str, component: str) -> int:
    """A service (``review-2``: a second review process on the same host) or the gateway."""
    env = host_env(password, host)
    if "-" in component:  # its metrics port apart from the first instance's
        service, number = component.split("-", 1)
        env[f"QLP_METRICS_PORTS__{service.upper()}"] = str(9105 + 1000 * (int(number) - 1))
    return start_process(component, ["ip", "netns", "exec", host, *argv(component)],
                         config_for(password, host), env=env)


def start_host(password: str, host: str, components: tuple[str, ...]) -> None:
    for component in components:
        start_component(password, host, component)


def healthz() -> int:
    return requests.get(f"http://{bridge_address()}:{HTTP_PORT}/healthz", timeout=15).status_code


def gateway_up(host: str) -> bool:
    return requests.get(f"http://{address(host)}:8700/healthz", timeout=15).status_code == 200



# --- the agency consumer ----------------------------------------------------------------

def agency_out(password: str) -> Path:
    return Path(config_for(password, AGENCY_HOST)["var_dir"], "agency-events.jsonl")


def start_agency(password: str) -> None:
    url = f"amqp://qlp:{password}@{bridge_address()}:5672/qlp"
    out = agency_out(password)
    out.parent.mkdir(parents=True, exist_ok=True)
    start_process("agency", ["ip", "netns", "exec", AGENCY_HOST, sys.executable, "-m",
                             "deploy.agency_consumer", "--queue", AGENCY_QUEUE, "--out", str(out),
                             "--url", url], config_for(password, AGENCY_HOST),
                  env=host_env(password, AGENCY_HOST))


def agency_log(password: str) -> Path:
    return Path(config_for(password, AGENCY_HOST)["var_dir"], "log", "agency.log")


# --- PostgreSQL streaming replica on the agency host ------------------------------------------

def replica_dir() -> Path:
    return Path("/var/lib/qlp-postgres/cluster-test-replica")


def start_replica(password: str) -> None:
    """pg_basebackup of the primary (over the bridge, as the replication role) with -R: a
    standby.signal and primary_conninfo; then a postgres on the agency host in standby."""
    data = replica_dir()
    shutil.rmtree(data, ignore_errors=True)
    data.parent.mkdir(parents=True, exist_ok=True)
    data.parent.chmod(0o755)
    data.mkdir(mode=0o700)
    shutil.chown(data, servers.PG_USER)
    bridge = bridge_address()
    env = {"PGPASSWORD": password, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        ["runuser", "-u", servers.PG_USER, "--", "env", f"PGPASSWORD={password}",
         str(servers.PG_BIN / "pg_basebackup"), "-h", bridge, "-p", "5432", "-U", REPLICATION_USER,
         "-D", str(data), "-R", "-X", "stream", "-c", "fast"],
        capture_output=True, text=True, timeout=600, env=env, cwd="/")
    if result.returncode != 0:
        raise SystemExit(f"cluster-test: FAILED: pg_basebackup\n{result.stderr[-2000:]}")
    config = config_for(password, AGENCY_HOST)
    socket_dir = data.parent / "replica-socket"
    socket_dir.mkdir(exist_ok=True)
    shutil.chown(socket_dir, servers.PG_USER)
    start_process("postgres-replica", [
        "ip", "netns", "exec", AGENCY_HOST, "runuser", "-u", servers.PG_USER, "--",
        str(servers.PG_BIN / "postgres"), "-D", str(data), "-c", f"port={REPLICA_PORT}",
        "-c", f"listen_addresses={address(AGENCY_HOST)}", "-c", "max_connections=400",
        "-c", f"unix_socket_directories={socket_dir}"], config, cwd=Path("/"),
        env={"LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def replication_state(password: str) -> dict[str, Any]:
    """The primary's view of its standby: state and LSNs (pg_stat_replication), the primary's
    current WAL position, and whether the standby has replayed up to it."""
    pg = servers.Postgres(config_for(password))
    with pg.connect() as conn:
        row = conn.execute(
            "select state, sent_lsn::text, replay_lsn::text, pg_current_wal_lsn()::text, "
            "replay_lsn = pg_current_wal_lsn() from pg_stat_replication limit 1").fetchone()
    if row is None:
        return {"state": "no standby connected"}
    return {"state": row[0], "sent": row[1], "replayed": row[2], "primary": row[3],
            "caught up": bool(row[4])}


def stop_replica(password: str) -> None:
    stop_processes(["postgres-replica"], config_for(password, AGENCY_HOST), timeout=10)
    shutil.rmtree(replica_dir(), ignore_errors=True)
    shutil.rmtree(replica_dir().parent / "replica-socket", ignore_errors=True)
