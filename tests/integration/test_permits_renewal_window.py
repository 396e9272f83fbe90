"""A renewal (延续) has an earliest day as well as a latest one (issue 15, item 3): a PFL licence
issued today is refused a renewal today, with the day it may be filed from; inside the window the
draft is made. Real permits and its database (the licence rows stand in for earlier issuances)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from services.common.errors import Conflict
from services.common.localtime import BEIJING
from services.permits.licences import add_months
from tests.support.permits import new_enterprise

pytestmark = pytest.mark.integration

ITEMS = [{"category": "install", "grade": "五级"}]


def licence(db, actor: dict, issued: date, valid_until: date) -> str:
    licence_id = str(uuid.uuid4())
    with db.begin() as conn:
        conn.execute(text(
            "insert into licences (id, number, type_code, items, enterprise_id, holder_name, holder_uscc, "
            "issued_on, first_issued_on, valid_from, valid_until, edition, status, verify_token, details) "
            "values (:id, :number, 'pfl_power', cast(:items as json), :eid, '测试电力公司', :uscc, :issued, "
            ":issued, :issued, :until, 1, 'valid', :token, cast('{}' as json))"),
            {"id": licence_id, "number": f"1-5-{secrets.randbelow(10**5):05d}-26",
             "items": '[{"category": "install", "grade": "五级"}]', "eid": actor["id"],
             "uscc": actor.get("uscc") or "91150100MA0N000000", "issued": issued, "until": valid_until,
             "token": secrets.token_urlsafe(16)})
    return licence_id


def renewal(cluster, actor: dict, licence_id: str) -> dict:
    return cluster.permits.create_draft(actor, {
        "type_code": "pfl_power", "transaction_kind": "renewal", "items": ITEMS, "lane": "normal",
        "nature": "new", "submitter": "legal_rep", "original_licence_id": licence_id, "values": {}})


def test_a_licence_issued_today_is_not_renewable_today(cluster, running_platform, permits_db):
    actor = new_enterprise(cluster, running_platform)
    today = datetime.now(BEIJING).date()
    fresh = licence(permits_db, actor, today, add_months(today, 72) - timedelta(days=1))
    with pytest.raises(Conflict) as refused:
        renewal(cluster, actor, fresh)
    assert "有效期届满前90日内" in refused.value.message and "起方可申请延续" in refused.value.message

    # the same enterprise's licence expiring in 60 days is inside the window (90 → 30 days before)
    with permits_db.begin() as conn:
        conn.execute(text("update licences set status = 'cancelled' where id = :id"), {"id": fresh})
    due = licence(permits_db, actor, add_months(today, -72), today + timedelta(days=60))
    draft = renewal(cluster, actor, due)
    assert draft["transaction_kind"] == "renewal" and draft["state"] == "draft"
