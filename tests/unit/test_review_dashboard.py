"""统计看板's series (services/review/dashboard.py): processing time against the legal limit per
business type and desk, and the backlog over time with gaps where nothing was recorded."""

from __future__ import annotations

from datetime import date, timedelta

from services.review.clock import Calendar
from services.review.dashboard import (
    DeskDay,
    Step,
    backlog_series,
    default_period,
    desks_now,
    handling_days,
    processing,
    sample_days,
)

PLAIN = Calendar()  # weekends off, no holidays: easy to count by hand
MON = date(2026, 3, 2)  # a Monday


def step(business: str = "公路养护作业单位资质", level: str = "city", region: str = "150100",
         started: date = MON, day: date = MON + timedelta(days=14), paused: int = 0, limit: int = 20) -> Step:
    return Step(business, level, region, day, started, paused, limit)


def test_handling_days_are_working_days_since_acceptance_less_the_pauses():
    assert handling_days(step(day=MON + timedelta(days=7)), PLAIN) == 5       # one working week
    assert handling_days(step(day=MON + timedelta(days=7), paused=2), PLAIN) == 3
    assert handling_days(step(day=MON, paused=4), PLAIN) == 0                 # never negative


def test_processing_groups_by_business_type_and_desk_with_the_limit_beside():
    slow = [step(business="承装（修、试）电力设施许可证", level="province", region="150000",
                 day=MON + timedelta(days=35), limit=20) for _ in range(2)]     # 25 working days
    quick = [step(day=MON + timedelta(days=7)), step(day=MON + timedelta(days=14)),   # 5 and 10
             step(region="150200", day=MON + timedelta(days=21))]                      # 15
    got = processing([*quick, *slow], PLAIN)
    by_type = {r["business_type"]: r for r in got["by_type"]}
    pfl = by_type["承装（修、试）电力设施许可证"]
    assert (pfl["done"], pfl["average_days"], pfl["over_limit"], pfl["share_of_limit"]) == (2, 25.0, 2, 125)
    hmq = by_type["公路养护作业单位资质"]
    assert (hmq["done"], hmq["average_days"], hmq["max_days"], hmq["within_limit"]) == (3, 10.0, 15, 3)
    assert got["by_type"][0]["business_type"] == "承装（修、试）电力设施许可证"  # past its limit: first
    desks = {(r["business_type"], r["desk_region"]): r for r in got["by_type_and_desk"]}
    assert desks[("公路养护作业单位资质", "150100")]["average_days"] == 7.5
    assert desks[("公路养护作业单位资质", "150200")]["done"] == 1
    assert processing([], PLAIN) == {"by_type": [], "by_type_and_desk": []}


def test_the_limit_includes_the_extension_the_case_got():
    row = processing([step(day=MON + timedelta(days=35), limit=30)], PLAIN)["by_type"][0]
    assert (row["over_limit"], row["within_limit"], row["share_of_limit"]) == (0, 1, 83)


def test_sample_days_daily_for_a_month_weekly_beyond():
    assert sample_days(MON, MON + timedelta(days=6)) == [MON + timedelta(days=n) for n in range(7)]
    weekly = sample_days(MON, MON + timedelta(days=89))
    assert all(d.weekday() == 6 for d in weekly[:-1]) and weekly[-1] == MON + timedelta(days=89)
    assert len(weekly) == 13
    assert sample_days(MON, MON - timedelta(days=1)) == []


def day_row(day: date, level: str = "city", region: str = "150100", active: int = 0,
            overdue: int = 0) -> DeskDay:
    return DeskDay(day, level, region, active, 0, 0, overdue)


def test_backlog_sums_desks_and_leaves_unrecorded_days_as_gaps():
    rows = [day_row(MON, active=3, overdue=1), day_row(MON, region="150200", active=2),
            day_row(MON + timedelta(days=2), active=4, overdue=2)]
    points = backlog_series(rows, MON, MON + timedelta(days=2))
    assert [(p["day"], p["active"], p["overdue"]) for p in points] == [
        ("2026-03-02", 5, 1), ("2026-03-03", None, None), ("2026-03-04", 4, 2)]


def test_one_desk_counts_zero_on_a_recorded_day_it_had_nothing():
    rows = [day_row(MON, active=3), day_row(MON + timedelta(days=1), region="150200", active=2),
            DeskDay(MON + timedelta(days=2), "", "", 0, 0, 0, 0)]  # the sweep's "ran today" marker
    points = backlog_series(rows, MON, MON + timedelta(days=3), desk=("city", "150100"))
    assert [p["active"] for p in points] == [3, 0, 0, None]


def test_weekly_points_take_the_last_recorded_day_of_their_week():
    start = MON
    end = start + timedelta(days=40)
    rows = [day_row(start + timedelta(days=1), active=9), day_row(start + timedelta(days=4), active=7)]
    points = backlog_series(rows, start, end)
    assert points[0]["day"] == "2026-03-08" and points[0]["active"] == 7  # Thursday's, not Tuesday's
    assert points[1]["active"] is None


def test_desks_now_lists_todays_desks_most_overdue_first_without_the_marker():
    today = MON
    rows = [day_row(today, active=9, overdue=0), day_row(today, region="150200", active=1, overdue=1),
            DeskDay(today, "", "", 0, 0, 0, 0),
            day_row(today - timedelta(days=1), region="150300", overdue=5)]
    assert [d["desk_region"] for d in desks_now(rows, today)] == ["150200", "150100"]


def test_default_period_is_the_last_90_days():
    start, end = default_period(MON)
    assert end == MON and (end - start).days == 89
