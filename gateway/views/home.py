"""首页 after signing in (issue 16 item 3): what each role should do next.

An enterprise (or sub-account) sees its open to-dos, cases in progress with their legal
deadlines, staff certificates expiring, licences at risk or expiring and drafts to finish; a
reviewer its desk's counts, the overdue cases and those due this week; an admin the backlog per
desk and the platform's warnings. Each page asks a fixed handful of existing read RPCs in
parallel (never one per row); a service that does not answer leaves its panel saying so instead
of failing the page. The selection rules are pure functions below (tests/unit/test_home.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from eventlet.greenpool import GreenPool
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.common.access import KIND_PERSON, actor_from_account, may_use
from services.common.localtime import BEIJING

log = logging.getLogger(__name__)
UNAVAILABLE = object()  # a panel whose service did not answer
SHOWN = 5  # rows per panel; the panel links to the full list
LICENCE_WARNING_DAYS = 90
OPEN_QUEUES = ("active", "waiting")


# ---- pure selection rules -------------------------------------------------------------------------
def cases_in_progress(cases: list[dict]) -> list[dict]:
    """Open cases, the nearest legal deadline first (cases without a date last)."""
    open_cases = [c for c in cases if c.get("queue") in OPEN_QUEUES]
    return sorted(open_cases, key=lambda c: ((c.get("clock") or {}).get("expected_decision_date") or "9999"))


def licences_needing_attention(licences: list[dict], today: date,
                               within_days: int = LICENCE_WARNING_DAYS) -> list[dict]:
    """Licences at risk (standards no longer met) or valid for at most ``within_days`` more days."""
    out = []
    for licence in licences:
        until = _day(licence.get("valid_until"))
        days_left = (until - today).days if until else None
        expiring = days_left is not None and 0 <= days_left <= within_days
        if licence.get("at_risk") or expiring:
            out.append({**licence, "days_left": days_left, "expiring": expiring})
    return out


def desk_summary(workload: dict, queue_items: list[dict], today: date) -> dict[str, int]:
    """A reviewer's desk: open, unclaimed, waiting for the enterprise, overdue, due within 7 days."""
    totals = {"active": 0, "unclaimed": 0, "waiting": 0, "overdue": 0}
    for desk in workload.get("desks") or []:
        for key in totals:
            totals[key] += int(desk.get(key) or 0)
    week_end = today + timedelta(days=7)
    totals["due_this_week"] = sum(
        1 for item in queue_items
        if not item.get("overdue") and (due := _day(item.get("due_date"))) and today <= due <= week_end)
    return totals


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


def _then(value: Any, use: Callable[[Any], Any]) -> Any:
    return value if value is UNAVAILABLE else use(value)


def _within(value: object, today: date, days: int) -> bool:
    day = _day(value)
    return day is not None and day <= today + timedelta(days=days)


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


class HomeViews:
    ROUTES: list = []  # "/" is PublicViews.on_index, which hands signed-in people to start_page

    def gather(self, request: Request, calls: dict[str, tuple[Callable[..., Any], tuple]]) -> dict[str, Any]:
        """Every call at once (one RPC each, in parallel); UNAVAILABLE for one that fails.
        ``calls`` maps a panel to a typed client's method (``clients.review.workload``) and its
        arguments."""
        def one(item: tuple[str, tuple[Callable[..., Any], tuple]]) -> tuple[str, Any]:
            name, (method, args) = item
            try:
                return name, method(*args)
            except Exception as exc:  # a panel says so; the page still renders
                log.warning("start page: %s failed: %s", method.__qualname__, exc)
                return name, UNAVAILABLE
        if not calls:
            return {}
        return dict(GreenPool(len(calls)).imap(one, calls.items()))

    def start_page(self, request: Request, account: dict) -> Response:
        kind = account["kind"]
        if kind == KIND_PERSON:
            return redirect("/personal", code=303)
        if account.get("must_change_password") or (kind == "enterprise" and account["status"] != "active"):
            return redirect(self.landing_for(account), code=303)
        actor = actor_from_account(account)
        builder: Callable[..., Response] = {
            "reviewer": self._reviewer_home, "admin": self._admin_home,
        }.get(kind, self._enterprise_home)
        return builder(request, account, actor)

    def _enterprise_home(self, request: Request, account: dict, actor: dict) -> Response:
        def allowed(module: str) -> bool:
            return may_use(account["kind"], account["permissions"], module, False)
        clients = self.clients(request)
        calls: dict[str, tuple[Callable[..., Any], tuple]] = {
            "todos": (clients.notify.list_todos, (actor, False)),
            "cases": (clients.review.enterprise_cases, (actor,)),
        }
        if allowed("personnel"):
            calls["expiring"] = (clients.personnel.expiring, (actor, {"within_days": 90}))
        if allowed("permits"):
            calls["licences"] = (clients.permits.my_licences, (actor,))
            calls["drafts"] = (clients.permits.list_applications, (actor, {"state_group": "pending"}))
        got = self.gather(request, calls)
        today = beijing_today()
        panels: dict[str, Any] = {}
        panels["todos"] = _then(got["todos"], lambda v: [t for t in v["todos"] if not t.get("done_at")])
        panels["cases"] = _then(got["cases"], lambda v: cases_in_progress(v["cases"]))
        if "expiring" in got:
            panels["expiring"] = _then(got["expiring"], lambda v: v["items"])
        if "licences" in got:
            panels["licences"] = _then(got["licences"], lambda v: licences_needing_attention(v or [], today))
            panels["drafts"] = _then(got["drafts"], lambda v: v or [])
        return self.render(request, "home_enterprise.html", panels=panels, unavailable=UNAVAILABLE,
                           shown=SHOWN, today=today.isoformat())

    def _reviewer_home(self, request: Request, account: dict, actor: dict) -> Response:
        actor["name"] = account.get("contact_name") or account.get("login")
        clients = self.clients(request)
        got = self.gather(request, {
            "workload": (clients.review.workload, (actor,)),
            "due": (clients.review.queue, (actor, {"status": "active", "sort": "due", "limit": 50})),
            "todos": (clients.notify.list_todos, (actor, False)),
        })
        today = beijing_today()
        workload, due = got["workload"], got["due"]
        items = [] if due is UNAVAILABLE else due["items"]
        counts = None if workload is UNAVAILABLE else desk_summary(workload, items, today)
        mine = [] if workload is UNAVAILABLE else [
            r for r in workload.get("reviewers") or [] if r.get("reviewer_id") == str(account["id"])]
        urgent = [i for i in items if i.get("overdue") or _within(i.get("due_date"), today, 7)]
        todos = got["todos"]
        return self.render(request, "home_reviewer.html", counts=counts, mine=mine[0] if mine else None,
                           urgent=urgent[:10], desk=None if due is UNAVAILABLE else due.get("desk"),
                           todos=UNAVAILABLE if todos is UNAVAILABLE else todos["todos"],
                           unavailable=UNAVAILABLE, shown=SHOWN)

    def _admin_home(self, request: Request, account: dict, actor: dict) -> Response:
        got = self.gather(request, {"workload": (self.clients(request).review.workload, (actor,))})
        workload = got["workload"]
        desks = UNAVAILABLE if workload is UNAVAILABLE else workload.get("desks") or []
        totals = None if desks is UNAVAILABLE else desk_summary({"desks": desks}, [], beijing_today())
        backlog = [] if desks is UNAVAILABLE else sorted(
            desks, key=lambda d: (-int(d.get("overdue") or 0), -int(d.get("active") or 0)))
        return self.render(request, "home_admin.html", desks=desks, totals=totals, backlog=backlog[:10],
                           unavailable=UNAVAILABLE)
