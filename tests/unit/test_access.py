import pytest

from services.common.access import enterprise_of, may_use
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


def test_permission_lists_are_checked():
    assert permission_errors(["personnel"]) == []
    assert permission_errors(["read_only"])[0]["code"] == "empty"
    assert permission_errors(["personnel", "payroll"])[0]["code"] == "unknown_module"
