import base64
import io
import os
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from PIL import Image, ImageDraw

from services.common import validators as ids
from services.common.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from services.personnel import domain as d
from services.personnel.appeals import appeal_step, dual_employment_anomalies, raise_anomaly

TODAY = date(2026, 11, 23)
# Synthetic numbers with correct GB 11643 check digits (computed, not copied).
FEMALE_LEAP_DAY = "150204198402290027"  # born 1984-02-29, 17th digit 2 -> female
MALE_X = "15012120000101003X"  # born 2000-01-01, 17th digit 3 -> male, check character X
SEED_SAMPLE = "150102197401300518"  # the CIP seed's sample form (valid)


def person(**overrides):
    data = {"name": "张三", "id_type": "resident_id", "id_number": MALE_X, "mobile": "13912345678",
            "education": "bachelor", "title": "工程师", "title_level": "intermediate"}
    data.update(overrides)
    return data


def fields_of(exc):
    return {name: [e["code"] for e in errs] for name, errs in exc.value.fields.items()}


# ---------------------------------------------------------------- ID numbers

@pytest.mark.parametrize(("number", "code"), [
    ("15012120000101003", "length"),
    ("15012120000101003XX", "length"),
    ("1501212000010100AX", "characters"),
    ("150204198502290016", "birth_date"),  # 1985 is not a leap year
    ("150121200013010034", "birth_date"),  # month 13
    ("150121200001010030", "check_digit"),
    ("150102197401300519", "check_digit"),
    ("150121210001010037", "birth_date"),  # born in 2100: in the future
])
def test_bad_resident_ids_are_named(number, code):
    problem = d.id_number_problem(d.RESIDENT_ID, number, TODAY)
    assert problem is not None and problem[0] == code
    assert problem[1] == ids.RESIDENT_ID_MESSAGES[code]


@pytest.mark.parametrize("number", [FEMALE_LEAP_DAY, MALE_X, MALE_X.lower(), SEED_SAMPLE,
                                    " 150102 197401300518 "])
def test_good_resident_ids(number):
    assert d.id_number_problem(d.RESIDENT_ID, number, TODAY) is None


def test_birth_and_gender_from_resident_id():
    assert d.birth_date_from_resident_id(FEMALE_LEAP_DAY) == date(1984, 2, 29)
    assert d.gender_from_resident_id(FEMALE_LEAP_DAY) == "female"
    assert d.gender_from_resident_id(MALE_X) == "male"


@pytest.mark.parametrize(("id_type", "number", "ok"), [
    (ids.OFFICER_ID, "南字第1234567号", True),
    (ids.OFFICER_ID, "政字第123456号", True),
    (ids.OFFICER_ID, "1234567", False),
    (ids.OFFICER_ID, "南字第12345号", False),
    (ids.POLICE_ID, "123456", True),
    (ids.POLICE_ID, "京公12345678", True),
    (ids.POLICE_ID, "12345", False),
    (ids.POLICE_ID, "ABC123456", False),
    (ids.PASSPORT, "E12345678", True),
    (ids.PASSPORT, "ea1234567", True),  # normalised to upper case
    (ids.PASSPORT, "G 1234 5678", True),
    (ids.PASSPORT, "ABCDEFG", False),  # no digit
    (ids.PASSPORT, "E12", False),
    (ids.PASSPORT, "E1234567890123456789", False),
])
def test_other_id_formats(id_type, number, ok):
    problem = d.id_number_problem(id_type, number, TODAY)
    assert (problem is None) == ok, problem
    if not ok:
        assert problem[0] == "format" and problem[1] == ids.OTHER_ID_FORMATS[id_type][1]


def test_unknown_id_type_and_check_id():
    assert d.id_number_problem("driving_licence", "123", TODAY)[0] == "id_type"
    assert d.check_id(d.RESIDENT_ID, MALE_X.lower(), TODAY) == MALE_X
    with pytest.raises(ValidationFailed) as exc:
        d.check_id(d.RESIDENT_ID, "150121200001010030", TODAY, field_name="new_id_number")
    assert fields_of(exc) == {"new_id_number": ["check_digit"]}


# ---------------------------------------------------------------- people

def test_valid_person_reads_birth_date_and_gender_from_the_id():
    out = d.validate_person(person(id_number=FEMALE_LEAP_DAY.lower(), gender="女"), TODAY)
    assert out["birth_date"] == date(1984, 2, 29)
    assert out["gender"] == "female"
    assert out["id_number"] == FEMALE_LEAP_DAY
    assert out["education"] == "bachelor" and out["title_level"] == "intermediate"


def test_person_with_a_disagreeing_birth_date_and_gender_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        d.validate_person(person(birth_date="2000-01-02", gender="female"), TODAY)
    assert fields_of(exc) == {"birth_date": ["mismatch"], "gender": ["mismatch"]}
    assert "2000-01-01" in exc.value.fields["birth_date"][0]["message"]


def test_person_with_a_passport_needs_birth_date_and_gender():
    with pytest.raises(ValidationFailed) as exc:
        d.validate_person(person(id_type="护照", id_number="E12345678"), TODAY)
    assert fields_of(exc) == {"gender": ["required"], "birth_date": ["required"]}
    out = d.validate_person(person(id_type="护照", id_number="e12345678", gender="男",
                                   birth_date="1980-05-06"), TODAY)
    assert (out["id_type"], out["id_number"]) == ("passport", "E12345678")
    assert out["birth_date"] == date(1980, 5, 6)


def test_person_collects_every_problem():
    with pytest.raises(ValidationFailed) as exc:
        d.validate_person({"name": "", "id_number": "150121200001010030", "mobile": "12345678901",
                           "education": "小学", "email": "not-mail", "title_level": "大师"}, TODAY)
    got = fields_of(exc)
    assert got["name"] == ["required"]
    assert got["id_number"] == ["check_digit"]
    assert got["mobile"] == ["format"]
    assert got["education"] == ["invalid"]
    assert got["email"] == ["format"]
    assert got["title_level"] == ["invalid"]
    assert got["gender"] == ["required"]


@pytest.mark.parametrize(("name", "ok"), [("张三", True), ("阿依古丽·买买提", True), ("John Smith", True),
                                          ("张", False), ("张三3", False), ("·张三", False)])
def test_names(name, ok):
    if ok:
        assert d.validate_person(person(name=name), TODAY)["name"] == name
    else:
        with pytest.raises(ValidationFailed) as exc:
            d.validate_person(person(name=name), TODAY)
        assert fields_of(exc) == {"name": ["format"]}


def test_birth_date_in_the_future_for_passport_holders():
    with pytest.raises(ValidationFailed) as exc:
        d.validate_person(person(id_type="passport", id_number="E12345678", gender="male",
                                 birth_date=(TODAY + timedelta(days=1)).isoformat()), TODAY)
    assert fields_of(exc) == {"birth_date": ["invalid"]}


def test_age():
    assert d.age_on(date(1984, 2, 29), date(2049, 2, 28)) == 64
    assert d.age_on(date(1984, 2, 29), date(2049, 3, 1)) == 65


# ---------------------------------------------------------------- photos and attachments

def _png(size=(300, 400), background=(255, 255, 255), noisy=False):
    im = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(im)
    draw.ellipse((100, 120, 200, 260), fill=(200, 150, 120))
    if noisy:
        im = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_plain_photo_passes():
    report = d.check_person_photo(_png())
    assert report.format == "png" and report.background_uniform is True and report.warnings == []


def test_photo_over_one_megabyte_is_refused_with_the_rule():
    data = _png(size=(800, 800), noisy=True)
    assert len(data) > d.PHOTO_MAX_BYTES
    with pytest.raises(ValidationFailed) as exc:
        d.check_person_photo(data)
    assert fields_of(exc) == {"photo": ["too_large"]}
    assert "小于1MB" in exc.value.message


def test_photo_in_another_format_is_refused():
    buf = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(buf, "GIF")
    with pytest.raises(ValidationFailed) as exc:
        d.check_person_photo(buf.getvalue())
    assert fields_of(exc) == {"photo": ["wrong_type"]}


def test_busy_background_is_a_warning_or_a_refusal_when_strict():
    data = _png(size=(200, 250), noisy=True)
    report = d.check_person_photo(data)
    assert report.background_uniform is False and report.warnings
    with pytest.raises(ValidationFailed) as exc:
        d.check_person_photo(data, strict_background=True)
    assert fields_of(exc) == {"photo": ["background"]}


def _upload(data, name):
    return {"filename": name, "content_b64": base64.b64encode(data).decode()}


def test_attachments_take_images_and_pdfs_by_content():
    assert d.check_attachment(_upload(_png(), "身份证.jpg")).content_type == "image/png"
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(buf, "PDF", resolution=300)
    assert d.check_attachment(_upload(buf.getvalue(), "劳动合同.pdf")).content_type == "application/pdf"
    with pytest.raises(ValidationFailed) as exc:
        d.check_attachment(_upload(b"hello, not a file", "a.pdf"), "contract")
    assert list(exc.value.fields) == ["contract"]
    big = _png(size=(1000, 1000), noisy=True)
    assert len(big) > 2 * 1024 * 1024
    with pytest.raises(ValidationFailed) as exc:
        d.check_attachment(_upload(big, "big.png"))
    assert fields_of(exc) == {"attachment": ["too_large"]}


# ---------------------------------------------------------------- one employer

REGS = [
    {"enterprise_id": "ent-a", "enterprise_name": "内蒙古华诚商务有限责任公司", "status": "valid",
     "certificate_label": "二级建造师", "number": "蒙215080907445"},
    {"enterprise_id": "ent-a", "enterprise_name": "内蒙古华诚商务有限责任公司", "status": "cancelled",
     "certificate_label": "安管人员B证", "number": "蒙建安B(2011)0002266"},
]


def test_conflict_names_the_holder():
    conflict = d.employment_conflict(REGS, "ent-b")
    assert conflict.holder_enterprise_id == "ent-a"
    assert conflict.certificates == ("二级建造师 蒙215080907445",)
    assert "内蒙古华诚商务有限责任公司" in conflict.message and "一人只能受聘于一家企业" in conflict.message
    with pytest.raises(Conflict) as exc:
        d.check_one_employer(REGS, "ent-b")
    assert exc.value.code == "employed_elsewhere"


def test_no_conflict_at_the_holder_or_when_nothing_is_active():
    assert d.employment_conflict(REGS, "ent-a") is None
    assert d.employment_conflict(REGS[1:], "ent-b") is None
    assert d.employment_conflict([], "ent-b") is None
    lapsed = [dict(REGS[0], status="lapsed")]
    assert d.employment_conflict(lapsed, "ent-b") is None


def test_transferring_certificate_conflicts_except_with_its_destination():
    moving = [dict(REGS[0], status="transferring", transfer_to="ent-b")]
    assert d.employment_conflict(moving, "ent-b") is None
    assert d.employment_conflict(moving, "ent-c").holder_enterprise_id == "ent-a"


def test_pending_declaration_elsewhere_is_a_conflict():
    pending = [{"enterprise_id": "ent-c", "enterprise_name": "某公司", "status": "declared"}]
    assert "“某公司”注册，一人" in d.employment_conflict(pending, "ent-b").message


# ---------------------------------------------------------------- transfers

def test_cip_transfer_out_then_in_and_the_certificate_moves_last():
    t = d.declare_transfer_out("cert", "p", "ent-a", "ent-b")
    assert t.status == "out_declared" and d.transfer_holder(t) == "ent-a" and d.transfer_may_return(t)
    t = d.transfer_step(t, "accept", actor_enterprise_id="ent-b")
    assert t.status == "in_drafted" and not d.transfer_may_return(t)
    with pytest.raises(InvalidTransition) as exc:
        d.transfer_step(t, "return", actor_enterprise_id="ent-b")
    assert exc.value.code == "delete_first" and "先删除调入申报" in exc.value.message
    t = d.transfer_step(t, "submit", actor_enterprise_id="ent-b")
    with pytest.raises(InvalidTransition) as exc:
        d.transfer_step(t, "return", actor_enterprise_id="ent-b")
    assert exc.value.code == "in_review" and "不能再退回" in exc.value.message
    assert d.transfer_holder(t) == "ent-a"
    with pytest.raises(Forbidden):
        d.transfer_step(t, "approve", actor_enterprise_id="ent-b", by="enterprise")
    t = d.transfer_step(t, "approve")
    assert t.status == "completed" and d.transfer_holder(t) == "ent-b"
    assert [h[0] for h in t.history] == ["declare_out", "accept", "submit", "approve"]


def test_cip_new_employer_returns_after_deleting_its_draft():
    t = d.declare_transfer_out("cert", "p", "ent-a", "ent-b")
    t = d.transfer_step(t, "accept", actor_enterprise_id="ent-b")
    t = d.transfer_step(t, "delete_draft", actor_enterprise_id="ent-b")
    t = d.transfer_step(t, "return", actor_enterprise_id="ent-b")
    assert t.status == "returned" and d.transfer_holder(t) == "ent-a"


def test_only_the_right_enterprise_acts():
    t = d.declare_transfer_out("cert", "p", "ent-a", "ent-b")
    with pytest.raises(Forbidden):
        d.transfer_step(t, "accept", actor_enterprise_id="ent-c")
    with pytest.raises(Forbidden):
        d.transfer_step(t, "return", actor_enterprise_id="ent-a")


def test_transfer_out_must_name_another_enterprise():
    with pytest.raises(ValidationFailed) as exc:
        d.declare_transfer_out("cert", "p", "ent-a", "ent-a")
    assert fields_of(exc) == {"to_enterprise_id": ["same_enterprise"]}
    with pytest.raises(ValidationFailed):
        d.declare_transfer_out("cert", "p", "ent-a", "")


def test_tsa_transfer_with_consent():
    out = d.request_transfer("cert", "p", "out", "ent-a", None)
    with pytest.raises(Forbidden):
        d.transfer_step(out, "consent", actor_enterprise_id="ent-b")
    refused = d.transfer_step(out, "refuse", actor_enterprise_id="ent-a")
    assert refused.status == "refused" and d.transfer_holder(refused) == "ent-a"
    agreed = d.transfer_step(out, "consent", actor_enterprise_id="ent-a")
    assert agreed.status == "in_review" and d.transfer_holder(agreed) == "ent-a"
    done = d.transfer_step(agreed, "approve")
    assert d.transfer_holder(done) is None  # removed from the old employer
    inbound = d.request_transfer("cert", "p", "in", None, "ent-b")
    inbound = d.transfer_step(inbound, "consent", actor_enterprise_id="ent-b")
    assert d.transfer_holder(d.transfer_step(inbound, "approve")) == "ent-b"
    assert d.transfer_step(inbound, "reject").status == "rejected"
    cancelled = d.transfer_step(d.request_transfer("c", "p", "in", "ent-a", "ent-b"), "cancel", by="person")
    assert cancelled.status == "cancelled"
    with pytest.raises(InvalidTransition) as exc:
        d.transfer_step(cancelled, "consent", actor_enterprise_id="ent-b")
    assert "已取消" in exc.value.message


def test_every_transfer_pair_outside_the_table_is_refused():
    for status in d.TRANSFER_STATUSES:
        for action in d.TRANSFER_ACTIONS:
            if (status, action) in d.TRANSFER_TABLE:
                continue
            t = d.Transfer("c", "p", "out", "ent-a", "ent-b", status)
            with pytest.raises(InvalidTransition):
                d.transfer_step(t, action, actor_enterprise_id="ent-a")


# ---------------------------------------------------------------- appeals

def test_dual_employment_found_and_answered():
    regs = [{"person_id": "p1", "enterprise_id": "a", "enterprise_name": "甲公司", "status": "valid"},
            {"person_id": "p1", "enterprise_id": "b", "enterprise_name": "乙公司", "status": "valid"},
            {"person_id": "p2", "enterprise_id": "a", "enterprise_name": "甲公司", "status": "valid"},
            {"person_id": "p2", "enterprise_id": "b", "enterprise_name": "乙公司", "status": "cancelled"}]
    found = dual_employment_anomalies(regs)
    assert [f["person_id"] for f in found] == ["p1"]
    assert found[0]["enterprise_ids"] == ["a", "b"] and "“甲公司”、“乙公司”" in found[0]["detail"]
    appeal = raise_anomaly("a", "p1", "dual_employment", found[0]["detail"], deadline=date(2026, 12, 1))
    with pytest.raises(ValidationFailed) as exc:
        appeal_step(appeal, "answer", by="enterprise", today=TODAY, explanation="短")
    assert fields_of(exc) == {"explanation": ["too_short"], "evidence": ["required"]}
    with pytest.raises(Forbidden):
        appeal_step(appeal, "answer", by="reviewer", today=TODAY, explanation="x" * 20, evidence=["f"])
    answered = appeal_step(appeal, "answer", by="enterprise", today=TODAY,
                             explanation="该人员已于2026年3月与乙公司解除劳动合同，见解聘证明。",
                             evidence=["att-1"])
    assert answered.status == "answered" and answered.evidence == ("att-1",)
    with pytest.raises(ValidationFailed):
        appeal_step(answered, "uphold", by="reviewer", opinion=" ")
    again = appeal_step(answered, "ask_more", by="reviewer", opinion="请补充社保缴纳记录")
    assert again.status == "open"
    upheld = appeal_step(appeal_step(again, "answer", by="enterprise", today=TODAY,
                                         explanation="补充社保缴纳记录，见附件两份材料。",
                                         evidence=["att-2"]),
                           "uphold", by="reviewer", opinion="申辩成立")
    assert upheld.status == "upheld"
    assert [h[0] for h in upheld.history] == ["raise", "answer", "ask_more", "answer", "uphold"]
    with pytest.raises(InvalidTransition):
        appeal_step(upheld, "dismiss", by="reviewer", opinion="x")


def test_appeal_deadline():
    appeal = raise_anomaly("a", "p", "other", "其他", deadline=date(2026, 11, 22))
    with pytest.raises(InvalidTransition) as exc:
        appeal_step(appeal, "answer", by="enterprise", today=TODAY, explanation="说明情况说明情况说明情况")
    assert exc.value.code == "appeal_overdue"
    with pytest.raises(InvalidTransition):
        appeal_step(appeal, "expire", by="system", today=date(2026, 11, 22))
    assert appeal_step(appeal, "expire", by="system", today=TODAY).status == "expired"
    # evidence is optional for "other"
    on_time = raise_anomaly("a", "p", "other", "其他", deadline=TODAY)
    assert appeal_step(on_time, "answer", by="enterprise", today=TODAY,
                         explanation="说明情况说明情况说明情况").status == "answered"
    with pytest.raises(ValidationFailed):
        raise_anomaly("a", "p", "unknown", "x")


# ---------------------------------------------------------------- key person changed

def test_key_person_changed_payload():
    at = datetime(2026, 11, 23, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    payload = d.key_person_changed("ent", "p", "constructor_2", "c", "transferred_out", at)
    assert payload == {"enterprise_id": "ent", "person_id": "p", "certificate_kind": "constructor_2",
                       "certificate_id": "c", "change": "transferred_out", "at": "2026-11-23T08:00:00+00:00"}
    assert d.key_person_changed("e", "p", "safety_b", "c", "lapsed")["at"].endswith("+00:00")
    with pytest.raises(ValueError):
        d.key_person_changed("e", "p", "safety_b", "c", "moved")
    with pytest.raises(ValueError):
        d.key_person_changed("e", "p", "safety_b", "c", "lapsed", datetime(2026, 1, 1))
    assert datetime.fromisoformat(d.key_person_changed("e", "p", "k", "c", "cancelled")["at"]).tzinfo == UTC


def test_tsa_batch_consent_reports_each_item():
    a = d.request_transfer("c1", "p1", "out", "ent-a", None)
    b = d.request_transfer("c2", "p2", "out", "ent-a", None)
    foreign = d.request_transfer("c3", "p3", "out", "ent-x", None)
    done, results = d.transfer_batch({"a": a, "b": b, "x": foreign}, "consent", actor_enterprise_id="ent-a")
    assert sorted(done) == ["a", "b"] and all(t.status == "in_review" for t in done.values())
    assert [r["ok"] for r in results] == [True, True, False]
    assert results[2]["code"] == "not_your_transfer"
    _, again = d.transfer_batch(done, "consent", actor_enterprise_id="ent-a")
    assert [r["code"] for r in again] == ["invalid_transition", "invalid_transition"]


def test_transfer_record_changes_follow_the_transfer():
    t = d.declare_transfer_out("cert", "p", "ent-a", "ent-b")
    assert d.transfer_record_changes(t) == {"status": "transferring", "transfer_to": "ent-b",
                                            "enterprise_id": "ent-a"}
    returned = d.transfer_step(t, "return", actor_enterprise_id="ent-b")
    assert d.transfer_record_changes(returned) == {"status": "valid", "transfer_to": None,
                                                   "enterprise_id": "ent-a"}
    t = d.transfer_step(d.transfer_step(t, "accept", actor_enterprise_id="ent-b"), "submit",
                        actor_enterprise_id="ent-b")
    assert d.transfer_record_changes(t)["enterprise_id"] == "ent-a"
    done = d.transfer_step(t, "approve")
    assert d.transfer_record_changes(done) == {"status": "valid", "transfer_to": None,
                                               "enterprise_id": "ent-b"}
    assert d.transfer_record_changes(d.request_transfer("c", "p", "in", None, "ent-b")) == {}


def test_duplicate_electrician_id_numbers():
    people = [{"id_number": MALE_X}, {"id_number": FEMALE_LEAP_DAY}, {"id_number": MALE_X.lower()},
              {"id_number": ""}, {"id_type": "passport", "id_number": "e12345678"},
              {"id_type": "passport", "id_number": "E12345678"}]
    assert d.duplicate_id_numbers(people) == {MALE_X: [0, 2], "E12345678": [4, 5]}
