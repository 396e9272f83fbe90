"""Lanes before the enterprise starts (issue 15 items 7 and 9): /permits/new offers 容缺受理 and
自贸区 only to an enterprise that may use them and says why not; the service refuses the draft
in a lane the enterprise may not use; an admin records 自贸区 pilot-zone membership (audited),
which opens that lane."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text

from services.common.errors import InvalidTransition
from tests.integration.test_permits_pfl import ADMIN, ITEMS, VALUES
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def pfl_draft(cluster, actor, lane):
    return cluster.permits.create_draft(actor, {
        "type_code": "pfl_power", "transaction_kind": "new", "items": ITEMS, "lane": lane,
        "nature": "new", "submitter": "legal_rep", "values": VALUES})


def option(html: str, lane: str) -> str:
    return re.search(rf'<option value="{lane}"[^>]*>[^<]*</option>', html).group(0)


def test_lanes_offered_only_to_eligible_enterprises_and_the_pilot_zone_recorded(
    gateway, new_active_enterprise, engines, cluster
):
    http, _, account = new_active_enterprise()
    eid = account["id"]
    actor = {"id": eid, "kind": "enterprise", "enterprise_id": eid, "permissions": []}

    # Before it starts: the page shows 容缺受理 and 自贸区 off, with the reasons.
    page = http.get(gateway + "/permits/new?type=pfl_power")
    assert page.status_code == 200
    assert "disabled" in option(page.text, "fast_track")
    assert "disabled" in option(page.text, "free_trade_zone")
    assert "disabled" not in option(page.text, "normal")
    assert re.search(r'data-lane-refused="fast_track">容缺受理不可选：容缺受理要求信用情况良好', page.text)
    assert "企业不在自贸区试点范围内" in page.text
    for lane in ("fast_track", "free_trade_zone"):
        with pytest.raises(InvalidTransition) as refused:
            pfl_draft(cluster, actor, lane)
        assert refused.value.code == "credit_refused"

    # Good credit opens 容缺; the zone stays closed until the admin records membership.
    cluster.permits.set_credit(ADMIN, {"enterprise_id": eid, "rating": "good"})
    page = http.get(gateway + "/permits/new?type=pfl_power")
    assert "disabled" not in option(page.text, "fast_track")
    assert "disabled" in option(page.text, "free_trade_zone")
    assert pfl_draft(cluster, actor, "fast_track")["lane"] == "fast_track"
    with pytest.raises(InvalidTransition) as refused:
        pfl_draft(cluster, actor, "free_trade_zone")
    assert "自贸区试点" in refused.value.message
    normal = pfl_draft(cluster, actor, "normal")
    with pytest.raises(InvalidTransition):  # nor can a draft be moved into it
        cluster.permits.update_draft(actor, normal["id"], {"version": normal["version"],
                                                           "lane": "free_trade_zone"})

    recorded = cluster.permits.set_credit(ADMIN, {"enterprise_id": eid, "rating": "good",
                                                  "free_trade_zone": True, "note": "自贸区试点企业"})
    assert recorded["free_trade_zone"] is True
    row = next(r for r in cluster.permits.credit_register(ADMIN) if r["enterprise_id"] == eid)
    assert row["free_trade_zone"] is True
    with engines("permits").connect() as conn:
        audited = conn.execute(text("select actor_id, detail from audit_log where action ="
                                    " 'permits.credit.set' and subject_id = :e order by id desc limit 1"),
                               {"e": eid}).one()
    assert audited.actor_id == ADMIN["id"] and audited.detail["free_trade_zone"] is True
    # A rating change without the flag keeps the membership.
    cluster.permits.set_credit(ADMIN, {"enterprise_id": eid, "rating": "good"})
    page = wait_for(lambda: (p := http.get(gateway + "/permits/new?type=pfl_power"))
                    and "disabled" not in option(p.text, "free_trade_zone") and p, what="zone lane open")
    assert "data-lane-refused" not in page.text
    assert pfl_draft(cluster, actor, "free_trade_zone")["lane"] == "free_trade_zone"
    moved = cluster.permits.update_draft(actor, normal["id"], {"version": normal["version"],
                                                               "lane": "free_trade_zone"})
    assert moved["lane"] == "free_trade_zone" and uuid.UUID(moved["id"])
