"""The only code that queries identity's tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.identity.models import Account, AccountToken, AttemptWindow, LoginAttempt, RecoveryCode


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, account: Account) -> None:
        self.session.add(account)
        self.session.flush()

    def get(self, account_id: uuid.UUID, *, for_update: bool = False) -> Account | None:
        if for_update:
            return self.session.scalars(
                select(Account).where(Account.id == account_id).with_for_update()).first()
        return self.session.get(Account, account_id)

    def by_login(self, login: str) -> Account | None:
        return self.session.scalars(select(Account).where(Account.login == login)).first()

    def by_any_login(self, logins: list[str]) -> Account | None:
        """The account of the first of ``logins`` that exists (see domain.login_candidates)."""
        for login in logins:
            if (account := self.by_login(login)) is not None:
                return account
        return None

    def taken_person_fields(self, id_number: str, mobile: str) -> set[str]:
        """Which of a person's unique fields another account uses (an ID number also as login)."""
        rows = self.session.execute(
            select(Account.id_number, Account.login, Account.contact_mobile).where(
                or_(Account.id_number == id_number, Account.login == id_number,
                    Account.contact_mobile == mobile))).all()
        taken: set[str] = set()
        for row in rows:
            if id_number in (row.id_number, row.login):
                taken.add("id_number")
            if row.contact_mobile == mobile:
                taken.add("mobile")
        return taken

    def by_request_key(self, request_key: str) -> Account | None:
        return self.session.scalars(
            select(Account).where(Account.request_key == request_key)
        ).first()

    def taken_fields(self, uscc: str, mobile: str) -> set[str]:
        """Which of the unique login fields another account already uses."""
        rows = self.session.execute(
            select(Account.uscc, Account.contact_mobile, Account.login).where(
                or_(Account.uscc == uscc, Account.contact_mobile == mobile, Account.login == uscc)
            )
        ).all()
        taken: set[str] = set()
        for row in rows:
            if uscc in (row.uscc, row.login):
                taken.add("uscc")
            if row.contact_mobile == mobile:
                taken.add("contact_mobile")
        return taken

    def login_taken(self, login: str) -> bool:
        return self.session.execute(
            select(func.count()).where(Account.login == login)).scalar_one() > 0

    def mobile_taken(self, mobile: str) -> bool:
        return self.session.execute(
            select(func.count()).where(Account.contact_mobile == mobile)).scalar_one() > 0

    def sub_accounts(self, enterprise_account_id: uuid.UUID) -> list[Account]:
        return list(self.session.scalars(
            select(Account).where(Account.enterprise_account_id == enterprise_account_id)
            .order_by(Account.created_at)))

    def by_status(self, kind: str, status: str, limit: int = 200) -> list[Account]:
        return list(self.session.scalars(
            select(Account).where(Account.kind == kind, Account.status == status)
            .order_by(Account.created_at).limit(limit)))

    def staff(self, limit: int = 500) -> list[Account]:
        return list(self.session.scalars(
            select(Account).where(Account.kind.in_(("reviewer", "admin")))
            .order_by(Account.kind, Account.login).limit(limit)))


# Only a wrong password or code counts towards a lockout (not, say, an unverified account).
WRONG_SECRET_REASONS = ("bad_password", "bad_totp")


class AttemptRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, attempt: LoginAttempt) -> None:
        self.session.add(attempt)

    def failures_for_login(self, login: str, since: datetime) -> list[datetime]:
        return list(self.session.scalars(
            select(LoginAttempt.at).where(LoginAttempt.login == login,
                                          LoginAttempt.reason.in_(WRONG_SECRET_REASONS),
                                          LoginAttempt.at >= since)))

    def failures_from_ip(self, ip: str, since: datetime) -> int:
        return self.session.execute(
            select(func.count()).where(LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False),
                                       LoginAttempt.at >= since)).scalar_one()


class AttemptWindowRepository:
    """The attempt counters of services/identity/attempt_limits.py."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def hit(self, scope: str, key: str, window_start: datetime) -> int:
        """Count one attempt in (scope, key, window); returns the count with this one."""
        statement = insert(AttemptWindow).values(scope=scope, key=key, window_start=window_start,
                                                 count=1)
        statement = statement.on_conflict_do_update(
            index_elements=[AttemptWindow.scope, AttemptWindow.key, AttemptWindow.window_start],
            set_={"count": AttemptWindow.count + 1},
        ).returning(AttemptWindow.count)
        return int(self.session.execute(statement).scalar_one())

    def prune(self, before: datetime) -> None:
        self.session.execute(delete(AttemptWindow).where(AttemptWindow.window_start < before))


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: AccountToken) -> None:
        self.session.add(token)

    def get_for_update(self, digest: str, purpose: str) -> AccountToken | None:
        return self.session.scalars(
            select(AccountToken).where(AccountToken.digest == digest,
                                       AccountToken.purpose == purpose).with_for_update()).first()

    def invalidate(self, account_id: uuid.UUID, purpose: str, now: datetime) -> None:
        """Older links of the same purpose stop working when a new one is sent."""
        self.session.execute(
            update(AccountToken).where(AccountToken.account_id == account_id,
                                       AccountToken.purpose == purpose,
                                       AccountToken.used_at.is_(None)).values(used_at=now))


class RecoveryCodeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(self, account_id: uuid.UUID, digests: list[str]) -> None:
        self.session.query(RecoveryCode).filter(RecoveryCode.account_id == account_id).delete()
        self.session.add_all(RecoveryCode(digest=d, account_id=account_id) for d in digests)

    def use(self, account_id: uuid.UUID, digest: str, now: datetime) -> bool:
        result = self.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.account_id == account_id, RecoveryCode.digest == digest,
                   RecoveryCode.used_at.is_(None))
            .values(used_at=now).returning(RecoveryCode.digest))
        return result.first() is not None
