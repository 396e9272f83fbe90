"""统计看板 (issue 16 item 11): the series behind the admins' and desks' dashboard; plain Python,
unit-tested (tests/unit/test_review_dashboard.py).

Two figures come from review's own records:

* **Processing time against the legal limit** per business type and desk: every opinion that
  finished a step in the period (同意 / 报批 / 不同意, as 工作量统计 counts them), with its case's
  legal clock on that day (working days since 受理, less the days waiting for the enterprise),
  held against the case's limit plus any extension.
* **Backlog and overdue per desk over time**: the sweep records each desk's open, unclaimed,
  waiting and overdue counts once per day (``desk_backlog_days``, the day's last sweep wins);
  the series takes one point per day, or per week (the week's last recorded day) when the period
  is longer than :data:`DAILY_UP_TO_DAYS`. Today's point is the live count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.review.clock import Calendar

DAILY_UP_TO_DAYS = 31
DEFAULT_PERIOD_DAYS = 90
COUNTS = ("active", "unclaimed", "waiting", "overdue")


@dataclass(frozen=True)
class Step:
    """One finished step: its business type (the chain's label), desk and clock figures."""

    business_type: str
    level: str
    desk_region: str
    day: date
    clock_started_on: date
    paused_days: int
    limit_days: int  # the limit plus any extension


@dataclass(frozen=True)
class DeskDay:
    """One desk's counts on one day (a recorded snapshot, or today's live count)."""

    day: date
    level: str
    desk_region: str
    active: int
    unclaimed: int
    waiting: int
    overdue: int


def default_period(today: date) -> tuple[date, date]:
    return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def handling_days(step: Step, calendar: Calendar) -> int:
    return max(0, calendar.working_days_between(step.clock_started_on, step.day) - step.paused_days)


def _processing_row(steps: list[Step], calendar: Calendar) -> dict[str, object]:
    days = [handling_days(s, calendar) for s in steps]
    limits = [s.limit_days for s in steps]
    over = sum(1 for d, limit in zip(days, limits, strict=True) if d > limit)
    average, average_limit = sum(days) / len(days), sum(limits) / len(limits)
    return {
        "done": len(steps),
        "average_days": round(average, 1),
        "max_days": max(days),
        "average_limit_days": round(average_limit, 1),
        "over_limit": over,
        "within_limit": len(steps) - over,
        # the average time as a share of the average limit: 100 means "used the whole limit"
        "share_of_limit": round(100 * average / average_limit) if average_limit else None,
    }


def processing(steps: Iterable[Step], calendar: Calendar) -> dict[str, list[dict[str, object]]]:
    """Handling time against the legal limit per business type (all desks) and per business type
    and desk; the slowest (largest share of its limit) first, then by name."""
    by_type: dict[str, list[Step]] = {}
    by_type_desk: dict[tuple[str, str, str], list[Step]] = {}
    for step in steps:
        by_type.setdefault(step.business_type, []).append(step)
        by_type_desk.setdefault((step.business_type, step.level, step.desk_region), []).append(step)

    def order(row: dict[str, object]) -> tuple:
        share = row["share_of_limit"]
        return (-(share if isinstance(share, int) else 0), str(row["business_type"]),
                str(row.get("level", "")), str(row.get("desk_region", "")))

    types = sorted(({"business_type": name, **_processing_row(items, calendar)}
                    for name, items in by_type.items()), key=order)
    desks = sorted(({"business_type": name, "level": level, "desk_region": region,
                     **_processing_row(items, calendar)}
                    for (name, level, region), items in by_type_desk.items()), key=order)
    return {"by_type": types, "by_type_and_desk": desks}


def sample_days(start: date, end: date) -> list[date]:
    """The days the backlog series shows: every day of a short period; otherwise the last day of
    each week (Sunday), and the period's last day."""
    if end < start:
        return []
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    if len(days) <= DAILY_UP_TO_DAYS:
        return days
    sampled = [d for d in days if d.weekday() == 6]
    if not sampled or sampled[-1] != end:
        sampled.append(end)
    return sampled


def backlog_series(rows: Iterable[DeskDay], start: date, end: date,
                   desk: tuple[str, str] | None = None) -> list[dict[str, object]]:
    """One point per sampled day: the counts summed over the desks (or one desk's when ``desk``
    is given), from the last recorded day at or before the sampled day within its bucket. A day
    the sweep recorded but a desk had no open case counts zero for it; a sampled day with no
    record at all in its bucket is a gap (``None``), never a made-up zero."""
    days = sample_days(start, end)
    per_day: dict[date, dict[str, int]] = {}
    for row in rows:
        if not start <= row.day <= end:
            continue
        totals = per_day.setdefault(row.day, dict.fromkeys(COUNTS, 0))  # recorded: zeros, not a gap
        if desk is not None and (row.level, row.desk_region) != desk:
            continue
        for key in COUNTS:
            totals[key] += int(getattr(row, key))
    points: list[dict[str, object]] = []
    previous = start - timedelta(days=1)
    for day in days:
        recorded = [d for d in per_day if previous < d <= day]
        counts = per_day[max(recorded)] if recorded else None
        points.append({"day": day.isoformat(),
                       **{key: (counts[key] if counts else None) for key in COUNTS}})
        previous = day
    return points


def desks_now(rows: Iterable[DeskDay], today: date) -> list[dict[str, object]]:
    """Today's counts per desk, the most overdue first (the table under the chart)."""
    out = [{"level": r.level, "desk_region": r.desk_region, **{k: int(getattr(r, k)) for k in COUNTS}}
           for r in rows if r.day == today and r.level]
    return sorted(out, key=lambda r: (-int(r["overdue"]), -int(r["active"]),  # type: ignore[call-overload]
                                      str(r["level"]), str(r["desk_region"])))
