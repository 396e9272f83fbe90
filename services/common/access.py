"""Who may use which module: the one permission rule the gateway and every service apply.

An actor is what the gateway knows of a signed-in account: ``kind`` (enterprise, sub,
reviewer, admin), ``permissions`` (a sub-account's modules, plus ``read_only``), and the
enterprise it acts for.
"""

from __future__ import annotations

from typing import Any

# Module permissions a sub-account can hold (CIP 子账号权限). The main account holds all.
MODULES = {
    "enterprise": "企业信息",
    "personnel": "人员管理",
    "permits": "资质许可",
}
READ_ONLY = "read_only"


def may_use(kind: str, permissions: list[str], module: str, write: bool) -> bool:
    if kind == "enterprise":
        return True
    if kind != "sub" or module not in permissions:
        return False
    return not (write and READ_ONLY in permissions)


def enterprise_of(actor: dict[str, Any]) -> str | None:
    """The enterprise account an enterprise-side actor acts for (a sub-account's owner)."""
    if actor.get("kind") == "enterprise":
        return str(actor["id"])
    if actor.get("kind") == "sub":
        return str(actor.get("enterprise_account_id"))
    return None


def actor_from_account(account: dict[str, Any]) -> dict[str, Any]:
    """The actor dict passed as the first argument of RPCs that act for a user
    (docs/contracts.md): who, what kind, which enterprise, which modules, which region."""
    actor = {
        "id": str(account["id"]),
        "kind": account["kind"],
        "permissions": list(account.get("permissions") or []),
        "level": account.get("level"),
        "region_code": account.get("region_code"),
    }
    actor["enterprise_id"] = enterprise_of(account)
    return actor
