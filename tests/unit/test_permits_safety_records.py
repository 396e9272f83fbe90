"""CIP 安全生产许可证 不再审查延期 (issue 15 item 10): its own transaction, condition and material
set, apart from 重新审查延期."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from gateway.views.safety_records import form_payload
from services.common.errors import Conflict
from services.permits.catalogue import load_catalogue
from services.permits.licences import Licence, LicenceItem
from services.permits.safety_records import (
    FATAL_CODE,
    PENALTY_CODE,
    SafetyRecord,
    no_review_refusal,
    record_errors,
)
from services.permits.transactions import check_eligibility, licence_after

FROM, TODAY = date(2023, 9, 1), date(2026, 7, 1)


def accident(day: date, deaths: int) -> SafetyRecord:
    return SafetyRecord("accident", day, deaths, "高处坠落")


def test_a_fatal_accident_in_the_period_refuses_with_a_stable_code_and_the_day():
    refusal = no_review_refusal([accident(date(2025, 3, 4), 2)], FROM, TODAY)
    assert refusal is not None and refusal.code == FATAL_CODE == "fatal_accident_in_period"
    assert "2025-03-04（死亡2人）" in refusal.message and "重新审查延期" in refusal.message
    assert "2023-09-01至2026-07-01" in refusal.message


def test_accidents_without_deaths_or_outside_the_period_do_not_count():
    records = [accident(date(2025, 3, 4), 0),          # injuries only
               accident(date(2023, 8, 31), 1),         # the day before the period
               accident(date(2026, 7, 2), 1)]          # not yet (a wrong record must not bite early)
    assert no_review_refusal(records, FROM, TODAY) is None
    assert no_review_refusal([], FROM, TODAY) is None


def test_a_work_safety_penalty_in_the_period_refuses_too_after_accidents():
    penalty = SafetyRecord("penalty", date(2024, 1, 10), 0, "未按规定配备安全员")
    refusal = no_review_refusal([penalty], FROM, TODAY)
    assert refusal is not None and refusal.code == PENALTY_CODE and "2024-01-10" in refusal.message
    both = no_review_refusal([penalty, accident(date(2025, 1, 1), 1)], FROM, TODAY)
    assert both is not None and both.code == FATAL_CODE


def test_record_errors():
    ok = {"kind": "accident", "occurred_on": TODAY, "deaths": 1}
    assert record_errors(ok, TODAY) == {}
    assert "occurred_on" in record_errors({**ok, "occurred_on": date(2026, 7, 2)}, TODAY)
    assert "deaths" in record_errors({"kind": "penalty", "occurred_on": TODAY, "deaths": 1}, TODAY)


def test_the_catalogue_has_two_extension_paths_with_their_own_materials():
    cip = load_catalogue().type("cip_safety")
    assert cip.transactions["renewal"]["label"] == "重新审查延期"
    no_review = cip.transactions["renewal_no_review"]
    assert no_review["label"] == "不再审查延期" and not no_review["needs_precheck"]
    assert no_review["review"]["case_type"] == "cip.safety.renewal_no_review"
    full = {a["code"] for a in cip.required_attachments("renewal")}
    small = {a["code"] for a in cip.required_attachments("renewal_no_review")}
    assert "no_accident_statement" in small and "no_accident_statement" not in full
    assert "responsibility_system" in full and "responsibility_system" not in small
    assert len(small) < len(full) and {"business_licence", "original_licence"} <= small


def cip_licence(valid_until: date) -> Licence:
    return Licence("(蒙)JZ安许证字[2023]000009", "cip_safety", "e1", "包头恒达建筑有限公司",
                   "91150100MA0N000000", (LicenceItem("construction", "不分级"),), FROM, FROM, valid_until)


def test_no_review_extension_follows_the_renewal_window_and_extends_three_years():
    cip = load_catalogue().type("cip_safety")
    licence = cip_licence(date(2026, 8, 31))
    sel = [("construction", "不分级")]
    verdict = check_eligibility("renewal_no_review", licence, date(2026, 5, 1), business_type=cip,
                                selections=sel, lane="normal")
    assert verdict.ok, verdict.reasons
    late = check_eligibility("renewal_no_review", licence, date(2026, 6, 15), business_type=cip,
                             selections=sel, lane="normal")
    assert not late.ok and "已逾期" in late.reasons[0]
    with pytest.raises(Conflict):
        late.require()
    after = licence_after("renewal_no_review", licence, {}, date(2026, 6, 1), business_type=cip)
    assert after.licence is not None and after.licence.valid_from == date(2026, 9, 1)
    assert after.licence.valid_until.year == 2029 and after.licence.number == licence.number


def test_the_admin_form_becomes_the_payload():
    got = form_payload(MultiDict({"licence_number": " (蒙)JZ1 ", "kind": "penalty",
                                  "occurred_on": "2026-01-02", "deaths": "", "summary": "处罚"}))
    assert got == {"licence_number": "(蒙)JZ1", "kind": "penalty", "occurred_on": "2026-01-02",
                   "deaths": "0", "summary": "处罚"}
