"""The only code that queries notify's tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Uuid,
    and_,
    any_,
    bindparam,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from services.common.messaging_tables import outbox_table
from services.notify.domain import Audience, Recipient
from services.notify.models import (
    AgencySequence,
    CaseView,
    Deadline,
    EnterpriseView,
    Expiry,
    Mail,
    Message,
    Rating,
    RatingToken,
    ReminderRun,
    ReminderSent,
    Todo,
)


def _uuid(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


Shape = tuple[bool, bool, bool]  # which of the three kinds of rows an audience may see


def audience_params(audience: Audience) -> tuple[Shape, dict[str, Any]]:
    """The audience as bind values, and its shape (own ids? an enterprise's modules? desks?)."""
    own = [u for u in (_uuid(i) for i in audience.own) if u is not None]
    enterprise = _uuid(audience.enterprise_id)
    shape = (bool(own), enterprise is not None and bool(audience.modules), bool(audience.desks))
    params: dict[str, Any] = {}
    if shape[0]:
        params["own"] = own
    if shape[1]:
        params["enterprise"], params["modules"] = enterprise, list(audience.modules)
    if shape[2]:
        params["desks"] = list(audience.desks)
    return shape, params


def visibility(model: Any, shape: Shape) -> ColumnElement[bool]:
    """Rows one actor may see (the SQL form of ``domain.visible``), with the audience as bind
    parameters (``audience_params``): one statement per shape, compiled once."""
    clauses: list[ColumnElement[bool]] = []
    if shape[0]:
        clauses.append(and_(model.recipient_id == any_(bindparam("own", type_=ARRAY(Uuid))),
                            model.desk.is_(None)))
    if shape[1]:
        clauses.append(and_(model.recipient_id == bindparam("enterprise", type_=Uuid),
                            model.module == any_(bindparam("modules", type_=ARRAY(String))),
                            model.desk.is_(None)))
    if shape[2]:
        clauses.append(model.desk == any_(bindparam("desks", type_=ARRAY(String))))
    return or_(*clauses) if clauses else false()


def audience_filter(model: Any, audience: Audience) -> ColumnElement[bool]:
    """``visibility`` with this audience's values bound."""
    shape, params = audience_params(audience)
    return visibility(model, shape).params(params)


_INBOX_LIMIT = 50
_inbox_statements: dict[Shape, Select] = {}
_counts_statements: dict[Shape, Select] = {}


def _counts_statement(shape: Shape) -> Select:
    """The header badges in one statement: one row (unread messages, open to-dos)."""
    statement = _counts_statements.get(shape)
    if statement is None:
        messages, todos = Message.__table__.c, Todo.__table__.c
        unread = select(func.count()).where(visibility(messages, shape), messages.read_at.is_(None))
        todos_open = select(func.count()).where(visibility(todos, shape), todos.done_at.is_(None))
        statement = _counts_statements[shape] = select(
            unread.scalar_subquery().label("unread"), todos_open.scalar_subquery().label("todos_open"))
    return statement


def _inbox_statement(shape: Shape) -> Select:
    """我的消息 in one statement: the row of counts (``_counts_statement``) left-joined to the
    newest messages (none: one row of counts with NULL message columns)."""
    statement = _inbox_statements.get(shape)
    if statement is not None:
        return statement
    messages = Message.__table__.c
    counts = _counts_statement(shape).subquery("counts")
    listing = (select(messages.id, messages.title, messages.body, messages.link, messages.created_at,
                      messages.read_at)
               .where(visibility(messages, shape))
               .order_by(messages.created_at.desc(), messages.id).limit(_INBOX_LIMIT)
               .lateral("listing"))
    statement = (select(counts.c.unread, counts.c.todos_open, *listing.c)
                 .select_from(counts.outerjoin(listing, true()))
                 .order_by(listing.c.created_at.desc(), listing.c.id))
    _inbox_statements[shape] = statement
    return statement


def recipient_columns(recipient: Recipient) -> dict[str, Any]:
    return {"recipient_id": _uuid(recipient.account_id), "module": recipient.module,
            "desk": recipient.desk}


def read_inbox(connection: Connection, audience: Audience) -> tuple[list[Row], int, int]:
    """The newest messages (``_INBOX_LIMIT``), the unread count and the open to-dos in one
    statement (one snapshot): on an autocommit connection (``Deps.read``) a 我的消息 read is
    one round trip to PostgreSQL, not BEGIN, three queries and COMMIT."""
    shape, params = audience_params(audience)
    rows = connection.execute(_inbox_statement(shape), params).all()
    unread, todos_open = (rows[0].unread, rows[0].todos_open) if rows else (0, 0)
    return [row for row in rows if row.id is not None], unread, todos_open


def read_counts(connection: Connection, audience: Audience) -> tuple[int, int]:
    """Unread messages and open to-dos (the header badges of every page) in one statement."""
    shape, params = audience_params(audience)
    row = connection.execute(_counts_statement(shape), params).one()
    return row.unread, row.todos_open


def mark_read(connection: Connection, ids: list[uuid.UUID]) -> None:
    """Mark these messages read (those not read yet); nothing to send for none."""
    if ids:
        messages = Message.__table__.c
        connection.execute(update(Message.__table__)
                           .where(messages.id == any_(bindparam("ids", type_=ARRAY(Uuid))),
                                  messages.read_at.is_(None))
                           .values(read_at=func.now()), {"ids": ids})


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


class TodoRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, todo: Todo) -> None:
        self.session.add(todo)

    def for_audience(self, audience: Audience, include_done: bool = False, limit: int = 100) -> list[Todo]:
        query = select(Todo).where(audience_filter(Todo, audience))
        if not include_done:
            query = query.where(Todo.done_at.is_(None))
        return list(self.session.scalars(
            query.order_by(Todo.done_at.is_not(None), Todo.created_at.desc(), Todo.id).limit(limit)))

    def open_count(self, audience: Audience) -> int:
        return self.session.execute(
            select(func.count()).where(audience_filter(Todo, audience), Todo.done_at.is_(None))
        ).scalar_one()

    def get_visible(self, todo_id: uuid.UUID, audience: Audience) -> Todo | None:
        return self.session.scalars(
            select(Todo).where(Todo.id == todo_id, audience_filter(Todo, audience))).first()

    def open_about(self, subject_ref: str, kinds: tuple[str, ...] = ()) -> list[Todo]:
        query = select(Todo).where(Todo.subject_ref == subject_ref, Todo.done_at.is_(None))
        if kinds:
            query = query.where(Todo.kind.in_(kinds))
        return list(self.session.scalars(query.with_for_update()))

    def mark_done(self, subject_ref: str, kinds: tuple[str, ...], reason: str) -> list[Todo]:
        todos = self.open_about(subject_ref, kinds)
        now = datetime.now(UTC)
        for todo in todos:
            todo.done_at = now
            todo.done_reason = reason
        return todos


class ProjectionRepository:
    """Enterprises, cases, expiries and deadlines as notify learns them from events."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def enterprise(self, enterprise_id: str) -> EnterpriseView | None:
        key = _uuid(enterprise_id)
        return self.session.get(EnterpriseView, key) if key else None

    def upsert_enterprise(self, enterprise_id: str, **values: Any) -> EnterpriseView:
        row = self.enterprise(enterprise_id)
        if row is None:
            row = EnterpriseView(enterprise_id=uuid.UUID(str(enterprise_id)))
            self.session.add(row)
        for key, value in values.items():
            if value is not None:
                setattr(row, key, value)
        return row

    def case(self, case_ref: str) -> CaseView | None:
        return self.session.get(CaseView, case_ref)

    def upsert_case(self, case_ref: str, **values: Any) -> CaseView:
        row = self.case(case_ref)
        if row is None:
            row = CaseView(case_ref=case_ref)
            self.session.add(row)
        for key, value in values.items():
            if value is not None:
                setattr(row, key, value)
        return row

    def upsert_expiry(self, subject_kind: str, subject_id: str, **values: Any) -> Expiry:
        row = self.session.get(Expiry, (subject_kind, str(subject_id)))
        if row is None:
            row = Expiry(subject_kind=subject_kind, subject_id=str(subject_id))
            self.session.add(row)
        for key, value in values.items():
            if value is not None:
                setattr(row, key, value)
        return row

    def expiries_until(self, last_day: date, today: date | None = None) -> list[Expiry]:
        """Active rows expiring by ``last_day``, and those whose renewal window opened by ``today``
        (a window may open earlier than the first expiry reminder: 6 months before)."""
        due = Expiry.valid_until <= last_day
        if today is not None:
            due = or_(due, Expiry.renewal_opens <= today)
        return list(self.session.scalars(
            select(Expiry).where(due, Expiry.status == "active").order_by(Expiry.valid_until)))

    def add_deadline(self, deadline: Deadline) -> None:
        self.session.add(deadline)

    def open_deadlines(self) -> list[Deadline]:
        return list(self.session.scalars(select(Deadline).where(Deadline.done_at.is_(None))))

    def close_deadlines(self, subject_ref: str) -> None:
        self.session.execute(update(Deadline).where(Deadline.subject_ref == subject_ref,
                                                    Deadline.done_at.is_(None))
                             .values(done_at=func.now()))


class ReminderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, subject_kind: str, subject_id: str, key: str, for_date: date) -> bool:
        """True the first time this reminder is claimed (the unique constraint decides)."""
        result = self.session.execute(
            pg_insert(ReminderSent.__table__)
            .values(subject_kind=subject_kind, subject_id=subject_id, reminder_key=key, for_date=for_date)
            .on_conflict_do_nothing().returning(ReminderSent.__table__.c.id))
        return result.first() is not None

    def claim_day(self, day: date, trigger: str) -> ReminderRun | None:
        """The run row for ``day``; None when the timer has run that day already (only ``timer``
        runs are unique per day: a concurrent claimer waits for the first one's transaction)."""
        statement = pg_insert(ReminderRun.__table__).values(day=day, trigger=trigger)
        if trigger == "timer":
            statement = statement.on_conflict_do_nothing(
                index_elements=["day"], index_where=ReminderRun.__table__.c.trigger == "timer")
        run_id = self.session.execute(statement.returning(ReminderRun.__table__.c.id)).scalar()
        return self.session.get(ReminderRun, run_id) if run_id is not None else None

    def runs_on(self, day: date) -> list[ReminderRun]:
        return list(self.session.scalars(
            select(ReminderRun).where(ReminderRun.day == day).order_by(ReminderRun.id)))


class RatingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def token(self, token: str) -> RatingToken | None:
        return self.session.get(RatingToken, token)

    def add_token(self, token: RatingToken) -> None:
        self.session.add(token)

    def token_for_case(self, case_ref: str) -> RatingToken | None:
        return self.session.scalars(select(RatingToken).where(
            RatingToken.case_ref == case_ref, RatingToken.mode == "case",
            RatingToken.enterprise_id.is_not(None))).first()

    def lock_mobile(self, mobile: str) -> None:
        """Serialise ratings from one mobile number (the 5-day rule is check-then-insert)."""
        self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"rating:{mobile}"))))

    def last_rating_at(self, mobile: str) -> datetime | None:
        return self.session.execute(
            select(func.max(Rating.rated_at)).where(Rating.mobile == mobile)).scalar_one()

    def add(self, rating: Rating) -> None:
        self.session.add(rating)

    def get(self, rating_id: uuid.UUID) -> Rating | None:
        return self.session.get(Rating, rating_id)

    def recent(self, limit: int = 50) -> list[Rating]:
        return list(self.session.scalars(select(Rating).order_by(Rating.rated_at.desc()).limit(limit)))

    def grouped(self, key: str) -> list[tuple[str, float, int]]:
        """(group, average score, count) by reviewer, business type or month (Beijing)."""
        if key == "reviewer":
            column = func.coalesce(Rating.reviewer_name, Rating.reviewer_id, "（未知）")
        elif key == "business_type":
            column = func.coalesce(Rating.business_type, "（未分类）")
        else:
            column = func.to_char(func.timezone("Asia/Shanghai", Rating.rated_at), "YYYY-MM")
        rows = self.session.execute(
            select(column.label("g"), func.avg(Rating.score), func.count())
            .group_by("g").order_by("g")).all()
        return [(str(g), float(avg), int(count)) for g, avg, count in rows]


class AgencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def next_sequence(self, entity_id: str) -> int:
        table = AgencySequence.__table__
        statement = pg_insert(table).values(entity_id=entity_id, last_sequence=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.entity_id],
            set_={"last_sequence": table.c.last_sequence + 1},
        ).returning(table.c.last_sequence)
        return int(self.session.execute(statement).scalar_one())

    def add_to_outbox(self, envelope: dict[str, Any], routing_key: str, request_id: str) -> None:
        """An agency event rides notify's own outbox (published with confirms by its relay)."""
        self.session.execute(insert(outbox_table).values(
            event_id=uuid.UUID(envelope["id"]), event_type=routing_key, envelope=envelope,
            headers={"nameko.request_id": request_id}))

    def pending(self) -> int:
        return self.session.execute(select(func.count()).where(
            outbox_table.c.published_at.is_(None), outbox_table.c.event_type.like("agency.%"))).scalar_one()


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
