"""The printed report of a load run: per-step p50/p95, whole journeys, errors by status, RSS,
and the PASS/FAIL lines."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from load.verdict import Verdict, errors_by_status, percentile, step_rows


def width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def step_table(times_ms: Mapping[str, Sequence[float]],
               statuses: Mapping[str, Mapping[str, int]]) -> list[str]:
    rows = step_rows(times_ms, statuses)
    columns = max([width(r.step) for r in rows] + [10])
    lines = [f"{pad('step', columns)} {'n':>7} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'errors':>7}"]
    lines += [f"{pad(r.step, columns)} {r.count:>7} {r.p50_ms:>9.0f} {r.p95_ms:>9.0f} {r.max_ms:>9.0f}"
              f" {r.errors:>7}" for r in rows]
    return lines


def journey_table(journeys: Mapping[str, Mapping[str, int]], journey_ms: Mapping[str, Sequence[float]]
                  ) -> list[str]:
    lines = []
    for name in sorted(journeys):
        outcomes = journeys[name]
        times = journey_ms.get(name, [])
        others = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()) if k != "ok") or "none"
        lines.append(f"{name}: ok {outcomes.get('ok', 0)}, failed: {others}; "
                     f"p50 {percentile(times, 50) / 1000:.1f} s, p95 {percentile(times, 95) / 1000:.1f} s")
    return lines or ["(no journey finished)"]


def error_lines(statuses: Mapping[str, Mapping[str, int]]) -> list[str]:
    errors = errors_by_status(statuses)
    if not errors:
        return ["none"]
    return [f"{status}: {sum(steps.values())} ("
            + ", ".join(f"{step} {n}" for step, n in sorted(steps.items(), key=lambda kv: -kv[1])) + ")"
            for status, steps in errors.items()]


def render(results: Mapping[str, Any], extra: Mapping[str, Any], verdict: Verdict) -> str:
    out: list[str] = []
    out += ["", "== per step (virtual users' requests through the gateway) =="]
    out += step_table(results.get("times_ms", {}), results.get("statuses", {}))
    out += ["", "== whole journeys =="]
    out += journey_table(results.get("journeys", {}), results.get("journey_ms", {}))
    out += ["", "== errors by status (run + post-run drain) =="]
    out += error_lines(extra.get("all_statuses", {}))
    if results.get("failures"):
        seen = Counter(results["failures"])
        out += ["", "== journey failures (the first 50 recorded, grouped) =="]
        out += [f"- {n} × {text}" for text, n in seen.most_common(12)]
    out += ["", "== at the end =="]
    for key, value in extra.get("facts", {}).items():
        out.append(f"{key}: {value}")
    out += ["", "== checks =="] + verdict.lines()
    out.append(f"\nload run: {'PASS' if verdict.passed else 'FAIL'}")
    return "\n".join(out)
