"""notify's nameko entrypoints."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from nameko.timer import timer

from services.common.base import PlatformService, service_rpc
from services.common.errors import uuid_or_not_found
from services.common.events import reliable_event_handler
from services.common.localtime import beijing_time
from services.identity.events import (
    ACCOUNT_STATUS_CHANGED,
    EMAIL_VERIFICATION_REQUESTED,
    ENTERPRISE_ACCOUNT_REGISTERED,
    PASSWORD_RESET_REQUESTED,
)
from services.notify import domain
from services.notify.mailer import send_mail
from services.notify.models import Mail, Message
from services.notify.repository import MailRepository, MessageRepository
from services.notify.schemas import MessageSchema

log = logging.getLogger(__name__)
_mail_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "mail"),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text mails
)
_mail_templates.filters["beijing_time"] = beijing_time


class NotifyService(PlatformService):
    name = "notify"

    @reliable_event_handler("identity", "enterprise_account_registered")
    def on_enterprise_account_registered(self, body: dict) -> None:
        envelope = ENTERPRISE_ACCOUNT_REGISTERED.parse(body)
        data = ENTERPRISE_ACCOUNT_REGISTERED.schema().dump(envelope["data"])
        self._record_notice(envelope["id"], "notify.on_enterprise_account_registered",
                            domain.notice_for_account_registered(data), data)

    @reliable_event_handler("identity", "account_email_verification_requested")
    def on_email_verification_requested(self, body: dict) -> None:
        envelope = EMAIL_VERIFICATION_REQUESTED.parse(body)
        data = EMAIL_VERIFICATION_REQUESTED.schema().dump(envelope["data"])
        self._record_notice(envelope["id"], "notify.on_email_verification_requested",
                            domain.notice_for_verification_link(data), data)

    @reliable_event_handler("identity", "password_reset_requested")
    def on_password_reset_requested(self, body: dict) -> None:
        envelope = PASSWORD_RESET_REQUESTED.parse(body)
        data = PASSWORD_RESET_REQUESTED.schema().dump(envelope["data"])
        self._record_notice(envelope["id"], "notify.on_password_reset_requested",
                            domain.notice_for_password_reset(data), data)

    @reliable_event_handler("identity", "account_status_changed")
    def on_account_status_changed(self, body: dict) -> None:
        envelope = ACCOUNT_STATUS_CHANGED.parse(body)
        data = ACCOUNT_STATUS_CHANGED.schema().dump(envelope["data"])
        notice = domain.notice_for_status_change(data)
        if notice is not None:
            self._record_notice(envelope["id"], "notify.on_account_status_changed", notice, data)

    def _record_notice(self, event_id: str, consumer: str, notice: domain.Notice,
                       template_data: dict) -> None:
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(event_id, consumer):
                log.info("event %s already processed by %s", event_id, consumer)
                return
            if notice.show_message:
                MessageRepository(uow.session).add(Message(
                    recipient_id=uuid.UUID(notice.recipient_id), title=notice.title,
                    body=notice.body, link=notice.link, source_event_id=uuid.UUID(str(event_id)),
                ))
            if notice.mail_to and notice.mail_template:
                MailRepository(uow.session).add(Mail(
                    to_address=notice.mail_to, subject=notice.title,
                    body=_mail_templates.get_template(notice.mail_template).render(**template_data),
                    source_event_id=uuid.UUID(str(event_id)), attempts=0,
                ))
            uow.commit()
            log.info("message %r recorded for %s from event %s", notice.title, notice.recipient_id,
                     event_id)

    @timer(interval=1)
    def send_due_mails(self) -> None:
        smtp = self.config["PLATFORM"]["smtp"]
        with self.db.unit_of_work() as uow:
            mails = MailRepository(uow.session)
            for mail in mails.due():
                try:
                    send_mail(smtp, mail.to_address, mail.subject, mail.body)
                except Exception as exc:  # smtplib raises many kinds; every one is retried
                    mails.mark_failed(mail, str(exc), domain.mail_backoff(mail.attempts + 1))
                    log.warning("mail %s to %s failed: %s", mail.id, mail.to_address, exc)
                else:
                    mails.mark_sent(mail)
            uow.commit()

    @service_rpc
    def list_messages(self, recipient_id: str) -> dict:
        recipient = uuid_or_not_found(recipient_id, "接收人不存在")
        with self.db.unit_of_work() as uow:
            messages = MessageRepository(uow.session)
            return {
                "messages": MessageSchema(many=True).dump(messages.for_recipient(recipient)),
                "unread": messages.unread_count(recipient),
            }


SERVICE_CLASS = NotifyService
