"""identity's nameko entrypoints: thin, schema in, domain, schema out."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

import pyotp
from argon2.exceptions import VerificationError, VerifyMismatchError
from eventlet import tpool
from marshmallow import Schema
from sqlalchemy.exc import IntegrityError

from services.common import audit, jurisdiction
from services.common.access import KIND_PERSON, actor_from_account
from services.common.base import PlatformService, service_rpc
from services.common.errors import (
    Forbidden,
    InvalidTransition,
    NotFound,
    Unauthenticated,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.events import reliable_event_handler
from services.common.rpc import PlatformRpcProxy
from services.common.schema_errors import load_or_fail
from services.common.validators import is_email
from services.identity import domain, passwords
from services.identity.events import (
    ACCOUNT_STATUS_CHANGED,
    CASE_DECIDED,
    EMAIL_VERIFICATION_REQUESTED,
    ENTERPRISE_ACCOUNT_REGISTERED,
    OWN_STATUS_CHANGED,
    PASSWORD_RESET_REQUESTED,
    REGISTRATION_PROFILE_SUBMITTED,
    REVIEW_REQUESTED,
)
from services.identity.models import Account, AccountToken, LoginAttempt
from services.identity.repository import (
    AccountRepository,
    AttemptRepository,
    RecoveryCodeRepository,
    TokenRepository,
)
from services.identity.schemas import (
    AccountSchema,
    ChangePasswordSchema,
    DeskStaffSchema,
    LoginSchema,
    PersonAccountSchema,
    RegisterAccountSchema,
    RegisterPersonSchema,
    ResetPasswordSchema,
    SessionAccountSchema,
    StaffAccountSchema,
    SubAccountSchema,
    TotpCodeSchema,
)
from services.identity.usecases import staff_reset

log = logging.getLogger(__name__)
_hasher = passwords.HASHER  # argon2id, parameters argued in services/identity/passwords.py
TOTP_ISSUER = "资质许可网上办理平台"
BAD_CREDENTIALS = "账号或密码错误"


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(password: str) -> str:
    # argon2 is CPU-bound C code with no Python locks inside: safe in tpool, shown by
    # tests/unit/test_tpool_argon2.py (never put Python library code there: renderpool.py).
    return tpool.execute(_hasher.hash, password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return bool(tpool.execute(_hasher.verify, password_hash, password))
    except (VerifyMismatchError, VerificationError):
        return False


@functools.cache
def _decoy_hash() -> str:
    """A hash with the live parameters, verified when no account matches: an unknown login costs
    the same argon2 work as a wrong password, so timing does not tell which USCCs are registered."""
    return _hash(secrets.token_urlsafe(16))


def _session_view(account: Account) -> dict:
    return SessionAccountSchema().dump(account)


def _registration_case_due(account: Account | None) -> bool:
    return account is not None and domain.registration_case_due(
        account.kind, account.status, account.profile_submitted_at, account.registration_case_open,
        account.registration_case_profile_at)


class IdentityService(PlatformService):
    name = "identity"

    enterprise = PlatformRpcProxy("enterprise")  # registration step 2, for the registration review case
    review = PlatformRpcProxy("review")  # a reviewer's jurisdiction, for 重置密码

    # ---- registration ------------------------------------------------------------------
    @service_rpc
    def register_account(self, payload: dict) -> dict:
        data = domain.normalise_registration(load_or_fail(RegisterAccountSchema(), payload))
        return self._register_once(data, data["uscc"], self._register, AccountSchema(),
                                   {"uscc": [field_error("taken", "该统一社会信用代码已注册")]})

    @service_rpc
    def register_person(self, payload: dict) -> dict:
        """A person's own account (个人用户): login = the normalised ID number; the e-mail is
        verified as for enterprises, and there is no registration review."""
        data = domain.normalise_person_registration(load_or_fail(RegisterPersonSchema(), payload))
        return self._register_once(
            data, data["id_number"], self._register_person, PersonAccountSchema(),
            {"id_number": [field_error("taken", "该证件号码已注册个人账号")]})

    def _register_once(self, data: dict, login: str, create: Callable[[dict, str | None], dict],
                       view: Schema, taken: dict) -> dict:
        """Create an account once per form: a repeated submit (same key, login and password)
        gets the account the first one created."""
        request_key = data.get("request_key") or None
        if request_key and (existing := self._by_request_key(request_key, login, data["password"], view)):
            return existing
        try:
            return create(data, request_key)
        except IntegrityError:
            # Two submits of one form raced past the checks: the loser returns the winner's
            # account; without a key it is a plain "already registered".
            if request_key and (existing := self._by_request_key(request_key, login, data["password"],
                                                                  view)):
                return existing
            raise ValidationFailed.from_fields(taken) from None

    def _by_request_key(self, request_key: str, login: str, password: str, view: Schema) -> dict | None:
        """The account an earlier submit of the same form created, dumped while its session is open."""
        with self.db.unit_of_work() as uow:
            existing = AccountRepository(uow.session).by_request_key(request_key)
            if existing is not None and _same_submission(existing, login, password):
                return view.dump(existing)
            return None

    def _register(self, data: dict, request_key: str | None) -> dict:
        with self.db.unit_of_work() as uow:
            accounts = AccountRepository(uow.session)
            errors = domain.registration_errors(
                data, accounts.taken_fields(data["uscc"], data["contact_mobile"])
            )
            if errors:
                raise ValidationFailed.from_fields(errors)
            account = Account(
                kind=domain.KIND_ENTERPRISE,
                login=data["uscc"],
                uscc=data["uscc"],
                contact_name=data["contact_name"],
                contact_mobile=data["contact_mobile"],
                email=data["email"],
                password_hash=_hash(data["password"]),
                status=domain.ACCOUNT_PENDING_EMAIL,
                permissions=[],
                request_key=request_key,
            )
            accounts.add(account)
            uow.add_event(ENTERPRISE_ACCOUNT_REGISTERED, {
                "account_id": account.id, "uscc": account.uscc,
                "contact_name": account.contact_name, "email": account.email,
            })
            self._issue_link(uow, account, "verify_email")
            audit.record(uow.session, "account.registered", actor_id=account.id,
                         subject_id=account.id, uscc=account.uscc)
            uow.commit()
            log.info("enterprise account %s registered for %s", account.id, account.uscc)
            return AccountSchema().dump(account)

    def _register_person(self, data: dict, request_key: str | None) -> dict:
        with self.db.unit_of_work() as uow:
            accounts = AccountRepository(uow.session)
            errors = domain.person_registration_errors(
                data, accounts.taken_person_fields(data["id_number"], data["mobile"]))
            if errors:
                raise ValidationFailed.from_fields(errors)
            account = Account(
                kind=KIND_PERSON, login=data["id_number"], id_type=data["id_type"],
                id_number=data["id_number"], contact_name=data["name"],
                contact_mobile=data["mobile"], email=data["email"],
                password_hash=_hash(data["password"]), status=domain.ACCOUNT_PENDING_EMAIL,
                permissions=[], request_key=request_key,
            )
            accounts.add(account)
            self._issue_link(uow, account, "verify_email")
            # The audit trail names the account, never the ID number (personal data).
            audit.record(uow.session, "person_account.registered", actor_id=account.id,
                         subject_id=account.id, id_type=account.id_type)
            uow.commit()
            log.info("person account %s registered", account.id)
            return PersonAccountSchema().dump(account)

    def _issue_link(self, uow: object, account: Account, purpose: str) -> None:
        """A new single-use link (older ones of the same purpose stop working), mailed by notify."""
        now = _now()
        tokens = TokenRepository(uow.session)  # type: ignore[attr-defined]
        tokens.invalidate(account.id, purpose, now)
        raw, digest = domain.new_token()
        expires_at = now + domain.TOKEN_LIFETIMES[purpose]
        tokens.add(AccountToken(digest=digest, account_id=account.id, purpose=purpose,
                                expires_at=expires_at))
        path = {"verify_email": "/verify-email", "reset_password": "/password/reset"}[purpose]
        spec = {"verify_email": EMAIL_VERIFICATION_REQUESTED,
                "reset_password": PASSWORD_RESET_REQUESTED}[purpose]
        uow.add_event(spec, {  # type: ignore[attr-defined]
            "account_id": account.id, "email": account.email, "contact_name": account.contact_name,
            "link": f"{self.config['PLATFORM']['gateway']['public_url']}{path}?token={raw}",
            "expires_at": expires_at,
        })

    @service_rpc
    def resend_verification(self, account_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            account = self._get(uow, account_id)
            if account.status != domain.ACCOUNT_PENDING_EMAIL:
                raise InvalidTransition("该账号的邮箱已验证")
            self._issue_link(uow, account, "verify_email")
            uow.commit()
            return {"email": account.email}

    @service_rpc
    def verify_email(self, token: str) -> dict:
        review = bool(self.config["PLATFORM"]["features"]["registration_review"])
        with self.db.unit_of_work() as uow:
            account = self._use_token(uow, token, "verify_email")
            if account.status != domain.ACCOUNT_PENDING_EMAIL:
                raise InvalidTransition("该账号的邮箱已验证")
            account.email_verified_at = _now()
            self._set_status(uow, account, domain.status_after_email_verified(review, account.kind),
                             None, actor_id=account.id)
            uow.commit()
            return _session_view(account)

    def _use_token(self, uow: object, raw: str, purpose: str) -> Account:
        session = uow.session  # type: ignore[attr-defined]
        token = TokenRepository(session).get_for_update(domain.token_digest(raw or ""), purpose)
        if token is None:
            raise ValidationFailed("链接无效，请重新申请。",
                                   {"token": [field_error("invalid", "链接无效，请重新申请。")]})
        problem = domain.token_problem(token.expires_at, token.used_at, _now())
        if problem:
            raise ValidationFailed(problem, {"token": [field_error("expired", problem)]})
        token.used_at = _now()
        account = AccountRepository(session).get(token.account_id, for_update=True)
        assert account is not None  # a foreign key holds it
        return account

    def _set_status(self, uow: object, account: Account, status: str, reason: str | None,
                    actor_id: object) -> None:
        old = account.status
        account.status = status
        account.review_reason = reason
        if status == domain.ACCOUNT_DISABLED:
            account.session_epoch += 1  # every open session of this account ends
        uow.add_event(ACCOUNT_STATUS_CHANGED, {  # type: ignore[attr-defined]
            "account_id": account.id, "kind": account.kind, "status": status, "reason": reason})
        audit.record(uow.session, "account.status_changed", actor_id=actor_id,  # type: ignore[attr-defined]
                     subject_id=account.id, old=old, new=status, reason=reason)

    # ---- registration review (TSA) as a review case (identity:registration:<account id>) -----
    def _request_registration_review(self, account_id: object,
                                     claim: tuple[str, str] | None = None) -> None:
        """Send review the registration (its next revision) once it is due: e-mail verified, step 2
        submitted, no case open (or step 2 submitted again since its revision: the reviewer must
        see what is current). Idempotent: every trigger may call it, one case revision results."""
        if not self.config["PLATFORM"]["features"]["registration_review"]:
            return
        account_uuid = uuid_or_not_found(str(account_id), "账号不存在")
        with self.db.unit_of_work() as uow:
            account = AccountRepository(uow.session).get(account_uuid)
            if not _registration_case_due(account):
                return
            owner = actor_from_account(_session_view(account))
        # Step 2 lives in the enterprise service; read it (as the enterprise's own main account:
        # enterprise's registration_profile refuses a None actor) before locking the account.
        profile = self.enterprise.registration_profile(owner, str(account_uuid))
        with self.db.unit_of_work() as uow:
            if claim is not None and not uow.claim_event(*claim):
                return
            account = AccountRepository(uow.session).get(account_uuid, for_update=True)
            if not _registration_case_due(account):
                uow.commit()
                return
            assert account is not None
            account.registration_revision += 1
            account.registration_case_open = True
            account.registration_case_profile_at = account.profile_submitted_at
            data = domain.registration_case(
                {"id": account.id, "uscc": account.uscc, "contact_name": account.contact_name,
                 "email": account.email}, profile, account.registration_revision, _now())
            uow.add_event(REVIEW_REQUESTED, data)
            audit.record(uow.session, "registration.review_requested", actor_id=account.id,
                         subject_id=account.id, revision=account.registration_revision)
            uow.commit()

    @reliable_event_handler("identity", "account_status_changed")
    def on_own_status_changed(self, body: dict) -> None:
        """待审核 (e-mail verified, or 前往修改 after 审核不通过): the registration case may be due."""
        envelope = OWN_STATUS_CHANGED.parse(body)
        data = envelope["data"]
        if data["kind"] == domain.KIND_ENTERPRISE and data["status"] == domain.ACCOUNT_PENDING_REVIEW:
            self._request_registration_review(
                data["account_id"], claim=(envelope["id"], "identity.on_own_status_changed"))

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        """Review's decision on a registration case approves or rejects the account (the reason
        is shown to the enterprise, which may 前往修改 and resubmit)."""
        envelope = CASE_DECIDED.parse(body)
        data = envelope["data"]
        account_id = domain.registration_account_of(data["case_ref"])
        if account_id is None:
            return  # another producer's case
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(envelope["id"], "identity.on_case_decided"):
                return
            account = AccountRepository(uow.session).get(uuid_or_not_found(account_id, "账号不存在"),
                                                         for_update=True)
            if account is None or account.kind != domain.KIND_ENTERPRISE:
                log.warning("registration decision for unknown account %s", account_id)
                uow.commit()
                return
            account.registration_case_open = False
            if account.status == domain.ACCOUNT_PENDING_REVIEW:
                approved = data["decision"] == "approved"
                status = domain.ACCOUNT_ACTIVE if approved else domain.ACCOUNT_REJECTED
                self._set_status(uow, account, status,
                                 None if approved else (data["reason"] or "审核不通过"), actor_id=None)
            audit.record(uow.session, "registration.decided", subject_id=account.id,
                         decision=data["decision"], decided_by=data["decided_by"],
                         revision=account.registration_revision)
            uow.commit()

    @service_rpc
    def resubmit_registration(self, account_id: str, payload: dict) -> dict:
        """After 审核不通过 the enterprise fixes its details and submits again (前往修改)."""
        with self.db.unit_of_work() as uow:
            account = self._get(uow, account_id, for_update=True)
            if account.status != domain.ACCOUNT_REJECTED:
                raise InvalidTransition("只有审核不通过的注册可以重新提交")
            name = (payload.get("contact_name") or account.contact_name).strip()
            email = (payload.get("email") or account.email).strip().lower()
            errors = {}
            if not 2 <= len(name) <= 50:
                errors["contact_name"] = [field_error("length", "联系人姓名应为2至50个字")]
            if not is_email(email):
                errors["email"] = [field_error("invalid", "电子邮箱格式不正确")]
            if errors:
                raise ValidationFailed.from_fields(errors)
            account.contact_name, account.email = name, email
            self._set_status(uow, account, domain.ACCOUNT_PENDING_REVIEW, None, actor_id=account.id)
            uow.commit()
            return _session_view(account)

    @reliable_event_handler("enterprise", "registration_profile_submitted")
    def on_registration_profile_submitted(self, body: dict) -> None:
        """Step 2 arrived: review may approve; a rejected registration goes back to review."""
        envelope = REGISTRATION_PROFILE_SUBMITTED.parse(body)
        data = envelope["data"]
        with self.db.unit_of_work() as uow:
            account = AccountRepository(uow.session).get(data["enterprise_id"], for_update=True)
            if account is None or account.kind != domain.KIND_ENTERPRISE:
                log.warning("registration profile for unknown enterprise %s", data["enterprise_id"])
                return  # nothing to do, and nothing to retry
            if uow.claim_event(envelope["id"], "identity.on_registration_profile_submitted"):
                account.profile_submitted_at = data["submitted_at"]
                audit.record(uow.session, "registration.profile_submitted", actor_id=account.id,
                             subject_id=account.id)
                if (status := domain.status_after_profile_submitted(account.status)) != account.status:
                    self._set_status(uow, account, status, None, actor_id=account.id)
                uow.commit()
        # Already 待审核 (verified before step 2): the case is due now. Also on a redelivery, in
        # case the request failed after the commit above (the request is idempotent).
        self._request_registration_review(data["enterprise_id"])

    # ---- login -------------------------------------------------------------------------
    @service_rpc
    def login(self, payload: dict) -> dict:
        """Check a password. Returns the account and whether a TOTP code is still needed."""
        data = load_or_fail(LoginSchema(), payload)
        candidates, ip = domain.login_candidates(data["login"]), data.get("ip")
        if not candidates:
            raise Unauthenticated(BAD_CREDENTIALS, code="invalid_credentials")
        with self.db.unit_of_work() as uow:
            accounts, attempts = AccountRepository(uow.session), AttemptRepository(uow.session)
            account = accounts.by_any_login(candidates)
            # Failures count per account whatever its login was typed like (case, spaces).
            login = account.login if account is not None else candidates[0]
            now = _now()
            since = now - domain.LOCKOUT_WINDOW - domain.LOCKOUT_DURATION
            ip_limit = int(self.config["PLATFORM"].get("security", {}).get(
                "login_failures_per_ip", domain.IP_FAILURES))
            if ip and domain.ip_blocked(attempts.failures_from_ip(ip, since), ip_limit):
                self._attempt(uow, login, account, ip, False, "ip_blocked")
                raise Unauthenticated("登录失败次数过多，请15分钟后再试", code="ip_blocked")
            until = domain.locked_until(attempts.failures_for_login(login, since), now)
            if until is not None:
                self._attempt(uow, login, account, ip, False, "locked")
                minutes = max(1, int((until - now).total_seconds() // 60) + 1)
                raise Unauthenticated(f"密码错误次数过多，账号已锁定，请{minutes}分钟后再试",
                                      code="locked")
            stored_hash = account.password_hash if account is not None else _decoy_hash()
            if not _password_matches(stored_hash, data["password"]) or account is None:
                self._attempt(uow, login, account, ip, False, "bad_password")
                raise Unauthenticated(BAD_CREDENTIALS, code="invalid_credentials")
            upgraded = passwords.rehash_after_login(stored_hash, data["password"], _hash)
            if upgraded is not None:  # rehash-on-login: the current parameters from now on
                account.password_hash = upgraded
            allowed, why = domain.can_log_in(account.status)
            if not allowed:
                self._attempt(uow, login, account, ip, False, account.status)
                raise Unauthenticated(why or BAD_CREDENTIALS, code=f"account_{account.status}")
            needs_totp = account.totp_enabled_at is not None
            self._attempt(uow, login, account, ip, True,
                          "password_ok_totp_pending" if needs_totp else "ok")
            uow.commit()
            return {"account": _session_view(account), "needs_totp": needs_totp,
                    "totp_required_by_policy": self._totp_required(account)}

    def _attempt(self, uow: object, login: str, account: Account | None, ip: str | None,
                 succeeded: bool, reason: str) -> None:
        """Every attempt is kept (and audited), committed even when the login fails."""
        session = uow.session  # type: ignore[attr-defined]
        AttemptRepository(session).add(LoginAttempt(
            login=login, account_id=account.id if account else None, ip=ip,
            succeeded=succeeded, reason=reason))
        audit.record(session, "login.succeeded" if succeeded else "login.failed",
                     actor_id=account.id if account else None, subject_id=account.id if account else None,
                     ip=ip, login=login, reason=reason)
        if not succeeded:
            uow.commit()  # type: ignore[attr-defined]

    def _totp_required(self, account: Account) -> bool:
        policy = self.config["PLATFORM"].get("security", {}).get("totp_required_for", [])
        return account.kind in policy and account.totp_enabled_at is None

    @service_rpc
    def verify_second_factor(self, payload: dict) -> dict:
        """The TOTP step of a login: a current code, or one unused recovery code."""
        data = load_or_fail(TotpCodeSchema(), payload)
        with self.db.unit_of_work() as uow:
            account = self._get(uow, str(data["account_id"]), for_update=True)
            if account.totp_enabled_at is None or not account.totp_secret:
                raise InvalidTransition("该账号未启用动态口令")
            now = _now()
            since = now - domain.LOCKOUT_WINDOW - domain.LOCKOUT_DURATION
            if domain.locked_until(AttemptRepository(uow.session).failures_for_login(account.login, since),
                                   now):
                self._attempt(uow, account.login, account, data.get("ip"), False, "locked")
                raise Unauthenticated("验证失败次数过多，账号已锁定，请15分钟后再试", code="locked")
            code = domain.normalise_code(data["code"])
            step = domain.accepted_totp_step(account.totp_secret, code, now, account.totp_last_step)
            ok = step is not None
            if ok:
                account.totp_last_step = step
            elif "-" in code:
                ok = RecoveryCodeRepository(uow.session).use(account.id, domain.token_digest(code), now)
            if not ok:
                self._attempt(uow, account.login, account, data.get("ip"), False, "bad_totp")
                raise Unauthenticated("动态口令不正确或已使用过，请输入手机上显示的下一个口令",
                                      code="invalid_totp")
            self._attempt(uow, account.login, account, data.get("ip"), True, "ok")
            uow.commit()
            return {"account": _session_view(account)}

    @service_rpc
    def session_account(self, account_id: str) -> dict:
        """The gateway re-reads this to end sessions of disabled accounts (session_epoch)."""
        with self.db.unit_of_work() as uow:
            return _session_view(self._get(uow, account_id))

    # ---- second factor enrolment -------------------------------------------------------
    @service_rpc
    def begin_totp_enrolment(self, account_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            account = self._get(uow, account_id, for_update=True)
            if account.totp_enabled_at is not None:
                raise InvalidTransition("已启用动态口令")
            account.totp_secret = pyotp.random_base32()
            uow.commit()
            uri = pyotp.TOTP(account.totp_secret).provisioning_uri(name=account.login,
                                                                   issuer_name=TOTP_ISSUER)
            return {"secret": account.totp_secret, "otpauth_uri": uri}

    @service_rpc
    def confirm_totp_enrolment(self, account_id: str, code: str) -> dict:
        with self.db.unit_of_work() as uow:
            account = self._get(uow, account_id, for_update=True)
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
            RecoveryCodeRepository(uow.session).replace(
                account.id, [domain.token_digest(c) for c in codes])
            audit.record(uow.session, "totp.enabled", actor_id=account.id, subject_id=account.id)
            uow.commit()
            return {"recovery_codes": codes}

    # ---- passwords ---------------------------------------------------------------------
    @service_rpc
    def change_password(self, payload: dict) -> dict:
        data = load_or_fail(ChangePasswordSchema(), payload)
        with self.db.unit_of_work() as uow:
            account = self._get(uow, str(data["account_id"]), for_update=True)
            if not _password_matches(account.password_hash, data["current_password"]):
                raise ValidationFailed.from_fields(
                    {"current_password": [field_error("wrong", "当前密码不正确")]})
            self._set_password(uow, account, data["new_password"], data.get("new_password_confirm"),
                               field="new_password")
            audit.record(uow.session, "password.changed", actor_id=account.id, subject_id=account.id)
            uow.commit()
            return _session_view(account)

    def _set_password(self, uow: object, account: Account, password: str, confirm: str | None,
                      field: str) -> None:
        problems = domain.password_problems(password, account.uscc or account.login,
                                            account.contact_mobile or "")
        errors = {field: problems} if problems else {}
        if confirm is not None and confirm != password:
            errors[f"{field}_confirm"] = [field_error("mismatch", "两次输入的密码不一致")]
        if errors:
            raise ValidationFailed.from_fields(errors)
        account.password_hash = _hash(password)
        account.must_change_password = False
        account.session_epoch += 1  # other sessions end; the gateway keeps the current one

    @service_rpc
    def request_password_reset(self, login: str) -> dict:
        """Always answers the same, so nobody learns which logins exist."""
        if login is not None and not isinstance(login, str):  # a number or list from the API
            raise ValidationFailed.from_fields({"login": [field_error("invalid", "请输入账号")]})
        with self.db.unit_of_work() as uow:
            account = AccountRepository(uow.session).by_any_login(
                domain.login_candidates(login or ""))
            if account is not None and account.status != domain.ACCOUNT_DISABLED:
                self._issue_link(uow, account, "reset_password")
                audit.record(uow.session, "password.reset_requested", subject_id=account.id)
                uow.commit()
        return {"sent": True}

    @service_rpc
    def reset_password(self, payload: dict) -> dict:
        data = load_or_fail(ResetPasswordSchema(), payload)
        with self.db.unit_of_work() as uow:
            account = self._use_token(uow, data["token"], "reset_password")
            self._set_password(uow, account, data["new_password"], data.get("new_password_confirm"),
                               field="new_password")
            audit.record(uow.session, "password.reset", actor_id=account.id, subject_id=account.id)
            uow.commit()
            return {"login": account.login}

    @service_rpc
    def admin_reset_password(self, actor_id: str, account_id: str) -> dict:
        """A reviewer/admin resets a password (TSA): a temporary one, changed at next login.
        Who may whom: domain.reset_refusal, and a reviewer only within the desk's jurisdiction."""
        with self.db.unit_of_work() as uow:
            staff = self._require_staff(uow, actor_id)
            target = self._get(uow, account_id)
            staff_kind, target_id = staff.kind, target.id
            desk = {"id": str(staff.id), "kind": staff.kind, "level": staff.level,
                    "region_code": staff.region_code, "permissions": [], "enterprise_id": None}
            owner = target.id if target.kind == domain.KIND_ENTERPRISE else target.enterprise_account_id
            refusal = domain.reset_refusal(staff.kind, target.kind, staff.id == target.id)
            if refusal is not None:
                audit.record(uow.session, "password.admin_reset_refused", actor_id=staff.id,
                             subject_id=target.id, reason="kind")
                uow.commit()
                raise Forbidden(refusal)
        # A reviewer: only an enterprise that their desk works a case on (asked before any lock).
        if staff_kind == domain.KIND_REVIEWER and not (
                owner and self.review.reviewer_may_read_enterprise(desk, str(owner))["allowed"]):
            with self.db.unit_of_work() as uow:
                audit.record(uow.session, "password.admin_reset_refused", actor_id=actor_id,
                             subject_id=target_id, reason="jurisdiction")
                uow.commit()
            raise NotFound("账号不存在")
        with self.db.unit_of_work() as uow:
            account = self._get(uow, account_id, for_update=True)
            temporary = "Qlp-" + secrets.token_urlsafe(9) + "!7"
            account.password_hash = _hash(temporary)
            account.must_change_password = True
            account.session_epoch += 1
            audit.record(uow.session, "password.admin_reset", actor_id=actor_id, subject_id=account.id)
            uow.commit()
            return {"login": account.login, "temporary_password": temporary}

    @service_rpc
    def find_enterprise_account(self, actor_id: str, login: str) -> dict:
        return staff_reset.find_account(self, actor_id, login)  # 重置密码: find by USCC / username

    @service_rpc
    def staff_reset_password_by_mail(self, actor_id: str, account_id: str) -> dict:
        return staff_reset.reset_by_mail(self, actor_id, account_id)  # reset link mailed

    # ---- sub-accounts (CIP 子账号) --------------------------------------------------------
    @service_rpc
    def create_sub_account(self, actor_id: str, payload: dict) -> dict:
        data = load_or_fail(SubAccountSchema(), payload)
        with self.db.unit_of_work() as uow:
            owner = self._require_enterprise_admin(uow, actor_id)
            accounts = AccountRepository(uow.session)
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
            audit.record(uow.session, "sub_account.created", actor_id=owner.id, subject_id=account.id,
                         permissions=",".join(account.permissions))
            uow.commit()
            return _session_view(account)

    @service_rpc
    def list_sub_accounts(self, actor_id: str) -> list[dict]:
        with self.db.unit_of_work() as uow:
            owner = self._require_enterprise_admin(uow, actor_id)
            return SessionAccountSchema(many=True).dump(AccountRepository(uow.session).sub_accounts(owner.id))

    @service_rpc
    def set_sub_account(self, actor_id: str, account_id: str, changes: dict) -> dict:
        """Change a sub-account's permissions or disable/enable it (disabling ends its sessions)."""
        with self.db.unit_of_work() as uow:
            owner = self._require_enterprise_admin(uow, actor_id)
            account = self._get(uow, account_id, for_update=True)
            if account.enterprise_account_id != owner.id:
                audit.record(uow.session, "sub_account.denied", actor_id=owner.id, subject_id=account.id)
                uow.commit()
                raise NotFound("账号不存在")  # another enterprise's: not even its existence leaks
            if "permissions" in changes:
                if problems := domain.permission_errors(list(changes["permissions"] or [])):
                    raise ValidationFailed.from_fields({"permissions": problems})
                account.permissions = sorted(set(changes["permissions"]))
                account.session_epoch += 1
                audit.record(uow.session, "sub_account.permissions", actor_id=owner.id,
                             subject_id=account.id, permissions=",".join(account.permissions))
            if "disabled" in changes:
                target = domain.ACCOUNT_DISABLED if changes["disabled"] else domain.ACCOUNT_ACTIVE
                if target != account.status:
                    self._set_status(uow, account, target, None, actor_id=owner.id)
            uow.commit()
            return _session_view(account)

    # ---- reviewer and admin accounts ----------------------------------------------------
    @service_rpc
    def create_staff_account(self, actor_id: str | None, payload: dict) -> dict:
        """Admins create reviewers and admins. ``actor_id`` None is the bootstrap command."""
        data = load_or_fail(StaffAccountSchema(), payload)
        with self.db.unit_of_work() as uow:
            creator_id = None
            if actor_id is not None:
                creator = self._get(uow, actor_id)
                if creator.kind != domain.KIND_ADMIN:
                    raise Forbidden("只有管理员可以创建审核人员和管理员账号")
                creator_id = creator.id
            accounts = AccountRepository(uow.session)
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
            audit.record(uow.session, "staff_account.created", actor_id=creator_id,
                         subject_id=account.id, kind=account.kind, level=account.level,
                         region_code=account.region_code)
            uow.commit()
            return _session_view(account)

    @service_rpc
    def list_staff_accounts(self, actor_id: str) -> list[dict]:
        with self.db.unit_of_work() as uow:
            if self._get(uow, actor_id).kind != domain.KIND_ADMIN:
                raise Forbidden("只有管理员可以查看")
            return SessionAccountSchema(many=True).dump(AccountRepository(uow.session).staff())

    @service_rpc
    def desk_staff(self, actor_id: str) -> list[dict]:
        """The enabled reviewers (and desk-bound admins) at the asking reviewer's desk: the 分配
        picker on a case page (review.assign accepts only these). Empty without a desk."""
        with self.db.unit_of_work() as uow:
            me = self._get(uow, actor_id)
            desk = jurisdiction.desk_of(SessionAccountSchema().dump(me))
            if me.kind not in ("reviewer", "admin") or desk is None:
                return []
            return DeskStaffSchema(many=True).dump(
                [a for a in AccountRepository(uow.session).staff()
                 if a.status != "disabled" and jurisdiction.desk(a.level, a.region_code) == desk])

    # ---- reads -------------------------------------------------------------------------
    @service_rpc
    def get_account(self, account_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return AccountSchema().dump(self._get(uow, account_id))

    def _get(self, uow: object, account_id: str, for_update: bool = False) -> Account:
        account = AccountRepository(uow.session).get(  # type: ignore[attr-defined]
            uuid_or_not_found(account_id, "账号不存在"), for_update=for_update)
        if account is None:
            raise NotFound("账号不存在")
        return account

    def _require_staff(self, uow: object, actor_id: str) -> Account:
        actor = self._get(uow, actor_id)
        if actor.kind not in (domain.KIND_REVIEWER, domain.KIND_ADMIN) or \
                actor.status != domain.ACCOUNT_ACTIVE:
            raise Forbidden("只有审核人员可以办理")
        return actor

    def _require_enterprise_admin(self, uow: object, actor_id: str) -> Account:
        actor = self._get(uow, actor_id)
        if actor.kind != domain.KIND_ENTERPRISE or actor.status != domain.ACCOUNT_ACTIVE:
            raise Forbidden("只有企业主账号可以管理子账号")
        return actor


def _same_submission(account: Account, login: str, password: str) -> bool:
    """A repeated key counts only with the same login and password: a key alone proves nothing."""
    return account.login == login and _password_matches(account.password_hash, password)


SERVICE_CLASS = IdentityService
