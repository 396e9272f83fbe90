"""Accounts other accounts create: an enterprise's sub-accounts, reviewers and admins."""

from __future__ import annotations

from services.common.errors import Forbidden, NotFound, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.identity import domain
from services.identity.models import Account
from services.identity.schemas import StaffAccountSchema, SubAccountSchema
from services.identity.usecases._support import (
    Deps,
    _get,
    _hash,
    _now,
    _require_enterprise_admin,
    _session_view,
    _set_status,
)


def create_sub_account(deps: Deps, actor_id: str, payload: dict) -> dict:
    data = load_or_fail(SubAccountSchema(), payload)
    with deps.begin() as uow:
        owner = _require_enterprise_admin(uow, actor_id)
        accounts = uow.accounts
        username = data["username"].strip()
        errors = domain.new_login_errors(
            username, data["contact_name"].strip(), data["email"].strip(), data["password"],
            accounts.login_taken(username) or accounts.login_taken(username.upper()))
        if problems := domain.permission_errors(data["permissions"]):
            errors["permissions"] = problems
        if errors:
            raise ValidationFailed.from_fields(errors)
        account = Account(
            kind=domain.KIND_SUB, login=username, enterprise_account_id=owner.id,
            contact_name=data["contact_name"].strip(), email=data["email"].strip().lower(),
            password_hash=_hash(data["password"]), status=domain.ACCOUNT_ACTIVE,
            permissions=sorted(set(data["permissions"])), email_verified_at=_now(),
        )
        accounts.add(account)
        uow.audit("sub_account.created", actor_id=owner.id, subject_id=account.id,
                  permissions=",".join(account.permissions))
        uow.commit()
        return _session_view(account)


def set_sub_account(deps: Deps, actor_id: str, account_id: str, changes: dict) -> dict:
    """Change a sub-account's permissions or disable/enable it (disabling ends its sessions)."""
    with deps.begin() as uow:
        owner = _require_enterprise_admin(uow, actor_id)
        account = _get(uow, account_id, for_update=True)
        if account.enterprise_account_id != owner.id:
            uow.audit("sub_account.denied", actor_id=owner.id, subject_id=account.id)
            uow.commit()
            raise NotFound("账号不存在")  # another enterprise's: not even its existence leaks
        if "permissions" in changes:
            if problems := domain.permission_errors(list(changes["permissions"] or [])):
                raise ValidationFailed.from_fields({"permissions": problems})
            account.permissions = sorted(set(changes["permissions"]))
            account.session_epoch += 1
            uow.audit("sub_account.permissions", actor_id=owner.id,
                      subject_id=account.id, permissions=",".join(account.permissions))
        if "disabled" in changes:
            target = domain.ACCOUNT_DISABLED if changes["disabled"] else domain.ACCOUNT_ACTIVE
            if target != account.status:
                _set_status(uow, account, target, None, actor_id=owner.id)
        uow.commit()
        return _session_view(account)


def create_staff_account(deps: Deps, actor_id: str | None, payload: dict) -> dict:
    """Admins create reviewers and admins. ``actor_id`` None is the bootstrap command."""
    data = load_or_fail(StaffAccountSchema(), payload)
    with deps.begin() as uow:
        creator_id = None
        if actor_id is not None:
            creator = _get(uow, actor_id)
            if creator.kind != domain.KIND_ADMIN:
                raise Forbidden("只有管理员可以创建审核人员和管理员账号")
            creator_id = creator.id
        accounts = uow.accounts
        username = data["username"].strip()
        errors = domain.new_login_errors(username, data["contact_name"].strip(),
                                         data["email"].strip(), data["password"],
                                         accounts.login_taken(username))
        if data["kind"] == domain.KIND_REVIEWER:
            if data.get("level") not in domain.LEVELS:
                errors["level"] = [field_error("invalid", "请选择审核层级（盟市、自治区、部级）")]
            if not (data.get("region_code") or "").isdigit() or len(data.get("region_code") or "") != 6:
                errors["region_code"] = [field_error("invalid", "请选择所属地区")]
        if errors:
            raise ValidationFailed.from_fields(errors)
        account = Account(
            kind=data["kind"], login=username, contact_name=data["contact_name"].strip(),
            email=data["email"].strip().lower(), password_hash=_hash(data["password"]),
            status=domain.ACCOUNT_ACTIVE, permissions=[], email_verified_at=_now(),
            level=data.get("level") if data["kind"] == domain.KIND_REVIEWER else None,
            region_code=data.get("region_code") if data["kind"] == domain.KIND_REVIEWER else None,
        )
        accounts.add(account)
        uow.audit("staff_account.created", actor_id=creator_id,
                  subject_id=account.id, kind=account.kind, level=account.level,
                  region_code=account.region_code)
        uow.commit()
        return _session_view(account)
