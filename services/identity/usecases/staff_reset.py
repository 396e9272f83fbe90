"""TSA 重置密码 by the reviewer (seed 002: an enterprise that cannot reset its own password brings
its stamped business licence to the review department): a reviewer finds the enterprise account
by its login (统一社会信用代码) and resets it. Nobody sees a password: the old one stops working,
the account must set a new one (must_change_password), and a single-use reset link goes to the
account's e-mail (notify mails identity's password_reset_requested). Audited either way.

Who may: admins any enterprise account or sub-account; a reviewer only one of an enterprise in
the desk's region (its 盟市 / province, services/common/jurisdiction.py) or one their desk works
a case on (the rule of ``admin_reset_password``)."""

from __future__ import annotations

import secrets
from typing import Any

from services.common import audit, jurisdiction
from services.common.errors import Forbidden, NotFound, ServiceError, ValidationFailed, field_error
from services.identity import domain
from services.identity.repository import AccountRepository
from services.identity.usecases import _support

NOT_FOUND = "未找到本辖区内的该企业账号"
LOGIN_REQUIRED = "请输入统一社会信用代码或用户名"
RESETTABLE = (domain.KIND_ENTERPRISE, domain.KIND_SUB)


def masked_email(email: str) -> str:
    """a***@example.com: enough for the reviewer to tell the enterprise where the link went."""
    name, at, domain_part = (email or "").partition("@")
    if not at:
        return ""
    return f"{name[:2]}***@{domain_part}"


def enterprise_facts(service: Any, enterprise_id: str) -> dict[str, Any]:
    """The enterprise's name and region as enterprise keeps them (asked as a service: no actor);
    empty when it has no record yet."""
    try:
        record = service.enterprise.records_for_precheck(None, enterprise_id) or {}
    except ServiceError:
        return {}
    return {"name": record.get("name") or None, "region_code": record.get("region_code") or None}


def desk_covers(service: Any, staff: dict[str, Any], enterprise_id: str) -> bool:
    """Whether the staff member may reset an account of this enterprise (see the module doc)."""
    if staff["kind"] == domain.KIND_ADMIN:
        return True
    desk = jurisdiction.desk(staff.get("level"), staff.get("region_code"))
    if desk is None:
        return False
    region = enterprise_facts(service, enterprise_id).get("region_code")
    if region and jurisdiction.in_jurisdiction(desk[0], desk[1], region):
        return True
    return bool(service.review.reviewer_may_read_enterprise(staff, enterprise_id)["allowed"])


def _staff_dict(account: Any) -> dict[str, Any]:
    return {"id": str(account.id), "kind": account.kind, "level": account.level,
            "region_code": account.region_code, "permissions": [], "enterprise_id": None}


def _owner(account: Any) -> str | None:
    owner = account.id if account.kind == domain.KIND_ENTERPRISE else account.enterprise_account_id
    return str(owner) if owner else None


def _refuse(service: Any, actor_id: str, subject: object, reason: str, action: str) -> None:
    with service.deps.begin() as uow:
        audit.record(uow.session, action, actor_id=actor_id, subject_id=str(subject) if subject else None,
                     reason=reason)
        uow.commit()


def find_account(service: Any, actor_id: str, login: str) -> dict[str, Any]:
    """The enterprise account (or sub-account) with this login, if the staff member may reset it."""
    if not isinstance(login, str) or not login.strip():
        raise ValidationFailed.from_fields({"login": [field_error("required", LOGIN_REQUIRED)]})
    with service.deps.begin() as uow:
        staff = _support._require_staff(uow, actor_id)
        staff_view = _staff_dict(staff)
        account = AccountRepository(uow.session).by_any_login(domain.login_candidates(login))
        found = None
        if account is not None and account.kind in RESETTABLE:
            found = {"id": str(account.id), "login": account.login, "kind": account.kind,
                     "contact_name": account.contact_name, "email": masked_email(account.email),
                     "status": account.status, "must_change_password": account.must_change_password,
                     "owner": _owner(account)}
    if found is None or not found["owner"] or not desk_covers(service, staff_view, found["owner"]):
        _refuse(service, actor_id, found and found["id"], "not_found_or_jurisdiction",
                "password.staff_lookup_refused")
        raise NotFound(NOT_FOUND)
    found["enterprise_name"] = enterprise_facts(service, found["owner"]).get("name")
    return found


def reset_by_mail(service: Any, actor_id: str, account_id: str) -> dict[str, Any]:
    with service.deps.begin() as uow:
        staff = _support._require_staff(uow, actor_id)
        staff_view = _staff_dict(staff)
        target = _support._get(uow, account_id)
        target_kind, target_id, owner = target.kind, target.id, _owner(target)
        refusal = domain.reset_refusal(staff.kind, target.kind, staff.id == target.id)
    if refusal is None and target_kind not in RESETTABLE:
        refusal = "这里只能重置企业账号的密码"
    if refusal is not None:
        _refuse(service, actor_id, target_id, "kind", "password.admin_reset_refused")
        raise Forbidden(refusal)
    if not owner or not desk_covers(service, staff_view, owner):  # asked before any lock
        _refuse(service, actor_id, target_id, "jurisdiction", "password.admin_reset_refused")
        raise NotFound(NOT_FOUND)
    with service.deps.begin() as uow:
        account = _support._get(uow, account_id, for_update=True)
        # Nobody knows the new password: the account sets its own through the mailed link.
        account.password_hash = _hash_password(secrets.token_urlsafe(32) + "!7aA")
        account.must_change_password = True
        account.session_epoch += 1  # its sessions end
        _support._issue_link(service.deps, uow, account, "reset_password")
        audit.record(uow.session, "password.staff_reset_mailed", actor_id=actor_id, subject_id=account.id)
        uow.commit()
        return {"login": account.login, "email": masked_email(account.email)}


def _hash_password(password: str) -> str:
    return _support._hash(password)  # the service's argon2 (in tpool)
