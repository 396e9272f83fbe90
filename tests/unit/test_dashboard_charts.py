"""The 统计看板's SVG (gateway/dashboard_charts.py) and its page helpers: no script, no style
attribute, a title, gaps where there is no value, names in the tables."""

from __future__ import annotations

import re
from datetime import date

from gateway.dashboard_charts import month_keys, nice_max, ratings_series, svg_limit_bars, svg_lines
from gateway.views.dashboards import charts, desk_options


def test_nice_max_rounds_up_to_one_two_five():
    assert [nice_max(v) for v in (0, 1, 3, 7, 12, 20, 51, 480)] == [1, 1, 5, 10, 20, 20, 100, 500]


def test_limit_bars_mark_the_limit_and_colour_what_is_over():
    svg = svg_limit_bars([("公路养护作业单位资质", 12.0, 20.0, 4),
                          ("承装（修、试）电力设施许可证", 25.0, 20.0, 2)], "各业务平均办理用时")
    assert svg.startswith("<svg") and "<title>各业务平均办理用时</title>" in svg and 'role="img"' in svg
    assert svg.count('class="bar"') == 1 and svg.count('class="bar-poor"') == 1
    assert svg.count('class="limit"') == 2 and "平均 25 / 时限 20 个工作日（2 件）" in svg
    assert "style=" not in svg and "<script" not in svg
    assert "该期间无办结案件" in svg_limit_bars([], "空")


def test_limit_bars_escape_names():
    assert "&lt;b&gt;" in svg_limit_bars([("<b>", 1.0, 2.0, 1)], "t")


def test_lines_break_at_gaps_and_never_draw_a_missing_day_as_zero():
    svg = svg_lines(["03-01", "03-02", "03-03", "03-04"],
                    [("在办", "series-active", [3, 4, None, 6]), ("已超期", "series-overdue", [0, 1, 1, 2])],
                    "走势")
    active = re.findall(r'<polyline points="([^"]+)" class="series-active"', svg)
    assert len(active) == 1 and len(active[0].split()) == 2  # 3 → 4, then a gap, then 6 alone
    assert svg.count('class="series-active dot"') == 3
    assert len(re.findall(r'class="series-overdue"', svg)) == 1 and "在办" in svg and "已超期" in svg
    assert "style=" not in svg


def test_lines_with_one_point_and_with_none():
    assert 'class="series-active dot"' in svg_lines(["03-01"], [("在办", "series-active", [2])], "t")
    assert "<polyline" not in svg_lines([], [("在办", "series-active", [])], "t")


def test_month_keys_cross_the_year():
    assert month_keys(date(2026, 2, 15), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_ratings_series_fills_months_without_ratings_as_gaps():
    got = ratings_series([{"label": "2026-01", "average": 4.456, "count": 3},
                          {"label": "2024-01", "average": 1.0, "count": 1}], date(2026, 2, 1), months=3)
    assert got == [{"month": "2025-12", "average": None, "count": 0},
                   {"month": "2026-01", "average": 4.46, "count": 3},
                   {"month": "2026-02", "average": None, "count": 0}]


BOARD = {
    "period": {"from": "2026-03-01", "to": "2026-03-03"}, "desk": None,
    "processing": {"by_type": [{"business_type": "公路养护作业单位资质", "average_days": 4.5,
                                "average_limit_days": 20.0, "done": 2}],
                   "by_type_and_desk": [{"business_type": "公路养护作业单位资质", "level": "city",
                                         "desk_region": "150200", "done": 2}]},
    "backlog": [{"day": "2026-03-01", "active": 1, "overdue": 0}, {"day": "2026-03-02", "active": None,
                                                                  "overdue": None}],
    "desks_now": [{"level": "province", "desk_region": "150000"}],
}


def test_page_charts_and_desk_names():
    drawn = charts(BOARD, None, "全部审核队列")
    assert set(drawn) == {"processing", "backlog"}  # notify did not answer: no ratings chart
    assert "公路养护作业单位资质" in drawn["processing"]["wide"] and "03-01" in drawn["backlog"]["narrow"]
    assert 'width="360"' in drawn["processing"]["narrow"] and 'width="640"' in drawn["processing"]["wide"]
    assert "ratings" in charts(BOARD, [{"month": "2026-03", "average": 4.0, "count": 1}], "x")
    options = dict(desk_options(BOARD))
    assert options["city:150200"].startswith("包头市") and "150000" not in options["province:150000"]


def test_narrow_bars_put_the_figures_under_the_bar_inside_the_width():
    svg = svg_limit_bars([("承装（修、试）电力设施许可证 登记事项变更", 25.0, 20.0, 2)], "t", width=360)
    xs = [float(x) for x in re.findall(r'<text x="([0-9.]+)"', svg)]
    assert xs == [0.0, 0.0] and 'width="360"' in svg


def test_end_labels_do_not_crowd_and_an_empty_chart_says_so():
    labels = [f"L{i}" for i in range(14)]
    svg = svg_lines(labels, [("在办", "series-active", [1] * 14)], "t")
    shown = re.findall(r'text-anchor="(?:start|middle|end)">(L\d+)</text>', svg)
    assert shown[0] == "L0" and shown[-1] == "L13" and "L12" not in shown
    assert "暂无数据" in svg_lines(["a", "b"], [("x", "series-rating", [None, None])], "t")
