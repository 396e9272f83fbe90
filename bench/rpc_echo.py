"""Worker process: raw nameko RPC ``identity.echo`` through long-lived standalone proxies.

    python -m bench.rpc_echo --proxies 1 --warmup-calls 300 --calls 3000 --max-seconds 10

Each proxy is started once (one connection, one reply queue) and reused for every call,
as the gateway's pool does. With --proxies > 1 each proxy has its own green thread, so
that many calls are in flight at once. Prints ``MEASURE`` when the warm-up is over and
``RESULT {json}`` at the end (the protocol of bench.children).
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.stats import latency_summary_ms  # noqa: E402
from services.common.config import load_config, nameko_config  # noqa: E402

PAYLOAD = "ping"


class Budget:
    """Shared count and deadline for the green threads of one phase."""

    def __init__(self, calls: int, seconds: float) -> None:
        self.remaining = calls
        self.deadline = time.perf_counter() + seconds

    def take(self) -> bool:
        # Green threads switch only on I/O: check-and-decrement needs no lock.
        if self.remaining <= 0 or time.perf_counter() >= self.deadline:
            return False
        self.remaining -= 1
        return True


def _drive(cluster: Any, budget: Budget, latencies: list[float], errors: list[str]) -> None:
    while budget.take():
        started = time.perf_counter()
        try:
            reply = cluster.identity.echo(PAYLOAD)
            if reply != PAYLOAD:
                errors.append(f"wrong reply {reply!r}")
                continue
        except Exception as exc:  # counted and reported; one failure must not end the run
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - started)


def phase(clusters: list[Any], calls: int, seconds: float) -> dict[str, Any]:
    budget = Budget(calls, seconds)
    latencies: list[float] = []
    errors: list[str] = []
    began = time.perf_counter()
    pool = eventlet.GreenPool(len(clusters))
    for cluster in clusters:
        pool.spawn(_drive, cluster, budget, latencies, errors)
    pool.waitall()
    elapsed = time.perf_counter() - began
    return {
        "n": len(latencies),
        "seconds": round(elapsed, 3),
        "rate": round(len(latencies) / elapsed, 1) if elapsed > 0 else None,
        "errors": len(errors),
        "first_errors": errors[:3],
        **latency_summary_ms(latencies),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rpc_echo")
    parser.add_argument("--proxies", type=int, default=1)
    parser.add_argument("--warmup-calls", type=int, default=300)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    config = nameko_config(load_config(), "bench")
    proxies = [ClusterRpcProxy(config, timeout=args.timeout) for _ in range(args.proxies)]
    clusters: list[Any] = []
    try:
        for proxy in proxies:
            clusters.append(proxy.start())
        phase(clusters, args.warmup_calls, args.max_seconds)
        print("MEASURE", flush=True)
        result = phase(clusters, args.calls, args.max_seconds)
    finally:
        for proxy in proxies[: len(clusters)]:
            proxy.stop()
    result.update(proxies=args.proxies, warmup_calls=args.warmup_calls)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
