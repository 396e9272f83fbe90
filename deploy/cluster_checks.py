"""The pure part of `make cluster-test` (deploy/cluster_test.py): the failover windows the 5xx
answers are allowed in, the agency stream's exactly-once count, review's drain rate per instance
count and the verdict lines. Unit-tested in tests/unit/test_cluster_checks.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """A fault, from its start to ``grace`` seconds after its end (seconds since the load began)."""

    name: str
    start: float
    end: float

    def overlaps(self, sent: float, answered: float) -> bool:
        return sent <= self.end and answered >= self.start


def is_5xx(status: str) -> bool:
    """A status key as the driver records it: "200", "503", … or "error:<Exception>"."""
    return status.isdigit() and 500 <= int(status) < 600


def is_failure(status: str) -> bool:
    """5xx or no answer at all (connection refused or reset, timeout)."""
    return is_5xx(status) or status.startswith("error:")


def failures_by_window(records: Iterable[tuple[float, float, str, str]], windows: Sequence[Window]
                       ) -> tuple[dict[str, int], int]:
    """(failures inside each fault window by the window's name, failures outside every window)
    of ``records`` (sent and answered, in seconds since the load began; step; status). A request
    that was under way at any moment of a window belongs to it."""
    inside: Counter[str] = Counter({w.name: 0 for w in windows})
    outside = 0
    for sent, answered, _step, status in records:
        if not is_failure(status):
            continue
        window = next((w for w in windows if w.overlaps(sent, answered)), None)
        if window is None:
            outside += 1
        else:
            inside[window.name] += 1
    return dict(inside), outside


@dataclass(frozen=True)
class Stream:
    """The agency stream as the consumer wrote it, against what notify's outbox emitted."""

    emitted: int
    written: int
    duplicated: int  # an event id written twice to the consumer's file
    missing: int  # emitted and never written
    redelivered: int  # deliveries the consumer recognised as already written and skipped

    @property
    def exactly_once(self) -> bool:
        return self.missing == 0 and self.duplicated == 0


def agency_stream(emitted: Iterable[str], written: Sequence[str], redelivered: int) -> Stream:
    """``written``: the event ids of the consumer's JSON lines file, in order (repeats kept)."""
    expected = set(emitted)
    counts = Counter(written)
    return Stream(emitted=len(expected), written=len(counts),
                  duplicated=sum(n - 1 for n in counts.values() if n > 1),
                  missing=len(expected - set(counts)), redelivered=redelivered)


@dataclass(frozen=True)
class Phase:
    """review running on ``instances`` processes from ``start`` to ``end`` (seconds)."""

    instances: int
    start: float
    end: float


def drain_rates(samples: Sequence[tuple[float, int]], phases: Sequence[Phase]
                ) -> dict[int, float | None]:
    """Messages acknowledged per second on review's queues in each phase, from the broker's
    cumulative ack counter sampled as (seconds, total acks). None: too few samples in the phase."""
    rates: dict[int, float | None] = {}
    for phase in phases:
        inside = [(t, n) for t, n in samples if phase.start <= t <= phase.end]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            rates[phase.instances] = None
            continue
        (t0, n0), (t1, n1) = inside[0], inside[-1]
        rates[phase.instances] = round(max(0, n1 - n0) / (t1 - t0), 2)
    return rates


def consumers_by_phase(samples: Sequence[tuple[float, int]], phases: Sequence[Phase]
                       ) -> dict[int, int | None]:
    """The most consumers seen on review's RPC queue in each phase (one per review process):
    shows each added instance taking work from the same queue."""
    return {p.instances: max((n for t, n in samples if p.start <= t <= p.end), default=None)
            for p in phases}


def nonempty(depths: Mapping[str, int], ignore: Iterable[str] = ()) -> dict[str, int]:
    """Queues still holding messages (reply queues of RPC callers excluded, as ``ignore``)."""
    skip = set(ignore)
    return {q: n for q, n in sorted(depths.items())
            if n and q not in skip and not q.startswith(("rpc.reply-", "reply-"))}


def dead_letters(depths: Mapping[str, int]) -> dict[str, int]:
    """Dead-lettered events (``<service>.dead-letters``, the agency's): must stay empty."""
    return {q: n for q, n in sorted(depths.items())
            if q.endswith(".dead-letters") and not q.endswith("rpc-dead-letters") and n}


def expired_requests(depths: Mapping[str, int]) -> dict[str, int]:
    """``<service>.rpc-dead-letters``: RPC requests nobody took before their caller gave up
    (expired during a fault) or poison requests; kept for diagnosis, never replayed."""
    return {q: n for q, n in sorted(depths.items()) if q.endswith("rpc-dead-letters") and n}


def review_queue(name: str) -> bool:
    """A queue review's instances consume: its RPC queue and its event handlers' queues."""
    return name == "rpc-review" or (
        "--" in name and name.rsplit("--", 1)[1].startswith("review") and "dead" not in name
        and ".retry." not in name)


@dataclass
class Verdict:
    lines: list[tuple[str, bool, str]]

    def __init__(self) -> None:
        self.lines = []

    def add(self, name: str, passed: bool, detail: str) -> None:
        self.lines.append((name, passed, detail))

    @property
    def passed(self) -> bool:
        return bool(self.lines) and all(ok for _, ok, _ in self.lines)

    def render(self) -> str:
        return "\n".join(f"  [{'PASS' if ok else 'FAIL'}] {name}: {detail}"
                         for name, ok, detail in self.lines)
