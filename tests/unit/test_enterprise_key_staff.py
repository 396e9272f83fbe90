"""Key staff changes of a licence holder (issue 15 item 15, seed 003 人员变更申请): which changes
need approval, the lock while one runs, the review case asked for (pure parts, no servers)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from services.common.errors import InvalidTransition
from services.enterprise.events import REVIEW_REQUESTED
from services.enterprise.usecases import key_staff


@pytest.mark.parametrize("category, holds, expected", [
    ("technical_lead", True, True), ("safety_lead", True, True),
    ("technical_lead", False, False), ("electrician", True, False), ("technical_staff", True, False),
    (None, True, False)])
def test_only_a_licence_holders_technical_and_safety_leads_need_approval(category, holds, expected):
    assert key_staff.needs_approval(category, holds) is expected


def test_a_row_under_review_is_locked_with_a_stable_code():
    key_staff.check_not_pending(SimpleNamespace(approval=None))
    with pytest.raises(InvalidTransition) as caught:
        key_staff.check_not_pending(SimpleNamespace(approval="leave_pending"))
    assert caught.value.code == "staff_change_pending" and "审核" in str(caught.value)


class FakeUow:
    def __init__(self) -> None:
        self.events: list[tuple[object, dict]] = []
        self.session = SimpleNamespace(add=lambda row: None, flush=lambda: None)

    def add_event(self, spec: object, data: dict) -> dict:
        self.events.append((spec, data))
        return data


def test_a_join_marks_the_row_and_asks_review_for_a_case_with_the_id_number_masked(monkeypatch):
    monkeypatch.setattr(key_staff.audit, "record", lambda *a, **k: None)
    uow = FakeUow()
    enterprise = SimpleNamespace(id=uuid.uuid4(), name="甲电力公司", uscc="U", region_code="150105")
    row = SimpleNamespace(id=uuid.uuid4(), category="safety_lead", name="李安全",
                          id_number="150102199001011234", title=None, approval=None, approval_ref=None)
    answer = key_staff.request(uow, enterprise, row, key_staff.JOIN, {"id": "acc"})
    assert row.approval == "join_pending" and answer["approval_label"] == "入职审批中"
    ((spec, data),) = uow.events
    assert spec is REVIEW_REQUESTED and data["case_type"] == "enterprise.staff_change"
    assert data["case_ref"] == f"enterprise:staff_change:{row.approval_ref}"
    assert key_staff.is_case(data["case_ref"])
    assert data["title"] == "人员入职申请：安全负责人 李安全" and data["region_code"] == "150105"
    assert "150102199001011234" not in str(data) and data["fields"]["action"]["value"] == "人员入职申请"
    assert not key_staff.is_case("enterprise:change:1")


@pytest.mark.parametrize("before, cleaned, refused", [
    ("technical_staff", {"category": "technical_lead"}, True),     # into a key category
    ("technical_lead", {"category": "technical_staff"}, True),     # out of one
    ("technical_lead", {"category": "safety_lead"}, True),         # from one to the other
    ("technical_lead", {"category": "technical_lead", "id_number": "X2"}, True),  # another person
    ("technical_lead", {"category": "technical_lead", "title": "高级工程师"}, False),
    ("technical_staff", {"category": "electrician", "id_number": "X2"}, False)])
def test_a_licence_holder_cannot_swap_key_staff_by_editing(before, cleaned, refused):
    row = SimpleNamespace(category=before, id_number="X1")
    key_staff.check_update(row, cleaned, False)  # no licence: anything goes
    if refused:
        with pytest.raises(InvalidTransition) as caught:
            key_staff.check_update(row, cleaned, True)
        assert caught.value.code == "key_staff_via_request" and "人员入职申请" in str(caught.value)
    else:
        key_staff.check_update(row, cleaned, True)
