"""Work done by reviewers and desks in a period, and how long it took against the legal limit:
plain Python, unit-tested.

A case is *done* by a reviewer (and their desk) when the reviewer finishes their step: 办结
(approve at the last step, reject) or hands it on (报批 / 同意 to the next step). Its handling time
is the case's legal clock on that day: the working days from the clock's start (受理) to the
opinion, less the working days it waited for the enterprise (补正, 整改) — the figure the
statutory limit (limit + extension) is held against.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.review.clock import Calendar

FINISHING_ACTIONS = ("approve", "forward", "reject")
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Finished:
    """One finishing opinion, with what its case's clock needs."""

    reviewer_id: str | None
    reviewer_name: str
    level: str
    desk_region: str
    day: date                  # the opinion's (Beijing) date
    clock_started_on: date
    paused_days: int
    limit_days: int            # the limit plus any extension


def period_errors(start: date | None, end: date | None) -> dict[str, str]:
    """A period is two dates, the first not after the second, at most a year long."""
    if start is None or end is None:
        return {"from": "请选择统计期间"}
    if start > end:
        return {"from": "开始日期不能晚于结束日期"}
    if (end - start).days > MAX_PERIOD_DAYS:
        return {"to": "统计期间最长一年"}
    return {}


def handling_days(item: Finished, calendar: Calendar) -> int:
    return max(0, calendar.working_days_between(item.clock_started_on, item.day) - item.paused_days)


def _row(items: list[Finished], calendar: Calendar) -> dict[str, object]:
    days = [handling_days(i, calendar) for i in items]
    limits = [i.limit_days for i in items]
    over = sum(1 for d, limit in zip(days, limits, strict=True) if d > limit)
    return {
        "done": len(items),
        "average_days": round(sum(days) / len(days), 1) if days else None,
        "average_limit_days": round(sum(limits) / len(limits), 1) if limits else None,
        "within_limit": len(items) - over,
        "over_limit": over,
    }


def summarise(finished: Iterable[Finished], calendar: Calendar) -> dict[str, list[dict[str, object]]]:
    """Done counts and average handling time per reviewer and per desk, busiest first."""
    by_reviewer: dict[str | None, list[Finished]] = {}
    by_desk: dict[tuple[str, str], list[Finished]] = {}
    for item in finished:
        by_reviewer.setdefault(item.reviewer_id, []).append(item)
        by_desk.setdefault((item.level, item.desk_region), []).append(item)
    reviewers = [{"reviewer_id": rid, "reviewer_name": items[-1].reviewer_name, **_row(items, calendar)}
                 for rid, items in by_reviewer.items()]
    desks = [{"level": level, "desk_region": region, **_row(items, calendar)}
             for (level, region), items in by_desk.items()]
    reviewers.sort(key=lambda r: (-int(r["done"]), str(r["reviewer_name"])))  # type: ignore[call-overload]
    desks.sort(key=lambda d: (str(d["level"]), str(d["desk_region"])))
    return {"reviewers": reviewers, "desks": desks}
