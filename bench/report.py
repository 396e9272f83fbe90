"""The bench's one table, as plain text and as JSON."""

from __future__ import annotations

import json
import os
import platform
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


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def ratio_text(row: Row, rows: list[Row]) -> str:
    if row.ratio is None or row.ratio_of is None:
        return ""
    short = {r.key: r.detail.get("short", r.key) for r in rows}
    return f"{row.ratio:.3f} of {short.get(row.ratio_of, row.ratio_of)}"


HEADERS = ("measurement", "N", "seconds", "req/s", "p50 ms", "p99 ms", "errors", "ratio")


def table(rows: list[Row]) -> str:
    cells = [
        (row.measurement, str(row.n), _num(row.seconds, 2), _num(row.rate), _num(row.p50_ms, 2),
         _num(row.p99_ms, 2), str(row.errors), ratio_text(row, rows))
        for row in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]

    def line(values: tuple[str, ...]) -> str:
        parts = [v.ljust(w) if i in (0, 7) else v.rjust(w)
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
