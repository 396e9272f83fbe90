"""Every step of a case as the enterprise lives it, through the real bus and real review and notify
processes (a stand-in producer submits): each step is one message in 我的消息 (issue 15, item 18),
and the legal clock counts 20 working days from 受理, with art. 32's acceptance window before it
(item 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.errors import ValidationFailed
from services.common.localtime import BEIJING
from services.common.migrations import upgrade
from services.review.clock import default_calendar
from tests.support.actors import enterprise_actor, reviewer
from tests.support.review_producer import (
    Answers,
    Producer,
    request_data,
    start_review_platform,
    stop_review_platform,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(config):
    upgrade(("notify",), config=config)
    start_review_platform(config, extra=("notify",))
    engine = make_engine(database_url(config, "review"), pool_size=2)
    with ClusterRpcProxy(nameko_config(config, "tests"), timeout=30) as cluster:
        yield config, cluster, engine
    engine.dispose()
    stop_review_platform(config, extra=("notify",))


def case_id_of(engine, case_ref: str, revision: int = 1) -> str:
    def row():
        with engine.connect() as conn:
            return conn.execute(text("select id from cases where case_ref = :r and revision >= :v"),
                                {"r": case_ref, "v": revision}).scalar()
    return str(wait_for(row, what=f"case {case_ref} revision {revision}"))


def titles(cluster, enterprise_id: str) -> list[str]:
    return [m["title"] for m in cluster.notify.list_messages(enterprise_actor(enterprise_id))["messages"]]


def wait_message(cluster, enterprise_id: str, title: str) -> None:
    wait_for(lambda: title in titles(cluster, enterprise_id), what=f"message {title!r}")


def test_every_step_of_a_case_is_one_message_to_the_enterprise(stack):
    config, cluster, engine = stack
    answers = Answers(config)
    producer = Producer(config)
    data = request_data(region_code="150102")
    title, ent = data["title"], data["enterprise_id"]
    producer.request(data)
    case_id = case_id_of(engine, data["case_ref"])
    wait_message(cluster, ent, f"{title}：已提交")

    city = reviewer("city", "150100", "呼市审核员")
    province = reviewer("province", "150000", "自治区审核员")
    cluster.review.claim(city, case_id)
    cluster.review.act(city, case_id, {"action": "accept", "comment": "予以受理"})
    wait_message(cluster, ent, f"{title}：已受理")
    cluster.review.act(city, case_id, {"action": "correction", "comment": "请补正", "items": [
        {"target": "field", "name": "address", "reason": "与营业执照不一致"}]})
    wait_message(cluster, ent, f"{title}：需要补正")
    correction = next(m for m in cluster.notify.list_messages(enterprise_actor(ent))["messages"]
                      if m["title"].endswith("需要补正"))
    assert "注册地址：与营业执照不一致" in correction["body"]  # by label, as the enterprise reads it
    producer.request(dict(data, revision=2, submitted_at=datetime.now(UTC)))
    case_id_of(engine, data["case_ref"], revision=2)
    wait_message(cluster, ent, f"{title}：已重新提交")
    cluster.review.act(city, case_id, {"action": "forward", "comment": "报自治区审批"})
    wait_message(cluster, ent, f"{title}：已转至自治区审批")
    cluster.review.claim(province, case_id)
    cluster.review.act(province, case_id, {"action": "approve", "comment": "同意"})
    wait_message(cluster, ent, f"{title}：审核通过")
    answers.wait("case_decided", data["case_ref"])
    answers.close()
    expected = ["已提交", "已受理", "需要补正", "已重新提交", "已转至自治区审批", "审核通过"]
    got = sorted(t.removeprefix(f"{title}：") for t in titles(cluster, ent))
    assert got == sorted(expected), "each step exactly one message"


def test_a_withdrawn_case_is_told_too(stack):
    config, cluster, engine = stack
    producer = Producer(config)
    data = request_data(region_code="150102")
    producer.request(data)
    case_id_of(engine, data["case_ref"])
    producer.withdraw(data["case_ref"])
    wait_message(cluster, data["enterprise_id"], f"{data['title']}：已撤回")


def test_the_decision_clock_waits_for_acceptance_and_runs_from_it(stack):
    """Received two days ago (art. 32's window, 5 working days, is still open), accepted today: the
    20 working days run from today, not from the receipt."""
    config, cluster, engine = stack
    received = datetime.now(UTC) - timedelta(days=2)
    data = request_data(region_code="150102", submitted_at=received)
    Producer(config).request(data)
    case_id = case_id_of(engine, data["case_ref"])
    city = reviewer("city", "150100", "呼市受理员")
    cluster.review.claim(city, case_id)

    waiting = cluster.review.case_detail(city, case_id)["clock"]
    received_on = received.astimezone(BEIJING).date()
    calendar = default_calendar()
    assert waiting["decision_clock_started"] is False
    assert waiting["expected_decision_date"] is None and waiting["started_on"] is None
    assert waiting["received_on"] == received_on.isoformat()
    assert waiting["acceptance_due"] == calendar.add_working_days(received_on, 5).isoformat()
    mine = cluster.review.case_history(enterprise_actor(data["enterprise_id"]), data["case_ref"])["clock"]
    assert mine["acceptance_due"] == waiting["acceptance_due"] and not mine["decision_clock_started"]

    cluster.review.act(city, case_id, {"action": "accept", "comment": "予以受理"})
    accepted = cluster.review.case_detail(city, case_id)["clock"]
    today = datetime.now(BEIJING).date()
    assert accepted["decision_clock_started"] is True and accepted["acceptance_due"] is None
    assert accepted["started_on"] == today.isoformat() != received_on.isoformat()
    assert accepted["expected_decision_date"] == calendar.add_working_days(
        today, accepted["limit_days"]).isoformat()
    with engine.connect() as conn:
        due = conn.execute(text("select due_date from cases where id = :id"), {"id": case_id}).scalar()
    assert due.isoformat() == accepted["expected_decision_date"]


def test_workload_counts_what_each_reviewer_and_desk_finished_against_the_limit(stack):
    """issue 15, item 21: 已办结 per reviewer and per desk for a period, with the average handling
    time (working days from 受理, less the enterprise's time) against the legal limit."""
    config, cluster, engine = stack
    producer = Producer(config)
    city = reviewer("city", "150100", "呼市办结员")
    province = reviewer("province", "150000", "自治区办结员")
    today = datetime.now(BEIJING).date()
    period = {"from": today.isoformat(), "to": today.isoformat()}
    desk_before = {(d["level"], d["desk_region"]): d["done"]
                   for d in cluster.review.workload(city, period)["done"]["desks"]}.get(("city", "150100"), 0)

    slow, quick = request_data(region_code="150102"), request_data(region_code="150102")
    ids = []
    for data in (slow, quick):
        producer.request(data)
        ids.append(case_id_of(engine, data["case_ref"]))
    slow_id, quick_id = ids
    for case_id in ids:
        cluster.review.claim(city, case_id)
        cluster.review.act(city, case_id, {"action": "accept", "comment": "予以受理"})
    with engine.begin() as conn:  # the slow one was accepted 60 days ago: past its 20 working days
        conn.execute(text("update cases set clock_started_on = clock_started_on - 60 where id = :id"),
                     {"id": slow_id})
    cluster.review.act(city, slow_id, {"action": "forward", "comment": "报自治区审批"})
    cluster.review.act(city, quick_id, {"action": "reject", "comment": "不符合条件"})
    cluster.review.claim(province, slow_id)
    cluster.review.act(province, slow_id, {"action": "approve", "comment": "同意"})

    load = cluster.review.workload(city, period)
    assert load["period"] == period
    (mine,) = [r for r in load["done"]["reviewers"] if r["reviewer_id"] == city["id"]]
    assert (mine["reviewer_name"], mine["done"], mine["within_limit"], mine["over_limit"]) == (
        "呼市办结员", 2, 1, 1)
    assert mine["average_limit_days"] == 20 and mine["average_days"] > 10
    assert all(r["reviewer_id"] != province["id"] for r in load["done"]["reviewers"])  # not this desk
    (desk,) = [d for d in load["done"]["desks"] if (d["level"], d["desk_region"]) == ("city", "150100")]
    assert desk["done"] == desk_before + 2
    assert [d["level"] for d in load["done"]["desks"]] == ["city"]  # a reviewer sees their desk only

    theirs = cluster.review.workload(province, period)["done"]["reviewers"]
    (approver,) = [r for r in theirs if r["reviewer_id"] == province["id"]]
    assert approver["done"] == 1 and approver["over_limit"] == 1
    yesterday = (today - timedelta(days=1)).isoformat()
    earlier = cluster.review.workload(city, {"from": yesterday, "to": yesterday})["done"]["reviewers"]
    assert all(r["reviewer_id"] != city["id"] for r in earlier)
    with pytest.raises(ValidationFailed):
        cluster.review.workload(city, {"from": today.isoformat(), "to": yesterday})
