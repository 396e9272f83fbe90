"""统计看板 (issue 16 item 11): for admins (every desk, or one they pick) and a desk's reviewers
(their desk): processing time against the legal limit per business type and desk, backlog and
overdue over time, and 好差评 over the last twelve months, as SVG charts with the same figures
in tables beneath them (the accessible alternative).

The figures come from the services that own them, one RPC each and in parallel: review's
``dashboard`` (cases, clocks, the desks' daily backlog) and notify's ``rating_stats``. A service
that does not answer leaves its panel saying so; the page still renders."""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from gateway.apischemas.admin import ReviewDashboard
from gateway.dashboard_charts import NARROW, WIDTH, ratings_series, svg_limit_bars, svg_lines
from gateway.http import json_response
from gateway.openapi import Op
from services.common.access import actor_from_account
from services.common.errors import ValidationFailed
from services.common.regions import desk_name

STAFF = ("reviewer", "admin")


def query_of(request: Request) -> dict[str, str]:
    return {k: request.args[k] for k in ("from", "to", "desk") if request.args.get(k)}


def charts(board: dict[str, Any], ratings: list[dict] | None, scope: str) -> dict[str, dict[str, Markup]]:
    """The page's three SVG charts from review's board and the ratings series (pure), each in a
    wide and a narrow (phone) version: ``{chart: {"wide": svg, "narrow": svg}}``."""
    rows = [(str(r["business_type"]), float(r["average_days"] or 0), float(r["average_limit_days"] or 0),
             int(r["done"])) for r in board["processing"]["by_type"]]
    points = board["backlog"]
    drawn: dict[str, Any] = {
        "processing": lambda w: svg_limit_bars(rows, f"{scope}：各业务平均办理用时与法定时限", width=w),
        "backlog": lambda w: svg_lines(
            [str(p["day"])[5:] for p in points],
            [("在办", "series-active", [p["active"] for p in points]),
             ("已超期", "series-overdue", [p["overdue"] for p in points])],
            f"{scope}：在办与超期案件数走势", width=w),
    }
    if ratings is not None:
        drawn["ratings"] = lambda w: svg_lines(
            [r["month"] if w >= WIDTH else r["month"][2:] for r in ratings],
            [("平均评分", "series-rating", [r["average"] for r in ratings])],
            "近十二个月好差评平均分（满分5分）", width=w)
    return {key: {"wide": Markup(draw(WIDTH)), "narrow": Markup(draw(NARROW))} for key, draw in drawn.items()}


def desk_options(board: dict[str, Any]) -> list[tuple[str, str]]:
    """The desks an admin may pick: those with open cases now or steps done in the period."""
    seen: dict[str, str] = {}
    for row in [*board.get("desks_now", []), *board["processing"]["by_type_and_desk"]]:
        key = f"{row['level']}:{row['desk_region']}"
        seen.setdefault(key, desk_name(row["level"], row["desk_region"]))
    return sorted(seen.items(), key=lambda item: item[0])


class DashboardViews:
    ROUTES = [
        Rule("/review/dashboard", endpoint="review_dashboard", methods=["GET"]),
        Rule("/api/v1/review/dashboard", endpoint="api_review_dashboard", methods=["GET"]),
    ]
    OPENAPI_OPERATIONS = [
        Op("GET /api/v1/review/dashboard", "统计看板: processing time against the legal limit per business "
           "type and desk, and the backlog and overdue counts over time (?from=&to= dates, default the "
           "last 90 days; ?desk=level:region for admins, a reviewer sees their desk)",
           result=ReviewDashboard, errors=(401, 403, 422, 503)),
    ]

    def _dashboard_actor(self, request: Request) -> dict:
        account = self.require(request, kinds=STAFF)  # type: ignore[attr-defined]
        actor = actor_from_account(account)
        actor["name"] = account.get("contact_name") or account.get("login")
        return actor

    def on_api_review_dashboard(self, request: Request) -> Response:
        actor = self._dashboard_actor(request)
        board = self.clients(request).review.dashboard(actor, query_of(request))  # type: ignore[attr-defined]
        return json_response(board, 200)

    def on_review_dashboard(self, request: Request) -> Response:
        actor = self._dashboard_actor(request)
        query, errors, status = query_of(request), {}, 200
        try:
            board = self.clients(request).review.dashboard(actor, query)  # type: ignore[attr-defined]
        except ValidationFailed as exc:  # a bad period: say so, show the default period
            errors, status = exc.fields, 422
            board = self.clients(request).review.dashboard(actor, {})  # type: ignore[attr-defined]
        got = self.gather(  # type: ignore[attr-defined]
            request, {"ratings": (self.clients(request).notify.rating_stats, (actor,))})  # type: ignore[attr-defined]
        stats = got["ratings"]
        today = date.fromisoformat(board["period"]["to"])
        ratings = None if not isinstance(stats, dict) else ratings_series(stats.get("by_month") or [], today)
        desk = board.get("desk")
        scope = desk_name(desk["level"], desk["desk_region"]) if desk else "全部审核队列"
        return self.render(request, "review_dashboard.html", status=status,  # type: ignore[attr-defined]
                           board=board, ratings=ratings, charts=charts(board, ratings, scope), scope=scope,
                           errors=errors, is_admin=actor.get("kind") == "admin",
                           desk_options=desk_options(board),
                           selected_desk=f"{desk['level']}:{desk['desk_region']}" if desk else "")
