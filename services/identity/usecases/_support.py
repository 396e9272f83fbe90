"""What identity's use cases share: the collaborators they are given (``Deps``), one
transaction over the repositories (``Tx``), password hashing (argon2 in tpool), single-use links,
the status change with its event and audit row, login attempts, the account look-ups.

A use case is a function ``(deps, data...)``: ``deps.begin()`` opens a transaction (``Tx``:
``accounts``, ``attempts``, ``tokens``, ``recovery_codes``, ``add_event``, ``claim_event``,
``audit``, ``commit``), ``deps.config`` is the platform configuration. The service builds the
real ones (services/identity/service.py); tests/unit/test_identity_usecases.py passes fakes.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2.exceptions import VerificationError, VerifyMismatchError
from eventlet import tpool
from eventlet.semaphore import Semaphore

from services.common.errors import (
    Busy,
    Forbidden,
    NotFound,
    TooManyAttempts,
    ValidationFailed,
    field_error,
    uuid_or_not_found,
)
from services.common.transaction import ServiceTx, begin
from services.identity import attempt_limits, domain, passwords
from services.identity.events import (
    ACCOUNT_STATUS_CHANGED,
    EMAIL_VERIFICATION_REQUESTED,
    PASSWORD_RESET_REQUESTED,
)
from services.identity.models import Account, AccountToken, LoginAttempt
from services.identity.repository import (
    AccountRepository,
    AttemptRepository,
    AttemptWindowRepository,
    RecoveryCodeRepository,
    TokenRepository,
)
from services.identity.schemas import SessionAccountSchema

log = logging.getLogger(__name__)
_hasher = passwords.HASHER  # argon2id, parameters argued in services/identity/passwords.py
TOTP_ISSUER = "资质许可网上办理平台"
BAD_CREDENTIALS = "账号或密码错误"


class Tx(ServiceTx):
    """One transaction over identity's tables: the repositories, the outbox, the audit trail
    (services/common/transaction.py)."""

    def __init__(self, uow: Any) -> None:
        super().__init__(uow)
        session = uow.session
        self.accounts = AccountRepository(session)
        self.attempts = AttemptRepository(session)
        self.windows = AttemptWindowRepository(session)
        self.tokens = TokenRepository(session)
        self.recovery_codes = RecoveryCodeRepository(session)


def transaction(db: Any) -> AbstractContextManager[Tx]:
    """``Deps.begin`` over the service's Database provider."""
    return begin(db, Tx)


@dataclass
class Deps:
    """The collaborators a use case is given (the service builds them per worker)."""

    begin: Callable[[], AbstractContextManager[Any]]
    config: dict[str, Any]  # the platform configuration (features, security, gateway.public_url)
    # registration_profile(actor, enterprise_id) -> enterprise's registration step 2
    registration_profile: Callable[[dict, str], dict]
    # reviewer_may_read_enterprise(actor, enterprise_id) -> review's {"allowed": bool}
    reviewer_may_read_enterprise: Callable[[dict, str], dict]


def _now() -> datetime:
    return datetime.now(UTC)


BUSY_MESSAGE = "系统繁忙，请稍后再试"


class HashGate:
    """At most ``slots`` argon2 computations at once in this process, ``queue`` callers waiting
    (attempt_limits.HashLimits); anyone else gets ``Busy`` at once, so a login storm holds a few
    of the process's RPC workers, never all of them (session checks keep answering)."""

    def __init__(self, rules: attempt_limits.HashLimits) -> None:
        self.rules = rules
        self._slots = Semaphore(rules.slots)
        self.busy = 0
        self.waiting = 0
        self.refused = 0

    def refuse_if_full(self) -> None:
        """Refuse now (before any database work) a caller that would be refused at the gate:
        under a storm the refusals stay cheap and identity's queue drains fast."""
        if attempt_limits.must_refuse_hash(self.busy, self.waiting, self.rules):
            self.refused += 1
            raise Busy(BUSY_MESSAGE, code="busy")

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.refuse_if_full()
        self.waiting += 1
        try:
            acquired = self._slots.acquire(timeout=self.rules.wait_seconds)
        finally:
            self.waiting -= 1
        if not acquired:
            self.refused += 1
            raise Busy(BUSY_MESSAGE, code="busy")
        self.busy += 1
        try:
            return fn(*args)
        finally:
            self.busy -= 1
            self._slots.release()


_gate: HashGate | None = None


def hash_gate(config: dict[str, Any] | None = None) -> HashGate:
    """This process's gate, made from the configuration the first time (the service passes it;
    without one, the defaults)."""
    global _gate
    if _gate is None:
        pool = int(os.environ.get("EVENTLET_THREADPOOL_SIZE", "20"))
        _gate = HashGate(attempt_limits.hash_limits(config or {}, pool))
    return _gate


def _hash(password: str) -> str:
    # argon2 is CPU-bound C code with no Python locks inside: safe in tpool, shown by
    # tests/unit/test_tpool_argon2.py (never put Python library code there: renderpool.py).
    return hash_gate().run(tpool.execute, _hasher.hash, password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return bool(hash_gate().run(tpool.execute, _hasher.verify, password_hash, password))
    except (VerifyMismatchError, VerificationError):
        return False


def check_attempt_limits(deps: Deps, *, ip: str | None, login: str | None = None,
                         candidates: list[str] | None = None) -> None:
    """Count this attempt per client IP and per account, in a short transaction of its own
    (committed before any argon2 work, so concurrent attempts see each other's counts), and
    refuse it with ``TooManyAttempts`` when a counter is past its limit (attempt_limits.py).

    ``candidates`` (domain.login_candidates of what was typed): the account is the stored login
    of the first that exists, else the first candidate, however the login was typed."""
    hash_gate().refuse_if_full()  # 503 busy at once: no rate-limit row for work never done
    rules = attempt_limits.limits(deps.config)
    now = _now()
    start = attempt_limits.window_start(now, rules.window_seconds)
    counts: dict[str, int] = {}
    with deps.begin() as uow:
        if candidates:
            account = uow.accounts.by_any_login(candidates)
            login = account.login if account is not None else candidates[0]
        keys = {attempt_limits.SCOPE_IP: attempt_limits.ip_key(ip),
                attempt_limits.SCOPE_ACCOUNT: attempt_limits.account_key(login) if login else None}
        for scope in attempt_limits.SCOPES:  # always this order: two attempts never deadlock
            if keys[scope]:
                counts[scope] = uow.windows.hit(scope, keys[scope], start)
        if counts and min(counts.values()) == 1 and random.random() < 0.05:
            uow.windows.prune(start - attempt_limits.KEEP_WINDOWS)  # now and then, old windows go
        uow.commit()
    if attempt_limits.over_limit(counts, rules):
        seconds = attempt_limits.retry_after(now, rules.window_seconds)
        log.info("attempt refused by the rate limit: %s", counts)
        raise TooManyAttempts(attempt_limits.refusal_message(seconds), code="too_many_attempts",
                              retry_after=seconds)


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


def _same_submission(account: Account, login: str, password: str) -> bool:
    """A repeated key counts only with the same login and password: a key alone proves nothing."""
    return account.login == login and _password_matches(account.password_hash, password)


def _issue_link(deps: Deps, uow: Any, account: Account, purpose: str) -> None:
    """A new single-use link (older ones of the same purpose stop working), mailed by notify."""
    now = _now()
    tokens = uow.tokens
    tokens.invalidate(account.id, purpose, now)
    raw, digest = domain.new_token()
    expires_at = now + domain.TOKEN_LIFETIMES[purpose]
    tokens.add(AccountToken(digest=digest, account_id=account.id, purpose=purpose,
                            expires_at=expires_at))
    path = {"verify_email": "/verify-email", "reset_password": "/password/reset"}[purpose]
    spec = {"verify_email": EMAIL_VERIFICATION_REQUESTED,
            "reset_password": PASSWORD_RESET_REQUESTED}[purpose]
    uow.add_event(spec, {
        "account_id": account.id, "email": account.email, "contact_name": account.contact_name,
        "link": f"{deps.config['gateway']['public_url']}{path}?token={raw}",
        "expires_at": expires_at,
    })


def _use_token(uow: Any, raw: str, purpose: str) -> Account:
    token = uow.tokens.get_for_update(domain.token_digest(raw or ""), purpose)
    if token is None:
        raise ValidationFailed("链接无效，请重新申请。",
                               {"token": [field_error("invalid", "链接无效，请重新申请。")]})
    problem = domain.token_problem(token.expires_at, token.used_at, _now())
    if problem:
        raise ValidationFailed(problem, {"token": [field_error("expired", problem)]})
    token.used_at = _now()
    account = uow.accounts.get(token.account_id, for_update=True)
    assert account is not None  # a foreign key holds it
    return account


def _set_status(uow: Any, account: Account, status: str, reason: str | None,
                actor_id: object) -> None:
    old = account.status
    account.status = status
    account.review_reason = reason
    if status == domain.ACCOUNT_DISABLED:
        account.session_epoch += 1  # every open session of this account ends
    uow.add_event(ACCOUNT_STATUS_CHANGED, {
        "account_id": account.id, "kind": account.kind, "status": status, "reason": reason})
    uow.audit("account.status_changed", actor_id=actor_id,
              subject_id=account.id, old=old, new=status, reason=reason)


def _attempt(uow: Any, login: str, account: Account | None, ip: str | None,
             succeeded: bool, reason: str) -> None:
    """Every attempt is kept (and audited), committed even when the login fails."""
    uow.attempts.add(LoginAttempt(
        login=login, account_id=account.id if account else None, ip=ip,
        succeeded=succeeded, reason=reason))
    uow.audit("login.succeeded" if succeeded else "login.failed",
              actor_id=account.id if account else None, subject_id=account.id if account else None,
              ip=ip, login=login, reason=reason)
    if not succeeded:
        uow.commit()


def _totp_required(deps: Deps, account: Account) -> bool:
    policy = deps.config.get("security", {}).get("totp_required_for", [])
    return account.kind in policy and account.totp_enabled_at is None


def _set_password(uow: Any, account: Account, password: str, confirm: str | None,
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


def _get(uow: Any, account_id: str, for_update: bool = False) -> Account:
    account = uow.accounts.get(
        uuid_or_not_found(account_id, "账号不存在"), for_update=for_update)
    if account is None:
        raise NotFound("账号不存在")
    return account


def _require_staff(uow: Any, actor_id: str) -> Account:
    actor = _get(uow, actor_id)
    if actor.kind not in (domain.KIND_REVIEWER, domain.KIND_ADMIN) or \
            actor.status != domain.ACCOUNT_ACTIVE:
        raise Forbidden("只有审核人员可以办理")
    return actor


def _require_enterprise_admin(uow: Any, actor_id: str) -> Account:
    actor = _get(uow, actor_id)
    if actor.kind != domain.KIND_ENTERPRISE or actor.status != domain.ACCOUNT_ACTIVE:
        raise Forbidden("只有企业主账号可以管理子账号")
    return actor
