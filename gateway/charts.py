"""Charts drawn on the server as SVG (the platform runs offline: no chart library, no CDN)."""

from __future__ import annotations

from html import escape

from services.common.contracts.ratings import POOR_RATING


def svg_bars(rows: list[tuple[str, float, int]], width: int = 520, bar_height: int = 22,
             title: str = "评分统计图") -> str:
    """A horizontal bar chart (label, average score 0-5, count) as SVG, drawn on the server."""
    label_width, gap = 160, 6
    height = max(1, len(rows)) * (bar_height + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
             f'<title>{escape(title)}</title>']
    scale = (width - label_width - 90) / 5
    for index, (label, average, count) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        bar = max(1.0, average * scale)
        parts.append(f'<text x="0" y="{y + bar_height - 6}" font-size="13">{escape(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" '
                     f'class="{"bar-poor" if average <= POOR_RATING else "bar"}"/>')
        parts.append(f'<text x="{label_width + bar + 6:.1f}" y="{y + bar_height - 6}" font-size="13">'
                     f'{average:.2f} 分（{count} 条）</text>')
    parts.append("</svg>")
    return "".join(parts)
