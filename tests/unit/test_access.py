import pytest

from services.common.access import (
    actor_from_account,
    awaiting_approval,
    enterprise_of,
    may_use,
    module_refusal,
    registration_refusal,
)
from services.identity.domain import permission_errors


@pytest.mark.parametrize(("kind", "permissions", "module", "write", "allowed"), [
    ("enterprise", [], "personnel", True, True),
    ("sub", ["enterprise"], "enterprise", True, True),
    ("sub", ["enterprise"], "personnel", False, False),
    ("sub", ["personnel", "read_only"], "personnel", False, True),
    ("sub", ["personnel", "read_only"], "personnel", True, False),
    ("reviewer", ["personnel"], "personnel", False, False),
    ("admin", [], "enterprise", False, False),
])
def test_module_permissions(kind, permissions, module, write, allowed):
    assert may_use(kind, permissions, module, write) is allowed


def test_sub_account_acts_for_its_enterprise():
    assert enterprise_of({"kind": "sub", "id": "s", "enterprise_account_id": "e"}) == "e"
    assert enterprise_of({"kind": "enterprise", "id": "e"}) == "e"
    assert enterprise_of({"kind": "reviewer", "id": "r"}) is None


def test_actor_dicts_act_for_the_right_enterprise():
    # An actor dict (what RPCs receive): a sub-account's owner is its enterprise_id; a main
    # account is itself whatever enterprise_id the dict claims; a sub without an owner is nobody.
    assert enterprise_of({"kind": "sub", "id": "s", "enterprise_id": "e"}) == "e"
    assert enterprise_of({"kind": "enterprise", "id": "b", "enterprise_id": "a"}) == "b"
    assert enterprise_of({"kind": "sub", "id": "s"}) is None
    assert module_refusal("personnel", True) == "您的账号没有“人员管理”模块的办理权限"
    assert module_refusal("permits", False) == "您的账号没有“资质许可”模块的查看权限"


def test_permission_lists_are_checked():
    assert permission_errors(["personnel"]) == []
    assert permission_errors(["read_only"])[0]["code"] == "empty"
    assert permission_errors(["personnel", "payroll"])[0]["code"] == "unknown_module"


@pytest.mark.parametrize(("kind", "permissions", "module", "allowed"), [
    ("person", [], "personal", True),
    ("person", [], "personnel", False),
    ("person", [], "enterprise", False),
    ("person", ["permits"], "permits", False),  # a person holds no module, whatever it says
    ("enterprise", [], "personal", False),
    ("sub", ["personal"], "personal", False),
    ("admin", [], "personal", False),
])
def test_a_person_uses_only_the_personal_area(kind, permissions, module, allowed):
    assert may_use(kind, permissions, module, False) is allowed


def test_person_actor_shape():
    account = {"id": "p1", "kind": "person", "login": "11010519491231002X",
               "id_number": "11010519491231002X", "id_type": "resident_id", "contact_name": "王个人",
               "permissions": ["permits"], "level": None, "region_code": None,
               "enterprise_account_id": None}
    assert actor_from_account(account) == {
        "id": "p1", "kind": "person", "id_number": "11010519491231002X", "name": "王个人",
        "enterprise_id": None, "permissions": []}
    assert enterprise_of(actor_from_account(account)) is None


def test_enterprise_actor_is_unchanged():
    actor = actor_from_account({"id": "e1", "kind": "enterprise", "permissions": [],
                                "level": None, "region_code": None})
    assert actor == {"id": "e1", "kind": "enterprise", "permissions": [], "level": None,
                     "region_code": None, "enterprise_id": "e1"}


def test_an_account_awaiting_registration_review_is_marked_on_its_actor():
    base = {"id": "e1", "kind": "enterprise", "permissions": [], "level": None, "region_code": None}
    for status in ("pending_review", "rejected"):
        actor = actor_from_account({**base, "status": status})
        assert actor["registration_status"] == status and awaiting_approval(actor)
        assert "审核" in registration_refusal(actor)
    approved = actor_from_account({**base, "status": "active"})
    assert "registration_status" not in approved and not awaiting_approval(approved)
    assert not awaiting_approval({"kind": "reviewer", "status": "active"})
    assert registration_refusal({"registration_status": "rejected"}) != registration_refusal(
        {"registration_status": "pending_review"})
