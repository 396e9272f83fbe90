"""Key staff changes of a licence holder go through approval (issue 15 item 15, seed 003
人员变更申请 入职/离职), through real enterprise, permits (holds_licence), review and the bus:
without a licence 技术负责人 / 安全负责人 are edited directly; once the enterprise holds one, adding
a key person files a 人员入职申请 (not counted until approved), deleting one a 人员离职申请 (the
row stays, locked, until approved); refused requests leave the roster as it was; other staff
categories are never held up."""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from services.common.errors import InvalidTransition
from tests.integration.test_enterprise_records import complete, new_enterprise, province_reviewer
from tests.support.enterprise import resident_id
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def holds_a_licence(engines, actor: dict) -> None:
    today = date.today()
    with engines("permits").begin() as conn:
        conn.execute(text(
            "insert into licences (id, number, type_code, items, enterprise_id, holder_name, holder_uscc, "
            "issued_on, first_issued_on, valid_from, valid_until, edition, status, verify_token, details) "
            "values (:id, :number, 'pfl_power', cast('[]' as json), :eid, '测试电力公司', :uscc, :issued, "
            ":issued, :issued, :until, 1, 'valid', :token, cast('{}' as json))"),
            {"id": str(uuid.uuid4()), "number": f"1-5-{secrets.randbelow(10**5):05d}-26", "eid": actor["id"],
             "uscc": actor["uscc"], "issued": today, "until": today + timedelta(days=365 * 6),
             "token": secrets.token_urlsafe(16)})


def key_person(cluster, actor: dict, category: str, name: str) -> dict:
    return cluster.enterprise.save_record(actor, actor["id"], "staff", {
        "category": category, "name": name, "id_number": resident_id(random.Random()), "title": "工程师"})


def decide(cluster, engines, case_ref: str, action: str) -> None:
    def case_id():
        with engines("review").connect() as conn:
            return conn.execute(text("select id from cases where case_ref = :r"), {"r": case_ref}).scalar()

    found = str(wait_for(case_id, timeout=60, what=f"the review case {case_ref}"))
    province = province_reviewer()
    assert "人员" in str(cluster.review.case_detail(province, found))
    cluster.review.claim(province, found)
    comment = "同意" if action == "approve" else "不同意"
    cluster.review.act(province, found, {"action": action, "comment": comment})


def roster(cluster, actor: dict) -> dict[str, dict]:
    return {s["name"]: s for s in cluster.enterprise.list_records(actor, actor["id"], "staff", {})["items"]}


def counted(cluster, actor: dict) -> set[str]:
    return {s["name"] for s in cluster.enterprise.records_for_precheck(None, actor["id"])["staff"]}


def test_a_licence_holders_key_staff_join_and_leave_through_approval(cluster, engines):
    actor = new_enterprise(cluster)
    complete(cluster, actor)
    # No licence yet: direct.
    lead = key_person(cluster, actor, "technical_lead", "王技术")
    assert lead["approval"] is None and "王技术" in counted(cluster, actor)

    holds_a_licence(engines, actor)
    # 入职: pending, not counted, locked; approved: counted.
    joiner = key_person(cluster, actor, "safety_lead", "李安全")
    assert joiner["approval"] == "join_pending" and joiner["approval_label"] == "入职审批中"
    assert "李安全" not in counted(cluster, actor)
    with pytest.raises(InvalidTransition) as locked:
        cluster.enterprise.save_record(actor, actor["id"], "staff", {**joiner, "title": "高级工程师"})
    assert locked.value.code == "staff_change_pending"
    case_ref = _case_ref(engines, joiner["id"])
    decide(cluster, engines, case_ref, "approve")
    wait_for(lambda: roster(cluster, actor)["李安全"]["approval"] is None, timeout=60,
             what="the join approved")
    assert "李安全" in counted(cluster, actor)
    # Edits: a title is fine; moving a key person out of their category is a 离职 in disguise.
    approved = roster(cluster, actor)["李安全"]
    edited = cluster.enterprise.save_record(actor, actor["id"], "staff", {**approved, "title": "高级工程师"})
    assert edited["title"] == "高级工程师" and edited["approval"] is None
    with pytest.raises(InvalidTransition) as swapped:
        cluster.enterprise.save_record(actor, actor["id"], "staff",
                                       {**approved, "category": "technical_staff"})
    assert swapped.value.code == "key_staff_via_request"

    # 离职: the row stays (still counted) until approved; refused: stays for good.
    leave = cluster.enterprise.delete_record(actor, actor["id"], "staff", lead["id"])
    assert leave["approval"] == "leave_pending" and leave["case_ref"].startswith("enterprise:staff_change:")
    assert roster(cluster, actor)["王技术"]["approval"] == "leave_pending"
    assert "王技术" in counted(cluster, actor)
    decide(cluster, engines, leave["case_ref"], "reject")
    wait_for(lambda: roster(cluster, actor)["王技术"]["approval"] is None, timeout=60,
             what="the leave refused")
    again = cluster.enterprise.delete_record(actor, actor["id"], "staff", lead["id"])
    decide(cluster, engines, again["case_ref"], "approve")
    wait_for(lambda: "王技术" not in roster(cluster, actor), timeout=60, what="the leave approved")

    # A refused 入职 leaves no row; other categories are never held up.
    refused = key_person(cluster, actor, "technical_lead", "赵未批")
    decide(cluster, engines, _case_ref(engines, refused["id"]), "reject")
    wait_for(lambda: "赵未批" not in roster(cluster, actor), timeout=60, what="the join refused")
    worker = cluster.enterprise.save_record(actor, actor["id"], "staff", {
        "category": "electrician", "name": "钱电工", "id_number": resident_id(random.Random())})
    assert worker["approval"] is None
    gone = cluster.enterprise.delete_record(actor, actor["id"], "staff", worker["id"])
    assert gone == {"deleted": worker["id"]}
    history = cluster.enterprise.change_history(actor, actor["id"], {})["items"]
    actions = {h["action"] for h in history}
    assert {"join_requested", "join_approved", "leave_requested", "leave_refused", "leave_approved",
            "join_refused"} <= actions


def _case_ref(engines, staff_id: str) -> str:
    with engines("enterprise").connect() as conn:
        ref = conn.execute(text("select approval_ref from staff where id = :id"), {"id": staff_id}).scalar()
    assert ref is not None
    return f"enterprise:staff_change:{ref}"
