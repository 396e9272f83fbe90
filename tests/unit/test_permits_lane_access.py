"""Lanes an enterprise may use (issue 15 items 7 and 9): 容缺受理 only with good credit and no
recent owed-material default, 自贸区 only with good credit inside the recorded pilot zone; the
reasons are given before the enterprise starts and the same rule refuses the lane later."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.errors import InvalidTransition
from services.permits.catalogue import load_catalogue
from services.permits.credit import CreditRecord, OwedDefault
from services.permits.lane_access import options, require

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def pfl():
    return load_catalogue().type("pfl_power")


def by_code(rows):
    return {r["code"]: r for r in rows}


def test_no_credit_record_offers_only_the_normal_lane_and_says_why(pfl):
    rows = by_code(options(pfl, "new", CreditRecord("e1"), TODAY))
    assert list(rows) == ["normal", "fast_track", "free_trade_zone"]
    assert rows["normal"]["available"]
    assert not rows["fast_track"]["available"] and "信用情况良好" in rows["fast_track"]["reasons"][0]
    assert not rows["free_trade_zone"]["available"]
    assert "企业不在自贸区试点范围内" in rows["free_trade_zone"]["reasons"]
    assert rows["fast_track"]["label"] == "容缺受理"


def test_good_credit_opens_fast_track_and_pilot_membership_opens_the_zone(pfl):
    good = by_code(options(pfl, "new", CreditRecord("e1", "good"), TODAY))
    assert good["fast_track"]["available"] and not good["free_trade_zone"]["available"]
    member = by_code(options(pfl, "new", CreditRecord("e1", "good", free_trade_zone=True), TODAY))
    assert member["free_trade_zone"]["available"] and member["fast_track"]["available"]


def test_a_recent_owed_default_closes_fast_track(pfl):
    record = CreditRecord("e1", "good", defaults=(OwedDefault("a1", "保险", "保险", date(2025, 9, 1)),))
    rows = by_code(options(pfl, "new", record, TODAY))
    assert not rows["fast_track"]["available"] and "未按时提交容缺材料" in rows["fast_track"]["reasons"][0]


def test_only_the_lanes_of_the_kind(pfl):
    assert [r["code"] for r in options(pfl, "renewal", CreditRecord("e1", "good"), TODAY)] == [
        "normal", "free_trade_zone"]


def test_require_refuses_with_the_reasons_and_lets_normal_go(pfl):
    require(pfl, "new", "normal", CreditRecord("e1"), TODAY)
    with pytest.raises(InvalidTransition) as refused:
        require(pfl, "new", "free_trade_zone", CreditRecord("e1", "good"), TODAY)
    assert refused.value.code == "credit_refused" and "自贸区试点" in refused.value.message
