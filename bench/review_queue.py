"""The review queue page (审核工作台) with 10,000 and with 1,000,000 cases: p50/p95 and the ratio.

    python -m bench review-queue [--sizes 10000 1000000] [--requests 200] [--keep]

Needs identity, review and the gateway running under the current profile (``make up``, or a
test/bench profile's processes). For each size it replaces the bench's generated cases
(``case_ref`` ``bench:…``) with that many rows, made by one ``INSERT … SELECT generate_series``
(12 盟市 + the province, 20 % active, 10 % waiting for the enterprise, the rest done, received
over two years), ANALYZEs, signs in as a city reviewer of 呼和浩特 through the gateway and
times sequential GETs of ``/review/cases``: the first page (by received time), by due date,
filtered by enterprise name, and 20 pages deep through the keyset cursor. The generated rows
are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import uuid
from typing import Any

import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from bench.stats import percentile
from deploy.processes import var_path
from services.common.config import database_url, load_config, nameko_config
from services.common.database import make_engine

CITIES = ["150100", "150200", "150300", "150400", "150500", "150600", "150700", "150800", "150900",
          "152200", "152500", "152900"]
PASSWORD = "Qlp#bench-review-1"

GENERATE = """
INSERT INTO cases (id, case_ref, producer, case_type, lane, enterprise_id, enterprise_name, region_code,
                   title, status, queue, step_index, step_key, level, desk_region, claimed_by, claimed_name,
                   revision, accepted, received_at, clock_started_on, limit_days, extension_days,
                   paused_days, due_date, overdue, updated_at, version)
SELECT gen_random_uuid(), 'bench:case:' || g, 'bench',
       CASE WHEN province THEN 'pfl.power.new' ELSE 'cip.safety.new' END, 'standard',
       'bench-ent-' || (g % 50000), '基准企业' || (g % 50000) || '有限公司', city_code,
       '基准申请 ' || g, status, queue, 0, CASE WHEN province THEN 'form_review' ELSE 'city_review' END,
       CASE WHEN province THEN 'province' ELSE 'city' END,
       CASE WHEN province THEN '150000' ELSE city_code END,
       CASE WHEN g % 3 = 0 THEN 'bench-reviewer-' || (g % 7) END, CASE WHEN g % 3 = 0 THEN '基准审核员' END,
       1, true, received, received::date, 20, 0, 0, received::date + 28,
       queue = 'active' AND received::date + 28 < current_date, received, 1
FROM (
  SELECT g, (g % 5 = 0) AS province, (CAST(:cities AS text[]))[1 + (g / 5) % 12] AS city_code,
         CASE WHEN g % 10 < 2 THEN 'in_review' WHEN g % 10 = 2 THEN 'correction' ELSE 'approved' END
           AS status,
         CASE WHEN g % 10 < 2 THEN 'active' WHEN g % 10 = 2 THEN 'waiting' ELSE 'done' END AS queue,
         now() - make_interval(secs => ((g::bigint * 7919) % (730 * 86400))::double precision) AS received
  FROM generate_series(1, :n) AS g
) AS s
"""


def generate(engine: Any, n: int) -> float:
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM cases WHERE case_ref LIKE 'bench:%'"))
        conn.execute(text(GENERATE), {"n": n, "cities": CITIES})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cases"))
    return time.perf_counter() - began


def reviewer_session(config: dict[str, Any], base: str) -> requests.Session:
    tag = uuid.uuid4().hex[:8]
    with ClusterRpcProxy(nameko_config(config, "bench"), timeout=30) as cluster:
        created = cluster.identity.create_staff_account(None, {
            "kind": "reviewer", "username": f"benchrev{tag}", "contact_name": "基准审核员",
            "email": f"benchrev{tag}@bench.example.com", "password": PASSWORD, "level": "city",
            "region_code": "150100"})
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = http.post(f"{base}/login", data={"csrf_token": token, "login": f"benchrev{tag}",
                                              "password": PASSWORD}, allow_redirects=False, timeout=30)
    if answer.status_code != 303:
        raise RuntimeError(f"could not sign in the bench reviewer ({answer.status_code}, {created['id']})")
    return http


def timed(http: requests.Session, url: str, params: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    response = http.get(url, params=params, timeout=30)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params} answered {response.status_code}")
    return elapsed, response.text


def measure(http: requests.Session, base: str, requests_per_kind: int) -> dict[str, dict[str, float | None]]:
    url = f"{base}/review/cases"
    kinds: dict[str, tuple[str, dict[str, str]]] = {
        "first page": (url, {}), "by due date": (url, {"sort": "due"}),
        "enterprise filter": (url, {"enterprise": "基准企业1234"}),
        "waiting for enterprise": (url, {"status": "waiting"}),
        "JSON API first page": (f"{base}/api/v1/review/cases", {})}
    results: dict[str, dict[str, float | None]] = {}
    for name, (target, params) in kinds.items():
        for _ in range(5):  # warm-up
            timed(http, target, params)
        samples = [timed(http, target, params)[0] for _ in range(requests_per_kind)]
        results[name] = _summary(samples)
    deep: list[float] = []
    for _ in range(max(1, requests_per_kind // 20)):
        params: dict[str, str] = {}
        for _page in range(20):
            elapsed, html = timed(http, url, params)
            deep.append(elapsed)
            found = re.search(r'href="/review/cases\?[^"]*cursor=([^"&]+)"', html)
            if not found:
                break
            params = {"cursor": found.group(1)}
    results["20 pages deep (cursor)"] = _summary(deep)
    return results


def _summary(samples: list[float]) -> dict[str, float | None]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)
    return {"n": len(samples), "p50_ms": ms(percentile(samples, 50)), "p95_ms": ms(percentile(samples, 95))}


def desk_rows(engine: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM cases WHERE level = 'city' AND desk_region = '150100' "
                                 "AND queue = 'active'")).scalar_one()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench review-queue", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per kind and size")
    parser.add_argument("--keep", action="store_true", help="keep the generated cases")
    args = parser.parse_args(argv)
    config = load_config()
    base = f"http://{config['gateway']['host']}:{config['gateway']['port']}"
    engine = make_engine(database_url(config, "review"), pool_size=2)
    http = reviewer_session(config, base)
    report: dict[str, Any] = {"profile": config["profile"], "sizes": {}}
    try:
        for size in args.sizes:
            seconds = generate(engine, size)
            print(f"{size:>9} cases generated in {seconds:.1f} s; the 呼和浩特 city desk has "
                  f"{desk_rows(engine)} active", flush=True)
            report["sizes"][str(size)] = measure(http, base, args.requests)
    finally:
        if not args.keep:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM cases WHERE case_ref LIKE 'bench:%'"))
        engine.dispose()
    sizes = [str(s) for s in args.sizes]
    print(f"\n{'queue page (GET /review/cases)':32}" + "".join(f"{s + ' p50/p95 ms':>24}" for s in sizes)
          + (f"{'p95 ratio':>12}" if len(sizes) > 1 else ""))
    for kind in report["sizes"][sizes[0]]:
        cells = [report["sizes"][s][kind] for s in sizes]
        line = f"{kind:32}" + "".join(f"{c['p50_ms']:>11} / {c['p95_ms']:<10}" for c in cells)
        if len(sizes) > 1 and cells[0]["p95_ms"]:
            ratio = cells[-1]["p95_ms"] / cells[0]["p95_ms"]
            report.setdefault("p95_ratio", {})[kind] = round(ratio, 2)
            line += f"{ratio:>12.2f}"
        print(line)
    out = var_path(config, "review-queue-results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
