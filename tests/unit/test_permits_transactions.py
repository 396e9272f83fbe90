"""Transaction kinds: eligibility (renewal deadlines, downgrade, add-item, upgrade) and keep-number rules."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.errors import Conflict
from services.permits.catalogue import load_catalogue
from services.permits.licences import Licence, LicenceItem
from services.permits.transactions import change_kind_for, check_eligibility, licence_after, renewal_deadline


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def hmq(cat):
    return cat.type("hmq_maintenance")


@pytest.fixture(scope="module")
def pfl(cat):
    return cat.type("pfl_power")


def hmq_licence(**kw):
    base = dict(
        number="蒙公养资20210007",
        type_code="hmq_maintenance",
        holder_id="e1",
        holder_name="甲公司",
        holder_uscc="91650100228680962Y",
        items=(LicenceItem("bridge", "乙"),),
        issued_on=date(2021, 12, 19),
        valid_from=date(2021, 12, 19),
        valid_until=date(2026, 12, 16),
    )
    base.update(kw)
    return Licence(**base)


def pfl_licence(**kw):
    base = dict(
        number="1-1-00012-21",
        type_code="pfl_power",
        holder_id="e2",
        holder_name="乙电力公司",
        holder_uscc="91150100MA0N000000",
        items=(LicenceItem("install", "三级"), LicenceItem("test", "四级")),
        issued_on=date(2021, 3, 1),
        valid_from=date(2021, 3, 1),
        valid_until=date(2027, 2, 28),
    )
    base.update(kw)
    return Licence(**base)


# ---------------------------------------------------------------- renewal deadlines


def test_hmq_renewal_at_least_three_months_before_expiry(hmq):
    lic = hmq_licence()
    assert renewal_deadline(hmq, lic.valid_until) == date(2026, 9, 16)
    assert check_eligibility("renewal", lic, date(2026, 9, 16), business_type=hmq).ok
    late = check_eligibility("renewal", lic, date(2026, 9, 17), business_type=hmq)
    assert not late.ok
    assert late.reasons == (
        "延续申请应当在有效期届满3个月之前提出：证书有效期至2026-12-16，最迟应于2026-09-16提交，已逾期",
    )
    with pytest.raises(Conflict, match="已逾期") as info:
        late.require()
    assert info.value.code == "not_eligible"


def test_month_end_deadline(hmq):
    assert renewal_deadline(hmq, date(2027, 5, 31)) == date(2027, 2, 28)


def test_pfl_renewal_thirty_days_and_expired(pfl):
    lic = pfl_licence()
    assert renewal_deadline(pfl, lic.valid_until) == date(2027, 1, 29)
    assert check_eligibility("renewal", lic, date(2027, 1, 29), business_type=pfl, submitter="legal_rep").ok
    assert not check_eligibility(
        "renewal", lic, date(2027, 1, 30), business_type=pfl, submitter="legal_rep"
    ).ok
    expired = check_eligibility("renewal", lic, date(2027, 3, 1), business_type=pfl, submitter="legal_rep")
    assert any("当前状态为“已过期”" in r for r in expired.reasons)


def test_pfl_renewal_may_downgrade_but_not_upgrade_or_add(pfl):
    lic = pfl_licence()
    today = date(2026, 12, 15)  # inside the window: 90 days before expiry until 30 days before

    def renew(*sel):
        return check_eligibility(
            "renewal", lic, today, business_type=pfl, selections=sel, submitter="legal_rep"
        )

    assert renew(("install", "四级"), ("test", "五级")).ok
    assert renew(("install", "三级")).ok
    up = renew(("install", "二级"))
    assert not up.ok and "延续不能升级（三级→二级）" in up.reasons[0]
    add = renew(("repair", "五级"))
    assert not add.ok and "延续不能增加类别“承修”" in add.reasons[0]


def test_hmq_renewal_cannot_downgrade(hmq):
    lic = hmq_licence(items=(LicenceItem("bridge", "甲"),))
    result = check_eligibility(
        "renewal", lic, date(2026, 7, 1), business_type=hmq, selections=[("bridge", "乙")]
    )
    assert result.reasons == ("公路养护作业单位资质延续不能降级",)


# ---------------------------------------------------------------- other kinds


def test_new_only_without_a_live_licence(hmq, pfl):
    today = date(2026, 11, 23)
    assert check_eligibility("new", None, today, business_type=hmq, selections=[("bridge", "甲")]).ok
    held = check_eligibility("new", hmq_licence(), today, business_type=hmq, selections=[("bridge", "甲")])
    assert not held.ok and "已持有公路养护作业单位资质（蒙公养资20210007）" in held.reasons[0]
    cancelled = hmq_licence(status="cancelled")
    assert check_eligibility("new", cancelled, today, business_type=hmq, selections=[("bridge", "甲")]).ok
    # PFL needs a nature and a submitter, and may take several categories
    missing = check_eligibility("new", None, today, business_type=pfl, selections=[("install", "五级")])
    assert set(missing.reasons) == {
        "请选择申请性质：新设立申请、合并后申请、分立后申请",
        "请选择提交类型：法定代表人提交、委托他人提交",
    }
    multi = check_eligibility(
        "new",
        None,
        today,
        business_type=pfl,
        nature="after_merger",
        submitter="delegate",
        selections=[("install", "五级"), ("repair", "四级"), ("test", "三级")],
    )
    assert multi.ok
    assert not check_eligibility("new", None, today, business_type=hmq, selections=[]).ok
    two = check_eligibility(
        "new", None, today, business_type=hmq, selections=[("bridge", "甲"), ("tunnel", "乙")]
    )
    assert two.reasons == ("公路养护作业单位资质一次只能申请一个类别",)
    dup = check_eligibility(
        "new",
        None,
        today,
        business_type=pfl,
        nature="new",
        submitter="legal_rep",
        selections=[("install", "五级"), ("install", "四级")],
    )
    assert dup.reasons == ("承装只能选择一个等级",)
    bad = check_eligibility("new", None, today, business_type=hmq, selections=[("bridge", "丙")])
    assert bad.reasons == ("桥梁养护没有“丙”等级，可选：甲、乙",)


def test_kind_and_lane_must_be_offered(hmq, pfl):
    today = date(2026, 11, 23)
    wrong = check_eligibility("licence_change", hmq_licence(), today, business_type=hmq)
    assert not wrong.ok and wrong.reasons[0].startswith("公路养护作业单位资质不办理“许可事项变更”")
    lane = check_eligibility(
        "cancellation", pfl_licence(), today, business_type=pfl, lane="fast_track", submitter="legal_rep"
    )
    assert lane.reasons == ("许可证注销不提供容缺受理通道",)
    assert not check_eligibility(
        "new", None, today, business_type=hmq, lane="free_trade_zone", selections=[("bridge", "甲")]
    ).ok


def test_kinds_on_a_licence_need_a_valid_one(hmq):
    today = date(2026, 11, 23)
    none = check_eligibility("upgrade", None, today, business_type=hmq, selections=[("bridge", "甲")])
    assert none.reasons == ("未持有公路养护作业单位资质，不能办理升级，请先办理新申请",)
    suspended = hmq_licence(status="suspended")
    result = check_eligibility("simple_change", suspended, today, business_type=hmq)
    assert result.reasons == ("证书蒙公养资20210007当前状态为“暂扣”，简单变更仅限有效的证书",)
    assert check_eligibility("reissue", hmq_licence(), today, business_type=hmq).ok
    other_type = hmq_licence(type_code="pfl_power")
    assert not check_eligibility("reissue", other_type, today, business_type=hmq).ok


def test_add_item_and_upgrade(hmq):
    today = date(2026, 11, 23)
    lic = hmq_licence()
    assert check_eligibility("upgrade", lic, today, business_type=hmq, selections=[("bridge", "甲")]).ok
    same = check_eligibility("upgrade", lic, today, business_type=hmq, selections=[("bridge", "乙")])
    assert same.reasons == ("桥梁养护升级须高于现有乙",)
    not_held = check_eligibility("upgrade", lic, today, business_type=hmq, selections=[("tunnel", "甲")])
    assert not_held.reasons == ("未持有隧道养护，请办理增项",)
    assert check_eligibility("add_item", lic, today, business_type=hmq, selections=[("tunnel", "乙")]).ok
    again = check_eligibility("add_item", lic, today, business_type=hmq, selections=[("bridge", "甲")])
    assert again.reasons == ("已持有桥梁养护乙，不能重复增项",)


def test_pfl_cancellation_of_suspended_and_licence_change(pfl):
    today = date(2026, 11, 23)
    assert check_eligibility(
        "cancellation", pfl_licence(status="suspended"), today, business_type=pfl, submitter="legal_rep"
    ).ok
    assert not check_eligibility(
        "cancellation", pfl_licence(status="revoked"), today, business_type=pfl, submitter="legal_rep"
    ).ok
    same = check_eligibility(
        "licence_change",
        pfl_licence(),
        today,
        business_type=pfl,
        submitter="legal_rep",
        selections=[("install", "三级"), ("test", "四级")],
    )
    assert same.reasons == ("变更后的许可类别及等级与原证书相同",)
    assert check_eligibility(
        "licence_change",
        pfl_licence(),
        today,
        business_type=pfl,
        submitter="legal_rep",
        selections=[("install", "二级"), ("test", "四级")],
    ).ok


# ---------------------------------------------------------------- the licence that results


def test_new_licence_number_validity_and_issue_date(pfl):
    decision = {
        "number": "1-1-00013-26",
        "holder_id": "e3",
        "holder_name": "丙公司",
        "holder_uscc": "X",
        "items": [("install", "五级"), ("test", "五级")],
    }
    outcome = licence_after("new", None, decision, date(2026, 11, 23), business_type=pfl)
    lic = outcome.licence
    assert outcome.previous is None
    assert lic.number == "1-1-00013-26" and lic.issued_on == lic.valid_from == lic.first_issued_on == date(
        2026, 11, 23
    )
    assert lic.valid_until == date(2032, 11, 22)  # 6 years
    assert lic.items == (LicenceItem("install", "五级"), LicenceItem("test", "五级"))
    with pytest.raises(ValueError):
        licence_after("new", None, {"holder_id": "e"}, date(2026, 11, 23), business_type=pfl)


def test_licence_item_change_keeps_number_and_original_validity(pfl):
    old = pfl_licence()
    today = date(2026, 11, 23)
    outcome = licence_after(
        "licence_change", old, {"items": [("install", "二级"), ("test", "四级")]}, today, business_type=pfl
    )
    new = outcome.licence
    assert new.number == old.number
    assert (new.valid_from, new.valid_until) == (old.valid_from, old.valid_until)
    assert new.issued_on == today and new.edition == 2 and new.first_issued_on == date(2021, 3, 1)
    assert new.items[0] == LicenceItem("install", "二级")
    assert outcome.previous.status == "replaced" and outcome.previous.edition == 1


def test_registration_change_keeps_number_and_validity(pfl):
    old = pfl_licence(details={"address": "旧址", "legal_representative": "张三"})
    outcome = licence_after(
        "registration_change",
        old,
        {"holder_name": "乙电力集团公司", "details": {"legal_representative": "李四"}},
        date(2026, 11, 23),
        business_type=pfl,
    )
    new = outcome.licence
    assert new.number == old.number and new.valid_until == old.valid_until and new.items == old.items
    assert new.holder_name == "乙电力集团公司"
    assert new.details == {"address": "旧址", "legal_representative": "李四"}
    assert outcome.previous.holder_name == "乙电力公司" and outcome.previous.status == "replaced"


def test_renewal_continues_the_period_and_keeps_number(hmq, pfl):
    old = hmq_licence()
    new = licence_after("renewal", old, {}, date(2026, 8, 1), business_type=hmq).licence
    assert new.number == old.number
    assert new.valid_from == date(2026, 12, 17) and new.valid_until == date(2031, 12, 16)
    assert new.issued_on == date(2026, 8, 1) and new.items == old.items
    down = licence_after(
        "renewal",
        pfl_licence(),
        {"items": [("install", "四级"), ("test", "四级")]},
        date(2027, 1, 10),
        business_type=pfl,
    ).licence
    assert down.items == (LicenceItem("install", "四级"), LicenceItem("test", "四级"))
    assert down.valid_from == date(2027, 3, 1) and down.valid_until == date(2033, 2, 28)


def test_add_item_upgrade_reissue_and_cancellation(hmq):
    old = hmq_licence()
    today = date(2026, 11, 23)
    added = licence_after("add_item", old, {"items": [("subgrade_pavement", "乙")]}, today, business_type=hmq)
    assert added.licence.items == (LicenceItem("subgrade_pavement", "乙"), LicenceItem("bridge", "乙"))
    assert added.licence.valid_until == old.valid_until and added.licence.number == old.number
    upgraded = licence_after("upgrade", old, {"items": [("bridge", "甲")]}, today, business_type=hmq).licence
    assert upgraded.items == (LicenceItem("bridge", "甲"),)
    reissued = licence_after("reissue", old, {}, today, business_type=hmq)
    assert reissued.licence.number == old.number and reissued.licence.issued_on == today
    assert reissued.licence.valid_until == old.valid_until and reissued.previous.status == "replaced"
    cancelled = licence_after("cancellation", old, {}, today, business_type=hmq)
    assert cancelled.licence is None and cancelled.previous.status == "cancelled"


# ---------------------------------------------------------------- change items and review requests


def test_hmq_change_kind_follows_the_items(hmq):
    assert change_kind_for(hmq, ["name", "address"]) == "simple_change"
    assert change_kind_for(hmq, ["name", "technical_lead"]) == "complex_change"
    assert change_kind_for(hmq, ["merger_split"]) == "complex_change"
    with pytest.raises(ValueError, match="没有变更事项：colour"):
        change_kind_for(hmq, ["name", "colour"])
    with pytest.raises(ValueError, match="请选择变更事项"):
        change_kind_for(hmq, [])


def test_pfl_registration_change_items(pfl):
    assert change_kind_for(pfl, ["name", "legal_representative", "address"]) == "registration_change"
    assert pfl.change_items("registration_change")["address"] == "住所"


def test_review_request_uses_review_lane_names(pfl, hmq):
    assert pfl.review_request("registration_change", "free_trade_zone") == {
        "case_type": "pfl.power.change_registration",
        "levels": ["province"],
        "lane": "ftz",
        "time_limit_days": 10,
    }
    assert hmq.review_request("new")["lane"] == "standard"
    assert pfl.review_request("new", "fast_track")["time_limit_days"] == 15


# ---------------------------------------------------------------- renewal windows open (issue 15, item 3)
def test_a_licence_issued_today_cannot_be_renewed_today(pfl):
    today = date(2026, 12, 6)
    fresh = pfl_licence(issued_on=today, valid_from=today, valid_until=date(2032, 12, 5))
    refused = check_eligibility("renewal", fresh, today, business_type=pfl, submitter="legal_rep")
    assert not refused.ok
    assert refused.reasons == (
        "延续申请应在有效期届满前90日内提出：证书有效期至2032-12-05，自2032-09-06起方可申请延续",)


def test_the_window_opens_90_days_before_a_pfl_expiry_and_6_months_before_hmq(pfl, hmq):
    from services.permits.renewal_window import renewal_opens

    lic = pfl_licence()  # valid until 2027-02-28
    assert renewal_opens(pfl.renewal, lic.valid_until) == date(2026, 11, 30)
    def renew(day: date) -> bool:
        return check_eligibility("renewal", lic, day, business_type=pfl, submitter="legal_rep").ok

    assert not renew(date(2026, 11, 29)) and renew(date(2026, 11, 30))
    h = hmq_licence()  # valid until 2026-12-16, deadline 2026-09-16
    assert renewal_opens(hmq.renewal, h.valid_until) == date(2026, 6, 16)
    assert not check_eligibility("renewal", h, date(2026, 6, 15), business_type=hmq).ok
    assert check_eligibility("renewal", h, date(2026, 6, 16), business_type=hmq).ok
    assert renewal_opens({"deadline_before_expiry_days": 30}, lic.valid_until) is None  # no earliest day


def test_the_licence_events_carry_the_types_renewal_window(pfl, hmq):
    from services.permits.renewal_window import event_fields

    assert event_fields(pfl.renewal, date(2027, 2, 28)) == {
        "renewal_opens": date(2026, 11, 30), "renewal_closes": date(2027, 1, 29)}
    assert event_fields(hmq.renewal, date(2026, 12, 16)) == {
        "renewal_opens": date(2026, 6, 16), "renewal_closes": date(2026, 9, 16)}
    assert event_fields({}, date(2026, 12, 16)) == {"renewal_opens": None, "renewal_closes": None}
