"""Who may use which module: the one permission rule the gateway and every service apply.

An actor is what the gateway knows of a signed-in account: ``kind`` (enterprise, sub,
reviewer, admin, person), ``permissions`` (a sub-account's modules, plus ``read_only``), and
the enterprise it acts for, and (only until registration review approves the account)
``registration_status``.
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
# A person's own area (个人用户: TSA 人员调动 / 证书延续, REG 个人申请撤回). Only persons use it,
# and persons use nothing else: an individual never acts in an enterprise's modules.
PERSONAL = "personal"
KIND_PERSON = "person"


def may_use(kind: str, permissions: list[str], module: str, write: bool) -> bool:
    if kind == KIND_PERSON or module == PERSONAL:
        return kind == KIND_PERSON and module == PERSONAL
    if kind == "enterprise":
        return True
    if kind != "sub" or module not in permissions:
        return False
    return not (write and READ_ONLY in permissions)


def enterprise_of(actor: dict[str, Any]) -> str | None:
    """The enterprise an enterprise-side account or actor acts for: a main account is its own
    enterprise (whatever else the dict says), a sub-account its owner's (``enterprise_account_id``
    of an account, ``enterprise_id`` of an actor dict); nobody else acts for one."""
    if actor.get("kind") == "enterprise":
        return str(actor["id"])
    if actor.get("kind") == "sub":
        owner = actor.get("enterprise_account_id") or actor.get("enterprise_id")
        return str(owner) if owner else None
    return None


# Registration review (注册审核): an enterprise account waiting for it, or refused by it, may only
# complete and resubmit its registration data (and read its messages, log out, change its
# password); every module answers 403 with this code and message until review approves.
AWAITING_APPROVAL = ("pending_review", "rejected")
REGISTRATION_NOT_APPROVED = "registration_not_approved"
_AWAITING_MESSAGES = {
    "pending_review": "您的注册信息正在审核中，审核通过后才能使用各业务模块。"
                      "请在“注册状态”页面查看审核进度。",
    "rejected": "您的注册信息审核未通过，请在“注册状态”页面按审核意见修改后重新提交，"
                "审核通过后才能使用各业务模块。",
}


def awaiting_approval(actor_or_account: dict[str, Any] | None) -> bool:
    """Whether an account (``status``) or an actor dict (``registration_status``, set only while
    waiting) has not passed registration review: pending or rejected."""
    found = actor_or_account or {}
    return (found.get("registration_status") or found.get("status")) in AWAITING_APPROVAL


def registration_refusal(actor_or_account: dict[str, Any] | None) -> str:
    """What an account that has not passed registration review is told (Chinese)."""
    found = actor_or_account or {}
    status = found.get("registration_status") or found.get("status") or "pending_review"
    return _AWAITING_MESSAGES.get(str(status), _AWAITING_MESSAGES["pending_review"])


def module_refusal(module: str, write: bool) -> str:
    """What an account without the module (or read-only, for a write) is told."""
    return f"您的账号没有“{MODULES[module]}”模块的{'办理' if write else '查看'}权限"


def actor_from_account(account: dict[str, Any]) -> dict[str, Any]:
    """The actor dict passed as the first argument of RPCs that act for a user
    (docs/contracts.md): who, what kind, which enterprise, which modules, which region.

    A person (个人用户) is known by the normalised ID number they log in with; they act for no
    enterprise and hold no module permissions.
    """
    if account["kind"] == KIND_PERSON:
        return {"id": str(account["id"]), "kind": KIND_PERSON, "id_number": account["id_number"],
                "name": account["contact_name"], "enterprise_id": None, "permissions": []}
    actor = {
        "id": str(account["id"]),
        "kind": account["kind"],
        "permissions": list(account.get("permissions") or []),
        "level": account.get("level"),
        "region_code": account.get("region_code"),
    }
    actor["enterprise_id"] = enterprise_of(account)
    if account.get("status") in AWAITING_APPROVAL:
        # Only while waiting: services refuse their modules to it (defence in depth).
        actor["registration_status"] = account["status"]
    return actor
