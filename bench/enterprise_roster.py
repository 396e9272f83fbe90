"""The roster page (企业信息 > 主要人员) of an enterprise with 2,000 staff: p50/p95 through the gateway.

    python -m bench enterprise-roster [--staff 2000] [--requests 200] [--keep]

Needs identity, enterprise, notify and the gateway running under the current profile (``make up``,
or a test/bench profile's processes) and its mail sink. It registers a fresh enterprise the
real way (account, e-mail link from the sink, registration step 2 with a scan, a reviewer's
approval over RPC), inserts the staff rows with one ``INSERT … SELECT generate_series`` into
the enterprise database (six categories), ANALYZEs, signs in through the gateway's login page
and times sequential GETs: a category tab's first page, a page deep in a category, 查询 by
name, 人员汇总, and the JSON list. The generated enterprise's staff are deleted unless ``--keep``.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import random
import re
import time
import uuid
from typing import Any

import requests
from nameko.standalone.rpc import ClusterRpcProxy
from PIL import Image
from sqlalchemy import text

from bench.stats import percentile
from deploy.mail_sink import read_mails
from deploy.processes import var_path
from services.common.config import database_url, load_config, nameko_config
from services.common.database import make_engine
from services.common.errors import NotFound
from services.common.validators import USCC_ALPHABET, uscc_check_character

PASSWORD = "Qlp#bench-roster-1"
CATEGORIES = ["technical_lead", "safety_lead", "technical_staff", "skilled_worker", "electrician",
              "other_skilled"]
GENERATE = """
INSERT INTO staff (id, enterprise_id, row_no, category, name, id_type, id_number, title, specialty,
                   years_experience, certificates, work_experience, training_history, imported,
                   needs_completion)
SELECT gen_random_uuid(), CAST(:eid AS uuid), g, (CAST(:categories AS text[]))[1 + g % 6],
       '基准人员' || g, 'resident_id',
       '15010219800101' || lpad(g::text, 4, '0'), '工程师', '输配电', g % 30,
       json_build_array(json_build_object('kind', 'electrician', 'number', 'T' || g)), '[]'::json, '[]'::json,
       false, false
FROM generate_series(1, :n) AS g
"""


def _uscc() -> str:
    body = "91150100" + "".join(random.choice(USCC_ALPHABET[:10]) for _ in range(9))
    return body + uscc_check_character(body)


def _scan() -> str:
    im = Image.new("RGB", (300, 300), (200, 40, 40))
    buffer = io.BytesIO()
    im.save(buffer, "PDF", resolution=300)
    return base64.b64encode(buffer.getvalue()).decode()


def enterprise_session(config: dict[str, Any], base: str) -> tuple[requests.Session, str]:
    """A freshly registered and approved enterprise, signed in through the login page."""
    tag = uuid.uuid4().hex[:8]
    uscc, email = _uscc(), f"roster-{tag}@bench.example.com"
    mobile = "139" + "".join(random.choice("0123456789") for _ in range(8))
    with ClusterRpcProxy(nameko_config(config, "bench"), timeout=30) as cluster:
        account = cluster.identity.register_account({
            "uscc": uscc, "contact_name": "基准联系人", "contact_mobile": mobile, "email": email,
            "password": PASSWORD})
        link = None
        for _ in range(150):
            mails = [m for m in read_mails(config)
                     if m["To"] == email and m["Subject"] == "请验证您的注册邮箱"]
            if mails:
                link = re.search(r"http://\S+/verify-email\?token=\S+", mails[-1].get_content())
                break
            time.sleep(0.2)
        if link is None:
            raise RuntimeError(f"no verification mail for {email}")
        requests.get(link.group(0), timeout=30).raise_for_status()
        actor = {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": []}
        cluster.enterprise.save_registration_profile(actor, {
            "name": f"基准花名册{tag}电力工程有限公司", "enterprise_type": "limited_liability",
            "legal_person": f"基准花名册{tag}电力工程有限公司", "legal_representative": "张三",
            "registered_address": "呼和浩特市新城区新华大街1号",
            "current_address": "呼和浩特市新城区新华大街1号",
            "region_code": "150102", "contact_name": "基准联系人", "contact_phone": mobile, "email": email,
            "files": {"business_licence": {"filename": "营业执照.pdf", "content_b64": _scan()},
                      "legal_rep_id": {"filename": "身份证.pdf", "content_b64": _scan()}}})
        cluster.enterprise.submit_registration_profile(actor)
        created = cluster.identity.create_staff_account(None, {
            "kind": "reviewer", "username": f"benchrost{tag}", "contact_name": "基准审核员",
            "email": f"benchrost{tag}@bench.example.com", "password": PASSWORD, "level": "province",
            "region_code": "150000"})
        reviewer = {"id": created["id"], "kind": "reviewer", "level": "province", "region_code": "150000",
                    "permissions": [], "enterprise_id": None, "name": "基准审核员"}
        ref = f"identity:registration:{account['id']}"  # the registration case, at the province desk
        for attempt in range(150):  # identity sends it once it learns of step 2 (events)
            try:
                case_id = cluster.review.case_detail(reviewer, ref)["id"]
                break
            except NotFound:
                if attempt == 149:
                    raise
                time.sleep(0.2)
        cluster.review.claim(reviewer, case_id)
        cluster.review.act(reviewer, case_id, {"action": "approve", "comment": "同意"})
        for _ in range(150):  # identity follows review's decision
            if cluster.identity.session_account(account["id"])["status"] == "active":
                break
            time.sleep(0.2)
    http = requests.Session()
    page = http.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = http.post(f"{base}/login", data={"csrf_token": token, "login": uscc, "password": PASSWORD},
                       allow_redirects=False, timeout=30)
    if answer.status_code != 303:
        raise RuntimeError(f"could not sign in the bench enterprise ({answer.status_code})")
    return http, account["id"]


def generate(engine: Any, enterprise_id: str, n: int) -> float:
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM staff WHERE enterprise_id = :eid"), {"eid": enterprise_id})
        conn.execute(text(GENERATE), {"eid": enterprise_id, "n": n, "categories": CATEGORIES})
        # A change of the records bumps their version (docs/contracts.md; permits caches by it).
        conn.execute(text("UPDATE enterprises SET records_version = records_version + 1 WHERE id = :eid"),
                     {"eid": enterprise_id})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE staff"))
    return time.perf_counter() - began


def timed(http: requests.Session, url: str, params: dict[str, str]) -> float:
    began = time.perf_counter()
    response = http.get(url, params=params, timeout=30)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params} answered {response.status_code}")
    return elapsed


def measure(http: requests.Session, base: str, n: int, requests_per_kind: int) -> dict[str, dict]:
    deep_page = max(1, (n // len(CATEGORIES)) // 50)
    kinds = {
        "电工 tab, first page (50)": ("/enterprise/staff", {"category": "electrician"}),
        f"技术工人 tab, page {deep_page}": ("/enterprise/staff", {"category": "skilled_worker",
                                                              "page": str(deep_page)}),
        "查询 by name": ("/enterprise/staff", {"category": "technical_staff", "q": "基准人员1234"}),
        "人员汇总": ("/enterprise/staff", {"category": "summary"}),
        "JSON list (50)": ("/api/v1/enterprise/staff", {"per_page": "50"}),
    }
    results: dict[str, dict] = {}
    for name, (path, params) in kinds.items():
        for _ in range(5):  # warm-up
            timed(http, base + path, params)
        samples = [timed(http, base + path, params) for _ in range(requests_per_kind)]
        results[name] = {"n": len(samples), "p50_ms": round(percentile(samples, 50) * 1000, 2),
                         "p95_ms": round(percentile(samples, 95) * 1000, 2)}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench enterprise-roster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per kind")
    parser.add_argument("--keep", action="store_true", help="keep the generated staff")
    args = parser.parse_args(argv)
    config = load_config()
    base = f"http://{config['gateway']['host']}:{config['gateway']['port']}"
    engine = make_engine(database_url(config, "enterprise"), pool_size=2)
    http, enterprise_id = enterprise_session(config, base)
    try:
        seconds = generate(engine, enterprise_id, args.staff)
        print(f"{args.staff} staff generated in {seconds:.1f} s for enterprise {enterprise_id}", flush=True)
        results = measure(http, base, args.staff, args.requests)
    finally:
        if not args.keep:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM staff WHERE enterprise_id = :eid"), {"eid": enterprise_id})
                conn.execute(text("UPDATE enterprises SET records_version = records_version + 1"
                                  " WHERE id = :eid"), {"eid": enterprise_id})
        engine.dispose()
    print(f"\n{'roster page, ' + str(args.staff) + ' staff':34}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}")
    for kind, cell in results.items():
        print(f"{kind:34}{cell['n']:>6}{cell['p50_ms']:>10}{cell['p95_ms']:>10}")
    out = var_path(config, "enterprise-roster-results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"profile": config["profile"], "staff": args.staff, "results": results},
                              ensure_ascii=False, indent=2))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
