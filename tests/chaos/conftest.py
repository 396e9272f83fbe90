"""Chaos fixtures: the integration fixtures (real servers and processes) plus helpers that
register tagged accounts, look into the services' databases, and put the platform back.

Each chaos test leaves the platform as it found it: broker up, every process running and
healthy (the ``platform_restored`` fixture, used by every chaos test).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pika
import pytest
import requests
from pika.exceptions import AMQPError, ChannelClosedByBroker
from sqlalchemy import bindparam, text

from deploy import processes, servers
from tests.integration import conftest as integration
from tests.support import platform
from tests.support.data import registration
from tests.support.waiting import wait_for

# The integration fixtures, shared: real servers, real processes, direct database access.
config = integration.config
running_platform = integration.running_platform
gateway = integration.gateway
engines = integration.engines

NOTIFY_QUEUE = "evt-identity-enterprise_account_registered--notify.on_enterprise_account_registered"


def broker_up(config) -> bool:
    return processes.port_open(config["amqp"]["host"], config["amqp"]["port"])


def queue_depth(config, queue: str) -> int | None:
    """Ready messages in queue, asked over a fresh pika connection (None if unanswerable)."""
    amqp = config["amqp"]
    params = pika.ConnectionParameters(
        host=amqp["host"], port=amqp["port"], virtual_host=amqp["vhost"],
        credentials=pika.PlainCredentials(amqp["user"], amqp["password"]),
        connection_attempts=1, socket_timeout=5,
    )
    try:
        connection = pika.BlockingConnection(params)
    except AMQPError:
        return None
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    except ChannelClosedByBroker:
        return None
    finally:
        if connection.is_open:
            connection.close()


class Registrar:
    """Registers accounts through the JSON API from a few threads.

    Every account's e-mail carries this registrar's tag, so the test can find all of them
    in identity's table, also those whose HTTP answer was lost (an RPC that committed but
    whose reply never came back).
    """

    def __init__(self, gateway: str, threads: int = 4, timeout: float = 15) -> None:
        self.url = gateway + "/api/v1/accounts"
        self.tag = f"chaos-{uuid.uuid4().hex[:10]}"
        self.timeout = timeout
        self.threads = threads
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="registrar")
        self.statuses: Counter = Counter()
        self.created: list[str] = []  # ids of accounts answered with 201
        self._lock = threading.Lock()
        self._numbers = iter(range(10**9))
        self._stop = threading.Event()

    def _register_one(self) -> int | str:
        with self._lock:
            number = next(self._numbers)
        data = {**registration(), "email": f"{self.tag}-{number}@example.com"}
        try:
            response = requests.post(self.url, json=data, timeout=self.timeout)
        except requests.RequestException as exc:
            outcome: int | str = type(exc).__name__
        else:
            outcome = response.status_code
            if outcome == 201:
                with self._lock:
                    self.created.append(response.json()["id"])
        with self._lock:
            self.statuses[outcome] += 1
        return outcome

    def submit(self, count: int) -> list:
        """Start count registrations; returns their futures."""
        return [self.pool.submit(self._register_one) for _ in range(count)]

    def flood(self) -> list:
        """Keep every thread registering until stop_flood()."""

        def loop() -> None:
            while not self._stop.is_set():
                self._register_one()

        return [self.pool.submit(loop) for _ in range(self.threads)]

    def stop_flood(self) -> None:
        self._stop.set()

    def ok(self) -> int:
        with self._lock:
            return len(self.created)

    def close(self) -> None:
        self._stop.set()
        self.pool.shutdown(wait=True)


@pytest.fixture
def registrar(gateway):
    made = []

    def make(**kwargs) -> Registrar:
        made.append(Registrar(gateway, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def tagged_accounts(engines, tag: str) -> dict[str, str]:
    """id -> email of every account in identity's table registered under tag."""
    with engines("identity").connect() as conn:
        rows = conn.execute(text("select id, email from accounts where email like :p"),
                            {"p": f"{tag}-%"}).all()
    return {str(r.id): r.email for r in rows}


# identity's events that notify turns into a mail (one each); the first also into a message.
REGISTERED = "enterprise_account_registered"
MAILED_EVENTS = (REGISTERED, "account_email_verification_requested")


def account_events(engines, accounts: dict[str, str]) -> dict[str, dict[str, str]]:
    """Per account id, event id -> type of identity's outbox events about it (mailed kinds)."""
    found: dict[str, dict[str, str]] = {a: {} for a in accounts}
    if not accounts:
        return found
    with engines("identity").connect() as conn:
        rows = conn.execute(
            text("select event_id, event_type, envelope -> 'data' ->> 'account_id' as account "
                 "from outbox where event_type in :types "
                 "and envelope -> 'data' ->> 'account_id' in :ids")
            .bindparams(bindparam("types", expanding=True), bindparam("ids", expanding=True)),
            {"types": list(MAILED_EVENTS), "ids": list(accounts)},
        ).all()
    for row in rows:
        found[row.account][str(row.event_id)] = row.event_type
    return found


def deliveries(engines, accounts: dict[str, str]) -> tuple[Counter, Counter]:
    """(messages, mails) in notify's tables per source event id, for these accounts."""
    if not accounts:
        return Counter(), Counter()
    with engines("notify").connect() as conn:
        messages = conn.execute(
            text("select source_event_id from messages where recipient_id in :ids")
            .bindparams(bindparam("ids", expanding=True)),
            {"ids": [uuid.UUID(a) for a in accounts]},
        ).scalars().all()
        mails = conn.execute(
            text("select source_event_id from mails where to_address in :emails")
            .bindparams(bindparam("emails", expanding=True)),
            {"emails": list(accounts.values())},
        ).scalars().all()
    return Counter(str(m) for m in messages), Counter(str(m) for m in mails)


def unsent_mails(engines, accounts: dict[str, str]) -> int:
    if not accounts:
        return 0
    with engines("notify").connect() as conn:
        return conn.execute(
            text("select count(*) from mails where sent_at is null and to_address in :emails")
            .bindparams(bindparam("emails", expanding=True)),
            {"emails": list(accounts.values())},
        ).scalar_one()


def pending_outbox(engines, tag: str | None = None) -> int:
    """identity's committed but unpublished events (only those of tag's accounts if given)."""
    sql = "select count(*) from outbox where published_at is null"
    params = {}
    if tag:
        sql += " and (envelope -> 'data' ->> 'email') like :p"
        params["p"] = f"{tag}-%"
    with engines("identity").connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def assert_exactly_once(engines, tag: str, timeout: float = 90,
                        settle: float = 2.0) -> dict[str, str]:
    """Wait (bounded) until every tagged account's events have all been handled by notify
    and nothing has changed for `settle` seconds (late accounts, late duplicates); then
    require, per account, exactly one message (from its registration event), exactly one
    mail per mailed event, nothing else, and every mail sent. Returns the accounts."""
    deadline = time.monotonic() + timeout
    previous = None
    while True:
        accounts = tagged_accounts(engines, tag)
        events = account_events(engines, accounts)
        messages, mails = deliveries(engines, accounts)
        complete = bool(accounts) and all(
            REGISTERED in kinds.values() and all(mails[e] >= 1 for e in kinds)
            and any(messages[e] >= 1 for e, kind in kinds.items() if kind == REGISTERED)
            for kinds in events.values()
        )
        snapshot = (accounts, events, messages, mails)
        if complete and snapshot == previous:
            break
        if time.monotonic() >= deadline:
            waiting = [a for a, kinds in events.items()
                       if REGISTERED not in kinds.values()
                       or not all(mails[e] >= 1 for e in kinds)
                       or not any(messages[e] for e, k in kinds.items() if k == REGISTERED)]
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for notify to handle every event: "
                f"{len(waiting)} of {len(accounts)} accounts still lack a message or a mail "
                f"(e.g. {waiting[:3]}); identity outbox pending: {pending_outbox(engines, tag)}"
            )
        previous = snapshot if complete else None
        time.sleep(settle if complete else 0.5)

    problems = []
    for account, kinds in events.items():
        registered = [e for e, kind in kinds.items() if kind == REGISTERED]
        if len(registered) != 1:
            problems.append(f"{account}: {len(registered)} registration events in the outbox")
        for event in registered:
            if messages[event] != 1:
                problems.append(f"{account}: {messages[event]} messages for its registration")
        for event, kind in kinds.items():
            if mails[event] != 1:
                problems.append(f"{account}: {mails[event]} mails for its {kind} {event}")
    strays = set(messages) | set(mails)
    strays -= {e for kinds in events.values() for e in kinds}
    if strays:
        problems.append(f"messages or mails from events not about these accounts: {strays}")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:20])
    wait_for(lambda: unsent_mails(engines, accounts) == 0, 30, "every mail to be sent")
    return accounts


def component_pids(config) -> dict[str, int | None]:
    return {c: processes.read_pid(c, config) for c in platform.COMPONENTS}


def _readable(line: str) -> str:
    """A JSON log line as time, level, message and the end of its traceback."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line[:500]
    text = f"{entry.get('ts')} {entry.get('level')} {entry.get('message')}"
    trace = (entry.get("exception") or "").strip().splitlines()
    # The frames of nameko and of the platform say where; the library frames below, how.
    frames = [t.strip() for t in trace if t.strip().startswith("File ")
              and any(part in t for part in ("/nameko/", "/services/", "/gateway/"))]
    if trace:
        text += "\n    raised in " + " <- ".join(reversed(frames[-4:])) + "\n    " + trace[-1]
    return text


class LogWatch:
    """What the platform's processes log from now on (their logs are appended to)."""

    FATAL = ('"level": "CRITICAL"', "killing <ServiceContainer")

    def __init__(self, config) -> None:
        self.config = config
        self.offsets = {c: self._size(c) for c in platform.COMPONENTS}

    def _size(self, component: str) -> int:
        try:
            return processes.log_path(component, self.config).stat().st_size
        except FileNotFoundError:
            return 0

    def lines(self, component: str) -> list[str]:
        try:
            with open(processes.log_path(component, self.config), "rb") as handle:
                handle.seek(self.offsets[component])
                return handle.read().decode("utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def fatal(self) -> dict[str, list[str]]:
        """Per component, the lines saying its service container died (a crashed nameko
        container may leave its process alive for a while, so pids alone do not tell)."""
        found = {}
        for component in platform.COMPONENTS:
            hits = [line for line in self.lines(component) if any(f in line for f in self.FATAL)]
            if hits:
                found[component] = hits
        return found


def assert_survived(config, pids: dict[str, int | None], watch: LogWatch, why: str) -> None:
    """Every process in pids still runs as the same process and no service container died;
    else fail with the processes' last words."""
    now = component_pids(config)
    fatal = watch.fatal()
    gone = sorted({c for c, pid in pids.items() if now[c] != pid} | set(fatal))
    if not gone:
        return
    evidence = []
    for component in gone:
        lines = fatal.get(component) or watch.lines(component)[-10:]
        evidence.append(f"--- {component} (pid {pids[component]} -> {now[component]}):\n"
                        + "\n".join(_readable(line) for line in lines[:4]))
    raise AssertionError(f"{', '.join(gone)} did not survive {why}:\n" + "\n".join(evidence))


def _unhealthy(config) -> list[str]:
    """Components /healthz does not report ok (the gateway itself if it does not answer)."""
    try:
        services = requests.get(platform.gateway_url(config) + "/healthz", timeout=15).json()
        return [name for name, status in services["services"].items() if status != "ok"]
    except (requests.RequestException, ValueError, KeyError):
        return ["gateway"]


@pytest.fixture
def platform_restored(running_platform):
    """After the test, whatever it broke: broker up, every process running, all healthy.

    A service process can be alive yet dead inside (its nameko container crashed and the
    process did not exit): those are restarted too, so that later tests still work.
    """
    yield running_platform
    config = running_platform
    if not broker_up(config):
        servers.start(config, ["rabbitmq"])
    for component in platform.COMPONENTS:
        platform.start(component, config)  # a no-op for a process still running
    try:
        platform.wait_healthy(config, timeout=60)
    except AssertionError:
        for component in _unhealthy(config):
            platform.stop(component, config)
            platform.start(component, config)
        platform.wait_healthy(config, timeout=120)
