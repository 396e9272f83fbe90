"""统计看板 (issue 16 item 11): processing time against the legal limit per business type and
desk, and backlog and overdue per desk over time, for admins (every desk, or one they pick) and
for a desk's reviewers (their own desk). The series are pure (services/review/dashboard.py);
this module reads, checks who may see what, and records the day's backlog for the sweep."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.errors import Forbidden, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.review import dashboard, domain, workload
from services.review.clock import Calendar
from services.review.repository import CaseRepository
from services.review.usecases import dashboard_selectors as selectors
from services.review.usecases._support import _calendar, _now, _today

BEIJING = ZoneInfo("Asia/Shanghai")


class DashboardQuerySchema(Schema):
    """The period (Beijing dates, both included; default the last 90 days) and, for admins, one
    desk as ``level:region`` (default every desk)."""

    class Meta:
        unknown = EXCLUDE

    date_from = fields.Date(data_key="from", load_default=None, allow_none=True)
    date_to = fields.Date(data_key="to", load_default=None, allow_none=True)
    desk = fields.String(load_default=None, allow_none=True,
                         validate=validate.Regexp(r"^(city|province|ministry):\d{6}$", error="审核队列无效"))


def _invalid(errors: dict[str, str]) -> ValidationFailed:
    return ValidationFailed.from_fields({k: [field_error("invalid", m)] for k, m in errors.items()})


def scope_of(actor: dict[str, Any], wanted: str | None) -> tuple[str, str] | None:
    """The desk the dashboard shows: a reviewer's own; an admin's pick, or None for every desk."""
    if actor.get("kind") == "admin":
        if not wanted:
            return None
        level, _, region = wanted.partition(":")
        return level, region
    desk = domain.desk_of(actor or {})
    if desk is None:
        raise Forbidden("只有审核人员和管理员可以查看统计看板")
    if wanted and wanted != f"{desk[0]}:{desk[1]}":
        raise Forbidden("只能查看本人所在审核队列的统计")
    return desk


def _label(case_type: str) -> str:
    spec = domain.registry().resolve(case_type)
    return spec.label if spec else case_type


def build(session: Any, actor: dict[str, Any], query: dict[str, Any] | None, today: date,
          calendar: Calendar) -> dict[str, Any]:
    data = load_or_fail(DashboardQuerySchema(), query or {})
    default_start, default_end = dashboard.default_period(today)
    start, end = data["date_from"] or default_start, min(data["date_to"] or default_end, today)
    errors = workload.period_errors(start, end)
    if errors:
        raise _invalid(errors)
    desk = scope_of(actor, data["desk"])
    since = datetime.combine(start, time.min, BEIJING)
    until = datetime.combine(end + timedelta(days=1), time.min, BEIJING)
    steps = [dashboard.Step(business_type=_label(row.case_type), level=row.level,
                            desk_region=domain.route_region(row.level, row.region_code),
                            day=row.at.astimezone(BEIJING).date(), clock_started_on=row.clock_started_on,
                            paused_days=row.paused_days, limit_days=row.limit_days + row.extension_days)
             for row in selectors.finished_steps(session, since, until, workload.FINISHING_ACTIONS)]
    if desk is not None:
        steps = [s for s in steps if (s.level, s.desk_region) == desk]
    live = [dashboard.DeskDay(day=today, level=d["level"], desk_region=d["desk_region"],
                              **{k: int(d.get(k) or 0) for k in dashboard.COUNTS})
            for d in CaseRepository(session).workload_by_desk()]
    recorded = [dashboard.DeskDay(day=r.day, level=r.level, desk_region=r.desk_region, active=r.active,
                                  unclaimed=r.unclaimed, waiting=r.waiting, overdue=r.overdue)
                for r in selectors.backlog_days(session, start, end) if r.day != today]
    if end == today:  # today's point is the live count (and says the day is recorded)
        recorded += [*live, dashboard.DeskDay(today, *selectors.MARKER, 0, 0, 0, 0)]
    now = [d for d in dashboard.desks_now(live, today)
           if desk is None or (d["level"], d["desk_region"]) == desk]
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "desk": {"level": desk[0], "desk_region": desk[1]} if desk else None,
        "processing": dashboard.processing(steps, calendar),
        "backlog": dashboard.backlog_series(recorded, start, end, desk),
        "desks_now": now,
    }


def record_backlog(session: Any, today: date, now: datetime) -> None:
    """The sweep's daily record of each desk's counts (the backlog-over-time series)."""
    selectors.record_backlog_day(session, today, CaseRepository(session).workload_by_desk(), now)


def show(deps: Any, actor: dict[str, Any], query: dict[str, Any] | None) -> dict[str, Any]:
    """The ``dashboard`` RPC."""
    with deps.begin() as uow:
        return build(uow.session, actor, query, _today(), _calendar())


def record_backlog_now(deps: Any) -> None:
    """Today's backlog per desk, from the overdue sweep (the series has no other source)."""
    with deps.begin() as uow:
        record_backlog(uow.session, _today(), _now())
        uow.commit()
