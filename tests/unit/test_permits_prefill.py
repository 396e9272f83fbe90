"""申报表 fields prefilled from the enterprise record, still editable (issue 15 item 12)."""

from __future__ import annotations

import pytest

from services.permits.catalogue import load_catalogue
from services.permits.prefill import form_inputs, prefilled

RECORDS = {"profile": {"registered_address": "呼和浩特市新城区1号", "legal_representative": "张三",
                       "contact_name": "李四", "contact_phone": "13800000000", "email": "a@example.com"}}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_hmq_form_fields_come_from_the_profile(cat):
    values = prefilled(cat.type("hmq_maintenance"), "new", {}, RECORDS)
    assert values == {"address": "呼和浩特市新城区1号", "legal_representative": "张三",
                      "contact_name": "李四", "contact_phone": "13800000000"}


def test_what_the_applicant_typed_wins_and_blank_is_filled(cat):
    values = prefilled(cat.type("hmq_maintenance"), "new", {"legal_representative": "王五", "address": " "},
                       RECORDS)
    assert values["legal_representative"] == "王五" and values["address"] == "呼和浩特市新城区1号"


def test_only_fields_the_form_has_and_nothing_without_a_profile(cat):
    cip = prefilled(cat.type("cip_safety"), "new", {}, RECORDS)
    assert cip["email"] == "a@example.com" and "contact_name" not in cip
    assert prefilled(cat.type("hmq_maintenance"), "new", {}, {}) == {}


def test_form_inputs_name_each_typed_field_with_its_value(cat):
    rows = form_inputs(cat.type("hmq_maintenance"), "new", {"contact_name": "李四"})
    by_key = {r["key"]: r for r in rows}
    assert by_key["contact_name"] == {"key": "contact_name", "label": "联系人", "value": "李四"}
    assert by_key["address"]["label"] == "注册地址" and by_key["address"]["value"] is None
