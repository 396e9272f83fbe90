"""The 统计看板's reads and its one write: finished steps with their case's clock and business
type, the desks' recorded backlog days, and the day's backlog record (an upsert per desk)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.review.models import Case, DeskBacklogDay, Opinion

# A row that only says "the sweep ran that day" (a day with no open case anywhere is a zero,
# not a gap); its counts are zeros, so summing it changes nothing.
MARKER = ("", "")


def finished_steps(session: Session, since: datetime, until: datetime,
                   actions: tuple[str, ...]) -> list[Any]:
    """Opinions that finished a step in [since, until), with their case's type and clock."""
    return list(session.execute(
        select(Opinion.level, Opinion.at, Case.case_type, Case.region_code, Case.clock_started_on,
               Case.paused_days, Case.limit_days, Case.extension_days)
        .join(Case, Case.id == Opinion.case_id)
        .where(Opinion.action.in_(actions), Opinion.at >= since, Opinion.at < until)
        .order_by(Opinion.at)).all())


def backlog_days(session: Session, start: date, end: date) -> list[DeskBacklogDay]:
    return list(session.scalars(
        select(DeskBacklogDay).where(DeskBacklogDay.day >= start, DeskBacklogDay.day <= end)))


def record_backlog_day(session: Session, day: date, desks: list[dict[str, Any]], now: datetime) -> None:
    """Today's counts per desk (the day's last sweep wins); a desk recorded earlier today that
    has no open case now is set to zero."""
    table = DeskBacklogDay.__table__
    rows = [{"level": MARKER[0], "desk_region": MARKER[1], "active": 0, "unclaimed": 0, "waiting": 0,
             "overdue": 0}]
    rows += [{"level": d["level"], "desk_region": d["desk_region"],
              **{k: int(d.get(k) or 0) for k in ("active", "unclaimed", "waiting", "overdue")}}
             for d in desks]
    seen = {(r["level"], r["desk_region"]) for r in rows}
    for earlier in session.scalars(select(DeskBacklogDay).where(DeskBacklogDay.day == day)):
        if (earlier.level, earlier.desk_region) not in seen:
            rows.append({"level": earlier.level, "desk_region": earlier.desk_region, "active": 0,
                         "unclaimed": 0, "waiting": 0, "overdue": 0})
    statement = pg_insert(table).values([{**r, "day": day, "recorded_at": now} for r in rows])
    session.execute(statement.on_conflict_do_update(
        index_elements=["day", "level", "desk_region"],
        set_={k: statement.excluded[k]
              for k in ("active", "unclaimed", "waiting", "overdue", "recorded_at")}))
