"""Login: password (with lock-outs per login and per IP), the TOTP second factor and its
enrolment."""

from __future__ import annotations

import pyotp

from services.common.errors import InvalidTransition, Unauthenticated, ValidationFailed, field_error
from services.common.schema_errors import load_or_fail
from services.identity import domain, passwords
from services.identity.schemas import LoginSchema, TotpCodeSchema
from services.identity.usecases._support import (
    BAD_CREDENTIALS,
    TOTP_ISSUER,
    Deps,
    _attempt,
    _decoy_hash,
    _get,
    _hash,
    _now,
    _password_matches,
    _session_view,
    _totp_required,
    check_attempt_limits,
)


def login(deps: Deps, payload: dict) -> dict:
    """Check a password. Returns the account and whether a TOTP code is still needed."""
    data = load_or_fail(LoginSchema(), payload)
    candidates, ip = domain.login_candidates(data["login"]), data.get("ip")
    if not candidates:
        raise Unauthenticated(BAD_CREDENTIALS, code="invalid_credentials")
    check_attempt_limits(deps, ip=ip, candidates=candidates)  # any outcome counts (429 beyond)
    with deps.begin() as uow:
        accounts, attempts = uow.accounts, uow.attempts
        account = accounts.by_any_login(candidates)
        # Failures count per account whatever its login was typed like (case, spaces).
        login = account.login if account is not None else candidates[0]
        now = _now()
        since = now - domain.LOCKOUT_WINDOW - domain.LOCKOUT_DURATION
        ip_limit = int(deps.config.get("security", {}).get(
            "login_failures_per_ip", domain.IP_FAILURES))
        if ip and domain.ip_blocked(attempts.failures_from_ip(ip, since), ip_limit):
            _attempt(uow, login, account, ip, False, "ip_blocked")
            raise Unauthenticated("登录失败次数过多，请15分钟后再试", code="ip_blocked")
        until = domain.locked_until(attempts.failures_for_login(login, since), now)
        if until is not None:
            _attempt(uow, login, account, ip, False, "locked")
            minutes = max(1, int((until - now).total_seconds() // 60) + 1)
            raise Unauthenticated(f"密码错误次数过多，账号已锁定，请{minutes}分钟后再试",
                                  code="locked")
        stored_hash = account.password_hash if account is not None else _decoy_hash()
        if not _password_matches(stored_hash, data["password"]) or account is None:
            _attempt(uow, login, account, ip, False, "bad_password")
            raise Unauthenticated(BAD_CREDENTIALS, code="invalid_credentials")
        upgraded = passwords.rehash_after_login(stored_hash, data["password"], _hash)
        if upgraded is not None:  # rehash-on-login: the current parameters from now on
            account.password_hash = upgraded
        allowed, why = domain.can_log_in(account.status)
        if not allowed:
            _attempt(uow, login, account, ip, False, account.status)
            raise Unauthenticated(why or BAD_CREDENTIALS, code=f"account_{account.status}")
        needs_totp = account.totp_enabled_at is not None
        _attempt(uow, login, account, ip, True,
                 "password_ok_totp_pending" if needs_totp else "ok")
        uow.commit()
        return {"account": _session_view(account), "needs_totp": needs_totp,
                "totp_required_by_policy": _totp_required(deps, account)}


def verify_second_factor(deps: Deps, payload: dict) -> dict:
    """The TOTP step of a login: a current code, or one unused recovery code."""
    data = load_or_fail(TotpCodeSchema(), payload)
    with deps.begin() as uow:
        account = _get(uow, str(data["account_id"]), for_update=True)
        if account.totp_enabled_at is None or not account.totp_secret:
            raise InvalidTransition("该账号未启用动态口令")
        now = _now()
        since = now - domain.LOCKOUT_WINDOW - domain.LOCKOUT_DURATION
        if domain.locked_until(uow.attempts.failures_for_login(account.login, since),
                               now):
            _attempt(uow, account.login, account, data.get("ip"), False, "locked")
            raise Unauthenticated("验证失败次数过多，账号已锁定，请15分钟后再试", code="locked")
        code = domain.normalise_code(data["code"])
        step = domain.accepted_totp_step(account.totp_secret, code, now, account.totp_last_step)
        ok = step is not None
        if ok:
            account.totp_last_step = step
        elif "-" in code:
            ok = uow.recovery_codes.use(account.id, domain.token_digest(code), now)
        if not ok:
            _attempt(uow, account.login, account, data.get("ip"), False, "bad_totp")
            raise Unauthenticated("动态口令不正确或已使用过，请输入手机上显示的下一个口令",
                                  code="invalid_totp")
        _attempt(uow, account.login, account, data.get("ip"), True, "ok")
        uow.commit()
        return {"account": _session_view(account)}


def begin_totp_enrolment(deps: Deps, account_id: str) -> dict:
    with deps.begin() as uow:
        account = _get(uow, account_id, for_update=True)
        if account.totp_enabled_at is not None:
            raise InvalidTransition("已启用动态口令")
        account.totp_secret = pyotp.random_base32()
        uow.commit()
        uri = pyotp.TOTP(account.totp_secret).provisioning_uri(name=account.login,
                                                               issuer_name=TOTP_ISSUER)
        return {"secret": account.totp_secret, "otpauth_uri": uri}


def confirm_totp_enrolment(deps: Deps, account_id: str, code: str) -> dict:
    with deps.begin() as uow:
        account = _get(uow, account_id, for_update=True)
        if account.totp_enabled_at is not None or not account.totp_secret:
            raise InvalidTransition("请先扫描二维码开始绑定")
        now = _now()
        step = domain.accepted_totp_step(account.totp_secret, domain.normalise_code(code), now, None)
        if step is None:
            raise ValidationFailed.from_fields(
                {"code": [field_error("invalid", "动态口令不正确，请核对手机上的6位数字")]})
        account.totp_enabled_at = now
        account.totp_last_step = step  # the enrolment code cannot also sign in
        codes = domain.new_recovery_codes()
        uow.recovery_codes.replace(
            account.id, [domain.token_digest(c) for c in codes])
        uow.audit("totp.enabled", actor_id=account.id, subject_id=account.id)
        uow.commit()
        return {"recovery_codes": codes}
