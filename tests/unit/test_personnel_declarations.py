from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from services.personnel import declarations as dc
from services.personnel import eligibility, prefill
from services.personnel.catalogue import load_catalogue
from services.personnel.eligibility import check_eligibility

CAT = load_catalogue()
CONSTRUCTOR = CAT.type("constructor_2")
SAFETY = CAT.type("safety")
TSA = CAT.type("transport_safety")
REG = CAT.type("reg_engineer")
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ID = "15012120000101003X"  # valid GB 11643, born 2000-01-01


# ---------------------------------------------------------------- state machine, every pair

def _state_for(status):
    base = dc.new_declaration(REG, "initial", origin="person")
    level = status.split("_")[0] if status.endswith("_unaccepted") else "province"
    resume = "province_unaccepted" if status in (dc.CORRECTION, dc.WITHDRAWAL_REQUESTED) else None
    return dc.DeclarationState(status, "person", base.levels, level, resume, True)


@pytest.mark.parametrize("status", list(dc.STATUSES))
@pytest.mark.parametrize("action", list(dc.ACTIONS))
def test_every_status_action_pair(status, action):
    state = _state_for(status)
    allowed = dc.TRANSITIONS.get((status, action))
    if allowed is None:
        for actor in dc.ACTORS:
            with pytest.raises(InvalidTransition) as exc:
                dc.transition(state, action, actor=actor)
            assert exc.value.message  # Chinese message
        return
    target, actors = allowed
    for actor in dc.ACTORS:
        if actor in actors:
            if action == "forward" and state.level == "ministry":
                continue
            new = dc.transition(state, action, actor=actor)
            assert new.status in dc.STATUSES
            if not target.startswith("@"):
                assert new.status == target
            assert new.history[-1] == (action, actor, new.status)
        else:
            with pytest.raises(Forbidden) as exc:
                dc.transition(state, action, actor=actor)
            assert exc.value.code == "wrong_actor"


def test_reg_journey_with_withdrawal_agreed():
    s = dc.new_declaration(REG, "initial", origin="person")
    assert (s.status, s.levels, s.personal_withdrawal) == ("draft", ("province", "ministry"), True)
    s = dc.transition(s, "report", actor="enterprise")
    assert (s.status, s.label, s.level) == ("province_unaccepted", "省级未受理", "province")
    with pytest.raises(InvalidTransition) as exc:
        dc.transition(s, "report", actor="enterprise")
    assert exc.value.code == "already_reported" and exc.value.message == "该申报已上报，请勿重复上报"
    s = dc.transition(s, "request_withdrawal", actor="person")
    assert s.status == "withdrawal_requested"
    refused = dc.transition(s, "refuse_withdrawal", actor="enterprise")
    assert refused.status == "province_unaccepted"
    s = dc.transition(s, "agree_withdrawal", actor="enterprise")
    assert s.status == "withdrawn" and not s.is_open


def test_reg_forward_to_ministry_and_withdrawal_there():
    s = dc.transition(dc.new_declaration(REG, "initial", origin="person"), "report", actor="enterprise")
    s = dc.transition(s, "accept", actor="review")
    with pytest.raises(InvalidTransition) as exc:
        dc.transition(s, "request_withdrawal", actor="person")
    assert exc.value.code == "withdrawal_not_allowed" and "省级未受理" in exc.value.message
    s = dc.transition(s, "forward", actor="review")
    assert (s.status, s.label) == ("ministry_unaccepted", "部级未受理")
    s = dc.transition(s, "request_withdrawal", actor="person")
    s = dc.transition(s, "accept", actor="review")  # acceptance overtakes the request
    assert s.status == "under_review"
    with pytest.raises(InvalidTransition) as exc:
        dc.transition(s, "forward", actor="review")
    assert exc.value.code == "last_level"
    assert dc.transition(s, "approve", actor="review").status == "approved"


def test_cip_declaration_cannot_be_withdrawn_by_the_person_nor_returned():
    s = dc.new_declaration(CONSTRUCTOR, "initial")
    with pytest.raises(InvalidTransition) as exc:
        dc.transition(s, "return", actor="enterprise")
    assert exc.value.code == "not_returnable"
    with pytest.raises(Forbidden):
        dc.transition(s, "delete", actor="person")
    s = dc.transition(s, "report", actor="enterprise")
    assert s.status == "city_unaccepted" and s.label == "盟市未受理"
    with pytest.raises(InvalidTransition) as exc:
        dc.transition(s, "request_withdrawal", actor="person")
    assert exc.value.code == "withdrawal_not_offered"
    assert "request_withdrawal" not in dc.allowed_actions(s, "person")


def test_correction_returns_to_where_it_was():
    s = dc.transition(dc.new_declaration(CONSTRUCTOR, "initial"), "report", actor="enterprise")
    c = dc.transition(s, "request_correction", actor="review")
    assert (c.status, c.resume) == ("correction", "city_unaccepted")
    assert dc.transition(c, "resubmit", actor="enterprise").status == "city_unaccepted"
    s = dc.transition(s, "accept", actor="review")
    c = dc.transition(s, "request_correction", actor="review")
    assert dc.transition(c, "resubmit", actor="enterprise").status == "under_review"
    s = dc.transition(s, "forward", actor="review")
    assert (s.status, s.level) == ("province_unaccepted", "province")


def test_personal_declaration_returned_redeclared_and_rejected_revised():
    s = dc.new_declaration(REG, "initial", origin="person")
    s = dc.transition(s, "return", actor="enterprise")
    assert s.status == "returned" and s.is_open
    s = dc.transition(s, "redeclare", actor="person")
    s = dc.transition(s, "report", actor="enterprise")
    with pytest.raises(InvalidTransition) as exc:
        dc.transition(s, "return", actor="enterprise")
    assert exc.value.code == "already_reported"
    s = dc.transition(s, "reject", actor="review")
    s = dc.transition(s, "revise", actor="enterprise")
    assert (s.status, s.level) == ("draft", None)
    assert [h[0] for h in s.history] == ["return", "redeclare", "report", "reject", "revise"]


def test_allowed_actions_lists_buttons():
    s = dc.new_declaration(REG, "initial", origin="person")
    assert dc.allowed_actions(s, "enterprise") == ["save", "report", "return", "delete"]
    assert dc.allowed_actions(s, "person") == ["save", "delete"]


def test_new_declaration_needs_a_reviewed_operation():
    with pytest.raises(ValueError):
        dc.new_declaration(CONSTRUCTOR, "supplement")
    with pytest.raises(ValidationFailed):
        dc.new_declaration(CONSTRUCTOR, "extension")


# ---------------------------------------------------------------- commitment letter and batches

def test_commitment_letter_is_enforced_by_the_server():
    with pytest.raises(ValidationFailed) as exc:
        dc.check_commitment(NOW - timedelta(seconds=120), NOW, confirmed=False)
    assert exc.value.fields["commitment"][0]["code"] == "commitment_unchecked"
    with pytest.raises(ValidationFailed) as exc:
        dc.check_commitment(None, NOW, confirmed=True)
    assert exc.value.fields["commitment"][0]["code"] == "commitment_not_read"
    with pytest.raises(ValidationFailed) as exc:
        dc.check_commitment(NOW - timedelta(seconds=59.5), NOW, confirmed=True)
    assert exc.value.fields["commitment"][0]["code"] == "commitment_too_soon"
    assert "还需1秒" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        dc.check_commitment(NOW + timedelta(seconds=5), NOW, confirmed=True)  # a letter "from the future"
    assert "还需60秒" in exc.value.message
    dc.check_commitment(NOW - timedelta(seconds=60), NOW, confirmed=True)


def test_batch_report_results_per_item():
    draft = dc.new_declaration(CONSTRUCTOR, "initial")
    reported = dc.transition(draft, "report", actor="enterprise")
    states = {"a": draft, "b": reported, "c": draft}

    def check(item_id, state):
        if item_id == "c":
            dc.attachments_check(CONSTRUCTOR, "initial", ["photo"])

    with pytest.raises(ValidationFailed):
        dc.report_batch(states, opened_at=NOW - timedelta(seconds=10), now=NOW, confirmed=True)
    result = dc.report_batch(states, opened_at=NOW - timedelta(seconds=61), now=NOW, confirmed=True,
                             check=check)
    assert result.ok_ids == ["a"]
    assert result.states["a"].status == "city_unaccepted"
    by_id = {i.id: i for i in result.items}
    assert by_id["b"].code == "already_reported"
    assert by_id["c"].code == "missing_attachments" and "二级建造师资格证书" in by_id["c"].message
    assert result.summary() == "成功1条，失败2条"


def test_batch_return_and_delete():
    person_draft = dc.new_declaration(REG, "initial", origin="person")
    ent_draft = dc.new_declaration(REG, "initial")
    result = dc.apply_batch({"p": person_draft, "e": ent_draft}, "return", actor="enterprise")
    assert result.ok_ids == ["p"] and result.failed[0].code == "not_returnable"
    result = dc.apply_batch({"p": person_draft, "e": ent_draft}, "delete", actor="enterprise")
    assert result.ok_ids == ["p", "e"]


# ---------------------------------------------------------------- eligibility

PERSON = {"name": "张三", "id_type": "resident_id", "id_number": ID, "birth_date": date(2000, 1, 1)}


def record(**kw):
    base = {"id": "cert-1", "person_id": "p1", "enterprise_id": "ent-a", "enterprise_name": "甲建筑公司",
            "status": "valid", "valid_until": date(2027, 1, 31), "specialties": ["建筑工程"],
            "registration_number": "蒙215080907445", "qualification_number": "NMG0004151",
            "person": dict(PERSON), "certificate_type": "constructor_2"}
    base.update(kw)
    return base


EXAMS = eligibility.InMemoryExamRegister([
    eligibility.ExamPass(ID, "建筑工程", "NMG0004151"),
    eligibility.ExamPass(ID, "机电工程", "NMG0004152"),
])


def ctx(kind, t=CONSTRUCTOR, **kw):
    base = {"certificate_type": t, "kind": kind, "enterprise_id": "ent-a", "today": TODAY,
            "exam_register": EXAMS}
    base.update(kw)
    return eligibility.DeclarationContext(**base)


def test_initial_registration_checks_exam_register_and_numbers():
    form = {"qualification_number": "NMG0004151", "specialties": ["建筑工程"]}
    check_eligibility(ctx("initial", person=PERSON, form=form))
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("initial", person=PERSON, form={"qualification_number": "NMG12345",
                                                                 "specialties": []}))
    assert set(exc.value.fields) == {"qualification_number", "specialties"}
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("initial", person=PERSON, form={"qualification_number": "NMG0004151",
                                                                 "specialties": ["公路工程"]}))
    assert exc.value.fields["specialties"][0]["code"] == "exam_not_passed"
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("initial", person=PERSON, form={"qualification_number": "NMG9999999",
                                                                 "specialties": ["建筑工程"]}))
    assert exc.value.fields["qualification_number"][0]["code"] == "exam_number_mismatch"


def test_initial_registration_refused_when_employed_elsewhere_or_registered():
    elsewhere = [{"enterprise_id": "ent-b", "enterprise_name": "乙公司", "status": "valid",
                  "certificate_type": "safety"}]
    form = {"qualification_number": "NMG0004151", "specialties": ["建筑工程"]}
    with pytest.raises(Conflict) as exc:
        check_eligibility(ctx("initial", person=PERSON, form=form, registrations=elsewhere))
    assert exc.value.code == "employed_elsewhere" and "乙公司" in exc.value.message
    here = [{"enterprise_id": "ent-a", "status": "valid", "certificate_type": "constructor_2"}]
    with pytest.raises(Conflict) as exc:
        check_eligibility(ctx("initial", person=PERSON, form=form, registrations=here))
    assert exc.value.code == "already_registered"


def test_over_age_is_refused_for_constructors():
    old = dict(PERSON, birth_date=date(1961, 11, 22))  # 65 and one day
    form = {"qualification_number": "NMG0004151", "specialties": ["建筑工程"]}
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("initial", person=old, form=form))
    assert exc.value.code == "over_age"
    check_eligibility(ctx("initial", person=dict(PERSON, birth_date=date(1961, 11, 23)), form=form))


def test_safety_new_needs_a_class():
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("new", SAFETY, person=PERSON, form={"class_code": "D"}))
    assert "class_code" in exc.value.fields
    check_eligibility(ctx("new", SAFETY, person=PERSON, form={"class_code": "C2"}))
    held = [{"enterprise_id": "ent-a", "status": "valid", "certificate_type": "safety", "class_code": "C2"}]
    with pytest.raises(Conflict):
        check_eligibility(ctx("new", SAFETY, person=PERSON, form={"class_code": "C2"}, registrations=held))
    check_eligibility(ctx("new", SAFETY, person=PERSON, form={"class_code": "B"}, registrations=held))


@pytest.mark.parametrize(("valid_until", "today", "code"), [
    (date(2027, 2, 24), TODAY, "renewal_too_early"),
    (date(2027, 2, 23), TODAY, None),  # window opens today
    (date(2026, 9, 23), TODAY, None),  # closes today
    (date(2026, 9, 22), TODAY, "renewal_lapsed"),  # one day after the window closed
])
def test_renewal_window_at_its_edges(valid_until, today, code):
    c = ctx("renewal", record=record(valid_until=valid_until), today=today)
    if code is None:
        check_eligibility(c)
    else:
        with pytest.raises(InvalidTransition) as exc:
            check_eligibility(c)
        assert exc.value.code == code


def test_tsa_renewal_refused_outside_and_accepted_inside():
    rec = record(certificate_type="transport_safety", valid_until=date(2027, 6, 30))
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("renewal", TSA, record=rec))
    assert "2027年3月30日起方可申请延续" in exc.value.message
    check_eligibility(ctx("renewal", TSA, record=rec, today=date(2027, 3, 30)))
    form = prefill.prefill(TSA, "renewal", record=rec)
    assert form["fields"]["renewal.new_valid_until"]["value"] == "2030-06-30"


def test_one_open_declaration_per_certificate():
    open_one = [{"certificate_id": "cert-1", "kind": "change", "status": "province_unaccepted"}]
    with pytest.raises(Conflict) as exc:
        check_eligibility(ctx("reissue", record=record(), declarations=open_one, form={"reason": "遗失"}))
    assert exc.value.code == "open_declaration" and "变更注册" in exc.value.message
    closed = [{"certificate_id": "cert-1", "kind": "change", "status": "approved"}]
    check_eligibility(ctx("reissue", record=record(), declarations=closed, form={"reason": "遗失"}))


def test_record_of_another_enterprise_and_statuses():
    with pytest.raises(Forbidden):
        check_eligibility(ctx("reissue", record=record(enterprise_id="ent-b"), form={"reason": "x"}))
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("reissue", record=record(status="cancelled"), form={"reason": "x"}))
    assert exc.value.code == "cancelled"
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("change", record=record(status="transferring"), form={}))
    assert exc.value.code == "transferring"
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("reissue", record=record(valid_until=date(2026, 11, 1)),
                                 form={"reason": "x"}))
    assert exc.value.code == "expired"
    with pytest.raises(ValidationFailed):
        check_eligibility(ctx("reissue", record=record(), form={"reason": " "}))
    with pytest.raises(NotFound):
        check_eligibility(ctx("reissue"))


def test_add_item():
    check_eligibility(ctx("add_item", record=record(), form={"specialty": "机电工程",
                                                                "exam_certificate_number": "NMG0004152"}))
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("add_item", record=record(), form={"specialty": "建筑工程",
                                                                    "exam_certificate_number": "NMG0004151"}))
    assert exc.value.fields["specialty"][0]["code"] == "already_registered"
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("add_item", record=record(), form={"specialty": "矿业工程",
                                                                    "exam_certificate_number": "NMG0004153"}))
    assert exc.value.fields["specialty"][0]["code"] == "exam_not_passed"
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("add_item", record=record(), form={"specialty": "机电工程",
                                                                    "exam_certificate_number": "NMG123"}))
    assert exc.value.fields["exam_certificate_number"][0]["code"] == "format"
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("add_item", record=record(), form={"specialty": "机电工程",
                                                                    "exam_certificate_number": "NMG0004151"}))
    assert exc.value.fields["exam_certificate_number"][0]["code"] == "exam_number_mismatch"


def test_re_registration_only_for_cancelled_people():
    records = [record(status="cancelled", cancelled_on="2017-01-03"),
               record(id="cert-0", status="cancelled", cancelled_on="2012-05-01")]
    found = eligibility.find_for_re_registration(records, "张三", ID.lower())
    assert found["id"] == "cert-1"
    with pytest.raises(NotFound):
        eligibility.find_for_re_registration(records, "李四", ID)
    with pytest.raises(Conflict) as exc:
        eligibility.find_for_re_registration([record()], "张三", ID)
    assert exc.value.code == "still_registered"
    with pytest.raises(ValidationFailed):
        eligibility.find_for_re_registration(records, "张三", "")
    check_eligibility(ctx("re_registration", record=found, enterprise_id="ent-c"))
    with pytest.raises(Conflict) as exc:
        check_eligibility(ctx("re_registration", record=record()))
    assert exc.value.code == "still_registered" and "只有已注销的人员" in exc.value.message
    form = prefill.prefill(CONSTRUCTOR, "re_registration", record=found)
    assert form["fields"]["record.registration_number"]["value"] == "蒙215080907445"
    assert form["fields"]["record.specialties"]["value"] == "建筑工程"


def test_change_items():
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("change", record=record(), form={}))
    assert "企业名称变更、姓名变更、身份证号码变更" in exc.value.message
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("change", record=record(), form={"change_item": "enterprise_name"},
                                 enterprise_name="甲建筑公司"))
    assert exc.value.code == "nothing_to_change"
    check_eligibility(ctx("change", record=record(), form={"change_item": "enterprise_name"},
                             enterprise_name="甲建筑集团有限公司"))
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("change", record=record(), form={"change_item": "name", "new_name": "张三"}))
    assert exc.value.fields["new_name"][0]["code"] == "unchanged"
    check_eligibility(ctx("change", record=record(), form={"change_item": "name", "new_name": "张叁"}))
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("change", record=record(), form={"change_item": "id_number",
                                                                  "new_id_number": "150121200001010030"}))
    assert exc.value.fields["new_id_number"][0]["code"] == "check_digit"
    check_eligibility(ctx("change", record=record(), form={"change_item": "id_number",
                                                              "new_id_number": "150102197401300518"}))
    with pytest.raises(ValidationFailed) as exc:  # safety changes offer name and ID only
        check_eligibility(ctx("change", SAFETY, record=record(certificate_type="safety", class_code="B"),
                                 form={"change_item": "enterprise_name"}))
    assert exc.value.fields["change_item"][0]["code"] == "invalid"


def test_cancellation_reasons_from_the_seed():
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("cancellation", record=record(), form={"reasons": []}))
    assert exc.value.fields["reasons"][0]["code"] == "required"
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("cancellation", record=record(), form={"reasons": ["不想干了"],
                                                                         "applicant": "本人"}))
    assert exc.value.fields["reasons"][0]["code"] == "invalid"
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("cancellation", record=record(), form={"reasons": ["年龄超过65周岁的"]}))
    assert "applicant" in exc.value.fields
    check_eligibility(ctx("cancellation", record=record(valid_until=date(2020, 1, 1)),
                             form={"reasons": ["注册有效期限届满未延续注册的"], "applicant": "聘用企业"}))
    with pytest.raises(ValidationFailed):
        check_eligibility(ctx("cancellation", SAFETY, record=record(certificate_type="safety"), form={}))
    check_eligibility(ctx("cancellation", SAFETY, record=record(certificate_type="safety"),
                             form={"reason": "已与聘用企业解除聘用合同关系"}))


def test_transfer_out_and_in_eligibility():
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("transfer_out", record=record(), form={"to_enterprise_id": "ent-a"}))
    assert exc.value.fields["to_enterprise_id"][0]["code"] == "same_enterprise"
    check_eligibility(ctx("transfer_out", record=record(), form={"to_enterprise_id": "ent-b"}))
    moving = record(status="transferring", transfer_to="ent-b")
    check_eligibility(ctx("transfer_in", record=moving, enterprise_id="ent-b"))
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("transfer_in", record=moving, enterprise_id="ent-c"))
    assert exc.value.code == "not_transferring_here"
    check_eligibility(ctx("transfer_out", TSA, record=record(certificate_type="transport_safety")))


def test_supplement_rules():
    imported = record(imported=True)
    eligibility.check_supplement(imported, [])
    check_eligibility(ctx("supplement", record=imported))
    with pytest.raises(InvalidTransition) as exc:
        eligibility.check_supplement(record(), [])
    assert exc.value.code == "not_imported"
    with pytest.raises(InvalidTransition) as exc:
        eligibility.check_supplement(imported, [{"certificate_id": "cert-1", "status": "draft"}])
    assert exc.value.code == "open_declaration"
    with pytest.raises(InvalidTransition) as exc:
        eligibility.check_supplement(imported, [{"certificate_id": "cert-1", "status": "approved"}])
    assert exc.value.code == "supplement_closed" and "请办理变更" in exc.value.message
    eligibility.check_supplement(imported, [{"certificate_id": "cert-1", "status": "deleted"},
                                   {"certificate_id": "other", "status": "approved"}])


def test_prefill_from_the_record():
    form = prefill.prefill(CONSTRUCTOR, "renewal", record=record(specialties=["建筑工程", "机电工程"]),
                      enterprise={"name": "甲建筑公司", "uscc": "91650100228680962Y"})
    f = form["fields"]
    assert f["person.name"] == {"label": "姓名", "value": "张三"}
    assert f["person.id_type"]["value"] == "身份证"
    assert f["record.valid_until"]["value"] == "2027-01-31"
    assert f["record.specialties"]["value"] == "建筑工程、机电工程"
    assert f["renewal.new_valid_until"]["value"] == "2030-01-31"
    assert f["enterprise.uscc"]["value"] == "91650100228680962Y"
    assert form["inputs"] == ["renew_specialties"]
    assert prefill.prefill(CONSTRUCTOR, "cancellation", record=record())["inputs"] == ["reasons", "applicant"]
    assert prefill.prefill(CONSTRUCTOR, "transfer_out", record=record())["inputs"] == ["to_enterprise_id"]
    safety_form = prefill.prefill(SAFETY, "change", record=record(class_code="C1"))
    assert safety_form["fields"]["record.class_code"]["value"] == "C1（专职安全生产管理人员（机械类））"
    assert prefill.prefill(SAFETY, "new", person=PERSON)["inputs"] == ["person", "class_code"]


def test_qualification_correction():
    out = prefill.qualification_correction(pre_registered=True, status="province_unaccepted",
                                      detected_number="D215012345", entered_number=None,
                                      copy_attachment_id=None)
    assert out == {"qualification_number": "D215012345", "qualification_copy": None}
    with pytest.raises(ValidationFailed) as exc:
        prefill.qualification_correction(pre_registered=True, status="under_review", detected_number=None,
                                    entered_number="", copy_attachment_id=None)
    assert set(exc.value.fields) == {"qualification_number", "qualification_copy"}
    out = prefill.qualification_correction(pre_registered=True, status="under_review", detected_number=None,
                                      entered_number=" D1 ", copy_attachment_id="att")
    assert out == {"qualification_number": "D1", "qualification_copy": "att"}
    with pytest.raises(InvalidTransition):
        prefill.qualification_correction(pre_registered=False, status="under_review", detected_number="x",
                                    entered_number=None, copy_attachment_id=None)
    with pytest.raises(InvalidTransition):
        prefill.qualification_correction(pre_registered=True, status="draft", detected_number="x",
                                    entered_number=None, copy_attachment_id=None)


def test_review_events_map_to_actions():
    s = dc.transition(dc.new_declaration(REG, "initial", origin="person"), "report", actor="enterprise")
    assert dc.action_for_review_event("case_accepted", {}, s) == ("accept", None)
    s2 = dc.transition(s, "accept", actor="review")
    assert dc.action_for_review_event("case_accepted", {}, s2) is None
    assert dc.action_for_review_event("case_step_changed", {"level": "province"}, s2) is None
    action = dc.action_for_review_event("case_step_changed", {"level": "ministry"}, s2)
    assert action == ("forward", "ministry")
    s3 = dc.transition(s2, action[0], actor="review", level=action[1])
    assert s3.status == "ministry_unaccepted"
    assert dc.action_for_review_event("case_decided", {"decision": "approved"}, s3) == ("approve", None)
    assert dc.action_for_review_event("case_decided", {"decision": "rejected"}, s3) == ("reject", None)
    assert dc.action_for_review_event("correction_requested", {}, s3) == ("request_correction", None)
    assert dc.action_for_review_event("case_closed", {}, s3) == ("terminate", None)
    withdrawn = dc.transition(dc.transition(s, "request_withdrawal", actor="person"), "agree_withdrawal",
                              actor="enterprise")
    assert dc.action_for_review_event("case_closed", {"outcome": "withdrawn"}, withdrawn) is None
    with pytest.raises(ValueError):
        dc.action_for_review_event("case_exploded", {}, s)


ENT_B = {"id": "ent-b", "name": "乙建筑公司"}


def test_approval_effects():
    decided = date(2026, 12, 1)
    new = dc.approval_effects(CONSTRUCTOR, "initial", None, {"qualification_number": "NMG0004151",
                                                              "specialties": ["建筑工程"]}, decided, ENT_B)
    assert new["record"]["valid_until"] == date(2029, 11, 30)
    assert new["record"]["enterprise_id"] == "ent-b" and new["key_person_change"] is None
    renewed = dc.approval_effects(TSA, "renewal", record(valid_until=date(2024, 2, 29)), {}, decided, ENT_B)
    assert renewed["record"]["valid_until"] == date(2027, 2, 28)
    added = dc.approval_effects(CONSTRUCTOR, "add_item", record(), {"specialty": "机电工程"}, decided, ENT_B)
    assert added["record"]["specialties"] == ["建筑工程", "机电工程"]
    moved = dc.approval_effects(CONSTRUCTOR, "transfer_in", record(status="transferring"), {}, decided, ENT_B)
    assert moved["record"]["enterprise_id"] == "ent-b" and moved["key_person_change"] == "transferred_out"
    cancelled = dc.approval_effects(CONSTRUCTOR, "cancellation", record(), {"reasons": ["x"]}, decided, ENT_B)
    assert cancelled["record"]["status"] == "cancelled" and cancelled["key_person_change"] == "cancelled"
    renamed = dc.approval_effects(CONSTRUCTOR, "change", record(), {"change_item": "id_number",
                                                                     "new_id_number": "150102197401300518"},
                                  decided, ENT_B)
    assert renamed["record"] == {"person.id_number": "150102197401300518"}
    rereg = dc.approval_effects(CONSTRUCTOR, "re_registration", record(status="cancelled"), {}, decided,
                                ENT_B)
    assert rereg["record"]["status"] == "valid" and rereg["record"]["cancelled_on"] is None


def test_lapsed_renewal_names_the_rule_and_other_operations_are_refused():
    lapsed = record(valid_until=date(2026, 9, 22))
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("renewal", record=lapsed))
    assert "需重新报名考试" in exc.value.message and "2026年11月22日" in exc.value.message
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("reissue", record=lapsed, form={"reason": "遗失"}))
    assert exc.value.code == "lapsed"


def test_electrician_join_checks_the_certificate_number():
    electrician = CAT.type("electrician")
    with pytest.raises(ValidationFailed) as exc:
        check_eligibility(ctx("join", electrician, person=PERSON, form={"certificate_number": "12"}))
    assert exc.value.fields["certificate_number"][0]["code"] == "format"
    check_eligibility(ctx("join", electrician, person=PERSON, form={"certificate_number": ID}))


def test_tsa_transfer_in_request():
    rec = record(certificate_type="transport_safety", enterprise_id="ent-a")
    regs = [{"enterprise_id": "ent-a", "enterprise_name": "甲建筑公司", "status": "valid"}]
    check_eligibility(ctx("transfer_in", TSA, record=rec, enterprise_id="ent-b", registrations=regs))
    third = [*regs, {"enterprise_id": "ent-c", "enterprise_name": "丙公司", "status": "valid"}]
    with pytest.raises(Conflict) as exc:
        check_eligibility(ctx("transfer_in", TSA, record=rec, enterprise_id="ent-b", registrations=third))
    assert "丙公司" in exc.value.message
    with pytest.raises(InvalidTransition) as exc:
        check_eligibility(ctx("transfer_in", TSA, record=dict(rec, status="cancelled"),
                                 enterprise_id="ent-b"))
    assert exc.value.code == "cancelled"
