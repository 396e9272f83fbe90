"""The bench's one table, as plain text and as JSON."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Row:
    key: str
    measurement: str
    n: int
    seconds: float
    rate: float | None
    p50_ms: float | None
    p99_ms: float | None
    errors: int = 0
    ratio: float | None = None
    ratio_of: str | None = None  # the key of the row this one is divided by
    detail: dict[str, Any] = field(default_factory=dict)
    goal: str | None = None  # issue 17's goal for this row, as text (apply_goals)
    met: bool | None = None  # whether this run met it (None: no goal, or nothing to judge)


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def ratio_text(row: Row, rows: list[Row]) -> str:
    if row.ratio is None or row.ratio_of is None:
        return ""
    short = {r.key: r.detail.get("short", r.key) for r in rows}
    return f"{row.ratio:.3f} of {short.get(row.ratio_of, row.ratio_of)}"


HEADERS = ("measurement", "N", "seconds", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "goal")


# Issue 17's goals: row key -> (text, test of the row). A row without a figure to judge is "-".
def _rss_goal(row: Row) -> bool | None:
    mb = row.detail.get("rss_mb")
    return None if mb is None else mb < 300


def _upload_goal(row: Row) -> bool | None:
    growth = row.detail.get("rss_growth_mb")
    if growth is None or row.ratio is None:
        return None
    return growth < 30 and row.ratio >= 0.5


def _at_least(value: float | None, floor: float) -> bool | None:
    return None if value is None else value >= floor


GOALS: dict[str, tuple[str, Callable[[Row], bool | None]]] = {
    "slice_read": ("ratio >= 0.6", lambda r: _at_least(r.ratio, 0.6)),
    "permits_submit": (">= 200/s and ratio >= 0.3",
                       lambda r: None if r.rate is None or r.ratio is None
                       else r.rate >= 200 and r.ratio >= 0.3),
    "login": (">= 30/s", lambda r: _at_least(r.rate, 30)),
    # Item 4: a login storm must not starve the checks every page makes (all answered).
    "storm_session_check": ("all answered", lambda r: r.n > 0),
    "form_pdf": ("<= 300 ms CPU/page", lambda r: None if r.p50_ms is None else r.p50_ms <= 300),
    "certificate_pdf": ("<= 300 ms CPU/page",
                        lambda r: None if r.p50_ms is None else r.p50_ms <= 300),
    "upload_gateway": ("RSS +< 30 MB, ratio >= 0.5", _upload_goal),
}


def apply_goals(rows: list[Row]) -> None:
    """Set each row's goal text and whether this run met it (errors fail a goal too)."""
    for row in rows:
        goal = GOALS.get(row.key) or (("< 300 MB", _rss_goal) if row.key.startswith("rss_")
                                      else None)
        if goal is None:
            continue
        row.goal, judged = goal[0], goal[1](row)
        row.met = None if judged is None else judged and not row.errors


def goal_text(row: Row) -> str:
    if row.goal is None:
        return ""
    return f"{row.goal}: {'-' if row.met is None else 'met' if row.met else 'NOT met'}"


def table(rows: list[Row]) -> str:
    cells = [
        (row.measurement, str(row.n), _num(row.seconds, 2), _num(row.rate), _num(row.p50_ms, 2),
         _num(row.p99_ms, 2), str(row.errors), ratio_text(row, rows), goal_text(row))
        for row in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]

    def line(values: tuple[str, ...]) -> str:
        parts = [v.ljust(w) if i in (0, 7, 8) else v.rjust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(HEADERS), rule, *(line(c) for c in cells)])


CPU_ORDER = ("gateway", "identity", "notify", "enterprise", "personnel", "permits", "review",
             "rabbitmq", "postgres", "s3", "smtp", "client", "bench")


def cpu_lines(rows: list[Row]) -> str:
    """Where the cores went while each row was measured (% of one core; 2 cores = 200 %)."""
    out = []
    for row in rows:
        cpu = row.detail.get("cpu")
        if not cpu:
            continue
        parts = [f"{name} {cpu[name]:.0f}" for name in CPU_ORDER if cpu.get(name, 0) >= 0.5]
        machine, others = cpu.get("machine", 0.0), cpu.get("not_bench", 0.0)
        parts.append(f"| machine {machine:.0f} (irq {cpu.get('irq', 0.0):.0f}, "
                     f"not ours {others:.0f})")
        platform = sum(cpu.get(name, 0.0) for name in CPU_ORDER if name not in ("client", "bench"))
        if row.rate:
            # % of one core / (requests per second) * 10 = CPU milliseconds per request.
            parts.append(f"| platform {platform * 10 / row.rate:.2f} ms CPU/req, gateway "
                         f"{cpu.get('gateway', 0.0) * 10 / row.rate:.2f}")
        out.append(f"  {row.detail.get('short', row.key):<12} {' '.join(parts)}")
    return "\n".join(out)


def document(rows: list[Row], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "kernel": platform.release()},
        **meta,
        "columns": list(HEADERS),
        "table": table(rows).splitlines(),
        "rows": [asdict(row) for row in rows],
    }


def write_json(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document(rows, meta), indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
