"""Review through the real bus: a stand-in producer asks for a two-level review (CIP 安全生产许可:
盟市审核 → 自治区审批), reviewers work it over RPC, review answers with events."""

from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from tests.support.actors import enterprise_actor, reviewer
from tests.support.review_producer import (
    Answers,
    Producer,
    request_data,
    sha,
    start_review_platform,
    stop_review_platform,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def review_platform(config):
    start_review_platform(config)
    yield config
    stop_review_platform(config)


@pytest.fixture(scope="module")
def cluster(review_platform):
    with ClusterRpcProxy(nameko_config(review_platform, "tests"), timeout=30) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def engines(review_platform):
    made = {}

    def engine(component):
        if component not in made:
            made[component] = make_engine(database_url(review_platform, component), pool_size=2)
        return made[component]
    yield engine
    for e in made.values():
        e.dispose()


@pytest.fixture
def answers(review_platform):
    listener = Answers(review_platform)
    yield listener
    listener.close()


def wait_case(engines, case_ref: str, revision: int = 1) -> str:
    db = engines("review")

    def row():
        with db.connect() as conn:
            return conn.execute(text("select id from cases where case_ref = :r and revision >= :v"),
                                {"r": case_ref, "v": revision}).scalar()
    return str(wait_for(row, what=f"case {case_ref} revision {revision}"))


def audit_actions(engines, actor_id: str) -> list[str]:
    with engines("review").connect() as conn:
        return list(conn.execute(text("select action from audit_log where actor_id = :a order by id"),
                                 {"a": actor_id}).scalars())


def test_two_level_chain_with_a_field_level_correction_and_diff(review_platform, cluster, engines, answers):
    producer = Producer(review_platform)
    data = request_data(region_code="150102")  # 新城区 → 呼和浩特市 desk, then the province
    producer.request(data)
    case_id = wait_case(engines, data["case_ref"])
    city = reviewer("city", "150100", "呼市审核员")
    other_city = reviewer("city", "150200", "包头审核员")
    province = reviewer("province", "150000", "自治区审核员")

    queue = cluster.review.queue(city, {"enterprise": data["enterprise_name"][-6:]})
    assert [item["id"] for item in queue["items"]] == [case_id]
    assert queue["items"][0]["step_label"] == "盟市审核" and queue["items"][0]["status"] == "submitted"
    assert cluster.review.queue(other_city, {"enterprise": data["enterprise_name"][-6:]})["items"] == []

    # Region isolation: another city's reviewer is refused, and that is audited.
    with pytest.raises(Forbidden):
        cluster.review.claim(other_city, case_id)
    with pytest.raises(Forbidden):
        cluster.review.case_detail(other_city, case_id)
    assert "case.refused.claim" in audit_actions(engines, other_city["id"])

    with pytest.raises(Forbidden):  # no opinion without holding the case
        cluster.review.act(city, case_id, {"action": "accept"})
    cluster.review.claim(city, case_id)
    with pytest.raises(InvalidTransition):  # 报批 before 受理 is not allowed at this step
        cluster.review.act(city, case_id, {"action": "forward"})
    cluster.review.act(city, case_id, {"action": "accept", "comment": "材料齐全，予以受理"})
    accepted = answers.wait("case_accepted", data["case_ref"])
    assert accepted["data"]["step"] == "city_review"

    with pytest.raises(ValidationFailed) as empty:
        cluster.review.act(city, case_id, {"action": "correction", "comment": "请补正", "items": []})
    assert "items" in empty.value.fields
    items = [{"target": "field", "name": "address", "reason": "与营业执照地址不一致"},
             {"target": "attachment", "name": "att-system-1", "reason": "缺少盖章页"}]
    cluster.review.act(city, case_id, {"action": "correction", "comment": "请按要求补正", "items": items})
    asked = answers.wait("correction_requested", data["case_ref"])
    assert asked["data"]["items"] == items and asked["data"]["deadline"]
    detail = cluster.review.case_detail(city, case_id)
    assert detail["status"] == "correction" and detail["clock"]["paused"]
    assert detail["clock"]["pause_reason"] == "等待企业补正材料"
    todos = cluster.review.todos(enterprise_actor(data["enterprise_id"]))["todos"]
    assert [t["correction"]["items"] for t in todos if t["kind"] == "correction"] == [items]

    # The producer resubmits only those two items as revision 2.
    fixed = dict(data, revision=2)
    fixed["fields"] = {**data["fields"], "address": {"label": "注册地址", "value": "呼和浩特市新城区二号"}}
    fixed["attachments"] = [data["attachments"][0], {**data["attachments"][1], "id": "att-system-2",
                                                     "filename": "制度（盖章）.pdf", "sha256": sha("sys2")}]
    producer.request(fixed)
    wait_case(engines, data["case_ref"], revision=2)
    detail = cluster.review.case_detail(city, case_id)
    assert detail["status"] == "in_review" and not detail["clock"]["paused"]
    assert detail["diff_from_revision"] == 1
    assert [(f["name"], f["old"], f["new"]) for f in detail["diff"]["fields"]] == [
        ("address", "呼和浩特市新城区一号", "呼和浩特市新城区二号")]
    assert [(a["label"], a["change"]) for a in detail["diff"]["attachments"]] == [
        ("安全生产责任制度", "replaced")]
    assert detail["held_by_me"] and {"forward", "reject"} <= {a["action"] for a in detail["allowed_actions"]}

    cluster.review.act(city, case_id, {"action": "forward", "comment": "同意，报自治区审批"})
    moved = answers.wait("case_step_changed", data["case_ref"])
    assert moved["data"]["level"] == "province" and moved["data"]["region_code"] == "150000"
    assert cluster.review.queue(city, {"enterprise": data["enterprise_name"][-6:]})["items"] == []
    with pytest.raises(Forbidden):  # the city desk no longer holds it
        cluster.review.act(city, case_id, {"action": "approve"})

    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "approve", "comment": "同意核发"})
    decided = answers.wait("case_decided", data["case_ref"])
    assert decided["data"]["decision"] == "approved" and decided["data"]["decided_by"] == "自治区审核员"

    history = cluster.review.case_history(enterprise_actor(data["enterprise_id"]), data["case_ref"])
    assert [(h["step_label"], h["result"], h["reviewer_name"]) for h in history["history"]] == [
        ("盟市审核", "受理", "呼市审核员"), ("盟市审核", "补正", "呼市审核员"),
        ("盟市审核", "同意", "呼市审核员"), ("自治区审批", "同意", "自治区审核员")]
    assert history["history"][2]["handling"] == "报批至自治区审批（省级）"
    assert history["status"] == "approved" and history["clock"]["expected_decision_date"] is None
    assert any("重新提交" in t["what"] for t in history["tracking"])
    with pytest.raises(NotFound):  # another enterprise cannot see it
        cluster.review.case_history(enterprise_actor(str(uuid.uuid4())), data["case_ref"])
    with engines("review").connect() as conn:  # opinions are append-only
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("update opinions set comment = 'x' where case_id = :c"), {"c": case_id})


def test_access_is_decided_before_the_body(review_platform, cluster, engines):
    """assign / act / extend_clock / resolve_rectification: another desk's reviewer with an empty
    or invalid body is refused (403), not told what the body lacks (422); the case's own desk
    with the same body still gets the validation error."""
    producer = Producer(review_platform)
    data = request_data(region_code="150102")  # 呼和浩特市 desk
    producer.request(data)
    case_id = wait_case(engines, data["case_ref"])
    city = reviewer("city", "150100", "呼市审核员")
    other_city = reviewer("city", "150200", "包头审核员")
    operations = {
        "assign": lambda actor, body: cluster.review.assign(actor, case_id, body),
        "act": lambda actor, body: cluster.review.act(actor, case_id, body),
        "extend_clock": lambda actor, body: cluster.review.extend_clock(actor, case_id, body),
        "resolve_rectification": lambda actor, body: cluster.review.resolve_rectification(
            actor, case_id, body),
    }
    for name, call in operations.items():
        for body in ({}, {"action": 7, "days": "many", "outcome": "maybe", "reviewer_id": []}):
            with pytest.raises(Forbidden):
                call(other_city, body)
            with pytest.raises(ValidationFailed) as invalid:
                call(city, body)
            assert invalid.value.fields, (name, body)
    assert {"case.refused.assign", "case.refused.act", "case.refused.extend",
            "case.refused.rectification"} <= set(audit_actions(engines, other_city["id"]))
    detail = cluster.review.case_detail(city, case_id)  # nothing was changed by the attempts
    assert detail["claimed_by"] is None and detail["status"] == "submitted"


def test_rejection_carries_the_reason_and_withdrawal_closes(review_platform, cluster, engines, answers):
    producer = Producer(review_platform)
    province = reviewer("province", "150000", "省级审核员")
    pfl = request_data(case_type="pfl.power.new", region_code="152502")
    producer.request(pfl)
    case_id = wait_case(engines, pfl["case_ref"])
    cluster.review.claim(province, case_id)
    with pytest.raises(ValidationFailed):  # a rejection needs its reason
        cluster.review.act(province, case_id, {"action": "reject"})
    cluster.review.act(province, case_id, {"action": "reject", "comment": "专职安全员人数不足"})
    decided = answers.wait("case_decided", pfl["case_ref"])
    assert decided["data"] == {**decided["data"], "decision": "rejected", "reason": "专职安全员人数不足"}

    withdrawn = request_data(case_type="pfl.power.new", region_code="150203")
    producer.request(withdrawn)
    other_id = wait_case(engines, withdrawn["case_ref"])
    producer.withdraw(withdrawn["case_ref"])
    closed = answers.wait("case_closed", withdrawn["case_ref"])
    assert closed["data"]["outcome"] == "withdrawn"
    active = cluster.review.queue(province, {"enterprise": withdrawn["enterprise_name"][-6:]})
    assert active["items"] == []
    done = cluster.review.queue(province, {"status": "withdrawn",
                                           "enterprise": withdrawn["enterprise_name"][-6:]})
    assert [(i["id"], i["status_label"]) for i in done["items"]] == [(other_id, "企业已撤回")]


def test_batch_approve_gives_a_result_per_item(review_platform, cluster, engines):
    producer = Producer(review_platform)
    province = reviewer("province", "150000", "批量审核员")
    refs = [request_data(case_type="identity.registration", producer="identity", region_code="150102")
            for _ in range(3)]
    for data in refs:
        Producer(review_platform, "identity").request(data)
    ids = [wait_case(engines, d["case_ref"]) for d in refs]
    cip = request_data(region_code="150102")  # a city-level case: not at this desk
    producer.request(cip)
    foreign = wait_case(engines, cip["case_ref"])
    result = cluster.review.batch_act(province, {"case_ids": [*ids, foreign, "nope"], "action": "approve"})
    by_id = {r["case_id"]: r for r in result["results"]}
    assert all(by_id[i]["ok"] and by_id[i]["status"] == "approved" for i in ids)
    assert by_id[foreign]["code"] == "forbidden" and by_id["nope"]["code"] == "not_found"
    assert (result["succeeded"], result["failed"]) == (3, 2)


def test_keyset_pages_cover_the_desk_once_in_order(review_platform, cluster, engines):
    producer = Producer(review_platform)
    token = uuid.uuid4().hex[:6]
    refs = []
    for n in range(5):
        data = request_data(region_code="150402", enterprise_name=f"分页测试{token}公司{n}")
        producer.request(data)
        refs.append(wait_case(engines, data["case_ref"]))
    city = reviewer("city", "150400", "赤峰审核员")
    seen, cursor, pages = [], None, 0
    while True:
        page = cluster.review.queue(city, {"enterprise": token, "limit": 2, "cursor": cursor})
        seen += [(item["received_at"], item["id"]) for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and sorted(i for _, i in seen) == sorted(refs) and seen == sorted(seen)
    with engines("review").connect() as conn, conn.begin():
        conn.execute(text("update cases set due_date = current_date - 1, overdue = true where id = :id"),
                     {"id": refs[3]})
    overdue = cluster.review.queue(city, {"enterprise": token, "overdue": True, "sort": "due"})
    assert [i["id"] for i in overdue["items"]] == [refs[3]]
    by_due = cluster.review.queue(city, {"enterprise": token, "sort": "due"})
    assert by_due["items"][0]["id"] == refs[3]
    with pytest.raises(ValidationFailed):
        cluster.review.queue(city, {"cursor": "garbage!"})
