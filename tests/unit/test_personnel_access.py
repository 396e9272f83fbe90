"""personnel's access rules that need no bus: a reviewer's jurisdiction as a region prefix (never
"everywhere" by accident), who reads a row, and the payload schemas of the reviewer-side and
listing RPCs (bad input is a field error, not a crash)."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.access import enterprise_of
from services.common.errors import ValidationFailed
from services.common.schema_errors import load_or_fail
from services.personnel.models import Person
from services.personnel.schemas import AnomalySchema, ExpiringSchema, PeopleQuerySchema, ScopeSchema
from services.personnel.usecases._support import reads as may_read
from services.personnel.usecases._support import region_prefix


def staff(kind: str, level: str | None, region: str | None) -> dict:
    return {"id": "x", "kind": kind, "level": level, "region_code": region, "permissions": []}


@pytest.mark.parametrize(
    ("actor", "prefix"),
    [
        (staff("reviewer", "city", "150105"), "1501"),
        (staff("reviewer", "province", "150000"), "15"),
        (staff("reviewer", "ministry", None), ""),
        (staff("admin", None, None), ""),
        # Broken accounts have no jurisdiction: an unknown level, a missing or short region.
        (staff("reviewer", None, "150105"), None),
        (staff("reviewer", "county", "150105"), None),
        (staff("reviewer", "city", None), None),
        (staff("reviewer", "city", "15"), None),
        (staff("reviewer", "province", ""), None),
        (staff("reviewer", "city", "abcd00"), None),
        (staff("enterprise", None, None), None),
        (staff("person", None, None), None),
        (None, None),
    ],
)
def test_region_prefix(actor, prefix):
    assert region_prefix(actor) == prefix


def reads(actor: dict, enterprise_id: str | None, region: str | None, person: Person | None = None) -> bool:
    return may_read(actor, enterprise_id, region, person)


def test_reads_enterprise_rows_only_with_the_module_and_only_its_own():
    main = {"id": "a", "kind": "enterprise", "enterprise_id": "a", "permissions": []}
    assert reads(main, "a", "150105") and not reads(main, "b", "150105")
    sub = {"id": "s", "kind": "sub", "enterprise_id": "a", "permissions": ["personnel", "read_only"]}
    assert reads(sub, "a", None) and not reads(sub, "b", None)
    assert not reads({**sub, "permissions": ["permits"]}, "a", None)


def test_reads_a_persons_own_rows_by_id_number():
    person = Person(id_number="15010219800101001X")
    me = {"id": "p", "kind": "person", "id_number": "15010219800101001x"}
    assert reads(me, "a", None, person)
    assert not reads({**me, "id_number": "150102198001010011"}, "a", None, person)
    assert not reads(me, "a", None, None)


def test_reads_reviewer_rows_within_the_region():
    city = staff("reviewer", "city", "150105")
    assert reads(city, "a", "150102") and not reads(city, "a", "150202")
    assert not reads(staff("reviewer", None, "150105"), "a", "150102")
    assert reads(staff("reviewer", "ministry", None), "a", "440300")


def test_anomaly_payload_is_validated():
    with pytest.raises(ValidationFailed) as bad:
        load_or_fail(
            AnomalySchema(), {"enterprise_id": "e", "person_id": "p", "kind": "other", "deadline": "下周"}
        )
    assert "deadline" in bad.value.fields
    with pytest.raises(ValidationFailed) as missing:
        load_or_fail(AnomalySchema(), {"detail": "x"})
    assert {"enterprise_id", "person_id", "kind"} <= set(missing.value.fields)
    ok = load_or_fail(
        AnomalySchema(), {"enterprise_id": "e", "person_id": "p", "kind": "other", "deadline": "2026-12-31"}
    )
    assert ok["deadline"] == date(2026, 12, 31) and ok["detail"] is None
    # The gateway sends empty form fields as None: no schema error, the domain names what is missing.
    blank = {"enterprise_id": "e", "person_id": "p", "kind": "other", "detail": None, "deadline": None}
    assert load_or_fail(AnomalySchema(), blank)["detail"] is None


def test_listing_payloads_are_validated():
    for schema, payload, field in (
        (ExpiringSchema(), {"today": "yesterday"}, "today"),
        (ExpiringSchema(), {"within_days": "ninety"}, "within_days"),
        (PeopleQuerySchema(), {"limit": "many"}, "limit"),
        (PeopleQuerySchema(), {"limit": 500}, "limit"),
        (ScopeSchema(), {"declaration_ids": "not-a-list"}, "declaration_ids"),
    ):
        with pytest.raises(ValidationFailed) as bad:
            load_or_fail(schema, payload)
        assert field in bad.value.fields
    assert load_or_fail(PeopleQuerySchema(), {"limit": None})["limit"] is None
    assert load_or_fail(ExpiringSchema(), {})["today"] is None


def test_a_main_account_acts_for_itself_a_sub_account_for_its_owner():
    assert enterprise_of({"id": "b", "kind": "enterprise", "enterprise_id": "a"}) == "b"
    assert enterprise_of({"id": "s", "kind": "sub", "enterprise_id": "a"}) == "a"
    assert enterprise_of({"id": "s", "kind": "sub", "enterprise_account_id": "a"}) == "a"
    forged = {"id": "b", "kind": "enterprise", "enterprise_id": "a", "permissions": []}
    assert reads(forged, "b", None) and not reads(forged, "a", None)
