from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Message(Base):
    """我的消息: one message to one recipient: an account or enterprise (``recipient_id``,
    with the ``module`` its sub-accounts need), or a reviewer desk / the admins (``desk``)."""

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True, nullable=True)
    module: Mapped[str | None] = mapped_column(String(20), nullable=True)
    desk: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300), nullable=True)
    source_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Mail(Base):
    """An e-mail to send; a sender loop delivers it and retries, apart from the event flow."""

    __tablename__ = "mails"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    source_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Todo(Base):
    """我的待办: something a recipient has to do, with the page where it is done; done when
    the underlying case moves on (or the thing is done here, e.g. a rating)."""

    __tablename__ = "todos"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True, nullable=True)
    module: Mapped[str | None] = mapped_column(String(20), nullable=True)
    desk: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject_ref: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class EnterpriseView(Base):
    """What notify knows of an enterprise (from identity and enterprise events): where to
    mail, and the public facts the agency stream carries."""

    __tablename__ = "enterprises"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CaseView(Base):
    """A review case as notify sees it (producers' review_requested + review's answers)."""

    __tablename__ = "cases"

    case_ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    case_type: Mapped[str | None] = mapped_column(String(80), nullable=True)
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The producer's names → labels (fields and attachment ids of review_requested): review's
    # correction items name these, people read the labels.
    labels: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Expiry(Base):
    """Projection of licence / certificate validity from permits' and personnel's events."""

    __tablename__ = "expiries"

    subject_kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # licence, certificate
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    number: Mapped[str] = mapped_column(String(100))
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    # licences: the renewal window permits' events carry (null: the default 90 / 30 days)
    renewal_opens: Mapped[date | None] = mapped_column(Date, nullable=True)
    renewal_closes: Mapped[date | None] = mapped_column(Date, nullable=True)


class Deadline(Base):
    """A deadline to remind (correction, owed materials) until its subject is done."""

    __tablename__ = "deadlines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(30))
    subject_ref: Mapped[str] = mapped_column(String(200), index=True)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    module: Mapped[str | None] = mapped_column(String(20), nullable=True)
    desk: Mapped[str | None] = mapped_column(String(40), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReminderSent(Base):
    """One row per reminder sent: the unique key makes each threshold fire once."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "reminder_key"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(200))
    reminder_key: Mapped[str] = mapped_column(String(80))
    for_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReminderRun(Base):
    """One run of the reminder job for one (Beijing) day. The timer claims its day with the
    partial unique index (one ``timer`` row a day), so several notify processes, or a restarted
    one, run the day once; operators' runs (``command``) are logged beside it."""

    __tablename__ = "reminder_runs"
    __table_args__ = (Index("uq_reminder_runs_timer_day", "day", unique=True,
                            postgresql_where=text("trigger = 'timer'")),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(10))   # timer / command
    sent_expiry: Mapped[int] = mapped_column(Integer, default=0)
    sent_deadline: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RatingToken(Base):
    """A rating link (QR code or the enterprise's 一事一评 to-do): /rate/<token>."""

    __tablename__ = "rating_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))            # case (一事一评) / visit (一次一评)
    case_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    business_type: Mapped[str | None] = mapped_column(String(80), nullable=True)
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reviewer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewer_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    desk: Mapped[str | None] = mapped_column(String(40), nullable=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Rating(Base):
    """One 好差评 rating, linked to its case, reviewer and clock."""

    __tablename__ = "ratings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token: Mapped[str] = mapped_column(String(64), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    case_ref: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    business_type: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reviewer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewer_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    reasons: Mapped[list] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    rater_account_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    case_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgencySequence(Base):
    """The last sequence number given to an entity's agency events."""

    __tablename__ = "agency_sequences"

    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
