"""The legal clock of a case, as pure functions: working days, pauses, extensions, overdue.

《行政许可法》 art. 82: periods count working days; art. 42: 20 working days from acceptance,
extendable (with reasons); time spent waiting for the applicant (补正, 整改) does not count.
A period starts the day after the event that starts it (the event's day is not counted).
Art. 32: an application neither accepted nor sent back for 补正 within 5 (working) days of
receipt is deemed accepted from the day of receipt (``acceptance_deadline``).

Working days are Monday to Friday, except official holidays (``off``), plus the weekend
days the State Council makes working days (``work``, 调休上班). Two sources, per year:

- ``data/holidays.txt``: the State Council's yearly notice (国务院办公厅关于某年部分节假日安排的通知),
  kept by the operators. It wins for every year it has a line for.
- the ``holidays`` library's China calendar for any other year: the statutory holidays of
  《全国年节及纪念日放假办法》 (lunar ones computed, a holiday falling on a weekend made up on a
  working day as its article 4 says) and, for the years the library has the notice of, its
  调休 working weekends. A year nobody has the notice of yet counts the statutory holidays only,
  and ``missing_notice_years`` tells the admin that the file lacks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays.txt"


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off on weekdays or weekends (``off``) and weekend working days (``work``)."""

    off: frozenset[date] = frozenset()
    work: frozenset[date] = frozenset()


@lru_cache(maxsize=64)
def statutory_schedule(year: int) -> YearSchedule:
    """The ``holidays`` library's China calendar for ``year``: statutory holidays and made-up
    days off, plus the 调休 working weekends of the notices the library knows."""
    import holidays  # pure computation; imported here so a file-only calendar needs no library

    china = holidays.China(years=year)
    off = frozenset(day for day in china if day.year == year)
    work = frozenset(day for day in getattr(china, "weekend_workdays", ()) if day.year == year)
    return YearSchedule(off, work)


@dataclass(frozen=True)
class Calendar:
    """Working days. ``off``/``work`` come from the override file and hold for the years in
    ``years``; any other year asks ``statutory`` (the library) when one is given."""

    off: frozenset[date] = frozenset()
    work: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    statutory: Callable[[int], YearSchedule] | None = field(default=None, compare=False)

    def with_statutory(self, source: Callable[[int], YearSchedule]) -> Calendar:
        return Calendar(self.off, self.work, self.years, source)

    def is_working_day(self, day: date) -> bool:
        if self.statutory is not None and day.year not in self.years:
            schedule = self.statutory(day.year)
            off, work = schedule.off, schedule.work
        else:
            off, work = self.off, self.work
        if day in work:
            return True
        if day in off:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The day on which ``days`` working days after ``start`` have passed (start not counted)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when end <= start."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def parse_calendar(text: str) -> Calendar:
    """``date<TAB>off|work`` per line; ``#`` comments. Raises ValueError naming the bad line."""
    off: set[date] = set()
    work: set[date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or parts[1] not in ("off", "work"):
            raise ValueError(f"holidays line {number}: expected 'YYYY-MM-DD off|work', got {raw!r}")
        try:
            day = date.fromisoformat(parts[0])
        except ValueError as exc:
            raise ValueError(f"holidays line {number}: bad date {parts[0]!r}") from exc
        (off if parts[1] == "off" else work).add(day)
    years = frozenset(day.year for day in off | work)
    return Calendar(frozenset(off), frozenset(work), years)


_default: Calendar | None = None


def default_calendar() -> Calendar:
    """The override file for the years it covers, the library's calendar for the others."""
    global _default
    if _default is None:
        _default = parse_calendar(HOLIDAYS_FILE.read_text(encoding="utf-8")).with_statutory(
            statutory_schedule)
    return _default


# The State Council publishes next year's notice in the autumn (late October to mid-November):
# from this month on, a missing notice for next year is worth a warning.
NEXT_YEAR_WARNING_MONTH = 10


def missing_notice_years(today: date, calendar: Calendar) -> list[int]:
    """The years the override file has no State Council notice for and should: this year, and
    next year from October (their statutory holidays still count, their 调休 working weekends
    are unknown until the notice is added)."""
    years = [today.year]
    if today.month >= NEXT_YEAR_WARNING_MONTH:
        years.append(today.year + 1)
    return [year for year in years if year not in calendar.years]


# 《行政许可法》 第三十二条: 五日内一次告知补正, 逾期不告知的, 自收到申请材料之日起即为受理.
ACCEPTANCE_DAYS = 5


def acceptance_deadline(received_on: date, calendar: Calendar) -> date:
    """The last day to accept (受理) a case or send it back for 补正: 5 working days after the
    day the materials were received (that day not counted)."""
    return calendar.add_working_days(received_on, ACCEPTANCE_DAYS)


def deemed_accepted(received_on: date, today: date, calendar: Calendar) -> bool:
    """Whether a case still waiting for acceptance is, by law, accepted already."""
    return today > acceptance_deadline(received_on, calendar)


def awaiting_acceptance(accepted: bool, acceptance_due: date | None) -> bool:
    """Whether a case is still in its art. 32 window: received, neither accepted nor deemed
    accepted (a case type without a 受理 step has no window: its receipt is its acceptance)."""
    return not accepted and acceptance_due is not None


def decision_clock_start(received_on: date, accepted_on: date, deemed: bool) -> date:
    """Art. 42's 20 working days count from 受理: the day a reviewer accepted the case, or, when
    it was accepted by law (art. 32), the day the materials were received."""
    return received_on if deemed else accepted_on


def reckoning_start(started_on: date, acceptance_due: date | None, accepted: bool) -> date:
    """The start a case's decision date is reckoned from: while it waits for 受理 the clock has not
    started, and the latest it can start is the end of the acceptance window (so a case is never
    flagged overdue before it could be accepted)."""
    if awaiting_acceptance(accepted, acceptance_due):
        assert acceptance_due is not None
        return acceptance_due
    return started_on


@dataclass(frozen=True)
class Pause:
    since: date
    until: date | None  # None: still paused
    reason: str


@dataclass(frozen=True)
class ClockView:
    limit_days: int
    extension_days: int
    used_days: int
    remaining_days: int
    paused: bool
    pause_reason: str | None
    due_date: date          # expected decision date (if paused: assuming it resumes today)
    overdue: bool


def paused_working_days(pauses: list[Pause], today: date, calendar: Calendar) -> int:
    """Working days in the pauses: (since, until] of each, or (since, today] for an open one."""
    return sum(calendar.working_days_between(p.since, p.until or today) for p in pauses)


def evaluate(started: date, limit_days: int, extension_days: int, pauses: list[Pause],
             today: date, calendar: Calendar) -> ClockView:
    """Where a case's clock stands today."""
    total = limit_days + extension_days
    paused_days = paused_working_days(pauses, today, calendar)
    used = max(0, calendar.working_days_between(started, today) - paused_days)
    remaining = total - used
    open_pause = next((p for p in pauses if p.until is None), None)
    if open_pause is not None:
        due = calendar.add_working_days(today, max(remaining, 0))
    else:
        due = calendar.add_working_days(started, total + paused_days)
    return ClockView(
        limit_days=limit_days, extension_days=extension_days, used_days=used,
        remaining_days=remaining, paused=open_pause is not None,
        pause_reason=open_pause.reason if open_pause else None,
        due_date=due, overdue=open_pause is None and today > due,
    )


def due_date(started: date, limit_days: int, extension_days: int, paused_days: int,
             calendar: Calendar) -> date:
    """The decision deadline once the pauses so far (``paused_days`` working days) are known."""
    return calendar.add_working_days(started, limit_days + extension_days + paused_days)


def evaluate_totals(started: date, limit_days: int, extension_days: int, closed_paused_days: int,
                    paused_since: date | None, pause_reason: str | None, today: date,
                    calendar: Calendar) -> ClockView:
    """``evaluate`` from what a case row keeps: the working days of its closed pauses and the
    start of an open one (the same figures as the full list of pauses)."""
    total = limit_days + extension_days
    open_days = calendar.working_days_between(paused_since, today) if paused_since else 0
    used = max(0, calendar.working_days_between(started, today) - closed_paused_days - open_days)
    remaining = total - used
    if paused_since is not None:
        due = calendar.add_working_days(today, max(remaining, 0))
    else:
        due = calendar.add_working_days(started, total + closed_paused_days)
    return ClockView(limit_days=limit_days, extension_days=extension_days, used_days=used,
                     remaining_days=remaining, paused=paused_since is not None,
                     pause_reason=pause_reason if paused_since else None, due_date=due,
                     overdue=paused_since is None and today > due)
