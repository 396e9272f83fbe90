"""The 统计看板's charts (issue 16 item 11), drawn on the server as SVG: no chart library, no CDN,
no script and no style attribute (the CSP); colours come from classes in app.css. Every chart has
a ``<title>`` and the page carries the same figures as a table (the accessible alternative).

Pure functions, unit-tested (tests/unit/test_dashboard_charts.py)."""

from __future__ import annotations

from datetime import date
from html import escape

WIDTH = 640
NARROW = 360  # the phone version (the page shows one of the two by CSS, app.css)


def _open(height: int, title: str, css: str, width: int = WIDTH) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>')


def nice_max(value: float) -> float:
    """A round top for the y axis (1, 2, 5 × 10ⁿ) at or above the largest value (at least 1)."""
    if value <= 1:
        return 1.0
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    for step in (1, 2, 5, 10):
        if step * scale >= value:
            return float(step * scale)
    return float(10 * scale)


def svg_limit_bars(rows: list[tuple[str, float, float, int]], title: str, width: int = WIDTH) -> str:
    """Average processing time against the legal limit, one row per business type: the name on
    its own line (long Chinese names stay readable at 390 px), a bar for the average working
    days, a dark tick at the average limit; a bar past its limit is red. Rows are
    (name, average days, average limit days, cases). A narrow chart puts the figures on a line
    of their own under the bar."""
    narrow = width < WIDTH
    row_height, bar_height, top = (62 if narrow else 44), 16, 6
    height = top + max(1, len(rows)) * row_height + 4
    top_value = nice_max(max([max(a, limit) for _, a, limit, _ in rows] or [1.0]))
    plot = width - (12 if narrow else 170)
    scale = plot / top_value
    parts = [_open(height, title, "limit-bars", width)]
    if not rows:
        parts.append(f'<text x="0" y="{top + 18}" font-size="14">该期间无办结案件</text>')
    for index, (name, average, limit, count) in enumerate(rows):
        y = top + index * row_height
        over = average > limit
        parts.append(f'<text x="0" y="{y + 13}" font-size="13">{escape(name)}</text>')
        bar_y = y + 18
        parts.append(f'<rect x="0" y="{bar_y}" width="{max(1.0, average * scale):.1f}" height="{bar_height}" '
                     f'class="{"bar-poor" if over else "bar"}"/>')
        tick = limit * scale
        parts.append(f'<rect x="{max(0.0, tick - 1.5):.1f}" y="{bar_y - 3}" width="3" '
                     f'height="{bar_height + 6}" class="limit"/>')
        label = f"平均 {average:g} / 时限 {limit:g} 个工作日（{count} 件）"
        at_x, at_y = ((0.0, bar_y + bar_height + 16) if narrow
                      else (max(average, limit) * scale + 8, bar_y + 13))
        parts.append(f'<text x="{at_x:.1f}" y="{at_y}" font-size="13">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_lines(x_labels: list[str], series: list[tuple[str, str, list[float | None]]], title: str,
              height: int = 240, width: int = WIDTH) -> str:
    """A line chart over time: ``series`` are (legend name, css class, values); a ``None`` value
    is a gap (no record that day), never drawn as zero. The y axis starts at 0."""
    left, right, top, bottom = 40, 12, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, _, vs in series for v in vs if v is not None]
    top_value = nice_max(max(values or [1.0]))
    count = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    parts = [_open(height, title, "lines", width)]
    for fraction in (0, 0.5, 1):  # grid and y labels
        value = top_value * fraction
        at = y(value)
        parts.append(f'<line x1="{left}" y1="{at:.1f}" x2="{width - right}" y2="{at:.1f}" '
                     f'class="grid-line"/>')
        parts.append(f'<text x="{left - 6}" y="{at + 4:.1f}" font-size="12" '
                     f'text-anchor="end">{value:g}</text>')
    if not values:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" font-size="14" '
                     f'text-anchor="middle">暂无数据</text>')
    if count:
        step = max(1, count // (5 if width >= WIDTH else 3))
        ticks = sorted({0, count - 1, *range(0, count, step)})
        if len(ticks) > 2 and ticks[-1] - ticks[-2] < step:
            ticks.pop(-2)  # the last regular tick too close to the end's: its label would overlap
        for i in ticks:
            anchor = "middle" if count == 1 else {0: "start", count - 1: "end"}.get(i, "middle")
            parts.append(f'<text x="{x(i):.1f}" y="{height - 10}" font-size="12" text-anchor="{anchor}">'
                         f'{escape(x_labels[i])}</text>')
    legend_x = left
    for name, css, vs in series:
        parts.append(f'<rect x="{legend_x}" y="6" width="14" height="4" class="{css} swatch"/>')
        parts.append(f'<text x="{legend_x + 18}" y="13" font-size="12">{escape(name)}</text>')
        legend_x += 30 + 14 * len(name)
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
            else:
                runs[-1].append((x(i), y(v)))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                parts.append(f'<polyline points="{points}" class="{css}" fill="none"/>')
            for px, py in run:
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" class="{css} dot"/>')
    parts.append("</svg>")
    return "".join(parts)


def month_keys(today: date, months: int = 12) -> list[str]:
    """The last ``months`` months as YYYY-MM, oldest first, this month last."""
    year, month = today.year, today.month
    keys = []
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return keys[::-1]


def ratings_series(by_month: list[dict], today: date, months: int = 12) -> list[dict]:
    """好差评 over the last ``months`` months from notify's ``rating_stats().by_month``: average
    score and count per month; a month without ratings has no average (a gap) and count 0."""
    known = {str(row.get("label")): row for row in by_month}
    out = []
    for key in month_keys(today, months):
        row = known.get(key)
        out.append({"month": key, "average": round(float(row["average"]), 2) if row else None,
                    "count": int(row["count"]) if row else 0})
    return out
