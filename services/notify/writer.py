"""Writes what an event causes (domain.Effects) in the handler's unit of work: messages,
to-dos, done-marks, deadlines, mails, rating tokens and agency events, all in one transaction."""

from __future__ import annotations

import logging
import secrets
import uuid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.common import audit
from services.common.context import current_request_id
from services.common.localtime import beijing_time
from services.notify import agency, domain
from services.notify.models import Deadline, Mail, Message, RatingToken, Todo
from services.notify.repository import (
    AgencyRepository,
    MailRepository,
    MessageRepository,
    ProjectionRepository,
    RatingRepository,
    TodoRepository,
    recipient_columns,
)

log = logging.getLogger(__name__)
mail_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "mail"),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text mails
)
mail_templates.filters["beijing_time"] = beijing_time


def new_token() -> str:
    return secrets.token_urlsafe(18)


class EffectWriter:
    def __init__(self, session: Any, public_url: str, event_id: str | None = None,
                 occurred_at: str | None = None) -> None:
        self.session = session
        self.public_url = public_url.rstrip("/")
        self.event_id = uuid.UUID(str(event_id)) if event_id else None
        self.occurred_at = occurred_at

    def apply(self, effects: domain.Effects) -> None:
        for rule in effects.done:
            self.mark_done(rule)
        for note in effects.notes:
            self.add_note(note)
        for todo in effects.todos:
            self.add_todo(todo)
        for deadline in effects.deadlines:
            ProjectionRepository(self.session).add_deadline(Deadline(
                kind=deadline.kind, subject_ref=deadline.subject_ref, title=deadline.title,
                link=deadline.link, due_date=deadline.due_date, **recipient_columns(deadline.recipient)))
        for mail in effects.mails:
            self.add_mail(mail)
        for agency_type, data in effects.agency:
            self.add_agency_event(agency_type, data)
        if effects.rating_for:
            self.open_case_rating(effects.rating_for)

    def mark_done(self, rule: domain.Done) -> None:
        todos = TodoRepository(self.session).mark_done(rule.subject_ref, rule.kinds, rule.reason)
        if not rule.kinds or "correction" in rule.kinds:
            ProjectionRepository(self.session).close_deadlines(rule.subject_ref)
        for todo in todos:
            audit.record(self.session, "notify.todo_done", subject_id=str(todo.id), kind=todo.kind,
                         subject_ref=todo.subject_ref, reason=rule.reason)

    def add_note(self, note: domain.Note) -> None:
        MessageRepository(self.session).add(Message(
            title=note.title[:200], body=note.body, link=note.link,
            source_event_id=self.event_id or uuid.uuid4(), **recipient_columns(note.recipient)))

    def add_todo(self, todo: domain.Todo) -> Todo | None:
        todos = TodoRepository(self.session)
        columns = recipient_columns(todo.recipient)
        for existing in todos.open_about(todo.subject_ref, (todo.kind,)):
            if existing.recipient_id == columns["recipient_id"] and existing.desk == columns["desk"]:
                return None  # one open to-do per thing per recipient
        row = Todo(kind=todo.kind, subject_ref=todo.subject_ref, title=todo.title[:300], body=todo.body,
                   link=todo.link, due_date=todo.due_date, source_event_id=self.event_id, **columns)
        todos.add(row)
        self.session.flush()
        audit.record(self.session, "notify.todo_opened", subject_id=str(row.id), kind=todo.kind,
                     subject_ref=todo.subject_ref)
        return row

    def add_mail(self, mail: domain.MailOut) -> None:
        body = mail_templates.get_template(mail.template).render(
            public_url=self.public_url, **mail.data)
        MailRepository(self.session).add(Mail(
            to_address=mail.to, subject=mail.subject[:200], body=body,
            source_event_id=self.event_id or uuid.uuid4(), attempts=0))

    def add_agency_event(self, agency_type: str, data: dict[str, Any]) -> dict[str, Any]:
        repo = AgencyRepository(self.session)
        sequence = repo.next_sequence(agency.entity_id(agency_type, data))
        envelope = agency.envelope(agency_type, data, sequence, self.occurred_at or "")
        repo.add_to_outbox(envelope, agency.ALLOWLIST[agency_type].routing_key,
                           current_request_id() or uuid.uuid4().hex)
        return envelope

    def open_case_rating(self, case_ref: str) -> None:
        """一事一评: a rating link for the decided case and a to-do for its enterprise."""
        ratings = RatingRepository(self.session)
        if ratings.token_for_case(case_ref) is not None:
            return
        case = ProjectionRepository(self.session).case(case_ref)
        if case is None or not case.enterprise_id:
            log.warning("no case %s known: no rating to-do", case_ref)
            return
        token = RatingToken(token=new_token(), mode="case", case_ref=case_ref, business_type=case.case_type,
                            title=case.title, reviewer_id=case.decided_by, enterprise_id=case.enterprise_id)
        ratings.add_token(token)
        self.add_todo(domain.rating_todo(case.enterprise_id, case_ref, case.title or case_ref, token.token))
