"""Demo data for a running platform (`make up` first): `python -m deploy.demo`.

Creates an admin, a reviewer at each level, and one approved enterprise account per source
system (HMQ, CIP, TSA, PFL, REG), through the real paths: identity RPC for staff accounts,
the gateway API for registration, the mailed verification link, registration step 2
(enterprise info and scans) through the enterprise service, the province reviewer's approval
of the registration case in the review console (identity follows review's decision).
Idempotent: what exists already is left alone. Prints the logins.
"""

from __future__ import annotations

import base64
import io
import os
import re
import sys
import time

import requests
from nameko.standalone.rpc import ClusterRpcProxy
from PIL import Image, ImageDraw

from deploy.mail_sink import read_mails
from services.common.config import load_config, nameko_config
from services.common.errors import ValidationFailed
from services.common.validators import uscc_check_character

PASSWORD = os.environ.get("QLP_DEMO_PASSWORD", "Demo#2026qlp")
STAFF = [
    ("admin", "admin0001", "平台管理员", None, None),
    ("reviewer", "hhhtcity01", "呼和浩特市审核员", "city", "150100"),
    ("reviewer", "nmgprov001", "自治区审核员", "province", "150000"),
    ("reviewer", "ministry01", "部级审核员", "ministry", "100000"),
]
# One enterprise per source system; bodies are fixed, so codes are stable across runs.
ENTERPRISES = [
    ("HMQ", "91150100DEMO00001", "公路养护联系人", "13900000001", "内蒙古示范公路养护有限公司"),
    ("CIP", "91150100DEMO00002", "建筑施工联系人", "13900000002", "内蒙古示范建筑工程有限公司"),
    ("TSA", "91150100DEMO00003", "交通施工联系人", "13900000003", "内蒙古示范交通建设有限公司"),
    ("PFL", "91150100DEMO00004", "电力承装联系人", "13900000004", "内蒙古示范电力工程有限公司"),
    ("REG", "91150100DEMO00005", "勘察设计联系人", "13900000005", "内蒙古示范勘察设计有限公司"),
]


def demo_uscc(body: str) -> str:
    body = body.replace("DEMO", "0000")  # digits only: a valid GB 32100 body
    return body + uscc_check_character(body)


def sample_scan_pdf() -> bytes:
    """A one-page colour scan at 300 DPI, as the seeds ask for licence scans."""
    im = Image.new("RGB", (300, 300), "white")
    ImageDraw.Draw(im).rectangle((10, 10, 290, 150), fill=(200, 30, 30))
    buffer = io.BytesIO()
    im.save(buffer, "PDF", resolution=300)
    return buffer.getvalue()


def registration_step_two(cluster: ClusterRpcProxy, account_id: str, name: str, contact: str,
                          mobile: str, email: str) -> None:
    """Enterprise info and licence scans (registration step 2), then submit."""
    actor = {"id": account_id, "kind": "enterprise", "enterprise_id": account_id, "permissions": []}
    scan = {"content_b64": base64.b64encode(sample_scan_pdf()).decode()}
    cluster.enterprise.save_registration_profile(actor, {
        "name": name, "enterprise_type": "limited_liability", "legal_person": name,
        "legal_representative": "王示范", "registered_address": "呼和浩特市新城区新华大街1号",
        "current_address": "呼和浩特市赛罕区大学东街2号", "region_code": "150105",
        "contact_name": contact, "contact_phone": mobile, "email": email,
        "registered_capital_wan": "5000", "net_assets_wan": "3200", "established_on": "2008-05-01",
        "business_scope": "示范数据", "files": {
            "business_licence": {**scan, "filename": "营业执照.pdf"},
            "legal_rep_id": {**scan, "filename": "法定代表人身份证.pdf"}}})
    cluster.enterprise.submit_registration_profile(actor)


def main() -> int:
    config = load_config()
    base = config["gateway"]["public_url"]
    with ClusterRpcProxy(nameko_config(config, "demo"), timeout=30) as cluster:
        for kind, username, name, level, region in STAFF:
            try:
                cluster.identity.create_staff_account(None, {
                    "kind": kind, "username": username, "contact_name": name,
                    "email": f"{username}@demo.qlp.local", "password": PASSWORD, "level": level,
                    "region_code": region})
                print(f"created {kind} {username}")
            except ValidationFailed:
                print(f"exists  {kind} {username}")
    # Registration cases wait at the province desk of the enterprise's region (150105).
    reviewer = requests.Session()
    reviewer.post(f"{base}/api/v1/session", json={"login": "nmgprov001", "password": PASSWORD},
                  timeout=30).raise_for_status()
    token = reviewer.get(f"{base}/api/v1/session", timeout=30).json()["csrf_token"]
    for system, body, contact, mobile, name in ENTERPRISES:
        uscc = demo_uscc(body)
        email = f"{system.lower()}@demo.qlp.local"
        created = requests.post(f"{base}/api/v1/accounts", timeout=30, json={
            "uscc": uscc, "contact_name": contact, "contact_mobile": mobile, "email": email,
            "password": PASSWORD})
        if created.status_code != 201:
            print(f"exists  enterprise {system} {uscc}")
            continue
        link = None
        for _ in range(100):
            for mail in read_mails(config):
                if mail["To"] == email and mail["Subject"] == "请验证您的注册邮箱":
                    link = re.search(r"http://\S+", mail.get_content()).group(0)
            if link:
                break
            time.sleep(0.2)
        if link is None:
            print(f"no verification mail for {email}", file=sys.stderr)
            return 1
        requests.get(link, timeout=30).raise_for_status()
        account_id = created.json()["id"]
        with ClusterRpcProxy(nameko_config(config, "demo"), timeout=30) as cluster:
            registration_step_two(cluster, account_id, name, contact, mobile, email)
        case = None
        for _ in range(150):  # identity sends review the case once it learns of step 2 (events)
            found = reviewer.get(f"{base}/api/v1/review/cases/identity:registration:{account_id}",
                                 timeout=30)
            if found.status_code == 200:
                case = found.json()
                break
            time.sleep(0.2)
        if case is None:
            print(f"no registration case for {uscc} in review", file=sys.stderr)
            return 1
        headers = {"X-CSRF-Token": token}
        reviewer.post(f"{base}/api/v1/review/cases/{case['id']}/claim", headers=headers,
                      timeout=30).raise_for_status()
        reviewer.post(f"{base}/api/v1/review/cases/{case['id']}/actions", headers=headers, timeout=30,
                      json={"action": "approve", "comment": "示范数据，同意注册"}).raise_for_status()
        with ClusterRpcProxy(nameko_config(config, "demo"), timeout=30) as cluster:
            for _ in range(150):  # identity activates the account when it sees review's decision
                if cluster.identity.session_account(account_id)["status"] == "active":
                    break
                time.sleep(0.2)
        print(f"created enterprise {system} {uscc} (approved in review)")
    print(f"\nAll demo accounts use the password {PASSWORD}. Sign in at {base}/login")
    return 0


if __name__ == "__main__":
    sys.exit(main())
