"""The bridges between personnel's rows and its rules (services/personnel/records.py), the event
payloads, and the review chains the catalogue's case types resolve to."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from services.personnel import records
from services.personnel.catalogue import default_catalogue
from services.personnel.domain import employment_conflict, key_person_changed
from services.personnel.events import CERTIFICATE_ISSUED, EMITS, KEY_PERSON_CHANGED_SPEC
from services.review.domain import registry

TODAY = date(2026, 6, 1)
CAT = default_catalogue()
A, B = str(uuid.uuid4()), str(uuid.uuid4())


def cert(**over):
    base = dict(
        id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        type_code="constructor_2",
        class_code=None,
        certificate_kind="constructor_2",
        registration_number="蒙215080907445",
        qualification_number="NMG1234567",
        certificate_number=None,
        specialties=["建筑工程"],
        issued_on=date(2024, 1, 1),
        valid_until=date(2027, 1, 1),
        status="valid",
        enterprise_id=uuid.UUID(A),
        enterprise_name="甲建设有限公司",
        transfer_to=None,
        imported=False,
        cancelled_on=None,
        reissued_on=None,
    )
    return SimpleNamespace(**{**base, **over})


def decl(**over):
    base = dict(
        kind="initial",
        enterprise_id=uuid.UUID(B),
        enterprise_name="乙建设有限公司",
        status="province_unaccepted",
        type_code="reg_engineer",
        form={},
    )
    return SimpleNamespace(**{**base, **over})


def person():
    return SimpleNamespace(
        id=uuid.uuid4(),
        name="王建设",
        gender="male",
        id_type="resident_id",
        id_number="150102198001010011",
        birth_date=date(1980, 1, 1),
        education=None,
        title=None,
        title_level=None,
        mobile="13912345678",
        email=None,
        ethnicity=None,
    )


def test_a_live_certificate_binds_the_person_to_its_holder_named_in_the_refusal():
    regs = records.registrations([cert()], [], CAT.types, TODAY, B)
    conflict = employment_conflict(regs, B)
    assert conflict is not None and "甲建设有限公司" in conflict.message and "二级建造师" in conflict.message


def test_a_lapsed_certificate_no_longer_binds():
    # valid until 2026-01-01; the window closed 2026-03-01: lapsed by the dates though stored "valid"
    regs = records.registrations([cert(valid_until=date(2026, 1, 1))], [], CAT.types, TODAY, B)
    assert regs[0]["status"] == "lapsed" and employment_conflict(regs, B) is None


def test_a_reported_registration_elsewhere_binds_a_draft_does_not():
    reported = records.registrations([], [decl()], CAT.types, TODAY, A)
    assert reported[0]["status"] == "declared" and employment_conflict(reported, A).holder_enterprise_id == B
    assert records.registrations([], [decl(status="draft")], CAT.types, TODAY, A) == []
    assert records.registrations([], [decl(status="rejected")], CAT.types, TODAY, A) == []
    assert records.registrations([], [decl()], CAT.types, TODAY, B) == []  # its own


def test_a_certificate_being_transferred_to_the_declarer_is_no_conflict():
    regs = records.registrations(
        [cert(status="transferring", transfer_to=uuid.UUID(B))], [], CAT.types, TODAY, B
    )
    assert employment_conflict(regs, B) is None


def test_form_fields_carry_chinese_labels_and_readable_values():
    t = CAT.type("safety")
    fields = records.form_fields(
        {"class_code": "C1", "change_item": "name", "specialties": ["a", "b"], "reason": "", "_internal": 1},
        t,
    )
    assert fields == {
        "form.class_code": {"label": "人员类别", "value": "C1（专职安全生产管理人员（机械类））"},
        "form.change_item": {"label": "变更事项", "value": "姓名变更"},
        "form.specialties": {"label": "注册专业", "value": "a、b"},
    }


def test_review_fields_are_the_prefilled_record_plus_the_inputs():
    t = CAT.type("constructor_2")
    filled = records.review_fields(
        t,
        "renewal",
        person=person(),
        cert=cert(),
        form={"reason": "到期延续"},
        enterprise={"name": "甲建设有限公司", "region_code": "150105"},
    )
    assert filled["fields"]["person.name"]["value"] == "王建设"
    assert filled["fields"]["record.registration_number"]["value"] == "蒙215080907445"
    assert filled["fields"]["renewal.new_valid_until"]["value"] == "2030-01-01"
    assert filled["fields"]["form.reason"] == {"label": "原因", "value": "到期延续"}
    assert filled["fields"]["enterprise.name"]["value"] == "甲建设有限公司"


@pytest.mark.parametrize(
    ("type_code", "class_code", "field", "pattern"),
    [
        ("constructor_2", None, "registration_number", r"^蒙202606\d{6}$"),
        ("safety", "C1", "certificate_number", r"^蒙建安C1\(2026\)\d{7}$"),
        ("safety", "A", "certificate_number", r"^蒙建安A\(2026\)\d{7}$"),
        ("reg_engineer", None, "registration_number", r"^RE202606\d{6}$"),
    ],
)
def test_new_numbers_follow_the_catalogue_formats(type_code, class_code, field, pattern):
    numbers = records.new_number(CAT.type(type_code), class_code, date(2026, 6, 1), 1234567)
    assert re.fullmatch(pattern, numbers[field]), numbers
    CAT.type(type_code).check_number(field, numbers[field])


def test_types_whose_numbers_come_from_the_form_get_none():
    assert records.new_number(CAT.type("transport_safety"), "B", TODAY, 1) == {}
    assert records.new_number(CAT.type("electrician"), None, TODAY, 1) == {}


def test_changes_split_between_person_and_record():
    person_changes, record = records.split_changes({"person.name": "王新", "valid_until": TODAY})
    assert person_changes == {"name": "王新"} and record == {"valid_until": TODAY}


def test_number_of_prefers_registration_then_certificate_then_qualification():
    assert records.number_of(cert()) == "蒙215080907445"
    assert records.number_of(cert(registration_number=None, certificate_number="X1")) == "X1"
    assert records.number_of(cert(registration_number=None)) == "NMG1234567"


def test_key_person_changed_and_certificate_issued_payloads_match_their_schemas():
    data = key_person_changed(
        A, str(uuid.uuid4()), "constructor_2", str(uuid.uuid4()), "lapsed", datetime(2026, 6, 1, tzinfo=UTC)
    )
    out = KEY_PERSON_CHANGED_SPEC.serialise({**data, "at": datetime.fromisoformat(data["at"])})
    assert out["change"] == "lapsed" and out["at"].startswith("2026-06-01T00:00:00")
    with pytest.raises(ValueError):
        KEY_PERSON_CHANGED_SPEC.serialise({**data, "change": "retired", "at": datetime.now(UTC)})
    issued = CERTIFICATE_ISSUED.serialise(
        {
            "certificate_id": uuid.uuid4(),
            "enterprise_id": A,
            "person_id": uuid.uuid4(),
            "holder_name": "王建设",
            "kind": "constructor_2",
            "type_code": "constructor_2",
            "number": "蒙215080907445",
            "valid_until": TODAY,
            "status": "valid",
        }
    )
    assert issued["valid_until"] == "2026-06-01"
    assert {spec.name for spec in EMITS} >= {"personnel.key_person_changed", "personnel.review_requested"}


@pytest.mark.parametrize(
    "case_type",
    sorted({op.case_type for t in CAT.types.values() for op in t.operations.values() if op.case_type}),
)
def test_every_catalogue_case_type_has_a_review_chain_with_its_levels(case_type):
    t, op = CAT.by_case_type(case_type)
    chain = registry().resolve(case_type)
    assert chain is not None, case_type
    levels = list(dict.fromkeys(step.level for step in chain.steps))
    assert levels == list(op.levels), (case_type, levels, op.levels)
    assert chain.pattern != "personnel.*", f"{case_type} should have its family's own chain"
