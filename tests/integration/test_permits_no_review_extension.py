"""CIP 安全生产许可证 不再审查延期 (issue 15 item 10) through real permits, its database and the
gateway: an admin records a fatal accident against the licence (audited); the no-re-review
extension is then refused with a stable code and a Chinese message naming the day, while the
re-review extension stays open; before the record the same draft is made."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import text

from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.common.localtime import BEIJING
from services.permits.licences import add_months
from tests.support.permits import new_enterprise

pytestmark = pytest.mark.integration
PASSWORD = "Qlp#2026-safety"
ITEMS = [{"category": "construction", "grade": "不分级"}]


def cip_licence(db, actor: dict, today) -> tuple[str, str]:
    """A valid 安全生产许可证 inside its extension window (expires in four months)."""
    licence_id, number = str(uuid.uuid4()), f"(蒙)JZ安许证字[2023]{secrets.randbelow(10**6):06d}"
    until = add_months(today, 4)
    issued = add_months(until, -36) + timedelta(days=1)
    with db.begin() as conn:
        conn.execute(text(
            "insert into licences (id, number, type_code, items, enterprise_id, holder_name, holder_uscc, "
            "issued_on, first_issued_on, valid_from, valid_until, edition, status, verify_token, details) "
            "values (:id, :number, 'cip_safety', cast(:items as json), :eid, '包头恒安建筑有限公司', :uscc, "
            ":issued, :issued, :issued, :until, 1, 'valid', :token, cast('{}' as json))"),
            {"id": licence_id, "number": number, "items": '[{"category": "construction", "grade": "不分级"}]',
             "eid": actor["id"], "uscc": "91150100MA0N000000", "issued": issued, "until": until,
             "token": secrets.token_urlsafe(16)})
    return licence_id, number


def extension(cluster, actor: dict, licence_id: str, kind: str) -> dict:
    return cluster.permits.create_draft(actor, {
        "type_code": "cip_safety", "transaction_kind": kind, "items": ITEMS, "lane": "normal",
        "original_licence_id": licence_id, "values": {}})


def test_a_fatal_accident_closes_the_no_review_extension_only(cluster, permits_db, running_platform, gateway):
    today = datetime.now(BEIJING).date()
    enterprise = new_enterprise(cluster, running_platform)
    licence_id, number = cip_licence(permits_db, enterprise, today)
    before = extension(cluster, enterprise, licence_id, "renewal_no_review")
    assert before["transaction_kind"] == "renewal_no_review" and before["state"] == "draft"
    detail = cluster.permits.get_application(enterprise, before["id"])
    needed = {m["code"] for m in detail["required_attachments"]}  # its own, smaller material set
    assert "no_accident_statement" in needed and "responsibility_system" not in needed

    admin = {"id": str(uuid.uuid4()), "kind": "admin", "permissions": [], "enterprise_id": None}
    reviewer = {"id": str(uuid.uuid4()), "kind": "reviewer", "level": "province", "region_code": "150000",
                "permissions": [], "enterprise_id": None}
    accident = {"licence_number": number, "kind": "accident", "deaths": 1,
                "occurred_on": (today - timedelta(days=30)).isoformat(), "summary": "塔吊倾覆，1人死亡"}
    with pytest.raises(Forbidden):
        cluster.permits.record_safety(reviewer, accident)
    with pytest.raises(ValidationFailed) as unknown:
        cluster.permits.record_safety(admin, {**accident, "licence_number": "(蒙)JZ不存在"})
    assert "licence_number" in unknown.value.fields
    saved = cluster.permits.record_safety(admin, accident)
    assert saved["holder_name"] == "包头恒安建筑有限公司" and saved["kind_label"] == "生产安全事故"
    with permits_db.connect() as conn:
        audited = conn.execute(text("select actor_id, detail from audit_log where action = "
                                    "'permits.safety_record.add' and subject_id = :s"),
                               {"s": enterprise["id"]}).all()
    assert len(audited) == 1 and audited[0][0] == admin["id"] and audited[0][1]["deaths"] == 1

    with pytest.raises(Conflict) as refused:
        extension(cluster, enterprise, licence_id, "renewal_no_review")
    assert refused.value.code == "fatal_accident_in_period"
    assert accident["occurred_on"] in refused.value.message and "重新审查延期" in refused.value.message
    again = extension(cluster, enterprise, licence_id, "renewal")  # 重新审查延期: still open
    assert again["transaction_kind"] == "renewal"
    assert any(r["id"] == saved["id"] for r in cluster.permits.safety_records(reviewer))

    # The admin's page lists it, and says what is wrong with a bad form.
    login = f"safety{uuid.uuid4().hex[:8]}"
    cluster.identity.create_staff_account(None, {
        "kind": "admin", "username": login, "contact_name": "安全监管管理员", "email": f"{login}@example.com",
        "password": PASSWORD, "level": None, "region_code": None})
    with requests.Session() as http:
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{gateway}/login").text).group(1)
        signed = http.post(f"{gateway}/login", allow_redirects=False,
                           data={"csrf_token": token, "login": login, "password": PASSWORD})
        assert signed.status_code == 303
        page = http.get(f"{gateway}/admin/safety-records")
        assert page.status_code == 200 and number in page.text and "塔吊倾覆" in page.text
        assert 'href="/admin/safety-records"' in page.text  # in the admin's menu
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        bad = http.post(f"{gateway}/admin/safety-records", data={
            "csrf_token": token, "licence_number": number, "kind": "accident", "deaths": "1",
            "occurred_on": (today + timedelta(days=3)).isoformat(), "summary": "x"})
        assert bad.status_code == 422 and "发生日期不能晚于今天" in bad.text
