"""Licences at risk: a valid licence's items re-checked against fresh records (issue 8 §9)."""

from __future__ import annotations

from datetime import date

import pytest

from services.permits import risk
from services.permits.catalogue import load_catalogue
from tests.unit.test_permits_precheck import person, records

TODAY = date(2026, 11, 23)
CIP_ITEMS = [{"category": "construction", "grade": "不分级"}]


def cip_staff(*, principal: bool = True, c_valid_until: str = "2030-12-31"):
    staff = [
        person("b", "technical_staff", certs=[("safety_b", "2030-12-31")]),
        person("c1", "safety_lead", certs=[("safety_c", c_valid_until)]),
        person("c2", "safety_lead", certs=[("safety_c", "2030-12-31")]),
        person("e", "electrician", skill_level="intermediate"),
    ]
    if principal:
        staff.append(person("a", "technical_lead", certs=[("safety_a", "2030-12-31")], name="王主要"))
    return staff


@pytest.fixture(scope="module")
def cip():
    return load_catalogue().type("cip_safety")


def test_a_licence_whose_standards_are_met_is_not_at_risk(cip):
    outcome = risk.licence_risk(cip, CIP_ITEMS, records(staff=cip_staff()), TODAY)
    assert not outcome.at_risk and outcome.reason is None and outcome.unmet == ()


def test_losing_the_key_person_flags_the_licence_with_the_unmet_standard_explained(cip):
    outcome = risk.licence_risk(cip, CIP_ITEMS, records(staff=cip_staff(principal=False)), TODAY)
    assert outcome.at_risk
    assert [u["key"] for u in outcome.unmet] == ["construction.不分级.principal_a"]
    unmet = outcome.unmet[0]
    assert "安全生产考核合格（A证）" in unmet["label"] and "安管人员A证" in unmet["required"]
    assert unmet["actual"].startswith("符合条件0人")
    assert outcome.reason.startswith("重新预审有1项资质标准不再符合：")
    assert unmet["label"] in outcome.reason and unmet["required"] in outcome.reason


def test_a_lapsed_certificate_counts_as_gone(cip):
    outcome = risk.licence_risk(cip, CIP_ITEMS, records(staff=cip_staff(c_valid_until="2026-01-31")),
                                TODAY)
    assert [u["key"] for u in outcome.unmet] == ["construction.不分级.safety_officer_c"]


def test_the_same_records_give_the_same_reason_so_nothing_changes_twice(cip):
    gone = records(staff=cip_staff(principal=False))
    first = risk.licence_risk(cip, CIP_ITEMS, gone, TODAY)
    again = risk.licence_risk(cip, CIP_ITEMS, gone, date(2026, 11, 24))
    assert not risk.changed(first.reason, again)
    assert risk.changed(None, first)  # flagged
    back = risk.licence_risk(cip, CIP_ITEMS, records(staff=cip_staff()), TODAY)
    assert risk.changed(first.reason, back) and back.reason is None  # cleared
    assert not risk.changed(None, back)


def test_items_the_catalogue_no_longer_offers_are_not_rechecked(cip):
    outcome = risk.licence_risk(cip, [{"category": "gone", "grade": "一级"}], records(), TODAY)
    assert not outcome.at_risk
