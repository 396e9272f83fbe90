"""The reminder job on its own (issue 15 item 20): the operators' command runs a day's reminders
on the running platform once (again: nothing new), and the timer's day claim lets one run per
day through however many notify processes tick at once (real notify, bus, PostgreSQL, SMTP)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from deploy.mail_sink import read_mails
from services.common.config import PROJECT_ROOT
from services.common.database import UnitOfWork
from services.notify import reminders
from tests.integration.test_notify_events import (  # noqa: F401  (fixtures)
    bus,
    cluster,
    enterprise_actor,
    notify_db,
    notify_platform,
    registered_enterprise,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def a_free_day() -> date:
    """A day no other run of the suite used (the test database outlives a run)."""
    return date(2060, 1, 1) + timedelta(days=random.randrange(20_000))


def command(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "services.notify.reminders", *args], cwd=PROJECT_ROOT,
                          env=os.environ.copy(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_command_runs_a_days_reminders_once(cluster, bus, notify_platform):  # noqa: F811
    enterprise_id, email = registered_enterprise(bus, cluster)
    day = a_free_day()
    licence_id = str(uuid.uuid4())
    bus.emit("permits", "licence_issued", {
        "licence_id": licence_id, "enterprise_id": enterprise_id, "application_id": None,
        "number": f"承装5-{licence_id[:6]}", "type_code": "pfl.power", "items": [],
        "valid_from": (day - timedelta(days=3 * 365)).isoformat(),
        "valid_until": (day + timedelta(days=90)).isoformat()})
    main = enterprise_actor(enterprise_id)

    def expiring() -> list[str]:
        messages = cluster.notify.list_messages(main)["messages"]
        return [m["title"] for m in messages if "即将到期" in m["title"]]

    wait_for(lambda: any("核发" in m["title"] for m in cluster.notify.list_messages(main)["messages"]),
             what="licence issued message")
    assert expiring() == []

    first = command("--day", day.isoformat())
    assert first["today"] == day.isoformat() and first["sent"]["expiry"] >= 1
    assert len(expiring()) == 1 and "90天" in expiring()[0]
    wait_for(lambda: sum(1 for m in read_mails(notify_platform)
                         if m["To"] == email and "即将到期" in m["Subject"]) == 1, what="the expiry mail")

    again = command("--day", day.isoformat())
    assert again["sent"] == {"expiry": 0, "deadline": 0}
    assert len(expiring()) == 1
    runs = command("--day", day.isoformat(), "--show")["runs"]
    assert [r["trigger"] for r in runs] == ["command", "command"]
    assert runs[0]["sent"]["expiry"] == first["sent"]["expiry"] and runs[1]["sent"]["expiry"] == 0


def test_the_renewal_reminder_follows_the_window_the_licence_event_carries(cluster, bus):  # noqa: F811
    """An HMQ / CIP licence: permits' event says renewal opens 6 months before expiry (and closes
    3 before); the day it opens, 150 days before expiry (no expiry reminder yet), the enterprise
    is told that it may renew, and until when."""
    enterprise_id, _email = registered_enterprise(bus, cluster)
    day = a_free_day()
    valid_until = day + timedelta(days=150)
    opens, closes = day - timedelta(days=30), day + timedelta(days=60)
    licence_id = str(uuid.uuid4())
    number = f"承修-{licence_id[:6]}"
    bus.emit("permits", "licence_issued", {
        "licence_id": licence_id, "enterprise_id": enterprise_id, "application_id": None,
        "number": number, "type_code": "hmq_maintenance", "items": [],
        "valid_from": (day - timedelta(days=3 * 365)).isoformat(), "valid_until": valid_until.isoformat(),
        "renewal_opens": opens.isoformat(), "renewal_closes": closes.isoformat()})
    main = enterprise_actor(enterprise_id)

    def titles() -> list[str]:
        return [m["title"] for m in cluster.notify.list_messages(main)["messages"]]

    wait_for(lambda: any("核发" in t for t in titles()), what="licence issued message")
    command("--day", day.isoformat())
    messages = [m for m in cluster.notify.list_messages(main)["messages"]
                if number in m["title"] and "核发" not in m["title"]]
    assert [m["title"] for m in messages] == [f"延续申请已可办理：{number}"]  # no 即将到期 yet
    assert f"截止 {closes.isoformat()}" in messages[0]["body"]


class NotifyDb:
    """notify's database as its service sees it (units of work on the real PostgreSQL)."""

    def __init__(self, engine) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions(), "notify", None)


def test_the_timer_runs_a_day_once_however_many_processes_tick(notify_db, notify_platform):  # noqa: F811
    db, day = NotifyDb(notify_db), a_free_day()
    url = notify_platform["gateway"]["public_url"]
    results: list[dict] = []
    start = threading.Barrier(4)

    def tick() -> None:
        start.wait()
        results.append(reminders.run_day(db, day, "timer", url))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r["already_run"] for r in results) == [False, True, True, True]
    assert reminders.run_day(db, day, "timer", url)["already_run"] is True   # the next tick
    with notify_db.connect() as conn:
        rows = conn.execute(text("select trigger from reminder_runs where day = :d"), {"d": day}).all()
    assert [r.trigger for r in rows] == ["timer"]
    # an operator's run of the same day still runs (each reminder has its own claim)
    assert reminders.run_day(db, day, "command", url)["already_run"] is False
