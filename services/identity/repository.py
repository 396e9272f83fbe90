"""The only code that queries identity's tables."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.identity.models import Account


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, account: Account) -> None:
        self.session.add(account)
        self.session.flush()

    def get(self, account_id: uuid.UUID) -> Account | None:
        return self.session.get(Account, account_id)

    def by_request_key(self, request_key: str) -> Account | None:
        return self.session.scalars(
            select(Account).where(Account.request_key == request_key)
        ).first()

    def taken_fields(self, uscc: str, mobile: str) -> set[str]:
        """Which of the unique login fields another account already uses."""
        rows = self.session.execute(
            select(Account.uscc, Account.contact_mobile).where(
                or_(Account.uscc == uscc, Account.contact_mobile == mobile)
            )
        ).all()
        taken: set[str] = set()
        for row in rows:
            if row.uscc == uscc:
                taken.add("uscc")
            if row.contact_mobile == mobile:
                taken.add("contact_mobile")
        return taken
