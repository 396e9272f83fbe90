"""Review features against real identity staff accounts: assign, delegation, rectification,
clock extension, workload, self-inspection campaigns; plus the console through the gateway."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from PIL import Image
from sqlalchemy import text

from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from tests.support.enterprise import scan_pdf, upload
from tests.support.review_producer import (
    Answers,
    Producer,
    request_data,
    start_review_platform,
    stop_review_platform,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Qlp#2026-review"


@pytest.fixture(scope="module")
def stack(config):
    start_review_platform(config, extra=("gateway",))
    engine = make_engine(database_url(config, "review"), pool_size=2)
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
        yield config, cluster, engine
    engine.dispose()
    stop_review_platform(config, extra=("gateway",))


def staff(cluster, kind: str, level: str, region: str, name: str) -> dict:
    tag = uuid.uuid4().hex[:8]
    created = cluster.identity.create_staff_account(
        None,
        {
            "kind": kind,
            "username": f"{kind}{tag}",
            "contact_name": name,
            "email": f"{tag}@example.com",
            "password": PASSWORD,
            "level": level,
            "region_code": region,
        },
    )
    account = cluster.identity.session_account(created["id"])
    return {
        "id": account["id"],
        "kind": kind,
        "level": level,
        "region_code": region,
        "permissions": [],
        "enterprise_id": None,
        "name": name,
        "login": account["login"],
    }


def new_case(config, engine, **kwargs) -> tuple[dict, str]:
    data = request_data(**kwargs)
    Producer(config, data["case_ref"].split(":", 1)[0]).request(data)

    def row():
        with engine.connect() as conn:
            return conn.execute(
                text("select id from cases where case_ref = :r"), {"r": data["case_ref"]}
            ).scalar()

    return data, str(wait_for(row, what="case received"))


def test_assign_delegate_and_workload(stack):
    config, cluster, engine = stack
    lead = staff(cluster, "reviewer", "city", "150200", "包头科长")
    colleague = staff(cluster, "reviewer", "city", "150200", "包头科员")
    elsewhere = staff(cluster, "reviewer", "city", "150100", "呼市科员")
    data, case_id = new_case(config, engine, region_code="150203")
    with pytest.raises(ValidationFailed) as refused:  # only to the same desk
        cluster.review.assign(lead, case_id, {"reviewer_id": elsewhere["id"]})
    assert "reviewer_id" in refused.value.fields
    assigned = cluster.review.assign(lead, case_id, {"reviewer_id": colleague["id"]})
    assert assigned["claimed_by"] == colleague["id"] and assigned["claimed_name"] == "包头科员"
    with pytest.raises(Forbidden):  # the lead does not hold it now
        cluster.review.act(lead, case_id, {"action": "accept"})

    # The colleague goes on leave and delegates to the lead: the lead may work the case.
    today = date.today()
    cluster.review.delegate(
        colleague,
        {
            "to_reviewer": lead["id"],
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=7)).isoformat(),
            "reason": "休假",
        },
    )
    with pytest.raises(ValidationFailed):  # not across regions
        cluster.review.delegate(
            colleague,
            {"to_reviewer": elsewhere["id"], "starts_on": today.isoformat(), "ends_on": today.isoformat()},
        )
    mine = cluster.review.queue(lead, {"mine": True, "enterprise": data["enterprise_name"][-6:]})
    assert [i["id"] for i in mine["items"]] == [case_id] and mine["items"][0]["mine"]
    cluster.review.act(lead, case_id, {"action": "accept", "comment": "代为受理"})
    delegations = cluster.review.list_delegations(colleague)["delegations"]
    assert delegations[0]["in_force"] and delegations[0]["to_name"] == "包头科长"
    cluster.review.revoke_delegation(colleague, delegations[0]["id"])
    with pytest.raises(Forbidden):
        cluster.review.act(lead, case_id, {"action": "forward", "comment": "x"})

    load = cluster.review.workload(lead)
    per = {r["reviewer_name"]: r for r in load["reviewers"]}
    assert per["包头科员"]["active"] >= 1
    assert load["desks"][0]["level"] == "city" and load["desks"][0]["desk_region"] == "150200"


def test_rectification_and_extension_pause_and_move_the_clock(stack):
    config, cluster, engine = stack
    answers = Answers(config)
    province = staff(cluster, "reviewer", "province", "150000", "自治区处长")
    data, case_id = new_case(config, engine, case_type="hmq.maintenance.renewal", region_code="150102")
    with engine.begin() as conn:  # skip the city step for this test: put it at the province step
        conn.execute(
            text(
                "update cases set step_index = 1, step_key = 'province_approval', level = 'province', "
                "desk_region = '150000', status = 'in_review', accepted = true where id = :id"
            ),
            {"id": case_id},
        )
    cluster.review.claim(province, case_id)
    before = cluster.review.case_detail(province, case_id)["clock"]
    extended = cluster.review.extend_clock(province, case_id, {"days": 10, "reason": "需要专家评审"})
    assert extended["clock"]["extension_days"] == 10
    assert extended["clock"]["expected_decision_date"] > before["expected_decision_date"]
    with pytest.raises(ValidationFailed):
        cluster.review.act(province, case_id, {"action": "rectification", "comment": "请整改"})
    cluster.review.act(
        province,
        case_id,
        {
            "action": "rectification",
            "comment": "现场检查发现问题",
            "rectification_items": [{"name": "安全设备", "requirement": "补充检测报告"}],
            "deadline": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    event = answers.wait("rectification_requested", data["case_ref"])
    enterprise = {
        "id": data["enterprise_id"],
        "kind": "enterprise",
        "enterprise_id": data["enterprise_id"],
        "permissions": [],
    }
    todo = [t for t in cluster.review.todos(enterprise)["todos"] if t["kind"] == "rectification"]
    assert todo and todo[0]["rectification"]["id"] == event["data"]["rectification_id"]
    history = cluster.review.case_history(enterprise, data["case_ref"])
    assert history["clock"]["paused"] and history["clock"]["pause_reason"] == "等待企业整改"
    with pytest.raises(InvalidTransition):  # nothing submitted yet
        cluster.review.resolve_rectification(province, case_id, {"outcome": "close"})
    rect_id = event["data"]["rectification_id"]
    with pytest.raises(ValidationFailed) as not_a_file:  # judged by content, not by the name
        cluster.review.submit_rectification(
            enterprise,
            rect_id,
            {"statement": "已补充", "evidence": [{"label": "检测报告", **upload("检测.pdf", b"<html>")}]},
        )
    assert not_a_file.value.fields["evidence.0"][0]["code"] == "not_pdf"
    report = scan_pdf()
    submitted = cluster.review.submit_rectification(
        enterprise,
        rect_id,
        {
            "statement": "已补充检测报告",
            "evidence": [{"label": "检测报告", **upload("检测报告.pdf", report)}],
        },
    )
    (evidence,) = submitted["evidence"]
    assert evidence["filename"] == "检测报告.pdf" and evidence["content_type"] == "application/pdf"
    shown = cluster.review.case_detail(province, case_id)["rectifications"][0]["evidence"]
    assert [e["id"] for e in shown] == [evidence["id"]]
    # the owning enterprise and the province reviewer get the same file; nobody else does
    for reader in (enterprise, province):
        link = cluster.review.attachment_url(reader, evidence["id"])
        got = requests.get(link["url"], timeout=10)
        assert got.status_code == 200 and got.content == report
        assert "filename*=UTF-8''%E6%A3%80" in got.headers["Content-Disposition"]
    other = {"id": str(uuid.uuid4()), "kind": "enterprise", "permissions": []}
    other["enterprise_id"] = other["id"]
    elsewhere = staff(cluster, "reviewer", "province", "210000", "辽宁审核员")
    city_elsewhere = staff(cluster, "reviewer", "city", "152500", "锡盟审核员")
    for stranger in (other, elsewhere, city_elsewhere):
        with pytest.raises(NotFound):
            cluster.review.attachment_url(stranger, evidence["id"])
    with engine.connect() as conn:
        refusals = conn.execute(
            text("select count(*) from audit_log where action = 'case.refused.attachment' "
                 "and subject_id = :id"),
            {"id": evidence["id"]},
        ).scalar()
    assert refusals == 3
    closed = cluster.review.resolve_rectification(
        province, case_id, {"outcome": "close", "comment": "整改到位"}
    )
    assert closed["status"] == "in_review"
    assert not cluster.review.case_detail(province, case_id)["clock"]["paused"]
    answers.close()


def test_self_inspection_campaign_checks_missing_items_and_becomes_a_case(stack):
    config, cluster, engine = stack
    answers = Answers(config)
    admin = staff(cluster, "admin", "province", "150000", "管理员")
    enterprise_id = str(uuid.uuid4())
    with pytest.raises(Forbidden):
        cluster.review.start_campaign({**admin, "kind": "reviewer"}, {})
    campaign = cluster.review.start_campaign(
        admin,
        {
            "business_type": "pfl",
            "title": "2026年承装（修、试）电力设施许可企业自查",
            "deadline": (date.today() + timedelta(days=30)).isoformat(),
            "form": [
                {"name": "staff", "label": "人员配备情况", "required": True},
                {"name": "report", "label": "自查报告", "required": True, "kind": "attachment"},
            ],
            "targets": [
                {"enterprise_id": enterprise_id, "enterprise_name": "乙电力公司", "region_code": "150102"}
            ],
        },
    )
    started = wait_for(
        lambda: next(
            (
                e
                for e in _drain_all(answers)
                if e["type"] == "self_inspection_started" and e["data"]["campaign_id"] == campaign["id"]
            ),
            None,
        ),
        what="to-do event",
    )
    enterprise = {
        "id": enterprise_id,
        "kind": "enterprise",
        "enterprise_id": enterprise_id,
        "permissions": [],
    }
    target_id = started["data"]["target_id"]
    assert [t["target_id"] for t in cluster.review.todos(enterprise)["todos"]] == [target_id]
    with pytest.raises(ValidationFailed) as missing:
        cluster.review.submit_self_inspection(enterprise, target_id, {"answers": {"staff": ""}})
    assert set(missing.value.fields) == {"staff", "report"}
    with pytest.raises(ValidationFailed) as missing_file:  # the answer alone is not enough
        cluster.review.submit_self_inspection(enterprise, target_id, {"answers": {"staff": "配备齐全"}})
    assert set(missing_file.value.fields) == {"report"}
    with pytest.raises(ValidationFailed) as broken:
        cluster.review.submit_self_inspection(
            enterprise,
            target_id,
            {"answers": {"staff": "配备齐全"}, "files": {"report": upload("自查.pdf", scan_pdf()[:200])}},
        )
    assert "report" in broken.value.fields
    with engine.connect() as conn:  # refused submissions leave no files behind
        assert conn.execute(text("select count(*) from attachments where owner_ref = :t"),
                            {"t": target_id}).scalar() == 0
    pdf = scan_pdf()
    done = cluster.review.submit_self_inspection(
        enterprise,
        target_id,
        {"answers": {"staff": "配备齐全"}, "files": {"report": upload("自查报告.pdf", pdf)}},
    )
    province = staff(cluster, "reviewer", "province", "150000", "自查审核员")
    detail = cluster.review.case_detail(province, done["case_id"])
    assert detail["case_type"] == "pfl.self_inspection" and detail["fields"]["staff"]["value"] == "配备齐全"
    (material,) = detail["attachments"]
    assert material["stored"] and material["label"] == "自查报告" and material["filename"] == "自查报告.pdf"
    for reader in (province, enterprise):
        assert requests.get(cluster.review.attachment_url(reader, material["id"])["url"],
                            timeout=10).content == pdf
    other = {"id": str(uuid.uuid4()), "kind": "enterprise", "permissions": []}
    with pytest.raises(NotFound):
        cluster.review.attachment_url({**other, "enterprise_id": other["id"]}, material["id"])
    assert cluster.review.todos(enterprise)["todos"] == []
    answers.close()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _drain_all(answers):
    answers.of("")  # drains into answers.events
    return answers.events


def test_console_through_the_gateway(stack):
    config, cluster, engine = stack
    reviewer = staff(cluster, "reviewer", "city", "152500", "锡盟审核员")
    # HMQ: the city step may order 整改 (below)
    data, case_id = new_case(config, engine, region_code="152502", case_type="hmq.maintenance.renewal")
    base = f"http://{config['gateway']['host']}:{config['gateway']['port']}"
    with requests.Session() as http:
        page = http.get(f"{base}/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        signed = http.post(
            f"{base}/login",
            data={"csrf_token": token, "login": reviewer["login"], "password": PASSWORD},
            allow_redirects=False,
        )
        assert signed.status_code == 303
        queue = http.get(f"{base}/review/cases", params={"enterprise": data["enterprise_name"][-6:]})
        assert (
            queue.status_code == 200 and data["enterprise_name"] in queue.text and "审核工作台" in queue.text
        )
        case_page = http.get(f"{base}/review/cases/{case_id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', case_page.text).group(1)
        http.post(f"{base}/review/cases/{case_id}/claim", data={"csrf_token": token})
        api = http.get(f"{base}/api/v1/review/cases/{case_id}").json()
        assert api["claimed_by"] == reviewer["id"] and api["held_by_me"]
        other = http.get(f"{base}/api/v1/review/cases/{uuid.uuid4()}")
        assert other.status_code == 404
        # 整改 evidence the enterprise uploads is linked on the reviewer's case page and
        # downloads through the gateway (303 to a short-lived S3 URL with the Chinese name).
        cluster.review.act(reviewer, case_id, {"action": "accept"})
        cluster.review.act(reviewer, case_id, {
            "action": "rectification", "comment": "现场核查发现问题",
            "rectification_items": [{"name": "安全设备", "requirement": "补充检测报告"}]})
        rect = cluster.review.case_detail(reviewer, case_id)["rectifications"][0]
        enterprise = {"id": data["enterprise_id"], "kind": "enterprise",
                      "enterprise_id": data["enterprise_id"], "permissions": []}
        photo = _jpeg()
        evidence = cluster.review.submit_rectification(enterprise, rect["id"], {
            "statement": "已整改", "evidence": [{"label": "安全设备", **upload("检测现场.jpg", photo)}]},
        )["evidence"][0]
        case_page = http.get(f"{base}/review/cases/{case_id}").text
        assert f'href="/documents/review/{evidence["id"]}"' in case_page and "检测现场.jpg" in case_page
        shown = http.get(f"{base}/documents/review/{evidence['id']}")  # in the page's viewer
        assert shown.content == photo and shown.headers["Content-Disposition"].startswith("inline;")
        link = http.get(f"{base}/review/attachments/{evidence['id']}", allow_redirects=False)
        assert link.status_code == 303
        got = requests.get(link.headers["Location"], timeout=10)
        assert got.content == photo and got.headers["Content-Type"] == "image/jpeg"
        assert http.get(f"{base}/review/attachments/{uuid.uuid4()}").status_code == 404


def test_a_case_not_accepted_within_five_working_days_is_deemed_accepted(stack):
    """行政许可法 第三十二条, through the real sweep: received on 2025-09-30 (before 国庆), the
    deadline is 2025-10-14; a case sent back for 补正 in time is left alone."""
    config, cluster, engine = stack
    reviewer = staff(cluster, "reviewer", "city", "150100", "呼市审核员")
    corrected, corrected_id = new_case(config, engine, region_code="150102")
    cluster.review.claim(reviewer, corrected_id)
    cluster.review.act(
        reviewer,
        corrected_id,
        {
            "action": "correction",
            "comment": "材料不齐",
            "items": [{"target": "field", "name": "address", "reason": "与执照不一致"}],
        },
    )
    with engine.begin() as conn:  # its acceptance deadline passes while it waits for the enterprise
        conn.execute(text("update cases set acceptance_due = date '2025-10-14' where id = :id"),
                     {"id": corrected_id})
    received = datetime(2025, 9, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    data, case_id = new_case(config, engine, region_code="150102", submitted_at=received)
    enterprise = {"id": data["enterprise_id"], "kind": "enterprise",
                  "enterprise_id": data["enterprise_id"], "permissions": []}

    def deemed():
        history = cluster.review.case_history(enterprise, data["case_ref"])
        return history if history["clock"]["deemed_accepted"] else None

    history = wait_for(deemed, timeout=45, what="deemed accepted by the sweep")
    assert history["status"] == "in_review" and history["clock"]["accepted_from"] == "2025-09-30"
    assert history["clock"]["acceptance_due"] is None
    assert history["clock"]["started_on"] == "2025-09-30"  # the decision clock runs from receipt
    (opinion,) = history["history"]
    assert (opinion["result"], opinion["handling"], opinion["reviewer_name"]) == (
        "受理", "逾期未受理视为受理", "系统")
    assert "至2025-10-14" in opinion["comment"] and "（2025-09-30）起视为受理" in opinion["comment"]
    with engine.connect() as conn:
        events = conn.execute(text(
            "select envelope->'data' from outbox where event_type = 'case_accepted' "
            "and envelope->'data'->>'case_ref' = :r"), {"r": data["case_ref"]}).scalars().all()
        untouched = conn.execute(text("select status, accepted from cases where id = :id"),
                                 {"id": corrected_id}).one()
    assert [(e["deemed"], e["accepted_from"], e["step"]) for e in events] == [
        (True, "2025-09-30", "city_review")]
    assert tuple(untouched) == ("correction", False)
    # the reviewer now works it as an accepted case: 受理 is no longer offered
    cluster.review.claim(reviewer, case_id)
    detail = cluster.review.case_detail(reviewer, case_id)
    assert "accept" not in [a["action"] for a in detail["allowed_actions"]]
    assert "forward" in [a["action"] for a in detail["allowed_actions"]]
