"""The rows of ``make bench`` beyond the echo/read/write slice (issue 17's table): logins per
second, application submits end to end, 申报表 and certificate CPU per page, and every
process's RSS at the end. Each is measured on the running bench platform and returned as
report rows; bench/cli.py puts them into the one table and bench/report.py judges the goals.

The sub-commands (``python -m bench permits-submit``, ``forms``) stay as they were; these
functions call their building blocks.
"""

from __future__ import annotations

import io
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from bench.children import CpuSampler, cpu_use
from bench.loadgen import HttpTarget, PythonHttp
from bench.report import Row
from bench.stats import latency_summary_ms
from bench.upload import rss_bytes
from deploy import processes
from services.common.config import nameko_config

MB = 1024 * 1024
LOGIN_PASSWORD = "Qlp#Bench-login-2026"


# ---- logins ---------------------------------------------------------------------------------
def login_accounts(config: dict[str, Any], run_id: str, count: int) -> dict[str, str]:
    """``count`` active accounts (reviewers, created as the bootstrap command does: no e-mail
    step), all with LOGIN_PASSWORD: login -> account id."""
    logins = {}
    with ClusterRpcProxy(nameko_config(config, "bench"), timeout=60) as cluster:
        for n in range(count):
            username = f"bl{run_id}{n:03d}"
            created = cluster.identity.create_staff_account(None, {
                "kind": "reviewer", "username": username, "contact_name": "压测登录",
                "email": f"{username}@bench.example.com", "password": LOGIN_PASSWORD,
                "level": "province", "region_code": "150000"})
            logins[username] = str(created["id"])
    return logins


def write_login_bodies(path: Path, logins: list[str] | dict[str, str], count: int) -> Path:
    logins = list(logins)
    lines = [json.dumps({"login": logins[n % len(logins)], "password": LOGIN_PASSWORD})
             for n in range(count)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def login_row(*, config: dict[str, Any], base: str, work_dir: Path, env: dict[str, str],
              sampler: CpuSampler, run_id: str, concurrency: int, warmup: float,
              duration: float, progress: Callable[[str], None],
              logins: dict[str, str]) -> Row:
    """``POST /api/v1/session`` with the right password of pre-registered accounts (``logins``:
    login_accounts): argon2id verify, the attempt and audit rows, a new gateway session.
    Python generator (as the write row: its warm-up flows into the measurement)."""
    measured = work_dir / f"logins-{run_id}.txt"
    per_second = 300  # more bodies than any plausible rate needs (the file is read once)
    write_login_bodies(measured.with_suffix(".warmup.txt"), logins, int(per_second * warmup) + 50)
    write_login_bodies(measured, logins, int(per_second * duration) + 50)
    writer = PythonHttp(work_dir, env, sampler)
    result, child = writer.run(
        HttpTarget(base + "/api/v1/session", method="POST", expect=200, bodies=measured),
        concurrency=concurrency, warmup=warmup, duration=duration)
    for used in work_dir.glob(f"logins-{run_id}*.txt"):
        used.unlink()
    return Row(
        key="login", measurement=f"login POST /api/v1/session (right password), c={concurrency}",
        n=result["n"], seconds=result["seconds"], rate=result["rate"], p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"], errors=result["errors"],
        detail={"short": "login", "p90_ms": result.get("p90_ms"), "max_ms": result.get("max_ms"),
                "cpu": child.cpu, "generator": writer.name, "concurrency": concurrency,
                "accounts": len(logins), "first_errors": result.get("first_errors")},
    )


def storm_row(*, config: dict[str, Any], base: str, work_dir: Path, env: dict[str, str],
              sampler: CpuSampler, run_id: str, concurrency: int, duration: float,
              logins: dict[str, str]) -> Row:
    """A login storm (``concurrency`` connections, more than identity hashes at once) while
    this process calls ``identity.session_account`` back to back, as the gateway does for every
    page: the row is those calls (do they keep answering?); the storm's logins a second and
    its refusals (503 busy) are in its name."""
    measured = work_dir / f"storm-{run_id}.txt"
    write_login_bodies(measured, logins, int(300 * (duration + 1)) + 50)
    account_id = next(iter(logins.values()))
    latencies: list[float] = []
    failures: list[str] = []
    stop = threading.Event()

    def probe() -> None:
        with ClusterRpcProxy(nameko_config(config, "bench"), timeout=10) as cluster:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    cluster.identity.session_account(account_id)
                    latencies.append(time.perf_counter() - started)
                except Exception as exc:  # a timeout or an error: it did not answer
                    failures.append(f"{type(exc).__name__}: {str(exc)[:100]}")

    prober = threading.Thread(target=probe, daemon=True)
    began = time.perf_counter()
    prober.start()
    try:
        result, child = PythonHttp(work_dir, env, sampler).run(
            HttpTarget(base + "/api/v1/session", method="POST", expect=200, bodies=measured),
            concurrency=concurrency, warmup=1.0, duration=duration)
    finally:
        stop.set()
        prober.join(15)
        for used in work_dir.glob(f"storm-{run_id}*.txt"):
            used.unlink()
    seconds = time.perf_counter() - began
    lat = latency_summary_ms(latencies)
    ok = result["n"] - result["errors"]
    return Row(
        key="storm_session_check",
        measurement=f"identity.session_account during a login storm (c={concurrency}: "
                    f"{ok / result['seconds']:.1f} logins/s, {result['errors']} refused)",
        n=len(latencies), seconds=round(seconds, 3), rate=round(len(latencies) / seconds, 1),
        p50_ms=lat["p50_ms"], p99_ms=lat["p99_ms"], errors=len(failures),
        detail={"short": "storm-rpc", "max_ms": lat["max_ms"], "cpu": child.cpu,
                "storm": {k: result.get(k) for k in ("n", "seconds", "rate", "errors",
                                                      "unexpected_status", "p50_ms", "p99_ms")},
                "first_failures": failures[:3]},
    )


# ---- application submits --------------------------------------------------------------------
def submit_rows(*, config: dict[str, Any], base: str, sampler: CpuSampler, applications: int,
                concurrency: int, progress: Callable[[str], None]) -> list[Row]:
    """[HTTP echo with the submit bench's own client, application submit]: bench/permits_submit.py's
    set-up (one enterprise, one application through the real lifecycle, cloned as committed)
    and its closed loop of ``requests`` sessions; the submit's ratio is of that echo row."""
    from bench.enterprise_roster import enterprise_session
    from bench.permits_submit import clone, run, template_application
    from services.common.config import database_url
    from services.common.database import make_engine

    engine = make_engine(database_url(config, "permits"), pool_size=2)
    try:
        _renumber_clones(engine)  # an earlier run's: they would break today's numbering
        progress("  one enterprise, one application to 'previewed' (申报表, scans), clones ...")
        http, enterprise_id = enterprise_session(config, base)
        cookie = http.cookies.get_dict()
        csrf = http.get(f"{base}/api/v1/session", timeout=10).json()["csrf_token"]
        template = template_application(config, enterprise_id)
        ids = clone(engine, template, applications)

        def submit(session: requests.Session, app_id: str) -> str | None:
            response = session.post(
                f"{base}/api/v1/permits/applications/{app_id}/submit", json={}, cookies=cookie,
                timeout=30, headers={"X-CSRF-Token": csrf, "X-Idempotency-Key": uuid.uuid4().hex})
            if response.status_code != 200 or response.json().get("state") != "submitted":
                return f"{response.status_code} {response.text[:200]}"
            return None

        def echo(session: requests.Session, n: int) -> str | None:
            response = session.get(f"{base}/_echo", timeout=30)
            return None if response.status_code == 200 else str(response.status_code)

        progress(f"  {applications} submits, {concurrency} connections (requests), then echo")
        first = sampler.snapshot()
        submitted = run(concurrency, ids, submit)
        middle = sampler.snapshot()
        echoed = run(concurrency, list(range(max(applications, 500))), echo)
        last = sampler.snapshot()
        _renumber_clones(engine)
    finally:
        engine.dispose()

    def row(key: str, short: str, measurement: str, outcome: tuple[float, list[float], list[str]],
            cpu: dict[str, float]) -> Row:
        seconds, latencies, failures = outcome
        lat = latency_summary_ms(latencies)
        return Row(key=key, measurement=measurement, n=len(latencies), seconds=round(seconds, 3),
                   rate=round(len(latencies) / seconds, 1) if seconds else None,
                   p50_ms=lat["p50_ms"], p99_ms=lat["p99_ms"], errors=len(failures),
                   detail={"short": short, "p90_ms": lat["p90_ms"], "max_ms": lat["max_ms"],
                           "cpu": cpu, "concurrency": concurrency, "generator": "requests",
                           "first_failure": failures[0] if failures else None})

    echo_row = row("submit_echo", "echo-req", f"HTTP->RPC echo GET /_echo, c={concurrency}, requests",
                   echoed, cpu_use(middle, last))
    submit = row("permits_submit", "submit",
                 f"application submit end to end, c={concurrency}, requests", submitted,
                 cpu_use(first, middle))
    submit.ratio = round(submit.rate / echo_row.rate, 3) if submit.rate and echo_row.rate else None
    submit.ratio_of = echo_row.key
    return [echo_row, submit]


def _renumber_clones(engine: Any) -> None:
    """bench/permits_submit.py's clones are numbered ``<the template's number>-<n>``, inside the
    day's range of 申报编号 that permits' counter reads the highest of as a number
    (``substr(max(number), 11)::int``): the next create_draft that day failed. Give them numbers
    outside every day's range."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("UPDATE applications SET number = 'bench-' || substr(md5(id::text), 1, 20)"
                          " WHERE number LIKE '%-%' AND number NOT LIKE 'bench-%'"))


# ---- 申报表 and certificate PDFs -------------------------------------------------------------
def form_rows(renders: int, progress: Callable[[str], None]) -> list[Row]:
    """CPU seconds per page of the 申报表 (two pages) and the certificate with the small CJK
    faces, rendered in this process by the code a render worker runs (bench/forms.py's
    documents); p50 is CPU ms per page."""
    import pypdf

    from bench.forms import _documents
    from services.permits import forms

    documents = _documents()
    forms.warm_up()
    for html in documents.values():
        forms._pdf(html)  # pango and the faces loaded before measuring
    rows = []
    for kind, html in documents.items():
        cpu: list[float] = []
        wall: list[float] = []
        pages = 0
        for _ in range(renders):
            started, cpu_started = time.perf_counter(), time.process_time()
            pdf = forms._pdf(html)
            count = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
            cpu.append((time.process_time() - cpu_started) / count)
            wall.append((time.perf_counter() - started) / count)
            pages += count
        name = {"form": "申报表 PDF", "certificate": "certificate PDF"}.get(kind, kind)
        rows.append(Row(
            key=f"{kind}_pdf", measurement=f"{name}, CPU per page (p50/p99 = CPU ms/page)",
            n=pages, seconds=round(sum(wall) * pages / len(wall), 3), rate=None,
            p50_ms=round(statistics.median(cpu) * 1000, 1), p99_ms=round(max(cpu) * 1000, 1),
            detail={"short": kind, "wall_p50_ms_per_page": round(statistics.median(wall) * 1000, 1),
                    "renders": renders, "pages_per_document": pages // renders}))
    progress("  " + ", ".join(f"{r.detail['short']} {r.p50_ms:.0f} ms CPU/page" for r in rows))
    return rows


# ---- memory at the end ----------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_rows(config: dict[str, Any], components: tuple[str, ...]) -> list[Row]:
    """Each component process's RSS after the run (VmRSS); its child processes (render
    workers) are named beside it but are not part of the figure judged."""
    rows = []
    for component in components:
        pid = processes.read_pid(component, config)
        if pid is None:
            continue
        try:
            rss = rss_bytes(pid) / MB
            kids = [rss_bytes(child) / MB for child in _children(pid)]
        except OSError:
            continue
        extra = f" (+{len(kids)} child processes {sum(kids):.0f} MB)" if kids else ""
        rows.append(Row(key=f"rss_{component}", measurement=f"RSS at the end: {component} "
                        f"{rss:.0f} MB{extra}", n=1, seconds=0.0, rate=None, p50_ms=None,
                        p99_ms=None, detail={"short": f"rss-{component}", "rss_mb": round(rss, 1),
                                             "children_mb": [round(k, 1) for k in kids]}))
    return rows
