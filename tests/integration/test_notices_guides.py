"""通知公告 and 办事指南 (issue 16 item 9) through the real gateway, notify and permits: an admin
publishes a notice (a blank one is refused with the field's message), anyone reads it without
signing in, a reviewer may not publish (403) and notify refuses a non-admin too; the admin
withdraws it and it is gone (404), both audited. 办事指南 lists every business type of the
catalogue by name and shows one type's transactions with legal time limits, review levels and
materials, with no codes on the page."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from sqlalchemy import text

from services.common.errors import Forbidden
from tests.support.registration import PASSWORD, login

pytestmark = pytest.mark.integration


def staff_session(cluster, gateway: str, kind: str) -> tuple[requests.Session, str]:
    username = f"nt{kind[:3]}{uuid.uuid4().hex[:10]}"
    extra = {"level": "city", "region_code": "150100"} if kind == "reviewer" else {}
    created = cluster.identity.create_staff_account(None, {
        "kind": kind, "username": username, "contact_name": "公告管理员" if kind == "admin" else "审核员",
        "email": f"{username}@example.com", "password": PASSWORD, **extra})
    http, _ = login(gateway, username)
    return http, str(created["id"])


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_admin_publishes_everyone_reads_admin_withdraws(cluster, gateway, engines):
    admin, admin_id = staff_session(cluster, gateway, "admin")
    page = admin.get(f"{gateway}/notices", timeout=30)
    assert page.status_code == 200 and 'id="notice-form"' in page.text
    blank = admin.post(f"{gateway}/admin/notices", data={"csrf_token": csrf(page.text), "title": "",
                                                          "body": "正文"}, timeout=30)
    assert blank.status_code == 422 and ("请填写标题" in blank.text or "标题应为2-100个字" in blank.text)
    title = f"关于2027年资质延续办理的通知{uuid.uuid4().hex[:6]}"
    done = admin.post(f"{gateway}/admin/notices", data={
        "csrf_token": csrf(page.text), "title": title, "body": "第一段。\n第二段：请提前三个月申请。"},
        timeout=30)
    assert done.status_code == 200 and "公告已发布" in done.text and title in done.text

    anonymous = requests.get(f"{gateway}/notices", timeout=30)
    assert anonymous.status_code == 200 and title in anonymous.text
    assert 'id="notice-form"' not in anonymous.text
    notice_id = re.search(r'<li data-notice="([^"]+)"><a href="/notices/[^"]+">' + re.escape(title),
                          anonymous.text).group(1)
    detail = requests.get(f"{gateway}/notices/{notice_id}", timeout=30)
    assert detail.status_code == 200 and "第二段：请提前三个月申请。" in detail.text
    assert "公告管理员" in detail.text and "withdraw-notice" not in detail.text

    reviewer, reviewer_id = staff_session(cluster, gateway, "reviewer")
    reader = reviewer.get(f"{gateway}/notices", timeout=30)
    assert reader.status_code == 200 and 'href="/notices"' in reader.text and 'href="/guides"' in reader.text
    intrusion = {"title": "越权公告", "body": "越权发布"}
    refused = reviewer.post(f"{gateway}/admin/notices", data={"csrf_token": csrf(reader.text), **intrusion},
                            timeout=30)
    assert refused.status_code == 403
    with pytest.raises(Forbidden):  # notify checks again
        cluster.notify.publish_notice({"id": reviewer_id, "kind": "reviewer"}, intrusion)

    withdrawn = admin.post(f"{gateway}/admin/notices/{notice_id}/withdraw",
                           data={"csrf_token": csrf(page.text)}, timeout=30)
    assert withdrawn.status_code == 200 and "公告已撤回" in withdrawn.text and title not in withdrawn.text
    assert requests.get(f"{gateway}/notices/{notice_id}", timeout=30).status_code == 404
    with engines("notify").connect() as conn:
        actions = {r.action for r in conn.execute(text(
            "select action from audit_log where subject_id = :s"), {"s": notice_id})}
    assert actions == {"notify.notice_published", "notify.notice_withdrawn"}


def test_guides_list_every_business_type_and_show_one(cluster, gateway):
    types = cluster.permits.catalogue_types({})
    page = requests.get(f"{gateway}/guides", timeout=30)
    assert page.status_code == 200
    for t in types:
        assert t["name"] in page.text and f'href="/guides/{t["code"]}"' in page.text
    pfl = next(t for t in types if t["system"] == "PFL")
    guide = requests.get(f"{gateway}/guides/{pfl['code']}", timeout=30)
    assert guide.status_code == 200 and "办理事项及审批时限" in guide.text and "申请材料" in guide.text
    detail = cluster.permits.catalogue_type({}, pfl["code"])
    first = detail["transactions"][0]
    assert first["label"] in guide.text
    assert f"一般程序{first['time_limit_days']['normal']}个工作日" in guide.text
    assert detail["attachments"][0]["name"] in guide.text
    for code in ("normal", "fast_track", "free_trade_zone", "province"):
        assert code not in re.sub(r"<[^>]+>", " ", guide.text)  # words, not codes
    assert requests.get(f"{gateway}/guides/no_such_type", timeout=30).status_code == 404
