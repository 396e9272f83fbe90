"""Application submits end to end through the gateway: submits per second, p50/p99, and the
ratio to the HTTP echo figure measured the same way in the same run.

    python -m bench permits-submit [--applications 300] [--concurrency 8]

Needs the platform running under the current profile (``make up``, or the bench profile's
processes; the bench profile turns on ``/_echo``). One enterprise is registered the real way
(bench.enterprise_roster.enterprise_session), given a complete CIP roster through the
enterprise RPC, and one application is taken through the real lifecycle to ``previewed``
(pre-check, 申报表 PDF, signed scan, every material, preview). That application is cloned in
permits' database ``--applications`` times as ``committed`` (with its attachment rows;
numbered BN… so the next day-number counted from the stored SB… numbers is not disturbed), so each
timed request is exactly one submit: ``POST /api/v1/permits/applications/<id>/submit`` with an
``X-Idempotency-Key`` (gateway → permits → enterprise.records_for_precheck → state change,
history, outbox rows for review_requested / application_submitted / application_state_changed).
Every reply must be 200 with state ``submitted``; the outbox must hold one review_requested per
clone afterwards. The echo baseline is ``GET /_echo`` with the same client and concurrency.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import threading
import time
import uuid
from typing import Any

import requests
from nameko.standalone.rpc import ClusterRpcProxy
from PIL import Image, ImageDraw
from sqlalchemy import text

from bench.children import CpuSampler, cpu_use
from bench.enterprise_roster import enterprise_session
from bench.stats import percentile
from deploy import servers
from deploy.processes import read_pid, var_path
from services.common.config import SERVICE_NAMES, database_url, load_config, nameko_config
from services.common.database import make_engine

ROSTER = [
    ("technical_lead", "safety_a"),
    ("technical_staff", "safety_b"),
    ("safety_lead", "safety_c"),
    ("safety_lead", "safety_c"),
    ("electrician", None),
]
CLONE_APPLICATIONS = """
INSERT INTO applications (id, number, enterprise_id, enterprise_name, enterprise_uscc, region_code, type_code,
    transaction_kind, items, lane, nature, submitter, original_licence_id, "values", state, version, precheck,
    precheck_records_version, prechecked_at, owed_standards, form_attachment_id, signed_scan_id, previewed_at,
    commitment_opened_at, committed_at, revision, correction_items, created_by, created_at, updated_at)
SELECT CAST(:id AS uuid), 'BN' || substr(left(number, 20), 3) || '-' || :n, enterprise_id, enterprise_name,
    enterprise_uscc, region_code, type_code, transaction_kind, items, lane, nature, submitter,
    original_licence_id, "values",
    'committed', 1, precheck, precheck_records_version, prechecked_at, owed_standards, form_attachment_id,
    signed_scan_id, previewed_at, now(), now(), 0, correction_items, created_by, now(), now()
FROM applications WHERE id = CAST(:template AS uuid)
"""
CLONE_ATTACHMENTS = """
INSERT INTO attachments (id, filename, content_type, size_bytes, sha256, storage_key, report, uploaded_by,
    created_at, application_id, licence_id, enterprise_id, purpose, label)
SELECT gen_random_uuid(), filename, content_type, size_bytes, sha256, storage_key || '#bench-' || :n, report,
    uploaded_by, now(), CAST(:id AS uuid), NULL, enterprise_id, purpose, label
FROM attachments WHERE application_id = CAST(:template AS uuid) AND superseded_at IS NULL
"""


def _pdf(pages: int) -> str:
    images = [Image.new("RGB", (500, 700), "white") for _ in range(pages)]
    for image in images:
        ImageDraw.Draw(image).ellipse((300, 500, 460, 660), outline=(220, 0, 0), width=10)
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return base64.b64encode(buffer.getvalue()).decode()


def _resident_id(n: int) -> str:
    from services.common.validators import resident_id_check_character

    body = f"15010219800101{n:03d}"
    return body + resident_id_check_character(body)


def template_application(config: dict[str, Any], enterprise_id: str) -> str:
    """One CIP application through the real lifecycle up to ``previewed``."""
    actor = {"id": enterprise_id, "kind": "enterprise", "enterprise_id": enterprise_id, "permissions": []}
    with ClusterRpcProxy(nameko_config(config, "bench"), timeout=60) as cluster:
        for n, (category, cert) in enumerate(ROSTER):
            person = {
                "category": category,
                "name": f"基准人员{n}",
                "id_number": _resident_id(n + 1),
                "title": "工程师",
                "title_level": "intermediate",
                "years_experience": 10,
            }
            if cert:
                person["certificates"] = [{"kind": cert, "number": f"B-{n}", "valid_until": "2035-12-31"}]
            cluster.enterprise.save_record(actor, enterprise_id, "staff", person)
        app = cluster.permits.create_draft(
            actor,
            {
                "type_code": "cip_safety",
                "items": [{"category": "construction", "grade": "不分级"}],
                "values": {"legal_representative": "张三"},
            },
        )
        for _ in range(100):  # the roster's records_changed events may still be arriving
            app = cluster.permits.run_precheck(actor, app["id"])
            if app["state"] == "prechecked":
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"the bench application never passed its pre-check: {app['precheck']}")
        app = cluster.permits.generate_form(actor, app["id"])
        pages = 6
        cluster.permits.upload_signed_scan(
            actor, app["id"], {"filename": "签章.pdf", "content_b64": _pdf(pages)}
        )
        view = cluster.permits.get_application(actor, app["id"])
        for spec in view["required_attachments"]:
            if spec["required"] and not spec["uploaded"]:
                cluster.permits.upload_material(
                    actor,
                    app["id"],
                    spec["code"],
                    {"filename": f"{spec['code']}.pdf", "content_b64": _pdf(1)},
                )
        return cluster.permits.preview(actor, app["id"])["id"]


def clone(engine: Any, template: str, n: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with engine.begin() as conn:
        for index, new_id in enumerate(ids):
            conn.execute(text(CLONE_APPLICATIONS), {"id": new_id, "n": index, "template": template})
            conn.execute(text(CLONE_ATTACHMENTS), {"id": new_id, "n": index, "template": template})
    return ids


def leaders(config: dict[str, Any]) -> dict[int, str]:
    """pid -> component for CPU accounting (as BenchPlatform.leaders, for any profile)."""
    names = {c: c for c in (*SERVICE_NAMES, "gateway")}
    for server in servers.SERVERS.values():
        for proc_name in server.processes:
            names[proc_name] = server.name
    pids = {pid: component for proc_name, component in names.items()
            if (pid := read_pid(proc_name, config)) is not None}
    pids[os.getpid()] = "client"
    return pids


def cpu_per_request(cpu: dict[str, float], per_second: float | None,
                    idle: dict[str, float] | None = None) -> dict[str, float]:
    """CPU milliseconds per request per component (% of one core / requests per second * 10),
    less what the component used while idle (relay polls, heartbeats: ``idle``, % of a core)."""
    if not per_second:
        return {}
    skip = {"machine", "irq", "not_bench"}
    idle = idle or {}
    out = {name: round(max(0.0, pct - idle.get(name, 0.0)) * 10 / per_second, 2)
           for name, pct in cpu.items() if name not in skip}
    out["platform"] = round(sum(v for k, v in out.items() if k != "client"), 2)
    return out


def cpu_line(row: dict[str, Any]) -> str:
    cpu, per = row.get("cpu") or {}, row.get("cpu_ms") or {}
    parts = [f"{name} {per[name]:.2f}" for name in sorted(per, key=lambda n: -per[n])
             if name not in ("platform", "client") and per[name] >= 0.05]
    return (
        f"  {row['name']:<8} platform {per.get('platform', 0):.2f} ms CPU/req: {', '.join(parts)}"
        f" | client {per.get('client', 0):.2f} | machine {cpu.get('machine', 0):.0f} %"
        f" (irq {cpu.get('irq', 0):.0f}, not ours {cpu.get('not_bench', 0):.0f})"
    )


def idle_cpu(sampler: CpuSampler, seconds: float) -> dict[str, float]:
    """% of one core each component uses with no load, over ``seconds``."""
    if seconds <= 0:
        return {}
    first = sampler.snapshot()
    time.sleep(seconds)
    return cpu_use(first, sampler.snapshot())


def measured(sampler: CpuSampler, name: str, concurrency: int, jobs: list[Any], call: Any,
             idle: dict[str, float]) -> dict[str, Any]:
    first = sampler.snapshot()
    row = summary(name, *run(concurrency, jobs, call))
    row["cpu"] = cpu_use(first, sampler.snapshot())
    row["cpu_ms"] = cpu_per_request(row["cpu"], row["per_second"], idle)
    return row


def run(concurrency: int, jobs: list[Any], call: Any) -> tuple[float, list[float], list[str]]:
    """Closed loop: ``concurrency`` threads, each with its own keep-alive session, take jobs."""
    lock = threading.Lock()
    pending = list(jobs)
    latencies: list[float] = []
    failures: list[str] = []

    def worker() -> None:
        http = requests.Session()
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            began = time.perf_counter()
            problem = call(http, job)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if problem:
                    failures.append(problem)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures


def summary(name: str, seconds: float, latencies: list[float], failures: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "requests": len(latencies),
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
        "seconds": round(seconds, 2),
        "per_second": round(len(latencies) / seconds, 1) if seconds else None,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench permits-submit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--applications", type=int, default=300, help="timed submits (one per application)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--idle-seconds", type=float, default=6.0,
                        help="measure each process's CPU with no load this long, and take it off "
                             "the CPU per request (0: don't)")
    args = parser.parse_args(argv)
    config = load_config()
    base = f"http://{config['gateway']['host']}:{config['gateway']['port']}"
    engine = make_engine(database_url(config, "permits"), pool_size=2)
    try:
        http, enterprise_id = enterprise_session(config, base)
        cookie = http.cookies.get_dict()
        csrf = http.get(f"{base}/api/v1/session", timeout=10).json()["csrf_token"]
        template = template_application(config, enterprise_id)
        ids = clone(engine, template, args.applications)
        print(f"{len(ids)} committed applications cloned from {template}", flush=True)

        def submit(session: requests.Session, app_id: str) -> str | None:
            response = session.post(
                f"{base}/api/v1/permits/applications/{app_id}/submit",
                json={},
                cookies=cookie,
                timeout=30,
                headers={"X-CSRF-Token": csrf, "X-Idempotency-Key": uuid.uuid4().hex},
            )
            if response.status_code != 200 or response.json().get("state") != "submitted":
                return f"{response.status_code} {response.text[:200]}"
            return None

        def echo(session: requests.Session, n: int) -> str | None:
            response = session.get(f"{base}/_echo", timeout=30)
            return None if response.status_code == 200 else f"{response.status_code}"

        sampler = CpuSampler(leaders(config))
        time.sleep(args.idle_seconds / 2)  # the template's own events settle first
        idle = idle_cpu(sampler, args.idle_seconds)
        submits = measured(sampler, "submit", args.concurrency, ids, submit, idle)
        has_echo = requests.get(f"{base}/_echo", timeout=10).status_code == 200
        time.sleep(args.idle_seconds / 2)  # the submits' events (review, notify) settle
        echoes = (
            measured(sampler, "echo", args.concurrency, list(range(max(args.applications, 1000))), echo,
                     idle)
            if has_echo
            else None
        )
        with engine.connect() as conn:
            requested = conn.execute(
                text(
                    "select count(*) from outbox where event_type = 'review_requested'"
                    " and envelope->'data'->>'case_ref' = any(:refs)"
                ),
                {"refs": [f"permits:application:{i}" for i in ids]},
            ).scalar_one()
    finally:
        engine.dispose()
    ratio = (
        round(submits["per_second"] / echoes["per_second"], 3) if echoes and submits["per_second"] else None
    )
    print(f"\n{'':10}{'n':>6}{'fail':>6}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for row in (submits, echoes):
        if row:
            print(
                f"{row['name']:10}{row['requests']:>6}{row['failures']:>6}{row['per_second']:>9}"
                f"{row['p50_ms']:>9}{row['p99_ms']:>9}"
            )
    print("\nCPU ms per request by process ((% of one core - idle %) / req/s * 10; 2 cores = 200 %):")
    print("  idle     " + ", ".join(f"{k} {v:.1f} %" for k, v in sorted(idle.items(), key=lambda kv: -kv[1])
                                   if k not in ("machine", "irq", "not_bench") and v >= 0.1))
    for row in (submits, echoes):
        if row:
            print(cpu_line(row))
    print(
        f"\nsubmit / echo throughput ratio: {ratio}   review_requested in the outbox: {requested}/{len(ids)}"
    )
    if submits["first_failure"]:
        print(f"first failure: {submits['first_failure']}")
    out = var_path(config, "permits-submit-results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "profile": config["profile"],
                "concurrency": args.concurrency,
                "submit": submits,
                "echo": echoes,
                "ratio": ratio,
                "idle_cpu": idle,
                "review_requested": requested,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"written to {out}")
    return 0 if not submits["failures"] and requested == len(ids) else 1


if __name__ == "__main__":
    raise SystemExit(main())
