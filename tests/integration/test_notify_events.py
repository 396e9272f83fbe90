"""notify through the real bus: each message source is published to its producer's exchange with
the platform envelope (as an outbox relay does), and notify (a real process) turns it into
messages, to-dos, mails, reminders and ratings; malformed events are dead-lettered and visible."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from deploy.mail_sink import read_mails
from services.common.config import database_url, nameko_config
from services.common.database import make_engine
from services.common.envelope import make_envelope
from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.support.actors import enterprise_actor, sub_actor
from tests.support.data import random_mobile, random_uscc
from tests.support.notify import Bus, start_notify, stop_notify
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def notify_platform(config):
    start_notify(config)
    yield config
    stop_notify(config)


@pytest.fixture(scope="module")
def cluster(notify_platform):
    with ClusterRpcProxy(nameko_config(notify_platform, "tests"), timeout=30) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def bus(notify_platform):
    return Bus(notify_platform)


@pytest.fixture(scope="module")
def notify_db(notify_platform):
    engine = make_engine(database_url(notify_platform, "notify"), pool_size=2)
    yield engine
    engine.dispose()


def staff(kind: str = "reviewer", level: str | None = "city", region: str | None = "150100") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "enterprise_id": None,
        "permissions": [],
        "level": level,
        "region_code": region,
    }


def registered_enterprise(bus: Bus, cluster) -> tuple[str, str]:
    """An enterprise notify has heard of (events of different types travel in different queues,
    so a test waits for this one before the next, as time does in real life)."""
    enterprise_id, email = str(uuid.uuid4()), f"ent-{uuid.uuid4().hex[:8]}@example.com"
    bus.emit(
        "identity",
        "enterprise_account_registered",
        {"account_id": enterprise_id, "uscc": random_uscc(), "contact_name": "王经理", "email": email},
    )
    wait_for(
        lambda: cluster.notify.list_messages(enterprise_actor(enterprise_id))["messages"],
        what="registration recorded",
    )
    return enterprise_id, email


def review_requested(
    bus: Bus, enterprise_id: str, revision: int = 1, case_ref: str | None = None, db=None,
    attachments: list | None = None,
) -> str:
    case_ref = case_ref or f"permits:application:{uuid.uuid4()}"
    bus.emit(
        "permits",
        "review_requested",
        {
            "case_ref": case_ref,
            "case_type": "pfl.power.new",
            "lane": "standard",
            "enterprise_id": enterprise_id,
            "enterprise_name": "测试电力公司",
            "region_code": "150102",
            "title": "承装（修、试）电力设施许可证新办",
            "revision": revision,
            "fields": {"enterprise.legal_representative": {"label": "法定代表人", "value": "张三"}},
            "attachments": attachments or [],
            "submitted_at": datetime.now(UTC).isoformat(),
        },
    )
    if db is not None:  # wait until notify knows the case (its title and type)

        def known() -> bool:
            with db.connect() as conn:
                return (
                    conn.execute(
                        text("SELECT count(*) FROM cases WHERE case_ref = :r AND title IS NOT NULL"),
                        {"r": case_ref},
                    ).scalar_one()
                    == 1
                )

        wait_for(known, what=f"case {case_ref} known")
    return case_ref


def case_event(case_ref: str, enterprise_id: str, **extra: Any) -> dict:
    return {
        "case_ref": case_ref,
        "case_id": str(uuid.uuid4()),
        "enterprise_id": enterprise_id,
        "at": datetime.now(UTC).isoformat(),
        **extra,
    }


def todos_of(cluster, actor: dict, include_done: bool = False) -> list[dict]:
    return cluster.notify.list_todos(actor, include_done)["todos"]


def wait_todo(cluster, actor: dict, kind: str, subject: str) -> dict:
    return wait_for(
        lambda: next(
            (t for t in todos_of(cluster, actor) if t["kind"] == kind and t["subject_ref"] == subject), None
        ),
        what=f"{kind} to-do for {subject}",
    )


# ---- identity + enterprise ------------------------------------------------------------------------
def test_registration_decided_gives_a_message_and_a_mail(cluster, bus, notify_platform):
    enterprise_id, email = registered_enterprise(bus, cluster)
    bus.emit(
        "identity",
        "account_status_changed",
        {"account_id": enterprise_id, "kind": "enterprise", "status": "rejected", "reason": "营业执照不清晰"},
    )
    actor = enterprise_actor(enterprise_id)
    wait_for(
        lambda: any(m["title"] == "注册审核不通过" for m in cluster.notify.list_messages(actor)["messages"]),
        what="rejection message",
    )
    mail = wait_for(
        lambda: next(
            (m for m in read_mails(notify_platform) if m["To"] == email and "注册审核不通过" in m["Subject"]),
            None,
        ),
        what="registration decision mail",
    )
    assert "营业执照不清晰" in mail.get_content()


def test_profile_submitted_gives_the_enterprise_a_message_but_not_its_sub_accounts(cluster, bus):
    enterprise_id, _ = registered_enterprise(bus, cluster)
    bus.emit(
        "enterprise",
        "registration_profile_submitted",
        {
            "enterprise_id": enterprise_id,
            "uscc": random_uscc(),
            "name": "内蒙古某电力工程有限公司",
            "region_code": "150102",
            "submitted_at": datetime.now(UTC).isoformat(),
            "extra_field": "ignored",
        },
    )
    actor = enterprise_actor(enterprise_id)
    wait_for(lambda: cluster.notify.unread_counts(actor)["messages"] >= 1, what="unread messages")
    listed = cluster.notify.list_messages(actor)
    assert "企业信息已提交" in [m["title"] for m in listed["messages"]]
    # unread: as it was before this listing, which reads them
    assert listed["unread"] == sum(m["read_at"] is None for m in listed["messages"]) >= 1
    assert cluster.notify.unread_counts(actor)["messages"] == 0  # listing read them
    again = cluster.notify.list_messages(actor)
    assert again["unread"] == 0 and all(m["read_at"] for m in again["messages"])
    assert [m["id"] for m in again["messages"]] == [m["id"] for m in listed["messages"]]
    assert cluster.notify.list_messages(sub_actor(enterprise_id, "permits")) == {
        "messages": [], "unread": 0, "todos_open": 0}


def test_change_request_is_a_todo_for_the_province_desk(cluster, bus):
    request_id = str(uuid.uuid4())
    bus.emit(
        "enterprise",
        "change_requested",
        {
            "change_request_id": request_id,
            "enterprise_id": str(uuid.uuid4()),
            "uscc": random_uscc(),
            "enterprise_name": "变更测试公司",
            "region_code": "150203",
            "changes": {"name": {"old": "甲", "new": "乙"}},
            "reason": "更名",
            "requested_by": "x",
            "requested_at": datetime.now(UTC).isoformat(),
        },
    )
    todo = wait_todo(
        cluster, staff("reviewer", "province", "150000"), "change_review", f"enterprise:change:{request_id}"
    )
    assert "变更测试公司" in todo["title"]
    assert not any(t["subject_ref"].endswith(request_id) for t in todos_of(cluster, staff()))


# ---- review ----------------------------------------------------------------------------------------
def test_correction_todo_follows_the_case_and_respects_modules(cluster, bus, notify_platform, notify_db):
    enterprise_id, email = registered_enterprise(bus, cluster)
    attachment_id = str(uuid.uuid4())
    case_ref = review_requested(bus, enterprise_id, db=notify_db, attachments=[
        {"id": attachment_id, "label": "营业执照", "filename": "yyzz.pdf", "sha256": "0" * 64}])
    bus.emit(
        "review",
        "correction_requested",
        case_event(
            case_ref,
            enterprise_id,
            revision=1,
            deadline=(date.today() + timedelta(days=10)).isoformat(),
            # as review names them: the field's name, the attachment's id
            items=[{"target": "attachment", "name": attachment_id, "reason": "扫描件不清晰"},
                   {"target": "field", "name": "enterprise.legal_representative", "reason": "不一致"}],
        ),
    )
    main = enterprise_actor(enterprise_id)
    todo = wait_todo(cluster, main, "correction", case_ref)
    assert todo["title"] == "补正：承装（修、试）电力设施许可证新办"
    assert todo["link"] == "/permits/applications/" + case_ref.rsplit(":", 1)[1]
    assert "营业执照：扫描件不清晰" in todo["body"] and "法定代表人：不一致" in todo["body"]
    assert attachment_id not in todo["body"] and "enterprise.legal_representative" not in todo["body"]
    assert any(t["id"] == todo["id"] for t in todos_of(cluster, sub_actor(enterprise_id, "permits")))
    assert not todos_of(cluster, sub_actor(enterprise_id, "personnel"))
    assert cluster.notify.unread_counts(main)["todos"] == 1
    # 我的消息 answers the to-do badge too, with or without messages of its own
    assert cluster.notify.list_messages(main)["todos_open"] == 1
    assert cluster.notify.list_messages(sub_actor(enterprise_id, "permits"))["todos_open"] == 1
    assert cluster.notify.list_messages(sub_actor(enterprise_id, "personnel"))["todos_open"] == 0
    opened = cluster.notify.open_todo(main, todo["id"])
    assert opened["read_at"] is not None
    with pytest.raises(NotFound):
        cluster.notify.open_todo(enterprise_actor(str(uuid.uuid4())), todo["id"])
    wait_for(
        lambda: any(m["To"] == email and "补正通知" in m["Subject"] for m in read_mails(notify_platform)),
        what="correction mail",
    )
    # the case moves on: the to-do is done
    bus.emit(
        "review",
        "case_step_changed",
        case_event(
            case_ref, enterprise_id, step="review", step_label="审核", level="city", region_code="150100"
        ),
    )
    wait_for(lambda: not todos_of(cluster, main), what="correction to-do done")
    [done] = todos_of(cluster, main, include_done=True)
    assert done["done_reason"] == "moved_on" and done["done_at"]


def test_resubmission_ends_the_correction_too(cluster, bus, notify_db):
    enterprise_id, _ = registered_enterprise(bus, cluster)
    case_ref = review_requested(bus, enterprise_id, db=notify_db)
    bus.emit(
        "review",
        "correction_requested",
        case_event(
            case_ref,
            enterprise_id,
            revision=1,
            deadline=None,
            items=[{"target": "field", "name": "x", "reason": "y"}],
        ),
    )
    wait_todo(cluster, enterprise_actor(enterprise_id), "correction", case_ref)
    review_requested(bus, enterprise_id, revision=2, case_ref=case_ref)
    wait_for(
        lambda: not todos_of(cluster, enterprise_actor(enterprise_id)), what="correction done on resubmit"
    )


def test_decision_gives_message_mail_and_a_rating_todo_then_the_5_day_rule(
    cluster, bus, notify_platform, notify_db
):
    enterprise_id, email = registered_enterprise(bus, cluster)
    case_ref = review_requested(bus, enterprise_id, db=notify_db)
    decider = str(uuid.uuid4())
    bus.emit(
        "review",
        "case_decided",
        case_event(case_ref, enterprise_id, decision="approved", reason=None, decided_by=decider),
    )
    main = enterprise_actor(enterprise_id)
    rating_todo = wait_todo(cluster, main, "rating", case_ref)
    assert rating_todo["link"].startswith("/rate/")
    assert any("审核通过" in m["title"] for m in cluster.notify.list_messages(main)["messages"])
    wait_for(
        lambda: any(m["To"] == email and "审核结果" in m["Subject"] for m in read_mails(notify_platform)),
        what="decision mail",
    )
    token = rating_todo["link"].rsplit("/", 1)[1]
    form = cluster.notify.rating_form(token)
    assert form["mode"] == "case" and form["business_type"] == "pfl.power.new"
    mobile = random_mobile()
    with pytest.raises(ValidationFailed):
        cluster.notify.submit_rating(token, {"score": 9, "mobile": mobile})
    rating = cluster.notify.submit_rating(
        token, {"score": 5, "reasons": ["fast", "clear"], "comment": "很好", "mobile": mobile}
    )
    assert rating["case_ref"] == case_ref and rating["reviewer_id"] == decider
    assert rating["mobile"] != mobile and rating["mobile"].endswith(mobile[-4:])  # masked
    assert not [t for t in todos_of(cluster, main) if t["kind"] == "rating"]  # done by rating
    with pytest.raises(Conflict) as refused:
        cluster.notify.submit_rating(token, {"score": 4, "mobile": mobile})
    allowed = (datetime.fromisoformat(rating["rated_at"]) + timedelta(days=5)).astimezone(
        __import__("services.common.localtime", fromlist=["BEIJING"]).BEIJING
    )
    assert allowed.strftime("%Y-%m-%d %H:%M") in refused.value.message
    assert "5天内" in refused.value.message


def test_poor_rating_opens_an_admin_follow_up_and_stats_count_it(cluster):
    desk = staff("reviewer", "city", "150100")
    qr = cluster.notify.create_rating_token(
        desk, {"mode": "visit", "business_type": "pfl.power.new", "reviewer_name": "赵审核"}
    )
    rating = cluster.notify.submit_rating(
        qr["token"], {"score": 1, "reasons": ["slow"], "comment": "等太久", "mobile": random_mobile()}
    )
    admin = staff("admin", None, None)
    follow = wait_todo(cluster, admin, "follow_up", f"notify:rating:{rating['id']}")
    assert follow["link"] == f"/ratings/{rating['id']}"
    stats = cluster.notify.rating_stats(desk)
    assert any(row["label"] == "赵审核" and row["count"] >= 1 for row in stats["by_reviewer"])
    done = cluster.notify.complete_todo(admin, follow["id"])
    assert done["done_reason"] == "followed_up"


def test_overdue_case_is_a_todo_for_its_desk_only(cluster, bus, notify_db):
    enterprise_id, _ = registered_enterprise(bus, cluster)
    case_ref = review_requested(bus, enterprise_id, db=notify_db)
    event = case_event(
        case_ref,
        enterprise_id,
        level="city",
        desk_region="150200",
        due_date=date.today().isoformat(),
        claimed_by=None,
    )
    bus.emit("review", "case_overdue", event)
    todo = wait_todo(cluster, staff("reviewer", "city", "150200"), "overdue", case_ref)
    assert todo["link"] == f"/review/cases/{event['case_id']}"
    assert not [
        t for t in todos_of(cluster, staff("reviewer", "city", "150100")) if t["subject_ref"] == case_ref
    ]
    bus.emit(
        "review",
        "case_decided",
        case_event(case_ref, enterprise_id, decision="rejected", reason="材料不全", decided_by="r"),
    )
    wait_for(
        lambda: (
            not [
                t
                for t in todos_of(cluster, staff("reviewer", "city", "150200"))
                if t["subject_ref"] == case_ref
            ]
        ),
        what="overdue to-do done",
    )


def test_self_inspection_is_a_todo_for_the_enterprise(cluster, bus):
    enterprise_id = str(uuid.uuid4())
    target = str(uuid.uuid4())
    bus.emit(
        "review",
        "self_inspection_started",
        {
            "campaign_id": str(uuid.uuid4()),
            "target_id": target,
            "enterprise_id": enterprise_id,
            "business_type": "pfl",
            "title": "承装修试2026年自查",
            "deadline": "2026-12-31",
            "at": datetime.now(UTC).isoformat(),
        },
    )
    todo = wait_todo(
        cluster, enterprise_actor(enterprise_id), "self_inspection", f"review:self_inspection:{target}"
    )
    assert todo["title"] == "自查：承装修试2026年自查"


# ---- permits / personnel (expected events) + reminders with a controlled clock -------------------------
def test_licence_issued_message_and_expiry_reminders_once_per_threshold(
    cluster, bus, notify_platform, notify_db
):
    enterprise_id, email = registered_enterprise(bus, cluster)
    valid_until = date(2031, 6, 30)
    licence_id = str(uuid.uuid4())
    bus.emit(
        "permits",
        "licence_issued",
        {
            "licence_id": licence_id,
            "enterprise_id": enterprise_id,
            "application_id": None,
            "number": f"承装5-{licence_id[:6]}",
            "type_code": "pfl.power",
            "items": [],
            "valid_from": "2025-07-01",
            "valid_until": valid_until.isoformat(),
        },
    )
    main = enterprise_actor(enterprise_id)
    wait_for(
        lambda: any("证书已核发" in m["title"] for m in cluster.notify.list_messages(main)["messages"]),
        what="licence issued message",
    )

    def reminders() -> list[str]:
        return [m["title"] for m in cluster.notify.list_messages(main)["messages"] if "到期" in m["title"]]

    assert cluster.notify.run_reminders((valid_until - timedelta(days=91)).isoformat())
    assert reminders() == []
    cluster.notify.run_reminders((valid_until - timedelta(days=90)).isoformat())
    assert len(reminders()) == 1 and "90天" in reminders()[0]
    cluster.notify.run_reminders((valid_until - timedelta(days=89)).isoformat())  # same threshold: no repeat
    cluster.notify.run_reminders((valid_until - timedelta(days=90)).isoformat())
    assert len(reminders()) == 1
    cluster.notify.run_reminders((valid_until - timedelta(days=45)).isoformat())
    cluster.notify.run_reminders((valid_until - timedelta(days=30)).isoformat())
    titles = reminders()
    assert len(titles) == 3 and any("60天" in t for t in titles) and any("30天" in t for t in titles)
    wait_for(
        lambda: (
            sum(1 for m in read_mails(notify_platform) if m["To"] == email and "即将到期" in m["Subject"])
            == 3
        ),
        what="three expiry mails",
    )
    with notify_db.connect() as conn:
        keys = (
            conn.execute(
                text("SELECT reminder_key FROM reminders_sent WHERE subject_id = :s"), {"s": licence_id}
            )
            .scalars()
            .all()
        )
    assert sorted(k for k in keys if k.startswith("expiry")) == sorted(
        f"expiry:{valid_until.isoformat()}:{t}" for t in (90, 60, 30)
    )
    # revoked: no more reminders
    bus.emit(
        "permits",
        "licence_status_changed",
        {
            "licence_id": licence_id,
            "enterprise_id": enterprise_id,
            "number": "x",
            "type_code": "pfl.power",
            "status": "revoked",
            "valid_until": valid_until.isoformat(),
        },
    )
    wait_for(
        lambda: any("吊销" in m["title"] for m in cluster.notify.list_messages(main)["messages"]),
        what="revoked message",
    )


def test_correction_deadline_is_reminded(cluster, bus, notify_db):
    enterprise_id, _ = registered_enterprise(bus, cluster)
    case_ref = review_requested(bus, enterprise_id, db=notify_db)
    due = date(2032, 3, 10)
    bus.emit(
        "review",
        "correction_requested",
        case_event(
            case_ref,
            enterprise_id,
            revision=1,
            deadline=due.isoformat(),
            items=[{"target": "field", "name": "a", "reason": "b"}],
        ),
    )
    main = enterprise_actor(enterprise_id)
    wait_todo(cluster, main, "correction", case_ref)
    cluster.notify.run_reminders((due - timedelta(days=3)).isoformat())
    assert any(m["title"].startswith("期限提醒") for m in cluster.notify.list_messages(main)["messages"])


# ---- bad input ------------------------------------------------------------------------------------
def test_malformed_event_is_dead_lettered_and_visible_to_admins(cluster, bus):
    bad = make_envelope("review", "correction_requested", 1, {"case_ref": "permits:application:broken"})
    bus.emit_raw("review", "correction_requested", bad)
    admin = staff("admin", None, None)

    def parked() -> dict | None:
        listing = cluster.notify.dead_letters(admin, 100)
        return next((m for m in listing["messages"] if bad["id"] in (m["payload"] or "")), None)

    message = wait_for(parked, timeout=30, what="malformed event in notify.dead-letters")
    assert "MalformedEvent" in message["error"]
    assert cluster.notify.dead_letters(admin)["depth"] >= 1


def test_a_redelivered_event_counts_once(cluster, bus):
    enterprise_id = str(uuid.uuid4())
    envelope = make_envelope(
        "enterprise",
        "registration_profile_submitted",
        1,
        {
            "enterprise_id": enterprise_id,
            "uscc": random_uscc(),
            "name": "重复投递公司",
            "region_code": "150102",
            "submitted_at": datetime.now(UTC).isoformat(),
        },
    )
    bus.emit_raw("enterprise", "registration_profile_submitted", envelope)
    bus.emit_raw("enterprise", "registration_profile_submitted", envelope)
    main = enterprise_actor(enterprise_id)
    wait_for(lambda: cluster.notify.unread_counts(main)["messages"] >= 1, what="message")
    import time

    time.sleep(1.5)
    assert len(cluster.notify.list_messages(main)["messages"]) == 1
