"""The pure part of the load tier: percentiles, the per-step table, errors by status, the
exactly-once count of the agency stream and the PASS/FAIL verdicts (unit-tested)."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 < pct ≤ 100) of ``values``; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class StepRow:
    step: str
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    errors: int


def step_rows(times_ms: Mapping[str, Sequence[float]], statuses: Mapping[str, Mapping[str, int]]
              ) -> list[StepRow]:
    """One row per step, in name order: count, p50/p95/max of its response times, failed answers."""
    rows = []
    for step in sorted(set(times_ms) | set(statuses)):
        times = times_ms.get(step, [])
        bad = sum(n for status, n in statuses.get(step, {}).items() if not is_ok(status))
        rows.append(StepRow(step, len(times), round(percentile(times, 50), 1),
                            round(percentile(times, 95), 1), round(max(times, default=0.0), 1), bad))
    return rows


def is_ok(status: str) -> bool:
    """A status key as the locustfile records it: "200", "303", … or "error:<Exception>"."""
    return status.isdigit() and 200 <= int(status) < 400


def errors_by_status(statuses: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """{status: {step: count}} of every answer that is not 2xx/3xx (4xx, 5xx, connection errors)."""
    result: dict[str, dict[str, int]] = {}
    for step, counts in statuses.items():
        for status, n in counts.items():
            if not is_ok(status) and n:
                result.setdefault(status, {})[step] = result.get(status, {}).get(step, 0) + n
    return dict(sorted(result.items()))


def count_5xx(statuses: Mapping[str, Mapping[str, int]]) -> int:
    return sum(n for counts in statuses.values() for status, n in counts.items()
               if status.isdigit() and 500 <= int(status) < 600)


@dataclass(frozen=True)
class Delivery:
    """The agency stream as one consumer saw it, against what the platform emitted."""

    expected: int
    received: int
    duplicates: int
    missing: list[str]
    extra: int

    @property
    def exactly_once(self) -> bool:
        return not self.missing and self.duplicates == 0


def delivery(emitted: Iterable[str], received: Iterable[str]) -> Delivery:
    """Each emitted id received exactly once? ``received`` in arrival order, with repeats;
    ids received but not in ``emitted`` (e.g. emitted before the queue was bound) are extra."""
    expected = set(emitted)
    seen = Counter(received)
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    missing = sorted(expected - set(seen))
    extra = len(set(seen) - expected)
    return Delivery(len(expected), sum(seen.values()), duplicates, missing, extra)


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, passed: bool, detail: str = "") -> None:
        self.checks.append(Check(name, passed, detail))

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def lines(self) -> list[str]:
        return [f"{'PASS' if c.passed else 'FAIL'}  {c.name}" + (f": {c.detail}" if c.detail else "")
                for c in self.checks]


def health_verdict(samples: Sequence[tuple[float, int | None, str]]) -> Check:
    """/healthz green at every sample: (seconds since start, status or None, short body)."""
    bad = [s for s in samples if s[1] != 200]
    if not samples:
        return Check("/healthz green at every sample", False, "no sample taken")
    detail = f"{len(samples) - len(bad)}/{len(samples)} green"
    if bad:
        first = bad[0]
        detail += f"; first bad at +{first[0]:.0f} s: {first[1] or 'no answer'} {first[2][:160]}"
    return Check("/healthz green at every sample", not bad, detail)


def health_problem(status: int | None, body: str) -> str:
    """One /healthz answer in a few words: the services that were not ok, or the status."""
    if status is None:
        return f"no answer ({body})"
    try:
        services = json.loads(body).get("services") or {}
    except (ValueError, AttributeError):
        services = {}
    bad = [f"{name}: {state}" for name, state in sorted(services.items()) if state != "ok"]
    return f"{status} " + ("; ".join(bad) if bad else body[:80])


def health_problems(samples: Sequence[tuple[float, int | None, str]]) -> dict[str, int]:
    """How often each kind of non-green answer was seen."""
    return dict(Counter(health_problem(s[1], s[2]) for s in samples if s[1] != 200).most_common())


def undecided(states: Mapping[str, str], final: Iterable[str]) -> dict[str, str]:
    """The applications whose state is not final (id → state); unknown ids count as 'missing'."""
    done = set(final)
    return {app: state for app, state in states.items() if state not in done}


# nameko's standalone proxies (the gateway's) reply on queues named so, declared with
# x-expires: once the proxy is gone (e.g. discarded after a timeout) the queue and whatever
# late reply reached it disappear on their own.
REPLY_QUEUE_PREFIX = "rpc.reply-"


def nonempty_queues(queues: Mapping[str, int], ignore: Iterable[str] = (),
                    consumers: Mapping[str, int] | None = None) -> dict[str, int]:
    """Queues still holding messages, except ``ignore`` and, when ``consumers`` is given,
    reply queues whose caller has gone (no consumer: they expire with what is in them)."""
    skip = set(ignore)
    if consumers is not None:
        skip |= {name for name in queues
                 if name.startswith(REPLY_QUEUE_PREFIX) and not consumers.get(name)}
    return {name: n for name, n in sorted(queues.items()) if n and name not in skip}
