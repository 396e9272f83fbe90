"""Rules of the enterprise records (services/enterprise/domain.py), one test per rule."""

from __future__ import annotations

import random
from datetime import date

import pytest

from services.common.attachments import check_upload
from services.common.errors import ValidationFailed
from services.enterprise import domain
from services.enterprise.importer import check_row
from tests.support.enterprise import profile, resident_id, scan_pdf, upload

ENT = "3c9f0a52-5a0e-4a8e-9d8c-5c1a2e8e7b11"
OTHER = "7d1e0b63-6b1f-4b9f-8e9d-6d2b3f9f8c22"
TODAY = date(2026, 11, 23)


def codes(errors, name):
    return [e["code"] for e in errors.get(name, [])]


# ---- regions -------------------------------------------------------------------------------
def test_regions_hold_leagues_counties_and_other_provinces():
    regions = domain.regions()
    assert regions["150100"].name == "呼和浩特市" and regions["150100"].parent is None
    assert regions["150105"].parent == "150100"
    assert "150000" not in regions  # the autonomous region itself is not a choice
    assert regions["110000"].name == "北京市"
    assert domain.region_label("150105") == "内蒙古自治区 呼和浩特市 赛罕区"
    choices = domain.region_choices()
    assert len(choices["leagues"]) == 12
    assert any(c["code"] == "152923" for league in choices["leagues"] for c in league["counties"])


# ---- basic info -----------------------------------------------------------------------------
def test_complete_basic_info_is_clean():
    cleaned, errors = domain.clean_basic_info(profile(), required=domain.REQUIRED_PROFILE_FIELDS,
                                              today=TODAY)
    assert errors == {}
    assert cleaned["registered_capital_wan"] == 5000.0 and cleaned["established_on"] == date(2008, 5, 1)


@pytest.mark.parametrize("field,value,code", [
    ("enterprise_type", "bank", "invalid"),
    ("region_code", "999999", "invalid"),
    ("contact_phone", "12345", "invalid"),
    ("email", "not-an-email", "invalid"),
    ("registered_capital_wan", "abc", "invalid"),
    ("registered_capital_wan", "-5", "range"),
    ("established_on", "2030-01-01", "future"),
    ("established_on", "2020-13-01", "invalid"),
    ("name", "<script>", "invalid"),
    ("registered_address", "短", "invalid"),
])
def test_bad_basic_info_is_named_per_field(field, value, code):
    _, errors = domain.clean_basic_info({**profile(), field: value}, today=TODAY)
    assert codes(errors, field) == [code]
    assert all(not e["message"].isascii() for e in errors[field])  # Chinese message


def test_landline_with_area_code_is_a_contact_phone():
    _, errors = domain.clean_basic_info({"contact_phone": "0471-6912345"})
    assert errors == {}


def test_required_fields_missing_are_named():
    _, errors = domain.clean_basic_info({"name": ""}, required=("name", "region_code"))
    assert codes(errors, "name") == ["required"] and codes(errors, "region_code") == ["required"]


def test_locked_and_read_only_edits_are_detected_and_explained():
    current = {**profile(), "uscc": "91150100MA0N1X2Y3K"}
    changed = domain.locked_edits(current, {"name": "新名称有限公司", "legal_representative": "张三",
                                            "uscc": "X", "current_address": "别处"})
    assert changed == ["uscc", "name"]  # unchanged locked value and editable fields do not count
    errors = domain.locked_edit_errors(changed)
    assert errors["name"][0]["code"] == "locked" and "变更申请" in errors["name"][0]["message"]
    assert errors["uscc"][0]["code"] == "read_only"


def test_diff_reports_old_and_new_as_text():
    changes = domain.diff({"email": "a@b.cn", "net_assets_wan": 10.0},
                          {"email": "c@d.cn", "net_assets_wan": 10.0})
    assert changes == [("email", "a@b.cn", "c@d.cn")]


def test_change_request_holds_only_really_changed_locked_fields():
    current = profile()
    assert codes(domain.change_request_errors(current, {}), "_") == ["empty"]
    assert codes(domain.change_request_errors(current, {"email": "x@y.cn"}), "email") == ["not_locked"]
    assert codes(domain.change_request_errors(current, {"name": current["name"]}), "name") == ["unchanged"]
    assert domain.change_request_errors(current, {"name": "内蒙古新电力有限公司"}) == {}


def test_open_cases_message_names_the_cases():
    message = domain.open_cases_message([{"id": "1", "title": "承装（修、试）许可新申请"}])
    assert "承装（修、试）许可新申请" in message and "办结" in message


def test_profile_completeness_needs_both_pdfs():
    errors = domain.profile_completeness_errors(profile(), {"business_licence"})
    assert list(errors) == ["legal_rep_id"] and errors["legal_rep_id"][0]["code"] == "required"
    errors = domain.profile_completeness_errors({"name": "测试公司"}, set())
    assert {"region_code", "legal_representative", "business_licence"} <= set(errors)


# ---- access ---------------------------------------------------------------------------------
def actor(kind, permissions=(), enterprise_id=ENT):
    return {"id": enterprise_id if kind == "enterprise" else OTHER, "kind": kind,
            "permissions": list(permissions), "enterprise_id": enterprise_id if kind in (
                "enterprise", "sub") else None}


@pytest.mark.parametrize("who,mode,refusal", [
    (actor("enterprise"), domain.WRITE, None),
    (actor("enterprise", enterprise_id=OTHER), domain.READ, "other_enterprise"),
    (actor("sub", ["enterprise"]), domain.WRITE, None),
    (actor("sub", ["enterprise", "read_only"]), domain.READ, None),
    (actor("sub", ["enterprise", "read_only"]), domain.WRITE, "read_only"),
    (actor("sub", ["permits"]), domain.READ, "no_module"),
    (actor("sub", ["enterprise"], enterprise_id=OTHER), domain.READ, "other_enterprise"),
    (actor("reviewer"), domain.READ, None),
    (actor("reviewer"), domain.WRITE, "staff_write"),
    (actor("admin"), domain.WRITE, "staff_write"),
    (None, domain.READ, None),
    (None, domain.WRITE, "service_write"),
    ({"id": "x", "kind": "robot"}, domain.READ, "unknown_actor"),
])
def test_access_rule(who, mode, refusal):
    assert domain.access_refusal(who, ENT, mode) == refusal


# ---- staff ----------------------------------------------------------------------------------
def person(**changes):
    base = {"category": "technical_lead", "name": "王五", "id_type": "resident_id",
            "id_number": resident_id(random.Random(1)), "title": "高级工程师", "title_level": "senior",
            "years_experience": "12", "witness_phone": "13812345678",
            "certificates": [{"kind": "constructor_1", "number": "蒙115060800001",
                              "valid_until": "2028-01-01"}]}
    return {**base, **changes}


def test_a_valid_person_is_clean():
    cleaned, errors = domain.clean_staff(person(), today=TODAY)
    assert errors == {}
    assert cleaned["years_experience"] == 12 and cleaned["certificates"][0]["valid_until"] == "2028-01-01"


def test_resident_id_check_digit_is_checked():
    number = resident_id(random.Random(2))
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    _, errors = domain.clean_staff(person(id_number=wrong), today=TODAY)
    assert codes(errors, "id_number") == ["check_digit"]


def test_lower_case_x_is_accepted_and_stored_upper():
    cleaned, errors = domain.clean_staff(person(id_number="11010519491231002x"), today=TODAY)
    assert errors == {} and cleaned["id_number"] == "11010519491231002X"


def test_passport_numbers_are_not_checked_as_resident_ids():
    _, errors = domain.clean_staff(person(id_type="passport", id_number="E12345678"), today=TODAY)
    assert errors == {}


@pytest.mark.parametrize("field,value,code", [
    ("category", "boss", "invalid"), ("category", "", "required"), ("name", "", "required"),
    ("witness_phone", "1234567", "invalid"), ("title_level", "expert", "invalid"),
    ("years_experience", "many", "invalid"), ("years_experience", "99", "range"),
])
def test_bad_person_fields_are_named(field, value, code):
    _, errors = domain.clean_staff(person(**{field: value}), today=TODAY)
    assert codes(errors, field) == [code]


def test_safety_lead_work_experience_and_training_are_checked():
    _, errors = domain.clean_staff(person(category="safety_lead", work_experience=[
        {"employer": "某电建公司", "position": "安全员", "started_on": "2015-01-01", "ended_on": "2014-01-01",
         "witness": "赵六", "witness_phone": "999"}],
        training_history=[{"course": "安全生产培训", "started_on": "2020-01-01", "hours": "32"}]),
        today=TODAY)
    assert codes(errors, "work_experience.0.ended_on") == ["order"]
    assert codes(errors, "work_experience.0.witness_phone") == ["invalid"]
    assert "training_history.0.started_on" not in errors


def test_certificate_needs_a_kind_and_number():
    _, errors = domain.clean_staff(person(certificates=[{"kind": "wizard", "number": ""}]), today=TODAY)
    assert codes(errors, "certificates.0.kind") == ["invalid"]
    assert codes(errors, "certificates.0.number") == ["required"]


def test_duplicate_id_number_names_the_row_holding_it():
    errors = domain.duplicate_id_error("X", {"category": "electrician", "name": "周七", "row": 3})
    message = errors["id_number"][0]["message"]
    assert errors["id_number"][0]["code"] == "duplicate"
    assert "电工" in message and "第3行" in message and "周七" in message
    assert domain.duplicate_id_error("X", None) == {}


def test_staff_summary_is_computed_per_category_with_total():
    rows = domain.staff_summary({"technical_lead": 1, "electrician": 4})
    by = {r["category"]: r["count"] for r in rows}
    assert by["technical_lead"] == 1 and by["electrician"] == 4 and by["safety_lead"] == 0
    assert by["total"] == 5 and len(rows) == len(domain.STAFF_CATEGORIES) + 1


# ---- projects, equipment, shareholding --------------------------------------------------
def project(**changes):
    return {"name": "110kV线路工程", "client": "国网内蒙古东部电力有限公司", "category": "install",
            "grade": "一级", "voltage_kv": "110", "contract_amount_wan": "1200.5", "length_km": "35.2",
            "started_on": "2022-03-01", "completed_on": "2023-06-30", **changes}


def test_project_rules():
    cleaned, errors = domain.clean_project(project(), today=TODAY)
    assert errors == {} and cleaned["voltage_kv"] == 110.0
    _, errors = domain.clean_project(project(completed_on="2021-01-01"), today=TODAY)
    assert codes(errors, "completed_on") == ["order"]
    _, errors = domain.clean_project(project(contract_amount_wan="", category="mine"), today=TODAY)
    assert codes(errors, "contract_amount_wan") == ["required"] and codes(errors, "category") == ["invalid"]


def test_project_summary_by_category_and_voltage():
    summary = domain.project_summary([
        {"category": "install", "voltage_kv": 110.0, "contract_amount_wan": 100.0},
        {"category": "install", "voltage_kv": 35.0, "contract_amount_wan": 50.5},
        {"category": "test", "voltage_kv": None, "contract_amount_wan": None}])
    install = next(r for r in summary["by_category"] if r["key"] == "install")
    assert install["count"] == 2 and install["amount_wan"] == 150.5
    assert [r["label"] for r in summary["by_voltage"]] == ["未注明", "35kV", "110kV"]


def test_equipment_rules():
    assert domain.clean_equipment({"name": "绝缘电阻测试仪", "quantity": "2"})[1] == {}
    _, errors = domain.clean_equipment({"name": "", "quantity": "0"})
    assert codes(errors, "name") == ["required"] and codes(errors, "quantity") == ["range"]


def test_shareholding_totals_at_most_100_and_complete_only_at_100():
    _, errors = domain.clean_shareholder({"holder": "甲公司", "share_percent": "40"}, others_total=60)
    assert errors == {}
    _, errors = domain.clean_shareholder({"holder": "乙", "share_percent": "40.01"}, others_total=60)
    assert codes(errors, "share_percent") == ["over_100"] and "60%" in errors["share_percent"][0]["message"]
    assert domain.shareholding_check([60, 40])["complete"] is True
    check = domain.shareholding_check([60, 30])
    assert check["complete"] is False and "90%" in check["message"]


# ---- organisation search -------------------------------------------------------------------
def test_fuzzy_pattern_and_rank():
    assert domain.fuzzy_pattern("电力 公司") == "%电%力%公%司%"
    assert domain.fuzzy_pattern("50%_") == "%5%0%\\%%\\_%"
    assert domain.fuzzy_pattern("   ") is None
    ranked = domain.fuzzy_rank("电力公司", [("1", "内蒙古电力工程公司"), ("2", "电力公司呼和浩特分公司")])
    assert ranked[0][0] == "2"


# ---- attachments helper --------------------------------------------------------------------
def test_check_upload_measures_a_pdf_and_keeps_the_chinese_name():
    checked = check_upload(upload("营业执照（副本）.pdf", scan_pdf(colour=False, dpi=150)),
                           "business_licence")
    assert checked.filename == "营业执照（副本）.pdf" and checked.content_type == "application/pdf"
    assert checked.report["min_dpi"] == 150.0 and checked.report["is_colour"] is False
    assert len(checked.warnings) == 2 and len(checked.sha256) == 64


def test_check_upload_refuses_by_content_on_the_field():
    with pytest.raises(ValidationFailed) as refused:
        check_upload(upload("licence.pdf", b"GIF89a fake"), "business_licence")
    assert refused.value.fields["business_licence"][0]["code"] == "not_pdf"
    with pytest.raises(ValidationFailed) as missing:
        check_upload(None, "legal_rep_id")
    assert missing.value.fields["legal_rep_id"][0]["code"] == "required"
    with pytest.raises(ValidationFailed) as garbled:
        check_upload({"filename": "a.pdf", "content_b64": "!!!"}, "f")
    assert garbled.value.fields["f"][0]["code"] == "invalid"


# ---- legacy import rows ----------------------------------------------------------------------
def legacy_row(**changes):
    return {"uscc": "91150100MA0N1X2Y3K", "enterprise_name": "内蒙古旧数据电力公司", "category": "电工",
            "name": "孙八", "id_number": resident_id(random.Random(5)), "certificate_kind": "电工证",
            "certificate_number": "T150102", **changes}


def test_legacy_row_maps_chinese_labels():
    from tests.support.data import random_uscc

    checked, reason = check_row(legacy_row(uscc=random_uscc(random.Random(3))))
    assert reason is None
    assert checked["person"]["category"] == "electrician"
    assert checked["person"]["certificates"][0]["kind"] == "electrician"


@pytest.mark.parametrize("changes,fragment", [
    ({"uscc": "91150100MA0N1X2Y3A"}, "统一社会信用代码"),
    ({"id_number": "150102199001011234"}, "证件号码"),
    ({"category": "老板"}, "人员类别"),
    ({"name": ""}, "姓名"),
    ({"enterprise_name": ""}, "企业名称"),
])
def test_legacy_row_rejections_give_the_reason(changes, fragment):
    from tests.support.data import random_uscc

    row = legacy_row(uscc=random_uscc(random.Random(4)))
    row.update(changes)
    _, reason = check_row(row)
    assert reason is not None and fragment in reason
