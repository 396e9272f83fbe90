"""What notify's use cases share: the collaborators (``Deps``), the handler plumbing (parse,
claim once, compute the pure ``Effects`` of services/notify/domain.py, write them with
services/notify/writer.py in one transaction), the projections of other services' records
(enterprises, cases, licences and certificates with their expiry) and the reader's audience.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.common.envelope import EventSpec
from services.common.errors import uuid_or_not_found
from services.notify import domain, reminders
from services.notify.models import Mail, Message
from services.notify.repository import MailRepository, MessageRepository, ProjectionRepository
from services.notify.writer import EffectWriter, mail_templates

log = logging.getLogger(__name__)

STAFF = ("reviewer", "admin")


@dataclass
class Deps:
    """The collaborators a use case is given (the service builds them per worker)."""

    db: Any  # the service's Database provider (the reminder job opens its own transactions)
    public_url: str
    config: dict[str, Any]  # the platform configuration (smtp, amqp)

    def begin(self) -> AbstractContextManager[Any]:
        return self.db.unit_of_work()

    def read(self) -> AbstractContextManager[Any]:
        """A connection in autocommit, for reads that need no transaction."""
        return self.db.reading()


def _handle(deps: Deps, spec: EventSpec, body: dict, consumer: str,
            react: Callable[[Any, dict, dict], domain.Effects | None]) -> None:
    """Parse (a malformed event raises MalformedEvent: dead-lettered at once), claim once,
    compute the effects and write them with the claim in one transaction."""
    envelope = spec.parse(body)
    with deps.begin() as uow:
        if not uow.claim_event(envelope["id"], consumer):
            log.info("event %s already processed by %s", envelope["id"], consumer)
            return
        effects = react(uow.session, envelope["data"], envelope)
        if effects is not None:
            EffectWriter(uow.session, deps.public_url, str(envelope["id"]),
                         envelope["occurred_at"].isoformat()).apply(effects)
        uow.commit()


def _email_of(session: Any, enterprise_id: Any) -> str | None:
    row = ProjectionRepository(session).enterprise(str(enterprise_id))
    return row.email if row is not None else None


def _case(session: Any, case_ref: str) -> dict | None:
    row = ProjectionRepository(session).case(case_ref)
    return {"title": row.title, "case_type": row.case_type,
            "labels": row.labels or {}} if row is not None else None


def _record_notice(deps: Deps, event_id: str, consumer: str, notice: domain.Notice,
                   template_data: dict, project: Callable[[Any], Any] | None = None) -> None:
    with deps.begin() as uow:
        if not uow.claim_event(event_id, consumer):
            log.info("event %s already processed by %s", event_id, consumer)
            return
        if project is not None:
            project(uow.session)
        if notice.show_message:
            MessageRepository(uow.session).add(Message(
                recipient_id=uuid.UUID(notice.recipient_id), title=notice.title,
                body=notice.body, link=notice.link, source_event_id=uuid.UUID(str(event_id)),
            ))
        if notice.mail_to and notice.mail_template:
            MailRepository(uow.session).add(Mail(
                to_address=notice.mail_to, subject=notice.title,
                body=mail_templates.get_template(notice.mail_template).render(**template_data),
                source_event_id=uuid.UUID(str(event_id)), attempts=0,
            ))
        uow.commit()
        log.info("message %r recorded for %s from event %s", notice.title, notice.recipient_id,
                 event_id)


def _remember_case(session: Any, data: dict) -> None:
    ProjectionRepository(session).upsert_case(data["case_ref"], case_id=data["case_id"],
                                              enterprise_id=str(data["enterprise_id"]))


def _project_licence(session: Any, data: dict) -> None:
    if data.get("valid_until") is not None:
        row = ProjectionRepository(session).upsert_expiry(
            "licence", str(data["licence_id"]), enterprise_id=data["enterprise_id"],
            number=data["number"], label=f"（{data['type_code']}）",
            status=domain.expiry_status(data["status"]),
            valid_until=data["valid_until"])
        # the renewal window as this event tells it (one without: the default window again)
        row.renewal_opens, row.renewal_closes = data.get("renewal_opens"), data.get("renewal_closes")


def _project_certificate(session: Any, data: dict, enterprise_id: Any, status: str) -> None:
    projections = ProjectionRepository(session)
    if data.get("valid_until") is not None:
        holder = f"（{data['holder_name']}）" if data.get("holder_name") else ""
        projections.upsert_expiry("certificate", str(data["certificate_id"]), enterprise_id=enterprise_id,
                                  number=data["number"], label=holder or None, status=status,
                                  valid_until=data["valid_until"])
    elif status != "active":
        row = projections.upsert_expiry("certificate", str(data["certificate_id"]), status=status)
        if row.valid_until is None:  # never known: nothing to remind
            session.expunge(row)


def _audience(actor_or_id: dict | str) -> domain.Audience:
    if isinstance(actor_or_id, str):  # an account on its own (e.g. still registering)
        uuid_or_not_found(actor_or_id, "接收人不存在")
        return domain.Audience((actor_or_id,), None, (), ())
    return domain.audience_for(actor_or_id)


def _run_day(deps: Deps, today: date, trigger: str) -> dict:
    result = reminders.run_day(deps.db, today, trigger, deps.public_url)
    if result["sent"]["expiry"] or result["sent"]["deadline"]:
        log.info("reminders for %s (%s): %s", today, trigger, result["sent"])
    return result
