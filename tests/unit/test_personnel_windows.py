from datetime import date, datetime

import pytest

from services.common.errors import InvalidTransition
from services.personnel.windows import (
    EXPIRED,
    LAPSED,
    VALID,
    RenewalRule,
    add_months,
    check_renewal_window,
    expiring,
    newly_lapsed,
    renewable_now,
    renewal_window,
    renewed_until,
    validity_status,
)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2025, 5, 31), -3, date(2025, 2, 28)),
    (date(2024, 5, 31), -3, date(2024, 2, 29)),  # leap year
    (date(2024, 12, 31), 2, date(2025, 2, 28)),
    (date(2023, 12, 31), 2, date(2024, 2, 29)),
    (date(2024, 2, 29), 36, date(2027, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2025, 2, 28), 2, date(2025, 4, 28)),  # a month end is not moved to the month end
    (date(2025, 1, 15), -1, date(2024, 12, 15)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
    (date(2025, 8, 31), 1, date(2025, 9, 30)),
])
def test_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_window_edges_mid_month():
    until = date(2026, 6, 15)
    window = renewal_window(until)
    assert (window.opens_on, window.closes_on, window.lapses_on) == (
        date(2026, 3, 15), date(2026, 8, 15), date(2026, 8, 16))
    with pytest.raises(InvalidTransition) as early:
        check_renewal_window(until, date(2026, 3, 14))
    assert early.value.code == "renewal_too_early"
    assert "2026年3月15日起方可申请延续" in early.value.message
    assert check_renewal_window(until, date(2026, 3, 15)) == window  # first day
    assert check_renewal_window(until, date(2026, 6, 15)) == window
    assert check_renewal_window(until, date(2026, 8, 15)) == window  # last day
    with pytest.raises(InvalidTransition) as late:
        check_renewal_window(until, date(2026, 8, 16))
    assert late.value.code == "renewal_lapsed"
    assert "需重新报名考试" in late.value.message and "届满后2个月" in late.value.message


def test_window_at_month_end_in_a_leap_year():
    until = date(2024, 5, 31)
    window = renewal_window(until)
    assert window.opens_on == date(2024, 2, 29)
    assert window.closes_on == date(2024, 7, 31)
    with pytest.raises(InvalidTransition):
        check_renewal_window(until, date(2024, 2, 28))
    check_renewal_window(until, date(2024, 2, 29))
    check_renewal_window(until, date(2024, 7, 31))
    with pytest.raises(InvalidTransition):
        check_renewal_window(until, date(2024, 8, 1))


def test_window_crossing_the_year_end_into_february():
    until = date(2025, 12, 31)
    window = renewal_window(until)
    assert window.opens_on == date(2025, 9, 30)
    assert window.closes_on == date(2026, 2, 28)
    check_renewal_window(until, date(2026, 2, 28))
    with pytest.raises(InvalidTransition):
        check_renewal_window(until, date(2026, 3, 1))
    with pytest.raises(InvalidTransition):
        check_renewal_window(until, date(2025, 9, 29))


def test_status_follows_the_dates():
    until = date(2026, 1, 10)
    assert validity_status(until, date(2026, 1, 10)) == VALID
    assert validity_status(until, date(2026, 1, 11)) == EXPIRED
    assert validity_status(until, date(2026, 3, 10)) == EXPIRED
    assert validity_status(until, date(2026, 3, 11)) == LAPSED


def test_renewal_adds_three_years_to_the_old_expiry():
    assert renewed_until(date(2026, 6, 15)) == date(2029, 6, 15)
    assert renewed_until(date(2024, 2, 29)) == date(2027, 2, 28)
    assert renewed_until(date(2026, 6, 15), RenewalRule(adds_years=5)) == date(2031, 6, 15)


def test_rule_from_catalogue_changes_the_window():
    rule = RenewalRule.from_catalogue({"opens_months_before": 3, "closes_months_after": 0, "adds_years": 3})
    with pytest.raises(InvalidTransition) as exc:
        check_renewal_window(date(2026, 6, 15), date(2026, 6, 16), rule)
    assert exc.value.code == "renewal_lapsed"


def test_expiring_lists_soonest_first_and_skips_others():
    today = date(2026, 11, 23)
    certs = [
        {"id": "a", "valid_until": "2026-12-31"},
        {"id": "b", "valid_until": date(2026, 11, 23)},  # last valid day: 0 days left
        {"id": "c", "valid_until": "2026-11-22"},  # already expired
        {"id": "d", "valid_until": "2027-02-21"},  # 90 days
        {"id": "e", "valid_until": "2027-02-22"},  # 91 days
        {"id": "f", "valid_until": "2026-12-01", "status": "cancelled"},
        {"id": "g", "valid_until": None},
        {"id": "h", "valid_until": datetime(2026, 12, 5, 8, 0)},
    ]
    found = expiring(certs, today, 90)
    assert [f["certificate"]["id"] for f in found] == ["b", "h", "a", "d"]
    assert [f["days_left"] for f in found] == [0, 12, 38, 90]
    assert expiring(certs, today, 0)[0]["certificate"]["id"] == "b"
    with pytest.raises(ValueError):
        expiring(certs, today, -1)


def test_renewable_now_and_newly_lapsed():
    today = date(2026, 11, 23)
    certs = [
        {"id": "open", "valid_until": "2027-02-23"},  # window opens today
        {"id": "not_yet", "valid_until": "2027-02-24"},
        {"id": "grace", "valid_until": "2026-09-23"},  # closes today
        {"id": "gone", "valid_until": "2026-09-22"},
        {"id": "gone_cancelled", "valid_until": "2026-01-01", "status": "cancelled"},
    ]
    assert [c["id"] for c in renewable_now(certs, today)] == ["open", "grace"]
    assert [c["id"] for c in newly_lapsed(certs, today)] == ["gone"]
