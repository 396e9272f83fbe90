"""Seed screens with no page (issue 16 item 9), through the real gateway and services: a
呼和浩特市 enterprise (150105) with staff, projects and equipment submits a 安全生产许可证
application (chain 盟市 → 自治区).

- The 呼和浩特市 city reviewer opens the applicant's 主要人员 / 业绩 / 设备 from the case (ID
  numbers masked, every read audited as ``enterprise.read_by_staff``); the 包头市 reviewer is
  refused (403, audited by review), and so is the enterprise itself (403: a reviewer page).
- The enterprise's 申请业务 (TSA) lists the case under 待审核 with a count per tab.
- The reviewer asks for 整改; the enterprise's 我的整改 shows the items, deadline and status,
  takes the evidence and then reads 已提交.
- 好差评: the reviewer's 一事一评 page offers the desk's case by name and generates a QR code and
  link; 一次一评 generates one for a business type picked by name."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import text

from deploy.mail_sink import read_mails
from tests.integration.test_case_documents_access import Reviewer
from tests.support.enterprise import scan_pdf
from tests.support.permits import submitted_cip_application
from tests.support.personnel import case_id_of
from tests.support.registration import PASSWORD
from tests.support.review_producer import Producer, request_data
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def world(cluster, running_platform, gateway, new_active_enterprise):
    http_a, _, account = new_active_enterprise()
    a = {"id": account["id"], "kind": "enterprise", "enterprise_id": account["id"], "permissions": []}
    cluster.enterprise.save_record(a, a["id"], "projects", {
        "name": "种子页面110kV线路工程", "client": "内蒙古电力（集团）有限责任公司", "category": "install",
        "voltage_kv": "110", "contract_amount_wan": "800", "length_km": "20", "started_on": "2022-01-01",
        "completed_on": "2023-01-01"})
    cluster.enterprise.save_record(a, a["id"], "equipment", {"name": "种子页面张力机", "model": "SA-YQ90",
                                                            "quantity": "2"})
    app, staff_ids = submitted_cip_application(cluster, running_platform, a)
    return {"a": a, "http_a": http_a, "app": app, "staff_ids": staff_ids,
            "hohhot": Reviewer(cluster, gateway, "city", "150100", "呼和浩特市审核员"),
            "baotou": Reviewer(cluster, gateway, "city", "150200", "包头市审核员")}


@pytest.fixture(scope="module")
def case_id(world, engines) -> str:
    return case_id_of(engines, f"permits:application:{world['app']['id']}")


def staff_reads(engines, actor_id: str) -> list[str]:
    with engines("enterprise").connect() as conn:
        return [str(r.what) for r in conn.execute(text(
            "select detail->>'what' as what from audit_log where actor_id = :a "
            "and action = 'enterprise.read_by_staff'"), {"a": actor_id})]


def refused(engines, actor_id: str) -> int:
    with engines("enterprise").connect() as conn:
        return conn.execute(text(
            "select count(*) from audit_log where actor_id = :a and action = 'enterprise.access_refused'"),
            {"a": actor_id}).scalar()


def test_reviewer_reads_the_applicants_staff_projects_and_equipment_from_the_case(
        world, case_id, cluster, gateway, engines):
    hohhot, baotou = world["hohhot"], world["baotou"]
    case_page = hohhot.http.get(f"{gateway}/review/cases/{case_id}", timeout=30)
    assert case_page.status_code == 200
    for section in ("staff", "projects", "equipment"):
        assert f'href="/review/cases/{case_id}/applicant/{section}"' in case_page.text
    staff = hohhot.http.get(f"{gateway}/review/cases/{case_id}/applicant/staff", timeout=30)
    assert staff.status_code == 200, staff.text[:300]
    records = cluster.enterprise.list_records(world["a"], world["a"]["id"], "staff", {})["items"]
    assert records
    for record in records:
        assert record["name"] in staff.text
        number = record["id_number"]
        assert number not in staff.text  # masked in the list
        assert f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}" in staff.text
    projects = hohhot.http.get(f"{gateway}/review/cases/{case_id}/applicant/projects", timeout=30)
    assert projects.status_code == 200 and "种子页面110kV线路工程" in projects.text
    assert "业绩汇总" in projects.text
    equipment = hohhot.http.get(f"{gateway}/review/cases/{case_id}/applicant/equipment", timeout=30)
    assert equipment.status_code == 200 and "种子页面张力机" in equipment.text
    assert {"staff", "projects", "equipment"} <= set(staff_reads(engines, hohhot.id))

    before = refused(engines, baotou.id)
    other = baotou.http.get(f"{gateway}/review/cases/{case_id}/applicant/staff", timeout=30)
    assert other.status_code == 403 and "种子页面" not in other.text
    for record in records:
        assert record["name"] not in other.text
    # refused by review (the case is not its desk's): review's audit row, not enterprise's read
    assert "staff" not in staff_reads(engines, baotou.id) and refused(engines, baotou.id) == before
    with engines("review").connect() as conn:
        assert conn.execute(text(
            "select count(*) from audit_log where actor_id = :a and action = 'case.refused.view' "
            "and subject_id = :c"), {"a": baotou.id, "c": case_id}).scalar() >= 1
    own = world["http_a"].get(f"{gateway}/review/cases/{case_id}/applicant/staff", allow_redirects=False)
    assert own.status_code == 403


def test_applications_tabs_list_the_submitted_case_under_pending(world, gateway):
    http = world["http_a"]
    page = http.get(f"{gateway}/applications", timeout=30)
    assert page.status_code == 200
    pending = re.search(r'data-tab="pending">待审核（(\d+)）', page.text)
    assert pending and int(pending.group(1)) >= 1
    assert "建筑施工企业安全生产许可证" in page.text and 'data-status="submitted"' in page.text
    for tab in ("approved", "rejected", "assessment"):
        other = http.get(f"{gateway}/applications", params={"tab": tab}, timeout=30)
        assert other.status_code == 200 and 'data-status="submitted"' not in other.text
    assert "申请业务" in http.get(f"{gateway}/", timeout=30).text  # in the menu


def test_my_rectifications_shows_the_request_and_takes_the_answer(
        world, cluster, gateway, engines, running_platform):
    # A 公路养护 case (its 盟市 step may ask for 整改) about this enterprise, straight from a producer.
    a, hohhot = world["a"], world["hohhot"]
    data = request_data(case_type="hmq.maintenance.new", region_code="150105", enterprise_id=a["id"],
                        enterprise_name="种子页面养护公司", title="公路养护作业单位资质 新办")
    Producer(running_platform, "permits").request(data)
    case_id = case_id_of(engines, data["case_ref"])
    cluster.review.claim(hohhot.actor, case_id)
    cluster.review.act(hohhot.actor, case_id, {"action": "accept"})
    deadline = (date.today() + timedelta(days=20)).isoformat()
    cluster.review.act(hohhot.actor, case_id, {
        "action": "rectification", "comment": "现场核查发现问题", "deadline": deadline,
        "rectification_items": [{"name": "安全设备", "requirement": "补充种子页面检测报告"}]})
    http = world["http_a"]
    page = http.get(f"{gateway}/rectifications", timeout=30)
    assert page.status_code == 200
    assert "补充种子页面检测报告" in page.text and deadline in page.text and "待整改" in page.text
    rect_id = re.search(r'data-rectification="(\d+)" data-status="open"', page.text).group(1)
    answered = http.post(f"{gateway}/rectifications/{rect_id}", data={
        "csrf_token": csrf(page.text), "statement": "已补充检测报告", "evidence_label:0": "安全设备"},
        files={"evidence:0": ("检测报告.pdf", scan_pdf(), "application/pdf")}, allow_redirects=False)
    assert answered.status_code == 303, answered.text[:300]
    after = http.get(f"{gateway}/rectifications", timeout=30).text
    assert f'data-rectification="{rect_id}" data-status="submitted"' in after
    assert "已提交，待审核人员确认" in after and "已补充检测报告" in after
    # 申请业务: a case waiting for 整改 is still 待审核
    assert 'data-status="rectification"' in http.get(f"{gateway}/applications", timeout=30).text


def test_rating_menu_generates_qr_codes_for_a_case_and_a_visit(world, case_id, cluster, gateway):
    hohhot = world["hohhot"]
    home = hohhot.http.get(f"{gateway}/", timeout=30).text
    assert 'href="/ratings/visit"' in home and 'href="/ratings/case"' in home
    name = cluster.review.case_detail(hohhot.actor, case_id)["enterprise_name"]
    page = hohhot.http.get(f"{gateway}/ratings/case", params={"enterprise": name}, timeout=30)
    assert page.status_code == 200
    case_ref = f"permits:application:{world['app']['id']}"
    assert f'value="{case_ref}"' in page.text
    refused_blank = hohhot.http.post(f"{gateway}/ratings/case", data={"csrf_token": csrf(page.text)})
    assert refused_blank.status_code == 422 and "一事一评请填写办件编号" in refused_blank.text
    made = hohhot.http.post(f"{gateway}/ratings/case", data={"csrf_token": csrf(page.text),
                                                            "case_ref": case_ref})
    assert made.status_code == 200 and 'id="rating-qr"' in made.text and "<svg" in made.text
    link = re.search(r'id="rating-url" href="([^"]+)"', made.text).group(1)
    rate = requests.get(link if link.startswith("http") else gateway + link, timeout=30)
    assert rate.status_code == 200 and "一事一评" in rate.text
    visit = hohhot.http.get(f"{gateway}/ratings/visit", timeout=30)
    assert visit.status_code == 200 and "公路养护作业单位资质" in visit.text
    made = hohhot.http.post(f"{gateway}/ratings/visit", data={"csrf_token": csrf(visit.text),
                                                             "business_type": "pfl.power.*"})
    assert made.status_code == 200 and 'id="rating-qr"' in made.text
    assert re.search(r'id="rating-url" href="[^"]*/rate/[^"]+"', made.text)
    assert str(uuid.UUID(world["app"]["id"])) not in made.text  # names, not ids


def test_reviewer_resets_an_enterprise_password_by_mailed_link(world, cluster, gateway, engines,
                                                               running_platform):
    """Last in this file: the reset ends the enterprise's sessions."""
    hohhot, a = world["hohhot"], world["a"]
    account = cluster.identity.session_account(a["id"])
    login, email = account["login"], account["email"]
    far = Reviewer(cluster, gateway, "city", "150200", "包头市审核员二")  # no case, other region
    refused = far.http.get(f"{gateway}/review/accounts", params={"login": login}, timeout=30)
    assert refused.status_code == 404 and "未找到本辖区内的该企业账号" in refused.text
    assert 'id="found-account"' not in refused.text and email not in refused.text
    with engines("identity").connect() as conn:
        assert conn.execute(text("select count(*) from audit_log where actor_id = :a "
                                 "and action = 'password.staff_lookup_refused'"), {"a": far.id}).scalar() == 1
    page = hohhot.http.get(f"{gateway}/review/accounts", params={"login": login.lower()}, timeout=30)
    assert page.status_code == 200 and 'id="found-account"' in page.text
    assert email not in page.text and f"{email[:2]}***@{email.split('@')[1]}" in page.text
    reset = hohhot.http.post(f"{gateway}/review/accounts/{a['id']}/reset",
                             data={"csrf_token": csrf(page.text)}, allow_redirects=True, timeout=30)
    assert reset.status_code == 200 and "重置链接已发送至" in reset.text
    with engines("identity").connect() as conn:
        assert conn.execute(text("select count(*) from audit_log where actor_id = :a and subject_id = :s "
                                 "and action = 'password.staff_reset_mailed'"),
                            {"a": hohhot.id, "s": a["id"]}).scalar() == 1
    # the old password and the old session stop working
    assert requests.post(gateway + "/api/v1/session", json={"login": login, "password": PASSWORD},
                         timeout=30).status_code != 200
    assert world["http_a"].get(f"{gateway}/api/v1/enterprise", timeout=30).status_code == 401
    assert cluster.identity.session_account(a["id"])["must_change_password"] is True
    mails = wait_for(lambda: [m for m in read_mails(running_platform)
                              if m["To"] == email and "/password/reset?token=" in m.get_content()],
                     what="the reset mail")
    token = re.search(r"/password/reset\?token=(\S+)", mails[-1].get_content()).group(1)
    new_password = "Seed-Reset-2026!"
    done = requests.post(gateway + "/api/v1/password/reset", json={
        "token": token, "new_password": new_password, "new_password_confirm": new_password}, timeout=30)
    assert done.status_code == 200, done.text
    signed = requests.post(gateway + "/api/v1/session", json={"login": login, "password": new_password},
                           timeout=30)
    assert signed.status_code == 200 and not signed.json()["account"]["must_change_password"]
