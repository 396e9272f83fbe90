"""The streamed upload row: a 20 MB PDF through the gateway's ``POST /api/v1/uploads`` (streamed
into quarantine, hashed on the way: the claim check, gateway/uploads.py) beside a direct minio
``put_object`` of the same bytes in the same run, and the gateway's RSS growth meanwhile.

``python -m bench upload`` starts the bench platform, measures only this, and stops it;
``make bench`` (bench/cli.py) runs it after the read rows. Goals (issue 17 item 5): RSS growth
< 30 MB, gateway throughput >= 0.5 of the direct put.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from bench.report import Row, table
from deploy.processes import read_pid
from gateway.sessions import COOKIE_NAME
from services.common.storage import ObjectStore

MB = 1024 * 1024


def noise_pdf(size_mb: float) -> bytes:
    """A one-page PDF of about ``size_mb`` MB: a 300 DPI noise scan (JPEG does not shrink noise)."""
    side = int((size_mb * MB / 1.17) ** 0.5)  # ~1.17 bytes a pixel at quality 95, measured
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=300, quality=95)
    return out.getvalue()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class RssSampler:
    """The highest RSS of a process while it runs (sampled every 10 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.01)

    def __enter__(self) -> RssSampler:
        self.peak = rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


def csrf_token(base_url: str, cookie: str) -> str:
    answer = requests.get(base_url + "/api/v1/session", cookies={COOKIE_NAME: cookie}, timeout=10)
    answer.raise_for_status()
    token = answer.json().get("csrf_token")
    if not token:
        raise RuntimeError(f"GET /api/v1/session gave no csrf_token: {answer.text[:200]}")
    return str(token)


def upload_rows(config: dict[str, Any], base_url: str, cookie: str, *, size_mb: float = 20.0,
                rounds: int = 3, progress: Any = print) -> list[Row]:
    """[direct put_object row, gateway upload row]; the second's ratio is of the first."""
    pdf = noise_pdf(size_mb)
    store = ObjectStore(config)
    headers = {"X-CSRF-Token": csrf_token(base_url, cookie), "Content-Type": "application/pdf",
               "X-Filename": "bench-20MB.pdf"}
    cookies = {COOKIE_NAME: cookie}
    pid = read_pid("gateway", config)
    if pid is None:
        raise RuntimeError("the gateway's pid file is missing")

    def via_gateway(data: bytes) -> dict:
        answer = requests.post(base_url + "/api/v1/uploads", data=data, headers=headers, cookies=cookies,
                               timeout=300)
        if answer.status_code != 201:
            raise RuntimeError(f"POST /api/v1/uploads: {answer.status_code} {answer.text[:300]}")
        claim = answer.json()
        store.delete(claim["key"])
        return claim

    def direct(data: bytes) -> None:
        key = f"bench/{uuid.uuid4().hex}"
        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data),
                                content_type="application/pdf")
        store.delete(key)

    via_gateway(pdf[: MB])  # warm-up: connections, the session, the first multipart upload
    direct(pdf[: MB])
    progress(f"  {len(pdf) / MB:.1f} MB PDF, {rounds} rounds each, interleaved")
    direct_s: list[float] = []
    gateway_s: list[float] = []
    growth = 0
    baseline = rss_bytes(pid)
    for _ in range(rounds):
        started = time.perf_counter()
        direct(pdf)
        direct_s.append(time.perf_counter() - started)
        before = rss_bytes(pid)
        with RssSampler(pid) as sampler:
            started = time.perf_counter()
            claim = via_gateway(pdf)
            gateway_s.append(time.perf_counter() - started)
        growth = max(growth, sampler.peak - before)
        if claim["size"] != len(pdf):
            raise RuntimeError(f"the gateway stored {claim['size']} bytes of {len(pdf)}")
    after = rss_bytes(pid)
    size = len(pdf) / MB

    def row(key: str, short: str, measurement: str, times: list[float], **detail: Any) -> Row:
        total = sum(times)
        ordered = sorted(times)
        return Row(key=key, measurement=measurement, n=len(times), seconds=round(total, 3),
                   rate=round(len(times) / total, 3), p50_ms=round(ordered[len(ordered) // 2] * 1000, 1),
                   p99_ms=round(ordered[-1] * 1000, 1),
                   detail={"short": short, "mb_per_s": round(len(times) * size / total, 1),
                           "size_mb": round(size, 1), **detail})

    put = row("upload_direct_put", "minio-put", f"direct minio put_object {size:.0f} MB PDF", direct_s)
    gate = row("upload_gateway", "upload",
               f"upload {size:.0f} MB PDF via gateway (streamed, sha256), RSS +{growth / MB:.1f} MB",
               gateway_s, rss_growth_mb=round(growth / MB, 1), rss_baseline_mb=round(baseline / MB, 1),
               rss_after_mb=round(after / MB, 1))
    gate.ratio, gate.ratio_of = round(gate.rate / put.rate, 3) if put.rate else None, put.key
    progress(f"  direct {put.detail['mb_per_s']} MB/s, gateway {gate.detail['mb_per_s']} MB/s, "
             f"gateway RSS +{growth / MB:.1f} MB at most (baseline {baseline / MB:.0f} MB)")
    return [put, gate]


def main(argv: list[str] | None = None) -> int:
    from bench.platform import BenchPlatform
    from bench.slice import registered_session
    from services.common.config import load_config

    parser = argparse.ArgumentParser(prog="python -m bench upload", description=__doc__)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ["QLP_PROFILE"] = "bench"
    config = load_config()
    platform = BenchPlatform(config)
    try:
        startup = platform.start()
        print(f"bench: platform healthy at {platform.url} after {startup:.1f} s", flush=True)
        cookie = registered_session(platform.url, uuid.uuid4().hex[:8])
        rows = upload_rows(config, platform.url, cookie, size_mb=args.size_mb, rounds=args.rounds)
        print()
        print(table(rows))
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (a shared machine: noisy)")
        return 0
    finally:
        left = platform.stop()
        if left:
            print("bench: NOT stopped: " + "; ".join(left), file=sys.stderr)
