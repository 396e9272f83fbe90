"""The only code that queries notify's tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.notify.models import Mail, Message


class MessageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, message: Message) -> None:
        self.session.add(message)

    def for_recipient(self, recipient_id: uuid.UUID, limit: int = 50) -> list[Message]:
        return list(self.session.scalars(
            select(Message).where(Message.recipient_id == recipient_id)
            .order_by(Message.created_at.desc()).limit(limit)
        ))

    def unread_count(self, recipient_id: uuid.UUID) -> int:
        return self.session.execute(
            select(func.count()).where(Message.recipient_id == recipient_id,
                                       Message.read_at.is_(None))
        ).scalar_one()


class MailRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, mail: Mail) -> None:
        self.session.add(mail)

    def due(self, limit: int = 20) -> list[Mail]:
        """Unsent mails whose next attempt is due, locked so two senders never both send."""
        return list(self.session.scalars(
            select(Mail).where(Mail.sent_at.is_(None), Mail.next_attempt_at <= func.now())
            .order_by(Mail.created_at).limit(limit).with_for_update(skip_locked=True)
        ))

    @staticmethod
    def mark_failed(mail: Mail, error: str, backoff: timedelta) -> None:
        mail.attempts += 1
        mail.last_error = error[:2000]
        mail.next_attempt_at = datetime.now(UTC) + backoff

    @staticmethod
    def mark_sent(mail: Mail) -> None:
        mail.attempts += 1
        mail.sent_at = datetime.now(UTC)
