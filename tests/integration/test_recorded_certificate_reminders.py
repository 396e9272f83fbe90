"""A certificate recorded by 信息补录 (held before the platform) gets the 90/60/30-day expiry
reminders like an issued one (issue 15, item 19), through real personnel, the bus and notify; a
corrected record moves its reminders to the new date."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tests.support.permits import new_enterprise
from tests.support.personnel import imported_from_old_system, person_data
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def a_free_day() -> date:
    """A day no other run used (the test database outlives a run; reminders are per day)."""
    return date(2070, 1, 1) + timedelta(days=random.randrange(20_000))


def test_a_supplemented_certificate_is_reminded_before_it_expires(cluster, running_platform):
    actor = new_enterprise(cluster, running_platform)
    data = person_data("王补录")
    imported_from_old_system(cluster, actor, data)
    someone = cluster.personnel.create_person(actor, data)
    day = a_free_day()
    number = f"蒙交安B{random.randrange(10**9, 10**10)}"
    cert = cluster.personnel.add_certificate_record(actor, someone["id"], {
        "type_code": "transport_safety", "class_code": "B", "certificate_number": number,
        "issued_on": (day - timedelta(days=3 * 365)).isoformat(),
        "valid_until": (day + timedelta(days=60)).isoformat()})
    assert cert["imported"]

    def expiring() -> list[str]:
        messages = cluster.notify.list_messages(actor)["messages"]
        return [m["title"] for m in messages if "即将到期" in m["title"]]

    def reminded_on(when: date) -> list[str]:
        cluster.notify.run_reminders(when.isoformat())
        return expiring()

    # notify learns of the record from personnel's event: the day's run then reminds it
    wait_for(lambda: any(number in t and "60天" in t for t in reminded_on(day)),
             timeout=30, what="the 60-day reminder of the recorded certificate")
    assert len(expiring()) == 1

    # the record's date corrected: the new date is reminded at its own thresholds
    later = day + timedelta(days=200)
    cluster.personnel.update_certificate_record(actor, cert["id"], {
        "valid_until": later.isoformat(), "class_code": "B"})
    wait_for(lambda: any("30天" in t for t in reminded_on(later - timedelta(days=25))),
             timeout=30, what="the 30-day reminder of the corrected date")
