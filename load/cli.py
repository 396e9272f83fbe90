"""`make load`: start the load profile's platform, run the virtual users (locust, own process),
drain the review desks, check, print the report, stop the platform.

    python -m load [--users 20] [--minutes 10] [--keep-up]

Exit status 0 only when every check passed. The platform is stopped whatever happens (unless
--keep-up); every wait is bounded."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy.processes import tail
from load import review
from load.api import Api, StepFailed, session_send
from load.observe import (
    AgencyCounter,
    Databases,
    HealthSampler,
    queue_depths,
    queue_stats,
    restarts_in_log,
    rss_mb,
)
from load.payloads import PASSWORD
from load.report import render
from load.verdict import (
    Verdict,
    count_5xx,
    delivery,
    health_problems,
    health_verdict,
    nonempty_queues,
    undecided,
)
from services.common.config import SERVICE_NAMES, load_config

ROOT = Path(__file__).resolve().parents[1]
PERMITS_FINAL = ("rejected", "licence_issued", "withdrawn", "terminated")
DECLARATION_FINAL = ("approved", "rejected", "withdrawn", "deleted", "terminated")
HANG = "Cannot switch to a different thread"


def left_in_queues(config: dict[str, Any], own_queue: str) -> dict[str, int]:
    """Messages left anywhere but in the run's own agency queue and in gone callers' reply
    queues (which expire on their own)."""
    stats = queue_stats(config)
    return nonempty_queues({q: m for q, (m, _c) in stats.items()}, ignore=[own_queue],
                           consumers={q: c for q, (_m, c) in stats.items()})


def platform(action: str, env: dict[str, str], timeout: float) -> int:
    print(f"--- python -m deploy.platform {action}", flush=True)
    return subprocess.run([sys.executable, "-m", "deploy.platform", action], env=env, cwd=ROOT,
                          timeout=timeout).returncode


def fresh_state(config: dict[str, Any], env: dict[str, str]) -> None:
    """An empty var/load: whatever an earlier (perhaps interrupted) run left running is stopped,
    its databases, queues and logs removed, so each run measures itself. Only the load profile."""
    var = Path(config["var_dir"])
    if config["profile"] != "load" or var.name != "load" or not var.is_dir():
        return
    platform("down", env, 300)
    previous = var.with_name("load-previous")  # the last run's logs and report, for a look later
    shutil.rmtree(previous, ignore_errors=True)
    previous.mkdir()
    for path in [var / "log", *var.glob("load-*"), *var.glob("locust*")]:
        if path.exists():
            shutil.move(str(path), previous / path.name)
    shutil.rmtree(var)
    var.mkdir(parents=True)
    print(f"--- {var}: emptied (--keep-state keeps it); the last run's logs are in {previous}", flush=True)


def create_reviewers(config: dict[str, Any], users: int) -> dict[str, list[str]]:
    """City (150100) and province (150000) reviewer accounts over identity's RPC, as deploy/demo.py."""
    from nameko.standalone.rpc import ClusterRpcProxy  # only here: the orchestrator is not gevent

    from services.common.config import nameko_config

    counts = {"city": max(1, round(users * 0.1)), "province": max(2, round(users * 0.15))}
    regions = {"city": "150100", "province": "150000"}
    made: dict[str, list[str]] = {}
    with ClusterRpcProxy(nameko_config(config, "load"), timeout=60) as cluster:
        for level, n in counts.items():
            for _ in range(n):
                login = f"load{level[:4]}{uuid.uuid4().hex[:8]}"
                cluster.identity.create_staff_account(None, {
                    "kind": "reviewer", "username": login, "contact_name": f"负载{level}审核员",
                    "email": f"{login}@load.example.com", "password": PASSWORD, "level": level,
                    "region_code": regions[level]})
                made.setdefault(level, []).append(login)
    return made


def run_locust(env: dict[str, str], args: argparse.Namespace, var: Path) -> int:
    spawn = max(1.0, args.users / 20)
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "load" / "locustfile.py"), "--headless",
           "-u", str(args.users), "-r", f"{spawn:g}", "-t", f"{int(args.minutes * 60)}s",
           "--stop-timeout", "30", "--csv", str(var / "locust"), "--only-summary",
           "--loglevel", "WARNING"]
    print(f"--- locust: {args.users} users for {args.minutes:g} min "
          f"(log {var / 'locust.log'})", flush=True)
    with open(var / "locust.log", "w") as log:
        child = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            return child.wait(timeout=args.minutes * 60 + 180)
        except subprocess.TimeoutExpired:
            print("locust overran its time: killed", file=sys.stderr)
            child.kill()
            child.wait()
            return -9
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def drain_desks(base: str, reviewers: dict[str, list[str]], record: Any, seconds: float) -> int:
    """After the run, every reviewer account works its desk until nothing moves (bounded): each
    one, so that the cases a virtual reviewer claimed and left when locust stopped are finished."""
    apis = []
    for level in ("city", "province"):
        for login in reviewers[level]:
            api = Api(session_send(base, record))
            api.login("review: sign in", login, PASSWORD)
            apis.append(api)
    moved, quiet, deadline = 0, 0, time.monotonic() + seconds
    while time.monotonic() < deadline and quiet < 3:
        now = sum(review.work_queue(api, limit=50, rate=False) for api in apis)
        moved += now
        quiet = quiet + 1 if now == 0 else 0
        time.sleep(0 if now else 3)
    return moved


def bounded(what: str, probe: Any, seconds: float, interval: float = 3.0) -> Any:
    """The probe's value once truthy, or its last value after ``seconds``."""
    deadline = time.monotonic() + seconds

    def safe() -> Any:
        try:
            return probe()
        except Exception as exc:  # noqa: BLE001 - a broken probe is "not yet", and said once
            print(f"    ({what}: {type(exc).__name__}: {str(exc)[:200]})", flush=True)
            return None

    value = safe()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = safe()
    print(f"--- {what}: {'done' if value else f'not done after {seconds:g} s'}", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=int(os.environ.get("USERS") or 20))
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("MINUTES") or 10))
    parser.add_argument("--drain-seconds", type=float, default=600)
    parser.add_argument("--rss-limit-mb", type=float, default=1024)
    parser.add_argument("--keep-up", action="store_true", help="leave the platform running afterwards")
    parser.add_argument("--keep-state", action="store_true",
                        help="start on the previous run's databases and queues instead of an empty var/load")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("locust") is None:
        print("error: locust is not installed: `make load` installs it (pip install -e '.[load]')",
              file=sys.stderr)
        return 1
    os.environ.setdefault("QLP_PROFILE", "load")
    config = load_config()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    var = Path(config["var_dir"])
    var.mkdir(parents=True, exist_ok=True)
    print(f"profile {config['profile']}: gateway port {config['gateway']['port']}, state in {var}",
          flush=True)

    def terminate(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        if not args.keep_state:
            fresh_state(config, env)
        if platform("up", env, 900) != 0:
            print("error: the platform did not come up", file=sys.stderr)
            return 1
        return run(config, env, var, args)
    finally:
        if not args.keep_up:
            platform("down", env, 300)


def run(config: dict[str, Any], env: dict[str, str], var: Path, args: argparse.Namespace) -> int:
    base = f"http://{config['gateway']['host']}:{config['gateway']['port']}"
    reviewers = create_reviewers(config, args.users)
    dbs = Databases(config)
    watermark = dbs.agency_watermark()
    hangs_before = restarts_in_log("permits", config, HANG)
    counter = AgencyCounter(config, f"load-agency-{uuid.uuid4().hex[:8]}")
    sampler = HealthSampler(base + "/healthz", config, (*SERVICE_NAMES, "gateway"))
    counter.start()
    sampler.start()
    out = var / "load-results.json"
    out.unlink(missing_ok=True)
    drain_statuses: dict[str, Counter[str]] = defaultdict(Counter)
    try:
        code = run_locust({**env, "LOAD_REVIEWERS": json.dumps(reviewers), "LOAD_PASSWORD": PASSWORD,
                           "LOAD_OUT": str(out)}, args, var)
        results: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
        print(f"--- locust exited {code}; draining the review desks", flush=True)
        if code not in (0, 1) or not results.get("statuses"):  # 1: some requests failed
            print(f"locust did not run as it should; the end of {var / 'locust.log'}:\n"
                  + tail(var / "locust.log", 30), file=sys.stderr, flush=True)

        def record(step: str, status: str, _ms: float) -> None:
            drain_statuses[f"drain: {step}"][status] += 1

        try:
            moved = drain_desks(base, reviewers, record, args.drain_seconds)
        except (StepFailed, OSError) as exc:
            moved = -1
            print(f"drain stopped: {exc}", file=sys.stderr)
        submitted, reported = results.get("submitted", []), results.get("reported", [])
        bounded("every submitted application decided",
                            lambda: not undecided(dbs.application_states(submitted), PERMITS_FINAL), 180)
        bounded("every reported declaration decided",
                lambda: not undecided(dbs.declaration_states(reported), DECLARATION_FINAL), 60)
        bounded("outboxes published and queues empty",
                lambda: not any(dbs.outbox_pending().values())
                and not left_in_queues(config, counter.queue)
                and time.monotonic() - counter.last_at > 5, 180)
        sampler.stop()
        counter.stop()
        verdict, facts = checks(config, dbs, results, drain_statuses, sampler, counter, watermark, args)
        facts["desks drained after the run (cases moved)"] = moved
        hangs = restarts_in_log("permits", config, HANG) - hangs_before
        facts[f"permits.log lines “{HANG}” during the run"] = hangs
    finally:
        sampler.stop()
        counter.stop()
        dbs.dispose()
    all_statuses = {**{k: dict(v) for k, v in results.get("statuses", {}).items()},
                    **{k: dict(v) for k, v in drain_statuses.items()}}
    text = render(results, {"all_statuses": all_statuses, "facts": facts}, verdict)
    print(text)
    (var / "load-report.txt").write_text(text + "\n")
    print(f"\nreport written to {var / 'load-report.txt'}")
    return 0 if verdict.passed else 2


def guarded(verdict: Verdict, name: str, check: Callable[[], tuple[bool, str]]) -> None:
    """Add a check's verdict; a check that cannot even be made (database, broker) fails."""
    try:
        passed, detail = check()
    except Exception as exc:  # noqa: BLE001 - whatever broke, the check did not pass
        passed, detail = False, f"could not check: {type(exc).__name__}: {str(exc)[:200]}"
    verdict.add(name, passed, detail)


def checks(config: dict[str, Any], dbs: Databases, results: dict[str, Any], drain: dict[str, Counter[str]],
           sampler: HealthSampler, counter: AgencyCounter, watermark: int, args: argparse.Namespace
           ) -> tuple[Verdict, dict[str, Any]]:
    verdict, facts = Verdict(), {}
    statuses = {**results.get("statuses", {}), **{k: dict(v) for k, v in drain.items()}}
    total = sum(sum(c.values()) for c in statuses.values())
    fives = count_5xx(statuses)
    verdict.add("0 responses 5xx", fives == 0, f"{fives} of {total} requests")
    check = health_verdict(sampler.samples)
    verdict.add(check.name, check.passed, check.detail)
    submitted = results.get("submitted", [])
    reported = results.get("reported", [])

    def applications() -> tuple[bool, str]:
        apps = undecided(dbs.application_states(submitted), PERMITS_FINAL)
        detail = f"{len(submitted) - len(apps)}/{len(submitted)} decided"
        return bool(submitted) and not apps, detail + (
            f"; undecided {dict(Counter(apps.values()))}" if apps else "")

    def declarations() -> tuple[bool, str]:
        decls = undecided(dbs.declaration_states(reported), DECLARATION_FINAL)
        return not decls, (f"{len(reported) - len(decls)}/{len(reported)} decided"
                           + (f"; undecided {dict(Counter(decls.values()))}" if decls else ""))

    def agency() -> tuple[bool, str]:
        emitted, unpublished = dbs.agency_emitted(watermark)
        seen = delivery(emitted, counter.ids)
        return seen.exactly_once and not unpublished, (
            f"{seen.expected} emitted ({unpublished} unpublished), {seen.received} received, "
            f"{seen.duplicates} duplicates, {len(seen.missing)} missing, {seen.extra} from before the run"
            + (f"; first missing {seen.missing[:3]}" if seen.missing else ""))

    def queues() -> tuple[bool, str]:
        left = left_in_queues(config, counter.queue)
        return not left, str(left or "all empty")

    def dead_letters() -> tuple[bool, str]:
        dead = {q: n for q, n in queue_depths(config).items() if "dead" in q and n}
        return not dead, str(dead or "empty")

    guarded(verdict, "every submitted application decided", applications)
    guarded(verdict, "every reported personnel declaration decided", declarations)
    guarded(verdict, "every agency event received exactly once", agency)
    guarded(verdict, "no messages left in any queue", queues)
    guarded(verdict, "dead-letter queues empty", dead_letters)
    components = (*SERVICE_NAMES, "gateway")
    rss = {c: rss_mb(c, config) for c in components}
    facts["RSS at the end (MB)"] = ", ".join(f"{c} {v}" for c, v in rss.items())
    facts["peak RSS during the run (MB)"] = ", ".join(f"{c} {v}" for c, v in sampler.peak_rss.items())
    facts["restarts seen (new pid)"] = sampler.restarts() or "none"
    facts["/healthz not green, by answer"] = health_problems(sampler.samples) or "none"
    verdict.add("every component running at the end", all(v is not None for v in rss.values()),
                ", ".join(c for c, v in rss.items() if v is None) or "all")
    big = {c: v for c, v in rss.items() if v and v > args.rss_limit_mb}
    verdict.add(f"every component's RSS under {args.rss_limit_mb:g} MB", not big, str(big or "yes"))
    facts["applications submitted"] = len(submitted)
    facts["declarations reported"] = len(reported)
    facts["/healthz samples"] = len(sampler.samples)
    facts["requests"] = total
    return verdict, facts
