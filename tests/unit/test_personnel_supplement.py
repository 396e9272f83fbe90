"""信息补录 only for people the enterprise's legacy import brought (issue 15 item 16, seed 001):
the rule, and the use case over fake collaborators (the enterprise's answer decides)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from services.common.errors import InvalidTransition
from services.personnel import supplement
from services.personnel.models import Person
from services.personnel.usecases import _support, certificates
from tests.unit.test_personnel_usecases import ACTOR, ENTERPRISE, ID, FakeWorld


def test_a_person_not_imported_is_refused_with_a_stable_code_pointing_to_the_declaration():
    with pytest.raises(InvalidTransition) as caught:
        supplement.check_supplement_person(False)
    assert caught.value.code == "not_imported"
    assert "初始注册" in str(caught.value) and "旧系统导入" in str(caught.value)


def test_an_imported_person_passes():
    supplement.check_supplement_person(True)


def _person(world: FakeWorld) -> Person:
    person = Person(id=uuid.uuid4(), id_type="resident_id", id_number=ID, name="张三", gender="male",
                    birth_date=date(2000, 1, 1), mobile="13800000000", created_by_enterprise_id=ENTERPRISE)
    world.repo.add(person)
    return person


def _record() -> dict:
    return {"type_code": "constructor_2", "specialties": ["建筑工程"],
            "registration_number": "蒙215080907445",
            "valid_until": (_support._today() + timedelta(days=700)).isoformat()}



@pytest.mark.parametrize("answer", [False, None])
def test_the_use_case_asks_the_enterprise_and_records_nothing_for_a_person_it_did_not_import(answer):
    world = FakeWorld()
    person = _person(world)
    asked: list[tuple[str, str]] = []

    def staff_imported(eid: str, number: str) -> bool:
        asked.append((eid, number))
        return bool(answer)

    deps = world.deps()
    deps.staff_imported = staff_imported
    with pytest.raises(InvalidTransition) as caught:
        certificates.add_certificate_record(deps, ACTOR, str(person.id), _record())
    assert caught.value.code == "not_imported"
    assert asked == [(str(ENTERPRISE), ID)]
    assert world.repo.certificates_of_person(person.id) == []
    assert [r[0] for r in world.refusals] == ["personnel.supplement_refused"]


def test_the_use_case_records_an_imported_persons_certificate():
    world = FakeWorld()
    person = _person(world)
    deps = world.deps()
    deps.staff_imported = lambda eid, number: True
    view = certificates.add_certificate_record(deps, ACTOR, str(person.id), _record())
    assert view["imported"] is True
    assert len(world.repo.certificates_of_person(person.id)) == 1
    assert world.refusals == []
