"""Passwords: change, reset by link, reset by a reviewer or admin (a temporary one)."""

from __future__ import annotations

import secrets

from services.common.errors import Forbidden, NotFound, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.identity import domain
from services.identity.schemas import ChangePasswordSchema, ResetPasswordSchema
from services.identity.usecases._support import (
    Deps,
    _get,
    _hash,
    _issue_link,
    _password_matches,
    _require_staff,
    _session_view,
    _set_password,
    _use_token,
    check_attempt_limits,
)


def change_password(deps: Deps, payload: dict) -> dict:
    data = load_or_fail(ChangePasswordSchema(), payload)
    check_attempt_limits(deps, ip=None, login=f"id:{data['account_id']}")  # per account
    with deps.begin() as uow:
        account = _get(uow, str(data["account_id"]), for_update=True)
        if not _password_matches(account.password_hash, data["current_password"]):
            raise ValidationFailed.from_fields(
                {"current_password": [field_error("wrong", "当前密码不正确")]})
        _set_password(uow, account, data["new_password"], data.get("new_password_confirm"),
                      field="new_password")
        uow.audit("password.changed", actor_id=account.id, subject_id=account.id)
        uow.commit()
        return _session_view(account)


def request_password_reset(deps: Deps, login: str) -> dict:
    """Always answers the same, so nobody learns which logins exist."""
    if login is not None and not isinstance(login, str):  # a number or list from the API
        raise ValidationFailed.from_fields({"login": [field_error("invalid", "请输入账号")]})
    with deps.begin() as uow:
        account = uow.accounts.by_any_login(
            domain.login_candidates(login or ""))
        if account is not None and account.status != domain.ACCOUNT_DISABLED:
            _issue_link(deps, uow, account, "reset_password")
            uow.audit("password.reset_requested", subject_id=account.id)
            uow.commit()
    return {"sent": True}


def reset_password(deps: Deps, payload: dict) -> dict:
    data = load_or_fail(ResetPasswordSchema(), payload)
    with deps.begin() as uow:
        account = _use_token(uow, data["token"], "reset_password")
        _set_password(uow, account, data["new_password"], data.get("new_password_confirm"),
                      field="new_password")
        uow.audit("password.reset", actor_id=account.id, subject_id=account.id)
        uow.commit()
        return {"login": account.login}


def admin_reset_password(deps: Deps, actor_id: str, account_id: str) -> dict:
    """A reviewer/admin resets a password (TSA): a temporary one, changed at next login.
    Who may whom: domain.reset_refusal, and a reviewer only within the desk's jurisdiction."""
    with deps.begin() as uow:
        staff = _require_staff(uow, actor_id)
        target = _get(uow, account_id)
        staff_kind, target_id = staff.kind, target.id
        desk = {"id": str(staff.id), "kind": staff.kind, "level": staff.level,
                "region_code": staff.region_code, "permissions": [], "enterprise_id": None}
        owner = target.id if target.kind == domain.KIND_ENTERPRISE else target.enterprise_account_id
        refusal = domain.reset_refusal(staff.kind, target.kind, staff.id == target.id)
        if refusal is not None:
            uow.audit("password.admin_reset_refused", actor_id=staff.id,
                      subject_id=target.id, reason="kind")
            uow.commit()
            raise Forbidden(refusal)
    # A reviewer: only an enterprise that their desk works a case on (asked before any lock).
    if staff_kind == domain.KIND_REVIEWER and not (
            owner and deps.reviewer_may_read_enterprise(desk, str(owner))["allowed"]):
        with deps.begin() as uow:
            uow.audit("password.admin_reset_refused", actor_id=actor_id,
                      subject_id=target_id, reason="jurisdiction")
            uow.commit()
        raise NotFound("账号不存在")
    with deps.begin() as uow:
        account = _get(uow, account_id, for_update=True)
        temporary = "Qlp-" + secrets.token_urlsafe(9) + "!7"
        account.password_hash = _hash(temporary)
        account.must_change_password = True
        account.session_epoch += 1
        uow.audit("password.admin_reset", actor_id=actor_id, subject_id=account.id)
        uow.commit()
        return {"login": account.login, "temporary_password": temporary}
