"""信息补录 only for people the enterprise's legacy import brought (issue 15 item 16, seed 001),
through real personnel and enterprise: A cannot record a certificate for someone it did not import
(refused with ``not_imported``, nothing recorded, audited), so the person's real employer B is not
blocked by the one-employer rule; once A's legacy import lists the person, 信息补录 works."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from services.common.errors import InvalidTransition
from services.common.localtime import BEIJING
from services.personnel.windows import add_months
from tests.support.permits import new_enterprise
from tests.support.personnel import imported_from_old_system, person_data

pytestmark = pytest.mark.integration


def _record() -> dict:
    today = datetime.now(UTC).astimezone(BEIJING).date()
    return {"type_code": "constructor_2", "valid_until": add_months(today, 24).isoformat(),
            "specialties": ["建筑工程"], "registration_number": "蒙215080907445"}


def test_supplement_is_refused_for_a_person_the_enterprise_did_not_import(cluster, running_platform, engines):
    a = new_enterprise(cluster, running_platform)
    b = new_enterprise(cluster, running_platform)
    data = person_data("赵未导入")
    someone = cluster.personnel.create_person(a, data)

    with pytest.raises(InvalidTransition) as caught:
        cluster.personnel.add_certificate_record(a, someone["id"], _record())
    assert caught.value.code == "not_imported"
    assert "初始注册" in str(caught.value)
    assert cluster.personnel.get_person(a, someone["id"])["certificates"] == []
    with engines("personnel").connect() as conn:
        refusals = conn.execute(text(
            "select count(*) from audit_log"
            " where action = 'personnel.supplement_refused' and subject_id = :s"),
            {"s": someone["id"]}).scalar()
    assert refusals == 1

    # Another enterprise's legacy import does not open 信息补录 to A either.
    imported_from_old_system(cluster, b, data)
    with pytest.raises(InvalidTransition):
        cluster.personnel.add_certificate_record(a, someone["id"], _record())

    # The person's real employer is not blocked: B can declare them (新增申报), no holder elsewhere.
    draft = cluster.personnel.new_declaration(
        b, {"type_code": "safety", "kind": "new", "person": data, "form": {"class_code": "B"}})
    assert draft["status"] == "draft"

    # Once A's own legacy import lists the person, 信息补录 records the certificate.
    other = person_data("钱已导入")
    imported_from_old_system(cluster, a, other)
    person = cluster.personnel.create_person(a, other)
    cert = cluster.personnel.add_certificate_record(a, person["id"], _record())
    assert cert["imported"] is True and cert["status"] == "valid"
