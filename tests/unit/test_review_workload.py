"""Done counts per reviewer and desk with the average handling time against the legal limit
(issue 15, item 21)."""

from datetime import date

from services.review.clock import default_calendar
from services.review.workload import Finished, handling_days, period_errors, summarise

CAL = default_calendar()


def finished(reviewer: str, day: date, started: date, paused: int = 0, limit: int = 20,
             desk: tuple[str, str] = ("city", "150100")) -> Finished:
    return Finished(reviewer, f"审核员{reviewer}", desk[0], desk[1], day, started, paused, limit)


def test_handling_time_is_working_days_from_acceptance_less_the_enterprises_time():
    # accepted Monday 2025-03-03, finished Monday 2025-03-17: 10 working days, 3 of them 补正
    assert handling_days(finished("a", date(2025, 3, 17), date(2025, 3, 3)), CAL) == 10
    assert handling_days(finished("a", date(2025, 3, 17), date(2025, 3, 3), paused=3), CAL) == 7
    assert handling_days(finished("a", date(2025, 3, 3), date(2025, 3, 3)), CAL) == 0


def test_summary_per_reviewer_and_per_desk_with_the_limit():
    items = [
        finished("a", date(2025, 3, 17), date(2025, 3, 3)),                  # 10 days, within 20
        finished("a", date(2025, 4, 30), date(2025, 3, 3)),                  # 40 days, over 20
        finished("b", date(2025, 3, 10), date(2025, 3, 3), limit=30),        # 5 days
        finished("c", date(2025, 3, 10), date(2025, 3, 3), desk=("province", "150000")),
    ]
    out = summarise(items, CAL)
    a, b = out["reviewers"][0], out["reviewers"][1]
    assert (a["reviewer_id"], a["done"], a["within_limit"], a["over_limit"]) == ("a", 2, 1, 1)
    assert a["average_limit_days"] == 20
    assert a["average_days"] == (10 + handling_days(items[1], CAL)) / 2
    assert (b["done"], b["average_days"], b["average_limit_days"]) == (1, 5, 30)
    city, province = out["desks"]
    assert (city["level"], city["desk_region"], city["done"], city["over_limit"]) == ("city", "150100", 3, 1)
    assert city["average_limit_days"] == round((20 + 20 + 30) / 3, 1)
    assert (province["level"], province["done"]) == ("province", 1)


def test_nothing_done_is_an_empty_summary():
    assert summarise([], CAL) == {"reviewers": [], "desks": []}


def test_a_period_is_ordered_and_at_most_a_year():
    assert period_errors(date(2025, 1, 1), date(2025, 1, 31)) == {}
    assert "from" in period_errors(date(2025, 2, 1), date(2025, 1, 31))
    assert "to" in period_errors(date(2024, 1, 1), date(2025, 6, 1))
    assert "from" in period_errors(None, date(2025, 1, 1))
