"""notify's rules: who sees what, when a to-do is done, reminder thresholds, the 5-day rating rule."""

from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.charts import svg_bars
from services.notify import domain, rating_rules, reminder_rules
from services.notify import events as ev
from services.notify.domain import Audience, Recipient, audience_for, visible

ENT = "0b7c6a52-1111-4c3e-9a57-000000000001"
OTHER = "0b7c6a52-1111-4c3e-9a57-000000000002"


def actor(kind="enterprise", **extra):
    base = {"id": ENT if kind == "enterprise" else "0b7c6a52-2222-4c3e-9a57-000000000009",
            "kind": kind, "permissions": [], "enterprise_id": ENT if kind in ("enterprise", "sub") else None,
            "level": None, "region_code": None}
    return {**base, **extra}


def test_main_account_sees_every_module_of_its_enterprise_but_not_others():
    audience = audience_for(actor())
    assert visible(audience, Recipient.enterprise(ENT, "permits"))
    assert visible(audience, Recipient.enterprise(ENT))
    assert not visible(audience, Recipient.enterprise(OTHER, "permits"))
    assert not visible(audience, Recipient.reviewer_desk("province", "150000"))


def test_sub_account_sees_only_the_modules_it_holds():
    audience = audience_for(actor("sub", permissions=["personnel", "read_only"]))
    assert visible(audience, Recipient.enterprise(ENT, "personnel"))
    assert not visible(audience, Recipient.enterprise(ENT, "permits"))
    assert not visible(audience, Recipient.enterprise(ENT))  # no module: the main account's
    assert visible(audience, Recipient(account_id=audience.own[0]))  # its own messages


def test_sub_account_of_another_enterprise_sees_nothing_of_ours():
    audience = audience_for(actor("sub", permissions=["permits"], enterprise_id=OTHER))
    assert not visible(audience, Recipient.enterprise(ENT, "permits"))


def test_reviewer_sees_its_desk_only_and_admin_the_admin_desk():
    reviewer = audience_for(actor("reviewer", level="city", region_code="150100"))
    assert visible(reviewer, Recipient.reviewer_desk("city", "150100"))
    assert not visible(reviewer, Recipient.reviewer_desk("province", "150000"))
    assert not visible(reviewer, Recipient.admins())
    admin = audience_for(actor("admin"))
    assert visible(admin, Recipient.admins())
    assert not visible(admin, Recipient.enterprise(ENT, "permits"))


def test_correction_makes_a_permits_todo_linking_to_the_case_with_its_deadline():
    data = {"case_ref": "permits:application:abc", "case_id": "c1", "enterprise_id": ENT,
            "items": [{"target": "field", "name": "注册资本", "reason": "与营业执照不一致"}],
            "deadline": date(2026, 12, 1)}
    effects = domain.effects_of_correction(data, {"title": "承装（修、试）许可新办"}, "a@example.com")
    [todo] = effects.todos
    assert todo.kind == "correction" and todo.subject_ref == "permits:application:abc"
    assert todo.recipient == Recipient.enterprise(ENT, "permits")
    assert todo.link == "/permits/applications/abc"
    assert "注册资本" in todo.body and "2026-12-01" in todo.body
    assert effects.deadlines[0].due_date == date(2026, 12, 1)
    assert effects.mails[0].to == "a@example.com"


def test_personnel_case_goes_to_the_personnel_module():
    data = {"case_ref": "personnel:transfer:t1", "case_id": "c", "enterprise_id": ENT, "items": [],
            "deadline": None}
    [todo] = domain.effects_of_correction(data, None, None).todos
    assert todo.recipient.module == "personnel"


@pytest.mark.parametrize("effects,expected", [
    (domain.effects_of_step_changed({"case_ref": "permits:application:a"}), ("correction", "overdue")),
    (domain.effects_of_decision({"case_ref": "permits:application:a", "enterprise_id": ENT,
                                 "decision": "approved", "reason": None}, None, None), ("correction",)),
    (domain.effects_of_resubmission({"case_ref": "permits:application:a", "revision": 2}), ("correction",)),
])
def test_moving_on_marks_the_correction_done(effects, expected):
    [rule] = effects.done
    assert rule.subject_ref == "permits:application:a"
    for kind in expected:
        assert kind in rule.kinds
    assert "rating" not in rule.kinds  # a rating to-do survives the case moving on


def test_first_submission_is_not_a_correction_and_closing_ends_everything():
    assert domain.effects_of_resubmission({"case_ref": "x:y:z", "revision": 1}).done == []
    [rule] = domain.effects_of_closed({"case_ref": "x:y:z", "outcome": "withdrawn"}).done
    assert rule.kinds == ()  # every kind


def test_decision_opens_a_rating_but_not_for_a_registration():
    approved = {"case_ref": "permits:application:a", "enterprise_id": ENT, "decision": "approved",
                "reason": None}
    assert domain.effects_of_decision(approved, None, None).rating_for == "permits:application:a"
    registration = {**approved, "case_ref": "identity:registration:a"}
    assert domain.effects_of_decision(registration, None, None).rating_for is None


def test_overdue_goes_to_the_reviewer_desk_and_change_requests_to_the_province():
    [todo] = domain.effects_of_overdue({"case_ref": "permits:application:a", "case_id": "c9",
                                        "level": "city", "desk_region": "150100",
                                        "due_date": date(2026, 11, 1)}, None).todos
    assert todo.recipient == Recipient.reviewer_desk("city", "150100")
    assert todo.link == "/review/cases/c9"
    [change] = domain.effects_of_change_requested({
        "change_request_id": "r1", "enterprise_id": ENT, "uscc": "9115", "enterprise_name": "某公司",
        "region_code": "150102", "changes": {"name": {}}}).todos
    assert change.recipient == Recipient.reviewer_desk("province", "150000")
    assert "name" not in change.body and "登记事项" in change.body  # an older event: no labels


def test_change_request_todo_names_the_fields_never_their_keys():
    [change] = domain.effects_of_change_requested({
        "change_request_id": "r1", "enterprise_id": ENT, "uscc": "9115", "enterprise_name": "某公司",
        "region_code": "150102", "changes": {"legal_representative": {}, "name": {}},
        "labels": {"legal_representative": "法定代表人", "name": "企业名称"}}).todos
    assert change.body == "某公司 申请变更：法定代表人、企业名称。"


LICENCE = {"subject_kind": "licence", "enterprise_id": ENT, "number": "5-1-00001-2026",
           "status": "active", "valid_until": date(2027, 3, 31)}


def keys(today, facts=LICENCE):
    return [r.key.split(":")[0] + ":" + r.key.split(":")[-1]
            for r in reminder_rules.expiry_reminders(today, facts)]


def test_expiry_reminders_at_90_60_30_days_only_the_most_urgent_crossed():
    until = LICENCE["valid_until"]
    assert keys(until - timedelta(days=91)) == []
    assert "expiry:90" in keys(until - timedelta(days=90))
    assert "expiry:90" in keys(until - timedelta(days=61))
    assert "expiry:60" in keys(until - timedelta(days=60))
    assert "expiry:30" in keys(until - timedelta(days=20))  # first seen late: the 30-day one
    assert keys(until + timedelta(days=1)) == []             # expired: no more reminders


def test_renewal_window_opens_90_days_before_and_warns_before_it_closes():
    until = LICENCE["valid_until"]
    assert "renewal_open:" + until.isoformat() in [r.key for r in reminder_rules.expiry_reminders(
        until - timedelta(days=90), LICENCE)]
    closing = [r.key for r in reminder_rules.expiry_reminders(until - timedelta(days=35), LICENCE)]
    assert any(k.startswith("renewal_closing") for k in closing)
    assert not any(k.startswith("renewal") for k in
                   [r.key for r in reminder_rules.expiry_reminders(until - timedelta(days=10), LICENCE)])


def test_the_renewal_window_the_licence_event_carried_decides_the_reminders():
    """HMQ / CIP: permits' event says the window opens 6 months before expiry and closes 3
    before; the reminder follows it, not the default 90 / 30 days."""
    until = LICENCE["valid_until"]  # 2027-03-31
    hmq = {**LICENCE, "renewal_opens": date(2026, 9, 30), "renewal_closes": date(2026, 12, 31)}
    assert reminder_rules.renewal_window(hmq) == (date(2026, 9, 30), date(2026, 12, 31))
    assert reminder_rules.renewal_window(LICENCE) == (until - timedelta(days=90), until - timedelta(days=30))
    assert reminder_rules.renewal_window({**LICENCE, "renewal_opens": None, "renewal_closes": None}) == \
        reminder_rules.renewal_window(LICENCE)
    assert reminder_rules.renewal_window({**LICENCE, "renewal_opens": "2026-09-30"})[0] == date(2026, 9, 30)

    def renewal(today, facts):
        return [r for r in reminder_rules.expiry_reminders(today, facts) if r.key.startswith("renewal")]

    assert renewal(date(2026, 9, 29), hmq) == []
    (opened,) = renewal(date(2026, 9, 30), hmq)  # 182 days before expiry: no expiry reminder yet
    assert opened.key == f"renewal_open:{until.isoformat()}" and "截止 2026-12-31" in opened.body
    assert [r.key.split(":")[0] for r in renewal(date(2026, 12, 24), hmq)] == [
        "renewal_open", "renewal_closing"]
    assert "2026-12-31 截止" in renewal(date(2026, 12, 24), hmq)[1].body
    assert renewal(until - timedelta(days=60), hmq) == []  # closed: 3 months before expiry
    assert renewal(until - timedelta(days=60), LICENCE) != []  # the default window is still open


def test_certificates_and_revoked_licences():
    cert = {**LICENCE, "subject_kind": "certificate"}
    reminders = reminder_rules.expiry_reminders(cert["valid_until"] - timedelta(days=30), cert)
    assert [r.recipient.module for r in reminders] == ["personnel"]
    assert reminder_rules.expiry_reminders(LICENCE["valid_until"] - timedelta(days=30),
                                   {**LICENCE, "status": "revoked"}) == []


def test_deadline_reminders_7_3_1_and_the_day():
    due = date(2026, 12, 10)
    deadline = {"due_date": due, "title": "补正", "link": "/x", "recipient": Recipient.enterprise(ENT)}
    assert reminder_rules.deadline_reminders(due - timedelta(days=8), deadline) == []
    assert reminder_rules.deadline_reminders(due - timedelta(days=5), deadline)[0].key.endswith(":7")
    assert reminder_rules.deadline_reminders(due, deadline)[0].key.endswith(":0")
    assert reminder_rules.deadline_reminders(due + timedelta(days=1), deadline) == []


def test_a_mobile_may_rate_again_only_after_five_days():
    last = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    allowed = rating_rules.next_rating_allowed(last)
    assert allowed == last + timedelta(days=5)
    assert rating_rules.next_rating_allowed(None) is None
    message = rating_rules.rating_refused_message(allowed)
    assert "2026-11-25 10:00" in message and "5天内" in message  # Beijing time


def test_rating_form_errors():
    assert rating_rules.rating_errors({"score": 5, "reasons": ["fast"], "mobile": "13800138000"}) == {}
    errors = rating_rules.rating_errors({"score": 7, "reasons": ["bogus"], "mobile": "123"})
    assert set(errors) == {"score", "reasons", "mobile"}
    poor = rating_rules.rating_errors({"score": 1, "reasons": [], "comment": "", "mobile": "13800138000"})
    assert "comment" in poor  # a poor rating says why


def test_malformed_rating_fields_are_field_errors_not_crashes():
    """Issue 14 item 4: {"reasons": [{}]} was a TypeError (unhashable dict) and a 500."""
    errors = rating_rules.rating_errors({"score": float("inf"), "reasons": [{}, ["fast"]], "comment": 3,
                                   "mobile": ["13800138000"]})
    assert set(errors) == {"score", "reasons", "comment", "mobile"}
    assert errors["reasons"][0]["code"] == "invalid"


def test_poor_rating_opens_an_admin_follow_up():
    assert rating_rules.is_poor(2) and not rating_rules.is_poor(3)
    todo = rating_rules.follow_up_todo("r1", 1, "某事项")
    assert todo.recipient == Recipient.admins() and todo.kind == "follow_up"


def test_chart_is_svg_with_one_bar_per_group():
    svg = svg_bars([("张三", 4.5, 2), ("<李四>", 1.0, 1)])
    assert svg.startswith("<svg") and svg.count("<rect") == 2
    assert "&lt;李四&gt;" in svg and "bar-poor" in svg


def test_audience_type_is_plain():
    assert isinstance(audience_for(actor()), Audience)


def test_a_licence_at_risk_is_a_permits_message_with_the_reason_and_clearing_says_so():
    [note] = domain.effects_of_licence_at_risk({
        "licence_id": "l1", "enterprise_id": ENT, "number": "(蒙)JZ安许证字[2026]000001",
        "at_risk": True, "reason": "重新预审有1项资质标准不再符合：企业主要负责人（A证）"}).notes
    assert note.recipient == Recipient.enterprise(ENT, "permits")
    assert note.title == "许可证存在风险：(蒙)JZ安许证字[2026]000001"
    assert "企业主要负责人（A证）" in note.body and note.link == "/permits/licences"
    [cleared] = domain.effects_of_licence_at_risk({
        "licence_id": "l1", "enterprise_id": ENT, "number": "N1", "at_risk": False, "reason": None}).notes
    assert cleared.title == "许可证风险已解除：N1" and "None" not in cleared.body


def test_correction_items_are_named_by_the_producers_labels_not_reviews_keys():
    view = ev.REVIEW_REQUESTED["permits"].schema().load({
        "case_ref": "permits:application:abc", "case_type": "cip.safety.new", "enterprise_id": ENT,
        "title": "安全生产许可", "revision": 1, "region_code": "150100",
        "fields": {"enterprise.legal_representative": {"label": "法定代表人", "value": "张三"}},
        "attachments": [{"id": "a-77", "label": "营业执照", "filename": "x.pdf", "sha256": "0" * 64}]})
    labels = domain.review_labels(view["form_fields"], view["attachments"])
    assert labels == {"enterprise.legal_representative": "法定代表人", "a-77": "营业执照"}
    data = {"case_ref": "permits:application:abc", "case_id": "c1", "enterprise_id": ENT,
            "items": [{"target": "field", "name": "enterprise.legal_representative", "reason": "不一致"},
                      {"target": "attachment", "name": "a-77", "reason": "不清晰"},
                      {"target": "field", "name": "unknown.key", "reason": "其他"}],
            "deadline": None}
    effects = domain.effects_of_correction(data, {"title": "安全生产许可", "labels": labels},
                                           "a@example.com")
    [todo] = effects.todos
    assert "法定代表人：不一致" in todo.body and "营业执照：不清晰" in todo.body
    assert "enterprise.legal_representative" not in todo.body and "a-77" not in todo.body
    assert "unknown.key：其他" in todo.body
    assert [i["name"] for i in effects.mails[0].data["items"]] == ["法定代表人", "营业执照", "unknown.key"]


# ---- every step of a case is one message (issue 15, item 18) ---------------------------------------
STEP = {"case_ref": "permits:application:a", "enterprise_id": ENT}


@pytest.mark.parametrize("effects,headline", [
    (domain.effects_of_resubmission({**STEP, "revision": 1, "title": "许可新办"}), "已提交"),
    (domain.effects_of_resubmission({**STEP, "revision": 2, "title": "许可新办"}), "已重新提交"),
    (domain.effects_of_accepted({**STEP, "deemed": False, "accepted_from": "2026-12-07"},
                                {"title": "许可新办"}), "已受理"),
    (domain.effects_of_accepted({**STEP, "deemed": True, "accepted_from": "2026-12-01"},
                                {"title": "许可新办"}), "视为受理"),
    (domain.effects_of_correction({**STEP, "items": [{"name": "x", "reason": "y"}], "deadline": None},
                                  {"title": "许可新办"}, None), "需要补正"),
    (domain.effects_of_step_changed({**STEP, "step": "review", "step_label": "审核", "level": "province"},
                                    {"title": "许可新办"}), "已转至审核"),
    (domain.effects_of_closed({**STEP, "outcome": "withdrawn"}, {"title": "许可新办"}), "已撤回"),
    (domain.effects_of_decision({**STEP, "decision": "approved", "reason": None}, {"title": "许可新办"},
                                None),
     "审核通过"),
])
def test_every_step_of_a_case_is_one_message_to_its_module(effects, headline):
    [note] = effects.notes
    assert note.title == f"许可新办：{headline}"
    assert note.recipient == Recipient.enterprise(ENT, "permits")
    assert note.link == "/permits/applications/a"


def test_deemed_acceptance_says_from_when_the_clock_runs():
    [note] = domain.effects_of_accepted({**STEP, "deemed": True, "accepted_from": "2026-12-01"}, None).notes
    assert "第三十二条" in note.body and "2026-12-01" in note.body


def test_registration_steps_are_told_by_identity_not_here():
    reg = {"case_ref": "identity:registration:a", "enterprise_id": ENT, "revision": 1, "title": "注册"}
    assert domain.effects_of_resubmission(reg).notes == []
    assert domain.effects_of_accepted({**reg, "deemed": False}, None).notes == []
    assert domain.effects_of_step_changed({**reg, "step": "s"}).notes == []


def test_a_recorded_certificate_reaches_notify_with_what_its_reminders_need():
    """issue 15, item 19: personnel.certificate_recorded (信息补录) as personnel sends it and notify
    reads it: the expiry date and a status that keeps the reminders on."""
    import uuid

    from services.common.envelope import make_envelope
    from services.personnel.events import CERTIFICATE_RECORDED as SENT

    data = SENT.serialise({"certificate_id": uuid.uuid4(), "enterprise_id": uuid.UUID(ENT),
                           "person_id": uuid.uuid4(), "holder_name": "王补录", "kind": "safety_b",
                           "type_code": "transport_safety", "number": "蒙交安B1",
                           "valid_until": date(2030, 1, 31), "status": "valid"})
    got = ev.CERTIFICATE_RECORDED.parse(make_envelope("personnel", SENT.type, SENT.version, data))["data"]
    assert got["valid_until"] == date(2030, 1, 31) and domain.expiry_status(got["status"]) == "active"
    assert ev.CERTIFICATE_RECORDED in ev.CONSUMES
    [reminder] = reminder_rules.expiry_reminders(date(2029, 12, 2), {
        "subject_kind": "certificate", "enterprise_id": ENT, "number": got["number"],
        "valid_until": got["valid_until"], "status": "active"})
    assert "60天" in reminder.title
