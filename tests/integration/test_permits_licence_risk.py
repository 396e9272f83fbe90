"""Licences at risk through the real bus, permits, enterprise and notify (issue 8 §9): a CIP
licence is issued while its key person (A证) has already left the enterprise's records;
personnel's key_person_changed (published as personnel would) makes permits re-check it
against fresh records and flag it with the unmet standard explained, once; a redelivery
and a repeat change nothing; adding the person back (enterprise.records_changed) clears it."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from nameko.standalone.events import event_dispatcher
from sqlalchemy import text

from services.common.config import nameko_config
from services.common.envelope import make_envelope
from services.personnel.domain import key_person_changed
from tests.support.enterprise import decide_staff_change
from tests.support.permits import (
    approve,
    new_enterprise,
    staff,
    submitted_cip_application,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def publish_as_personnel(config, envelope: dict) -> None:
    event_dispatcher(nameko_config(config, "tests"))("personnel", "key_person_changed", envelope)


def claims(engines, event_id: str, consumer: str = "permits.on_key_person_changed") -> int:
    with engines("permits").connect() as conn:
        return conn.execute(text("select count(*) from processed_events where event_id = :e "
                                 "and consumer = :c"), {"e": event_id, "c": consumer}).scalar_one()


def last_records_changed(engines, enterprise_id: str) -> str:
    """The id of the enterprise's latest records_changed event (from enterprise's outbox)."""
    with engines("enterprise").connect() as conn:
        return str(conn.execute(text(
            "select event_id from outbox where event_type like '%records_changed' "
            "and envelope->'data'->>'enterprise_id' = :e order by seq desc limit 1"),
            {"e": enterprise_id}).scalar_one())


def test_key_person_leaving_flags_the_licence_once_and_records_clear_it(
        cluster, running_platform, permits_events, engines, gateway):
    actor = new_enterprise(cluster, running_platform)
    app, staff_ids = submitted_cip_application(cluster, running_platform, actor)
    # While the application is under review the A证 holder leaves; an unsubmitted application
    # would go back to its pre-check, but there is no licence yet to flag.
    cluster.enterprise.delete_record(actor, actor["id"], "staff", staff_ids["王主要"])
    removed = last_records_changed(engines, actor["id"])
    wait_for(lambda: claims(engines, removed, "permits.on_records_changed") == 1,
             what="permits to handle the records_changed of the removal")
    licence = approve(cluster, running_platform, actor, app)
    assert licence["status"] == "valid" and licence["at_risk"] is None

    event = key_person_changed(actor["id"], str(uuid.uuid4()), "safety_a", str(uuid.uuid4()),
                               "transferred_out", datetime.now(UTC))
    envelope = make_envelope("personnel", "key_person_changed", 1, json.loads(json.dumps(event)))
    publish_as_personnel(running_platform, envelope)
    flagged = wait_for(lambda: (v := cluster.permits.get_licence(actor, licence["id"]))["at_risk"] and v,
                       what="permits to flag the licence")
    assert flagged["at_risk"].startswith("重新预审有1项资质标准不再符合：")
    assert "安全生产考核合格（A证）" in flagged["at_risk"] and "符合条件0人" in flagged["at_risk"]
    [emitted] = wait_for(lambda: permits_events.of("licence_at_risk", licence_id=licence["id"]),
                         what="permits.licence_at_risk on the broker")
    data = emitted["data"]
    assert data["at_risk"] is True and data["cause"] == "key_person_changed"
    assert data["change"] == "transferred_out" and data["reason"] == flagged["at_risk"]
    assert [u["key"] for u in data["unmet"]] == ["construction.不分级.principal_a"]

    # Redelivered (same id): claimed once, nothing changes. A new event with the same records:
    # handled, the outcome is what is stored, so no second licence_at_risk.
    publish_as_personnel(running_platform, envelope)
    repeat = make_envelope("personnel", "key_person_changed", 1, json.loads(json.dumps(event)))
    publish_as_personnel(running_platform, repeat)
    wait_for(lambda: claims(engines, repeat["id"]) == 1, what="the repeated event handled")
    time.sleep(1.5)  # the redelivery, had it been handled twice, would have published by now
    assert claims(engines, envelope["id"]) == 1
    assert len(permits_events.of("licence_at_risk", licence_id=licence["id"])) == 1
    assert cluster.permits.get_licence(actor, licence["id"])["at_risk"] == flagged["at_risk"]

    # The enterprise is told (我的消息) and sees the reason on 我的证书; admins on 证书管理.
    wait_for(lambda: any(m["title"] == f"许可证存在风险：{licence['number']}"
                         for m in cluster.notify.list_messages(actor)["messages"]),
             what="notify's message to the enterprise")
    page = cluster.permits.my_licences(actor)[0]
    assert page["at_risk"] == flagged["at_risk"]

    # The person is back in the records: enterprise.records_changed clears the flag.
    # A licence holder's new 技术负责人 joins through approval (人员入职申请, issue 15 item 15).
    back = cluster.enterprise.save_record(actor, actor["id"], "staff",
                                          staff("technical_lead", "王主要", "safety_a"))
    assert back["approval"] == "join_pending"
    decide_staff_change(cluster, engines, back["id"])
    wait_for(lambda: cluster.permits.get_licence(actor, licence["id"])["at_risk"] is None,
             what="the flag cleared on records_changed")
    cleared = wait_for(lambda: [e for e in permits_events.of("licence_at_risk", licence_id=licence["id"])
                                if e["data"]["at_risk"] is False], what="licence_at_risk false")
    assert cleared[0]["data"]["cause"] == "records_changed" and cleared[0]["data"]["unmet"] == []
