"""``python -m bench``: start the bench platform, measure, print one table, stop everything."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import suite
from bench.children import BenchError, CpuSampler, cpu_use, run_child
from bench.data import write_payload_file
from bench.loadgen import HttpTarget, LoadGenerator, PythonHttp, Wrk, find_wrk
from bench.platform import COMPONENTS, BenchPlatform
from bench.report import Row, apply_goals, cpu_lines, table, write_json
from bench.slice import notify_catch_up, registered_session
from bench.upload import upload_rows
from deploy.processes import DeployError, var_path
from gateway.sessions import COOKIE_NAME
from services.common.config import load_config

LEGEND = """\
ratio: req/s divided by the named row's req/s (submit: of the echo measured with its own
client). goal: issue 17's; errors fail it. PDF rows: p50/p99 are CPU ms per page.
Lag rows: N = the write path's events that notify consumes (warm-up included) / the mails
they caused; seconds = from the end of the write load until notify had handled them all /
sent them all; p50/p99 = per event, from its occurred_at to notify's handler / to the mail's sent_at."""


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop like Ctrl-C does."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=16,
                        help="keep-alive HTTP connections (default 16)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per HTTP warm-up")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="measured seconds per HTTP phase (default 10)")
    parser.add_argument("--rpc-calls", type=int, default=3000,
                        help="measured RPC echo calls at most (default 3000, within --duration)")
    parser.add_argument("--rpc-proxies", type=int, default=4,
                        help="proxies for the concurrent RPC echo row (0 or 1: skip it)")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto",
                        help="HTTP load generator (auto: wrk, installing it if missing; "
                             "else the Python one)")
    parser.add_argument("--quiet-wait", type=float, default=0.0, metavar="SECONDS",
                        help="before each phase, wait up to this long for other processes "
                             "on the machine to use less than --quiet-threshold (default 0: "
                             "don't wait)")
    parser.add_argument("--quiet-threshold", type=float, default=20.0, metavar="PCT",
                        help="CPU of processes not ours, in %% of one core (default 20)")
    parser.add_argument("--echo-with-session", action="store_true",
                        help="also measure HTTP echo sending a valid session cookie (the "
                             "gateway then reads the session instead of inserting a new one)")
    parser.add_argument("--compare-generators", action="store_true",
                        help="also measure HTTP echo with the other generator")
    parser.add_argument("--password-concurrency", type=int, default=6,
                        help="connections for the registration and login rows (default 6: "
                             "identity hashes 4 at once and queues 2; more get 503 busy)")
    parser.add_argument("--storm-concurrency", type=int, default=24,
                        help="connections of the login storm row (default 24; 0: skip it)")
    parser.add_argument("--applications", type=int, default=300,
                        help="timed application submits (default 300; 0: skip the row)")
    parser.add_argument("--submit-concurrency", type=int, default=8,
                        help="connections for the submit row and its echo (default 8)")
    parser.add_argument("--form-renders", type=int, default=4,
                        help="renders of the 申报表 and of the certificate (default 4; 0: skip)")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"bench: {message}", flush=True)


@contextmanager
def signals_raise() -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """While stopping: a second Ctrl-C must not leave half the platform running."""
    def handler(signum: int, frame: object) -> None:
        print("bench: still stopping the platform, please wait", file=sys.stderr, flush=True)

    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, handler) for sig in sigs}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def wait_quiet(sampler: CpuSampler, max_wait: float, threshold: float,
               progress: Callable[[str], None]) -> float:
    """Wait (at most max_wait s) until processes that are not ours use < threshold % of a core.

    Returns the last 1-second reading. Other engineers' test suites share these two cores.
    """
    deadline = time.monotonic() + max_wait
    waited = False
    while True:
        first = sampler.snapshot()
        time.sleep(1.0)
        busy = cpu_use(first, sampler.snapshot())["not_bench"]
        if busy < threshold or time.monotonic() >= deadline:
            if waited:
                progress(f"  other processes now at {busy:.0f} % of one core")
            return busy
        if not waited:
            progress(f"  other processes use {busy:.0f} % of one core; waiting up to "
                     f"{max_wait:g} s for quiet")
            waited = True


def choose_generator(name: str, work_dir: Path, env: dict[str, str],
                     sampler: CpuSampler) -> LoadGenerator:
    if name in ("auto", "wrk"):
        path = find_wrk(install=True)
        if path:
            return Wrk(path, work_dir, env, sampler)
        if name == "wrk":
            raise BenchError("wrk is not installed and `apt-get install wrk` failed")
        log("wrk unavailable: using the Python load generator")
    return PythonHttp(work_dir, env, sampler)


def other_generator(current: LoadGenerator, work_dir: Path, env: dict[str, str],
                    sampler: CpuSampler) -> LoadGenerator | None:
    if isinstance(current, Wrk):
        return PythonHttp(work_dir, env, sampler)
    path = find_wrk(install=False)
    return Wrk(path, work_dir, env, sampler) if path else None


def http_row(key: str, short: str, measurement: str, result: dict[str, Any],
             cpu: dict[str, float], **detail: Any) -> Row:
    return Row(
        key=key, measurement=measurement, n=result["n"], seconds=result["seconds"],
        rate=result["rate"], p50_ms=result["p50_ms"], p99_ms=result["p99_ms"],
        errors=result["errors"],
        detail={"short": short, "p90_ms": result.get("p90_ms"), "max_ms": result.get("max_ms"),
                "cpu": cpu, **{k: v for k, v in result.items() if k.endswith(("_status",
                                                                               "_errors"))},
                **detail},
    )


def measure(args: argparse.Namespace, platform: BenchPlatform, run_id: str,
            progress: Callable[[str], None]) -> tuple[list[Row], dict[str, Any]]:
    config = platform.config
    work_dir = var_path(config, "bench")
    work_dir.mkdir(parents=True, exist_ok=True)
    env = platform.env
    sampler = CpuSampler(platform.leaders())
    generator = choose_generator(args.generator, work_dir, env, sampler)
    c = args.concurrency
    rows: list[Row] = []
    python = sys.executable

    def phase(message: str) -> None:
        """Announce a measured phase; with --quiet-wait, first let the machine calm down."""
        progress(message)
        if args.quiet_wait > 0:
            wait_quiet(sampler, args.quiet_wait, args.quiet_threshold, progress)

    def rpc(proxies: int) -> Row:
        argv = [python, "-m", "bench.rpc_echo", "--proxies", str(proxies), "--warmup-calls",
                "300", "--calls", str(args.rpc_calls), "--max-seconds", str(args.duration)]
        child = run_child(argv, sampler=sampler, timeout=2 * args.duration + 60, env=env,
                          log=work_dir / "rpc_echo.log")
        r = child.result
        mode = "sequential" if proxies == 1 else "concurrent"
        return Row(
            key=f"rpc_echo_{proxies}", n=r["n"], seconds=r["seconds"], rate=r["rate"],
            measurement=f"RPC echo identity.echo, {proxies} proxy {mode}".replace(
                "proxy concurrent", "proxies concurrent"),
            p50_ms=r["p50_ms"], p99_ms=r["p99_ms"], errors=r["errors"],
            detail={"short": "rpc-seq" if proxies == 1 else f"rpc-{proxies}",
                    "p90_ms": r["p90_ms"], "max_ms": r["max_ms"], "cpu": child.cpu,
                    "warmup_calls": r["warmup_calls"], "first_errors": r["first_errors"]},
        )

    phase(f"RPC echo: 1 proxy, sequential (<= {args.rpc_calls} calls, "
             f"<= {args.duration:g} s)")
    rows.append(rpc(1))
    if args.rpc_proxies > 1:
        phase(f"RPC echo: {args.rpc_proxies} proxies, concurrent")
        rows.append(rpc(args.rpc_proxies))
        rows[-1].ratio, rows[-1].ratio_of = _ratio(rows[-1], rows[0]), rows[0].key

    def http(target: HttpTarget, gen: LoadGenerator, warmup: float,
             settle: Callable[[], None] = lambda: time.sleep(0.5)) -> tuple[dict, dict]:
        result, child = gen.run(target, concurrency=c, warmup=warmup, duration=args.duration,
                                settle=settle)
        return result, child.cpu

    base = platform.url
    progress("registering the read path's account (POST /register) ...")
    cookie = registered_session(base, run_id)
    session_header = {"Cookie": f"{COOKIE_NAME}={cookie}"}
    phase(f"HTTP->RPC echo: GET /_echo, {c} connections, {generator.name}, "
             f"{args.warmup:g} s warm-up + {args.duration:g} s")
    echo_target = HttpTarget(base + "/_echo?v=ping")
    result, cpu = http(echo_target, generator, args.warmup)
    echo = http_row("http_echo", "http-echo", f"HTTP->RPC echo GET /_echo, c={c}, {generator.name}",
                    result, cpu, generator=generator.name, concurrency=c)
    echo.ratio, echo.ratio_of = _ratio(echo, rows[0]), rows[0].key
    rows.append(echo)
    if args.echo_with_session:
        phase("HTTP->RPC echo again, sending the registered session's cookie")
        result, cpu = http(HttpTarget(base + "/_echo?v=ping", headers=session_header),
                           generator, args.warmup)
        row = http_row("http_echo_session", "echo+cookie",
                       f"HTTP->RPC echo GET /_echo + session cookie, c={c}", result, cpu,
                       generator=generator.name, concurrency=c)
        row.ratio, row.ratio_of = _ratio(row, echo), echo.key
        rows.append(row)
    if args.compare_generators:
        other = other_generator(generator, work_dir, env, sampler)
        if other is None:
            progress("no other generator to compare with (wrk not installed)")
        else:
            phase(f"HTTP->RPC echo again with {other.name}, for comparison")
            result, cpu = http(echo_target, other, args.warmup)
            row = http_row(f"http_echo_{other.name}", f"echo-{other.name}",
                           f"HTTP->RPC echo GET /_echo, c={c}, {other.name}", result, cpu,
                           generator=other.name, concurrency=c)
            row.ratio, row.ratio_of = _ratio(row, echo), echo.key
            rows.append(row)

    phase(f"slice read: GET /messages with that session, {c} connections")
    result, cpu = http(HttpTarget(base + "/messages", headers=session_header), generator,
                       args.warmup)
    read = http_row("slice_read", "read", f"slice read GET /messages, c={c}, {generator.name}",
                    result, cpu, generator=generator.name, concurrency=c)
    read.ratio, read.ratio_of = _ratio(read, echo), echo.key
    rows.append(read)

    phase("upload: a 20 MB PDF streamed through the gateway, and put directly into minio")
    rows.extend(upload_rows(config, base, cookie, progress=progress))

    write_warmup = max(args.warmup, 3.0)  # argon2id: the first requests are slow
    seen: set[str] = set()
    # More unique bodies than any plausible rate needs: each is sent at most once.
    per_second = 300
    measured_file = work_dir / f"payloads-{run_id}.txt"
    write_payload_file(measured_file.with_suffix(".warmup.txt"),
                       math.ceil(per_second * write_warmup) + 100, run_id, "write-w", seen)
    write_payload_file(measured_file, math.ceil(per_second * args.duration) + 100, run_id,
                       "write-m", seen)
    # Always the Python generator: its warm-up flows into the measurement, whereas a new
    # wrk run starts cold and its first replies take one whole latency (about 2 s of 10
    # here); at a few requests a second its CPU cost is nil.
    writer = PythonHttp(work_dir, env, sampler)
    pc = args.password_concurrency
    phase(f"slice write: POST /api/v1/accounts, unique valid bodies, {pc} connections, "
          f"{writer.name}")
    result, _child = writer.run(HttpTarget(base + "/api/v1/accounts", method="POST", expect=201,
                                           bodies=measured_file),
                                concurrency=pc, warmup=write_warmup, duration=args.duration)
    cpu = _child.cpu
    load_ended = time.time()
    for used in work_dir.glob(f"payloads-{run_id}*.txt"):
        used.unlink()  # each run makes its own; the lag query finds its accounts by e-mail
    write = http_row("slice_write", "write",
                     f"slice write POST /api/v1/accounts, c={pc}, {writer.name}",
                     result, cpu, generator=writer.name, concurrency=pc)
    write.ratio, write.ratio_of = _ratio(write, echo), echo.key
    rows.append(write)
    if result.get("bodies_exhausted"):
        write.detail["warning"] = "ran out of unique bodies: later requests were duplicates"

    progress("waiting for notify to catch up with the write path's events ...")
    lag = notify_catch_up(config, run_id, "write", load_ended)
    rows.append(Row(
        key="notify_handled", n=lag["events"],
        measurement="write events -> handled by notify (lag)",
        seconds=_or(lag["handled_after_s"], lag["waited_s"]), rate=None,
        p50_ms=lag["handled_lag"]["p50_ms"], p99_ms=lag["handled_lag"]["p99_ms"],
        errors=lag["events"] - lag["handled"],
        detail={"short": "lag-event", "max_ms": lag["handled_lag"]["max_ms"], **lag},
    ))
    rows.append(Row(
        key="notify_mails", n=lag["mails"],
        measurement="write events -> mail sent by notify (lag)",
        seconds=_or(lag["mails_sent_after_s"], lag["waited_s"]), rate=None,
        p50_ms=lag["mail_lag"]["p50_ms"], p99_ms=lag["mail_lag"]["p99_ms"],
        errors=lag["mails"] - lag["mails_sent"],
        detail={"short": "lag-mail", "max_ms": lag["mail_lag"]["max_ms"]},
    ))
    progress("creating 24 accounts to sign in with ...")
    logins = suite.login_accounts(config, run_id, 24)
    phase(f"login: POST /api/v1/session with the right password, {pc} connections")
    login = suite.login_row(config=config, base=base, work_dir=work_dir, env=env, sampler=sampler,
                            run_id=run_id, concurrency=pc, warmup=write_warmup,
                            duration=args.duration, progress=progress, logins=logins)
    login.ratio, login.ratio_of = _ratio(login, echo), echo.key
    rows.append(login)
    if args.storm_concurrency > 0:
        phase(f"login storm ({args.storm_concurrency} connections) while identity.session_account "
              "is called back to back")
        storm = suite.storm_row(config=config, base=base, work_dir=work_dir, env=env,
                                sampler=sampler, run_id=run_id,
                                concurrency=args.storm_concurrency, duration=args.duration,
                                logins=logins)
        storm.ratio, storm.ratio_of = _ratio(storm, rows[0]), rows[0].key
        rows.append(storm)
    if args.applications > 0:
        phase(f"application submit end to end: {args.applications} submits")
        rows.extend(suite.submit_rows(config=config, base=base, sampler=sampler,
                                      applications=args.applications,
                                      concurrency=args.submit_concurrency, progress=progress))
    if args.form_renders > 0:
        phase(f"申报表 and certificate PDFs: {args.form_renders} renders each, CPU per page")
        rows.extend(suite.form_rows(args.form_renders, progress))
    rows.extend(suite.rss_rows(config, COMPONENTS))
    meta = {"generator": generator.name, "write_generator": writer.name, "concurrency": c,
            "password_concurrency": pc,
            "warmup_s": args.warmup,
            "write_warmup_s": write_warmup, "duration_s": args.duration,
            "rpc_calls_max": args.rpc_calls}
    return rows, meta


def _or(value: float | None, fallback: float) -> float:
    return fallback if value is None else value


def _ratio(row: Row, of: Row) -> float | None:
    if row.rate is None or not of.rate:
        return None
    return round(row.rate / of.rate, 3)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["QLP_PROFILE"] = "bench"  # before anything reads the configuration
    config = load_config()
    run_id = uuid.uuid4().hex[:8]
    began = time.monotonic()
    load_before = os.getloadavg()
    log(f"run {run_id}, profile bench, state in {config['var_dir']}, "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f}")
    platform = BenchPlatform(config)
    status = 1
    try:
        with signals_raise():
            startup = platform.start()
            log(f"platform healthy at {platform.url} after {startup:.1f} s")
            rows, meta = measure(args, platform, run_id, log)
            total = time.monotonic() - began
            meta |= {"run_id": run_id, "startup_s": round(startup, 1),
                     "measure_and_start_s": round(total, 1),
                     "load_average_before": [round(x, 2) for x in load_before]}
            apply_goals(rows)
            print()
            print(table(rows))
            print(LEGEND)
            print()
            print("CPU while measuring, % of one core (this machine has "
                  f"{os.cpu_count()} cores = {100 * (os.cpu_count() or 1)} %):")
            print(cpu_lines(rows))
            busy = max((r.detail.get("cpu", {}).get("not_bench", 0.0) for r in rows), default=0.0)
            meta["max_cpu_not_ours_pct"] = busy
            if busy > 20:
                print(f"warning: processes that are not this bench's used up to {busy:.0f} % "
                      "of one core while measuring: the figures are lower than on an idle "
                      "machine")
            results = var_path(config, "last-results.json")
            write_json(results, rows, meta)
            print()
            log(f"generator {meta['generator']}; {args.concurrency} keep-alive connections; "
                f"warm-up {args.warmup:g} s (write path {meta['write_warmup_s']:g} s), measured "
                f"{args.duration:g} s per HTTP phase; table also in {results}")
            status = 0
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"\nbench: interrupted ({type(exc).__name__}); stopping everything", file=sys.stderr)
        status = 130
    except (BenchError, DeployError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        status = 1
    finally:
        with signals_deferred():
            log("stopping the platform and the bench servers ...")
            left = platform.stop()
        if left:
            print("bench: NOT stopped: " + "; ".join(left), file=sys.stderr)
            status = status or 1
        else:
            log(f"everything stopped; nothing of {config['var_dir']} is running "
                f"({time.monotonic() - began:.0f} s in all)")
    return status
