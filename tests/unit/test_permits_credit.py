"""容缺受理 and the free-trade-zone lane: credit eligibility, owed materials, missed deadlines as defaults."""

from __future__ import annotations

from datetime import date

import pytest

from services.permits.catalogue import load_catalogue
from services.permits.credit import (
    CreditProvider,
    CreditRecord,
    LocalCreditRegister,
    OwedDefault,
    deliver,
    fast_track_eligibility,
    free_trade_zone_eligibility,
    lane_options,
    missed_deadlines,
    plan_owed,
)

TODAY = date(2026, 11, 23)


def default_on(deadline: date, name: str = "财务审计报告") -> OwedDefault:
    return OwedDefault("app-1", "financial_report", name, deadline)


def test_local_register_is_a_credit_provider():
    register: CreditProvider = LocalCreditRegister()
    record = register.credit_of("e1", TODAY)
    assert record.rating == "unknown" and record.defaults == ()


def test_good_credit_without_defaults_is_eligible():
    assert fast_track_eligibility(CreditRecord("e1", "good"), TODAY).ok


@pytest.mark.parametrize("rating, label", [("fair", "一般"), ("poor", "较差"), ("unknown", "无信用记录")])
def test_not_good_credit_is_refused(rating, label):
    result = fast_track_eligibility(CreditRecord("e1", rating), TODAY)
    assert result.reasons == (f"容缺受理要求信用情况良好（当前：{label}）",)


def test_missed_deadline_in_the_last_two_years_refuses():
    inside = CreditRecord("e1", "good", defaults=(default_on(date(2024, 11, 23)),))
    result = fast_track_eligibility(inside, TODAY)
    assert not result.ok
    assert result.reasons[0] == (
        "两年内发生过“申请容缺受理，但未按时提交容缺材料”的情况（财务审计报告，应于2024-11-23前提交，共1次）"
    )
    outside = CreditRecord("e1", "good", defaults=(default_on(date(2024, 11, 22)),))
    assert fast_track_eligibility(outside, TODAY).ok


def test_new_application_needs_no_live_licence():
    result = fast_track_eligibility(CreditRecord("e1", "good"), TODAY, kind="new", holds_live_licence=True)
    assert result.reasons == ("容缺受理新申请仅限未持证企业首次申请或已注销企业再次申请",)
    assert fast_track_eligibility(
        CreditRecord("e1", "good"), TODAY, kind="licence_change", holds_live_licence=True
    ).ok


def test_free_trade_zone_needs_good_credit_and_the_pilot_scope():
    assert free_trade_zone_eligibility(CreditRecord("e1", "good", free_trade_zone=True), TODAY).ok
    out = free_trade_zone_eligibility(CreditRecord("e1", "fair", free_trade_zone=False), TODAY)
    assert out.reasons == ("自贸区通道要求信用情况良好（当前：一般）", "企业不在自贸区试点范围内")


def test_lane_options_for_the_type():
    pfl = load_catalogue().type("pfl_power")
    record = CreditRecord("e1", "good", free_trade_zone=False)
    options = lane_options(
        record, TODAY, offered_lanes=pfl.lanes_for("new"), kind="new", holds_live_licence=False
    )
    assert {lane: e.ok for lane, e in options.items()} == {
        "normal": True,
        "fast_track": True,
        "free_trade_zone": False,
    }
    assert list(
        lane_options(
            record,
            TODAY,
            offered_lanes=pfl.lanes_for("cancellation"),
            kind="cancellation",
            holds_live_licence=True,
        )
    ) == ["normal"]


def test_owed_materials_plan_deliver_and_default():
    pfl = load_catalogue().type("pfl_power")
    required = pfl.required_attachments("new", "fast_track", "new", "legal_rep")
    provided = {"legal_rep_statement", "business_licence", "staff_proof", "constructor_certificates"}
    plan = plan_owed(required, provided, accepted_on=TODAY, deadline_days=20)
    assert plan.ok
    assert {(m.code, m.deadline) for m in plan.owed} == {
        ("safety_system", date(2026, 12, 13)),
        ("financial_report", date(2026, 12, 13)),
    }
    # a missing material that may not be owed blocks
    blocked = plan_owed(required, provided - {"business_licence"}, accepted_on=TODAY)
    assert not blocked.ok and blocked.reasons() == ["“法人营业执照”不可容缺，须在提交前上传"]
    # one delivered in time, one missed
    owed = deliver(plan.owed, "safety_system", date(2026, 12, 1))
    assert missed_deadlines(owed, date(2026, 12, 13), "app-9") == []
    missed = missed_deadlines(owed, date(2026, 12, 14), "app-9")
    assert missed == [
        OwedDefault("app-9", "financial_report", "上一年度财务审计报告（净资产证明）", date(2026, 12, 13))
    ]
    with pytest.raises(KeyError):
        deliver(owed, "nonexistent", TODAY)
    # the default lands in the register and bars 容缺 for two years
    register = LocalCreditRegister()
    register.set_rating("e1", "good")
    register.record_defaults("e1", missed)
    register.record_defaults("e1", missed)  # recording twice keeps one
    record = register.credit_of("e1", TODAY)
    assert len(record.defaults) == 1
    assert not fast_track_eligibility(record, date(2027, 1, 1)).ok
    assert fast_track_eligibility(record, date(2028, 12, 14)).ok
