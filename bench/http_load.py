"""Worker process: a Python HTTP load generator (the fallback when wrk is not installed).

    python -m bench.http_load --url URL --concurrency 16 --warmup 2 --duration 10
        [--method POST --bodies payloads.txt] [--header 'Cookie: x=y'] --expect 200

One thread per connection, each a keep-alive ``http.client.HTTPConnection`` sending its
next request as soon as the previous reply is read (closed loop). Replies that arrive
during the warm-up are not counted; the warm-up flows straight into the measurement.
Prints ``MEASURE`` when the warm-up ends and ``RESULT {json}`` at the end (the protocol
of bench.children).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from bench.stats import latency_summary_ms


class Bodies:
    """Request bodies handed out once each, across threads; None for body-less requests."""

    def __init__(self, path: str | None) -> None:
        self._lines: Iterator[str] | None = None
        if path:
            with open(path, encoding="ascii") as handle:
                self._lines = iter([line.strip() for line in handle if line.strip()])
        self._lock = threading.Lock()
        self.exhausted = False

    def next(self) -> bytes | None:
        if self._lines is None:
            return None
        with self._lock:
            line = next(self._lines, None)
        if line is None:
            self.exhausted = True
            raise StopIteration
        return line.encode()


class Counter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.value = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.value >= self.limit:
                return False
            self.value += 1
            return True


def _worker(target: dict[str, Any], bodies: Bodies, counter: Counter, warm_end: float,
            end: float, out: dict[str, Any]) -> None:
    """Closed loop until end. A request counts if its reply arrives in [warm_end, end],
    whenever it was sent: the steady state, with no gap while the first replies of the
    measured phase are on their way (which matters when a request takes seconds)."""
    latencies: list[float] = out["latencies"]
    conn: http.client.HTTPConnection | None = None
    while time.perf_counter() < end:
        try:
            body = bodies.next()
        except StopIteration:
            break
        started = time.perf_counter()
        error = None
        try:
            if conn is None:
                conn = http.client.HTTPConnection(target["host"], target["port"], timeout=30)
            conn.request(target["method"], target["path"], body=body, headers=target["headers"])
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            if conn is not None:
                conn.close()
                conn = None
            error = f"{type(exc).__name__}: {exc}"
        finished = time.perf_counter()
        if not warm_end <= finished <= end:
            continue
        if not counter.take():
            break
        if error is not None:
            out["errors"].append(error)
            continue
        latencies.append(finished - started)
        if status != target["expect"]:
            out["unexpected"][str(status)] = out["unexpected"].get(str(status), 0) + 1
        out["last"] = max(out["last"], finished)
    if conn is not None:
        conn.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--bodies", help="file of request bodies, one a line, each used once")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--expect", type=int, default=200)
    args = parser.parse_args(argv)
    url = urlsplit(args.url)
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    if args.bodies:
        headers.setdefault("Content-Type", "application/json")
    target = {
        "host": url.hostname, "port": url.port or 80, "method": args.method,
        "path": url.path + (f"?{url.query}" if url.query else ""), "headers": headers,
        "expect": args.expect,
    }
    bodies = Bodies(args.bodies)
    counter = Counter(args.max_requests)
    began = time.perf_counter()
    warm_end = began + args.warmup
    end = warm_end + args.duration
    outs: list[dict[str, Any]] = []
    threads = []
    for _ in range(args.concurrency):
        out: dict[str, Any] = {"latencies": [], "errors": [], "unexpected": {}, "last": warm_end}
        outs.append(out)
        thread = threading.Thread(target=_worker, daemon=True,
                                  args=(target, bodies, counter, warm_end, end, out))
        threads.append(thread)
        thread.start()
    time.sleep(max(0.0, warm_end - time.perf_counter()))
    print("MEASURE", flush=True)
    for thread in threads:
        thread.join()
    latencies = [lat for out in outs for lat in out["latencies"]]
    errors = [err for out in outs for err in out["errors"]]
    unexpected: dict[str, int] = {}
    for out in outs:
        for status, count in out["unexpected"].items():
            unexpected[status] = unexpected.get(status, 0) + count
    # The window is warm-up end to end; only a count limit or running out of bodies ends
    # it earlier, at the last counted reply.
    stopped_early = counter.value >= counter.limit or bodies.exhausted
    last = max(out["last"] for out in outs) if stopped_early else end
    seconds = max(last - warm_end, 1e-9)
    result = {
        "n": len(latencies),
        "seconds": round(seconds, 3),
        "rate": round(len(latencies) / seconds, 1),
        "errors": len(errors) + sum(unexpected.values()),
        "socket_errors": len(errors),
        "unexpected_status": unexpected,
        "first_errors": errors[:3],
        "bodies_exhausted": bodies.exhausted,
        **latency_summary_ms(latencies),
    }
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
