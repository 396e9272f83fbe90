"""Issue 16 items 3, 4, 7, 8: the start pages' selection rules, names for codes, wording and
masked ID numbers (pure functions; the pages themselves: tests/browser/test_menu_crawl_browser.py)."""

from __future__ import annotations

from datetime import date

from gateway.labels import business_label, case_ref_label, reviewer_label
from gateway.views.home import cases_in_progress, desk_summary, licences_needing_attention
from services.common.regions import desk_choices, desk_name, region_name
from services.common.wording import joined, mask_id, reason_prefix
from services.enterprise.domain import value_label

TODAY = date(2026, 12, 7)


def test_open_cases_come_nearest_legal_deadline_first_and_decided_ones_are_left_out():
    cases = [
        {"case_ref": "a", "queue": "active", "clock": {"expected_decision_date": "2027-01-20"}},
        {"case_ref": "b", "queue": "done", "clock": {"expected_decision_date": None}},
        {"case_ref": "c", "queue": "waiting", "clock": {"expected_decision_date": "2026-12-20"}},
        {"case_ref": "d", "queue": "active", "clock": {}},
    ]
    assert [c["case_ref"] for c in cases_in_progress(cases)] == ["c", "a", "d"]


def test_licences_at_risk_or_expiring_within_90_days_need_attention():
    licences = [
        {"number": "ok", "valid_until": "2029-01-01", "at_risk": None},
        {"number": "soon", "valid_until": "2027-02-01", "at_risk": None},
        {"number": "risk", "valid_until": "2029-01-01", "at_risk": "专业技术人员不足"},
        {"number": "lapsed", "valid_until": "2026-01-01", "at_risk": None},
    ]
    found = {lic["number"]: lic for lic in licences_needing_attention(licences, TODAY)}
    assert set(found) == {"soon", "risk"}
    assert found["soon"]["expiring"] and found["soon"]["days_left"] == 56
    assert not found["risk"]["expiring"]


def test_desk_summary_adds_the_desks_and_counts_what_falls_due_within_a_week():
    workload = {"desks": [{"active": 3, "unclaimed": 1, "waiting": 2, "overdue": 1},
                          {"active": 1, "unclaimed": 0, "waiting": 0, "overdue": 0}]}
    items = [{"due_date": "2026-12-07", "overdue": False}, {"due_date": "2026-12-14", "overdue": False},
             {"due_date": "2026-12-15", "overdue": False}, {"due_date": "2026-12-01", "overdue": True}]
    assert desk_summary(workload, items, TODAY) == {
        "active": 4, "unclaimed": 1, "waiting": 2, "overdue": 1, "due_this_week": 2}


def test_regions_and_desks_are_named_not_coded():
    assert region_name("150105") == "呼和浩特市赛罕区"
    assert region_name("150000") == "内蒙古自治区" and region_name("000000") == "全国"
    assert region_name("999999") == "未知地区（999999）" and region_name(None) == ""
    assert desk_name("city", "150100") == "呼和浩特市（盟市级）"
    assert desk_name("province", "150000") == "内蒙古自治区（自治区级）"
    assert desk_name("ministry", "000000") == "部级"
    codes = dict(desk_choices())
    assert codes["150000"] == "内蒙古自治区" and codes["150200"] == "包头市" and "000000" in codes


def test_change_history_values_are_shown_by_name():
    assert value_label("enterprise_type", "state_owned") == "国有企业"
    assert value_label("profile_status", "draft") == "草稿（未提交）"
    assert value_label("region_code", "150105") == "内蒙古自治区 呼和浩特市 赛罕区"
    assert value_label("name", "某某公司") == "某某公司" and value_label("name", None) == ""


def test_case_types_and_case_references_are_named():
    assert business_label("pfl.power.new") == "承装（修、试）电力设施许可证"
    assert business_label("hmq.maintenance.new") == "公路养护作业单位资质"
    assert business_label("no.such.type") == "no.such.type"  # nothing hidden when unknown
    assert reviewer_label("283e6a4a-1f96-47a2-a789-078d266afd3c") == "审核人员 #283e6a4a"
    assert reviewer_label("王审核") == "王审核"
    ref = "permits:application:1a2b3c4d-0000-0000-0000-000000000000"
    assert case_ref_label(ref) == "资质许可申请 #1a2b3c4d"


def test_titles_do_not_say_a_word_twice_and_an_approval_has_no_reason():
    assert joined("公路养护作业单位资质", "资质申报") == "公路养护作业单位资质申报"
    assert joined("承装（修、试）电力设施许可证", "延续") == "承装（修、试）电力设施许可证延续"
    assert reason_prefix("approved") == "审核意见" and reason_prefix("rejected") == "原因"


def test_id_numbers_are_masked_in_lists():
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_id("E1234567") == "E1****67"
    assert mask_id("") == "" and "1234" not in mask_id("E12345678")[2:-2]
