"""Licence numbers in each type's format, validity, live status and the public verify fields."""

from __future__ import annotations

from datetime import date

import pytest

from services.permits.catalogue import load_catalogue
from services.permits.licences import (
    Licence,
    LicenceItem,
    add_months,
    next_number,
    public_fields,
    status_on,
    validity_until,
    with_status,
)


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_numbers_in_each_type_format(cat):
    assert next_number(cat.type("pfl_power"), "150203", 2026, 13) == "1-1-00013-26"
    assert next_number(cat.type("hmq_maintenance"), "150100", 2026, 7) == "蒙公养资20260007"
    assert next_number(cat.type("cip_safety"), "150100", 2026, 42) == "(蒙)JZ安许证字[2026]000042"
    with pytest.raises(ValueError):
        next_number(cat.type("pfl_power"), "110000", 2026, 1)  # no region digit for Beijing
    with pytest.raises(ValueError):
        next_number(cat.type("hmq_maintenance"), "150100", 2026, 0)


def test_validity_years_per_type(cat):
    start = date(2026, 2, 28)
    assert validity_until(cat.type("pfl_power"), start) == date(2032, 2, 27)
    assert validity_until(cat.type("cip_safety"), start) == date(2029, 2, 27)
    assert validity_until(cat.type("hmq_maintenance"), date(2024, 2, 29)) == date(2029, 2, 27)


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 16), -3) == date(2026, 9, 16)


def licence(**kw):
    base = dict(
        number="1-1-00013-26",
        type_code="pfl_power",
        holder_id="e1",
        holder_name="丙电力公司",
        holder_uscc="91150200MA0N12345X",
        items=(LicenceItem("install", "三级"),),
        issued_on=date(2026, 1, 5),
        valid_from=date(2026, 1, 5),
        valid_until=date(2032, 1, 4),
        details={"legal_representative": "李四", "address": "包头市", "contact_mobile": "13800000000"},
    )
    base.update(kw)
    return Licence(**base)


@pytest.mark.parametrize(
    "stored, today, expected",
    [
        ("valid", date(2032, 1, 4), "valid"),
        ("valid", date(2032, 1, 5), "expired"),
        ("suspended", date(2027, 1, 1), "suspended"),
        ("revoked", date(2027, 1, 1), "revoked"),
        ("replaced", date(2027, 1, 1), "replaced"),
        ("cancelled", date(2033, 1, 1), "cancelled"),
    ],
)
def test_live_status(stored, today, expected):
    assert status_on(licence(status=stored), today) == expected


def test_stored_status_cannot_be_expired_or_unknown():
    with pytest.raises(ValueError):
        licence(status="expired")
    with pytest.raises(ValueError):
        licence(valid_until=date(2025, 1, 1))


def test_public_fields_are_non_sensitive(cat):
    fields = public_fields(licence(), cat.type("pfl_power"), date(2026, 11, 23))
    assert fields == {
        "number": "1-1-00013-26",
        "certificate_name": "承装（修、试）电力设施许可证",
        "type_name": "承装（修、试）电力设施许可证",
        "authority": "国家能源局派出能源监管机构",
        "holder_name": "丙电力公司",
        "holder_uscc": "91150200MA0N12345X",
        "items": ["承装三级"],
        "issued_on": "2026-01-05",
        "valid_from": "2026-01-05",
        "valid_until": "2032-01-04",
        "edition": 1,
        "status": "valid",
        "status_label": "有效",
    }
    flat = repr(fields)
    assert "13800000000" not in flat and "李四" not in flat and "e1" not in flat
    revoked = public_fields(with_status(licence(), "revoked"), cat.type("pfl_power"), date(2026, 11, 23))
    assert (revoked["status"], revoked["status_label"]) == ("revoked", "已撤销")


def test_round_trip_through_dict():
    original = licence(edition=3, first_issued_on=date(2020, 1, 1))
    assert Licence.from_dict(original.to_dict()) == original
