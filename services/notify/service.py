"""notify's nameko entrypoints: event handlers (messages, to-dos, mails, agency stream), the mail
sender and reminder timers, and RPCs for 我的消息 / 我的待办 / 好差评 / dead letters."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import eventlet
import requests
from kombu import Exchange
from nameko.amqp.publish import get_connection
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from nameko.timer import timer

from services.common import audit
from services.common.base import PlatformService, service_rpc
from services.common.contracts.identity import (
    ACCOUNT_STATUS_CHANGED,
    EMAIL_VERIFICATION_REQUESTED,
    ENTERPRISE_ACCOUNT_REGISTERED,
    PASSWORD_RESET_REQUESTED,
)
from services.common.contracts.ratings import RATING_MODES, RATING_REASONS
from services.common.envelope import EventSpec
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed, uuid_or_not_found
from services.common.events import reliable_event_handler
from services.common.localtime import BEIJING
from services.notify import agency, domain, reminders
from services.notify import events as ev
from services.notify.mailer import send_mail
from services.notify.models import Mail, Message, Rating, RatingToken
from services.notify.repository import (
    MailRepository,
    MessageRepository,
    ProjectionRepository,
    RatingRepository,
    ReminderRepository,
    TodoRepository,
)
from services.notify.schemas import (
    MessageSchema,
    QrRequestSchema,
    RatingSchema,
    RatingTokenSchema,
    TodoSchema,
)
from services.notify.usecases import notices
from services.notify.writer import EffectWriter, mail_templates, new_token

log = logging.getLogger(__name__)
_mail_templates = mail_templates  # the name earlier code used
STAFF = ("reviewer", "admin")


class AgencyExchange(DependencyProvider):
    """Declares the public topic exchange ``qlp.agency`` and binds it to ``notify.events`` for
    ``agency.#``, so the agency events notify's outbox relay publishes reach it. Retried in the
    background while the broker is away (the outbox keeps the events meanwhile)."""

    def start(self) -> None:
        self.container.spawn_managed_thread(self._declare, identifier="agency_exchange")

    def _declare(self) -> None:
        config = self.container.config
        delay = 0.5
        while True:
            try:
                declare_agency_exchange(config["AMQP_URI"], config)
                return
            except Exception as exc:  # broker away: try again
                log.warning("could not declare %s yet (%s)", agency.EXCHANGE, exc)
                eventlet.sleep(delay)
                delay = min(delay * 2, 10)


def declare_agency_exchange(amqp_uri: str, nameko_config: dict) -> None:
    source = get_event_exchange("notify", nameko_config)
    target = Exchange(agency.EXCHANGE, type="topic", durable=True)
    with get_connection(amqp_uri) as connection:
        channel = connection.channel()
        source.bind(channel).declare()
        target.bind(channel).declare()
        channel.exchange_bind(destination=agency.EXCHANGE, source=source.name,
                              routing_key=agency.BINDING_KEY)
        channel.close()


# How often the reminder timer looks whether today's run is done (it runs once a day).
REMINDER_TICK_SECONDS = 600


def _day_or_fail(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.from_fields(
            {"today": [{"code": "invalid", "message": "日期格式应为 YYYY-MM-DD"}]}) from exc


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


class NotifyService(PlatformService):
    name = "notify"
    agency_exchange = AgencyExchange()

    # ---- plumbing ---------------------------------------------------------------------------
    @property
    def public_url(self) -> str:
        return self.config["PLATFORM"]["gateway"].get("public_url") or ""

    def _handle(self, spec: EventSpec, body: dict, consumer: str,
                react: Callable[[Any, dict, dict], domain.Effects | None]) -> None:
        """Parse (a malformed event raises MalformedEvent: dead-lettered at once), claim once,
        compute the effects and write them with the claim in one transaction."""
        envelope = spec.parse(body)
        with self.db.unit_of_work() as uow:
            if not uow.claim_event(envelope["id"], consumer):
                log.info("event %s already processed by %s", envelope["id"], consumer)
                return
            effects = react(uow.session, envelope["data"], envelope)
            if effects is not None:
                EffectWriter(uow.session, self.public_url, str(envelope["id"]),
                             envelope["occurred_at"].isoformat()).apply(effects)
            uow.commit()

    @staticmethod
    def _email_of(session: Any, enterprise_id: Any) -> str | None:
        row = ProjectionRepository(session).enterprise(str(enterprise_id))
        return row.email if row is not None else None

    @staticmethod
    def _case(session: Any, case_ref: str) -> dict | None:
        row = ProjectionRepository(session).case(case_ref)
        return {"title": row.title, "case_type": row.case_type,
                "labels": row.labels or {}} if row is not None else None

    # ---- identity ------------------------------------------------------------------------------
    @reliable_event_handler("identity", "enterprise_account_registered")
    def on_enterprise_account_registered(self, body: dict) -> None:
        envelope = ENTERPRISE_ACCOUNT_REGISTERED.parse(body)
        data = ENTERPRISE_ACCOUNT_REGISTERED.schema().dump(envelope["data"])
        self._record_notice(envelope["id"], "notify.on_enterprise_account_registered",
                            domain.notice_for_account_registered(data), data,
                            project=lambda s: ProjectionRepository(s).upsert_enterprise(
                                data["account_id"], uscc=data["uscc"], email=data["email"],
                                contact_name=data["contact_name"]))

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
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            data = ACCOUNT_STATUS_CHANGED.schema().dump(data)
            effects = domain.Effects()
            notice = domain.notice_for_status_change(data)
            if notice is None:
                return effects
            effects.notes.append(domain.Note(domain.Recipient(account_id=notice.recipient_id),
                                             notice.title, notice.body, notice.link))
            if data["kind"] != "enterprise":
                return effects
            enterprise = ProjectionRepository(session).enterprise(data["account_id"])
            if data["status"] in ("active", "rejected") and enterprise is not None and enterprise.email:
                effects.mails.append(domain.MailOut(
                    enterprise.email, notice.title, "registration_decided.txt",
                    {"contact_name": enterprise.contact_name, "body": notice.body}))
            if data["status"] == "active" and enterprise is not None and enterprise.registered_at is None:
                if enterprise.uscc:
                    enterprise.registered_at = envelope["occurred_at"]
                    effects.agency.append(("enterprise.registered", {
                        "enterprise_id": data["account_id"], "uscc": enterprise.uscc,
                        "name": enterprise.name, "region_code": enterprise.region_code}))
                else:
                    log.warning("enterprise %s approved but its USCC is unknown to notify: not forwarded",
                                data["account_id"])
            return effects

        self._handle(ACCOUNT_STATUS_CHANGED, body, "notify.on_account_status_changed", react)

    def _record_notice(self, event_id: str, consumer: str, notice: domain.Notice,
                       template_data: dict, project: Callable[[Any], Any] | None = None) -> None:
        with self.db.unit_of_work() as uow:
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
                    body=_mail_templates.get_template(notice.mail_template).render(**template_data),
                    source_event_id=uuid.UUID(str(event_id)), attempts=0,
                ))
            uow.commit()
            log.info("message %r recorded for %s from event %s", notice.title, notice.recipient_id,
                     event_id)

    # ---- enterprise ----------------------------------------------------------------------------
    @reliable_event_handler("enterprise", "registration_profile_submitted")
    def on_registration_profile_submitted(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            ProjectionRepository(session).upsert_enterprise(
                str(data["enterprise_id"]), uscc=data["uscc"], name=data["name"],
                region_code=data.get("region_code"))
            return domain.effects_of_profile_submitted(data)

        self._handle(ev.REGISTRATION_PROFILE_SUBMITTED, body, "notify.on_registration_profile_submitted",
                     react)

    @reliable_event_handler("enterprise", "records_changed")
    def on_records_changed(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            enterprise = ProjectionRepository(session).enterprise(str(data["enterprise_id"]))
            return domain.Effects(agency=[("enterprise.changed", {
                **data, "uscc": enterprise.uscc if enterprise else None,
                "name": enterprise.name if enterprise else None})])

        self._handle(ev.RECORDS_CHANGED, body, "notify.on_records_changed", react)

    @reliable_event_handler("enterprise", "change_requested")
    def on_change_requested(self, body: dict) -> None:
        self._handle(ev.CHANGE_REQUESTED, body, "notify.on_change_requested",
                     lambda session, data, envelope: domain.effects_of_change_requested(data))

    # ---- review --------------------------------------------------------------------------------
    def _on_review_requested(self, producer: str, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            projection = ProjectionRepository(session)
            known = projection.case(data["case_ref"])
            # Earlier revisions' names stay known: a correction names items of its revision.
            labels = {**((known.labels or {}) if known is not None else {}),
                      **domain.review_labels(data["form_fields"], data["attachments"])}
            projection.upsert_case(
                data["case_ref"], case_type=data["case_type"], title=data["title"],
                enterprise_id=str(data["enterprise_id"]), labels=labels)
            return domain.effects_of_resubmission(data)

        self._handle(ev.REVIEW_REQUESTED[producer], body, f"notify.on_{producer}_review_requested", react)

    @reliable_event_handler("permits", "review_requested")
    def on_permits_review_requested(self, body: dict) -> None:
        self._on_review_requested("permits", body)

    @reliable_event_handler("personnel", "review_requested")
    def on_personnel_review_requested(self, body: dict) -> None:
        self._on_review_requested("personnel", body)

    @reliable_event_handler("identity", "review_requested")
    def on_identity_review_requested(self, body: dict) -> None:
        self._on_review_requested("identity", body)

    @reliable_event_handler("enterprise", "review_requested")
    def on_enterprise_review_requested(self, body: dict) -> None:
        self._on_review_requested("enterprise", body)

    def _remember_case(self, session: Any, data: dict) -> None:
        ProjectionRepository(session).upsert_case(data["case_ref"], case_id=data["case_id"],
                                                  enterprise_id=str(data["enterprise_id"]))

    @reliable_event_handler("review", "case_accepted")
    def on_case_accepted(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._remember_case(session, data)
            return domain.effects_of_accepted(data, self._case(session, data["case_ref"]))

        self._handle(ev.CASE_ACCEPTED, body, "notify.on_case_accepted", react)

    @reliable_event_handler("review", "case_step_changed")
    def on_case_step_changed(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._remember_case(session, data)
            return domain.effects_of_step_changed(data, self._case(session, data["case_ref"]))

        self._handle(ev.CASE_STEP_CHANGED, body, "notify.on_case_step_changed", react)

    @reliable_event_handler("review", "correction_requested")
    def on_correction_requested(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._remember_case(session, data)
            return domain.effects_of_correction(data, self._case(session, data["case_ref"]),
                                                self._email_of(session, data["enterprise_id"]))

        self._handle(ev.CORRECTION_REQUESTED, body, "notify.on_correction_requested", react)

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            ProjectionRepository(session).upsert_case(
                data["case_ref"], case_id=data["case_id"], enterprise_id=str(data["enterprise_id"]),
                decision=data["decision"], decided_by=data.get("decided_by"), decided_at=data["at"])
            return domain.effects_of_decision(data, self._case(session, data["case_ref"]),
                                              self._email_of(session, data["enterprise_id"]))

        self._handle(ev.CASE_DECIDED, body, "notify.on_case_decided", react)

    @reliable_event_handler("review", "case_closed")
    def on_case_closed(self, body: dict) -> None:
        self._handle(ev.CASE_CLOSED, body, "notify.on_case_closed",
                     lambda session, data, envelope: domain.effects_of_closed(
                         data, self._case(session, data["case_ref"])))

    @reliable_event_handler("review", "case_overdue")
    def on_case_overdue(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._remember_case(session, data)
            return domain.effects_of_overdue(data, self._case(session, data["case_ref"]))

        self._handle(ev.CASE_OVERDUE, body, "notify.on_case_overdue", react)

    @reliable_event_handler("review", "self_inspection_started")
    def on_self_inspection_started(self, body: dict) -> None:
        self._handle(ev.SELF_INSPECTION_STARTED, body, "notify.on_self_inspection_started",
                     lambda session, data, envelope: domain.effects_of_self_inspection(data))

    # ---- permits (expected events) ---------------------------------------------------------------
    @reliable_event_handler("permits", "application_submitted")
    def on_application_submitted(self, body: dict) -> None:
        self._handle(ev.APPLICATION_SUBMITTED, body, "notify.on_application_submitted",
                     lambda session, data, envelope: domain.Effects(
                         agency=[("application.submitted", data)]))

    @reliable_event_handler("permits", "application_decided")
    def on_application_decided(self, body: dict) -> None:
        self._handle(ev.APPLICATION_DECIDED, body, "notify.on_application_decided",
                     lambda session, data, envelope: domain.Effects(
                         agency=[("application.decided", {**data, "decided_at": data["at"]})]))

    @reliable_event_handler("permits", "licence_issued")
    def on_licence_issued(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._project_licence(session, data)
            return domain.effects_of_licence_issued(data, self._email_of(session, data["enterprise_id"]))

        self._handle(ev.LICENCE_ISSUED, body, "notify.on_licence_issued", react)

    @reliable_event_handler("permits", "licence_status_changed")
    def on_licence_status_changed(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._project_licence(session, data)
            return domain.effects_of_licence_status(data)

        self._handle(ev.LICENCE_STATUS_CHANGED, body, "notify.on_licence_status_changed", react)

    @staticmethod
    def _project_licence(session: Any, data: dict) -> None:
        if data.get("valid_until") is not None:
            row = ProjectionRepository(session).upsert_expiry(
                "licence", str(data["licence_id"]), enterprise_id=data["enterprise_id"],
                number=data["number"], label=f"（{data['type_code']}）",
                status=domain.expiry_status(data["status"]),
                valid_until=data["valid_until"])
            # the renewal window as this event tells it (one without: the default window again)
            row.renewal_opens, row.renewal_closes = data.get("renewal_opens"), data.get("renewal_closes")

    @reliable_event_handler("permits", "licence_at_risk")
    def on_licence_at_risk(self, body: dict) -> None:
        self._handle(ev.LICENCE_AT_RISK, body, "notify.on_licence_at_risk",
                     lambda session, data, envelope: domain.effects_of_licence_at_risk(data))

    @reliable_event_handler("permits", "materials_owed")
    def on_materials_owed(self, body: dict) -> None:
        self._handle(ev.MATERIALS_OWED, body, "notify.on_materials_owed",
                     lambda session, data, envelope: domain.effects_of_materials_owed(data))

    # ---- personnel (expected events) -------------------------------------------------------------
    @reliable_event_handler("personnel", "certificate_issued")
    def on_certificate_issued(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._project_certificate(session, data, data["enterprise_id"], "active")
            return domain.Effects(agency=[("certificate.issued", data)])

        self._handle(ev.CERTIFICATE_ISSUED, body, "notify.on_certificate_issued", react)

    @reliable_event_handler("personnel", "certificate_recorded")
    def on_certificate_recorded(self, body: dict) -> None:
        """信息补录: a certificate held before the platform gets the same expiry reminders (no agency
        event: nothing was issued)."""
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._project_certificate(session, data, data["enterprise_id"],
                                      domain.expiry_status(data.get("status") or "valid"))
            return domain.Effects()

        self._handle(ev.CERTIFICATE_RECORDED, body, "notify.on_certificate_recorded", react)

    @reliable_event_handler("personnel", "certificate_transferred")
    def on_certificate_transferred(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._project_certificate(session, data, data["to_enterprise_id"], "active")
            return domain.Effects(agency=[("certificate.transferred", data)])

        self._handle(ev.CERTIFICATE_TRANSFERRED, body, "notify.on_certificate_transferred", react)

    @reliable_event_handler("personnel", "certificate_cancelled")
    def on_certificate_cancelled(self, body: dict) -> None:
        def react(session: Any, data: dict, envelope: dict) -> domain.Effects:
            self._project_certificate(session, data, data["enterprise_id"], "cancelled")
            return domain.Effects(agency=[("certificate.cancelled", data)])

        self._handle(ev.CERTIFICATE_CANCELLED, body, "notify.on_certificate_cancelled", react)

    @staticmethod
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

    @reliable_event_handler("personnel", "transfer_requested")
    def on_transfer_requested(self, body: dict) -> None:
        self._handle(ev.TRANSFER_REQUESTED, body, "notify.on_transfer_requested",
                     lambda session, data, envelope: domain.effects_of_transfer_requested(data))

    # ---- mail --------------------------------------------------------------------------------------
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

    # ---- reminders ---------------------------------------------------------------------------------
    @timer(interval=REMINDER_TICK_SECONDS)
    def remind_daily(self) -> None:
        """Every few minutes: the first tick of each Beijing day claims that day and runs the
        reminders; the other ticks (and the other notify processes) find the day claimed."""
        self._run_day(beijing_today(), "timer")

    @service_rpc
    def run_reminders(self, today: str) -> dict:
        """Run the reminders as on ``today`` (YYYY-MM-DD): the clock tests and operators control.
        Each reminder goes once whatever the number of runs (its own claim)."""
        return self._run_day(_day_or_fail(today), "command")

    @service_rpc
    def reminder_runs(self, day: str) -> dict:
        """The runs of the reminder job for ``day``: what the timer and operators did."""
        with self.db.unit_of_work() as uow:
            runs = ReminderRepository(uow.session).runs_on(_day_or_fail(day))
            return {"day": day, "runs": [
                {"trigger": r.trigger, "started_at": r.started_at.isoformat(),
                 "sent": {"expiry": r.sent_expiry, "deadline": r.sent_deadline}} for r in runs]}

    def _run_day(self, today: date, trigger: str) -> dict:
        result = reminders.run_day(self.db, today, trigger, self.public_url)
        if result["sent"]["expiry"] or result["sent"]["deadline"]:
            log.info("reminders for %s (%s): %s", today, trigger, result["sent"])
        return result

    # ---- 我的消息 / 我的待办 ---------------------------------------------------------------------------
    @staticmethod
    def _audience(actor_or_id: dict | str) -> domain.Audience:
        if isinstance(actor_or_id, str):  # an account on its own (e.g. still registering)
            uuid_or_not_found(actor_or_id, "接收人不存在")
            return domain.Audience((actor_or_id,), None, (), ())
        return domain.audience_for(actor_or_id)

    @service_rpc
    def list_messages(self, actor: dict | str) -> dict:
        """The actor's messages (newest first) and how many were unread; they are read now."""
        audience = self._audience(actor)
        with self.db.unit_of_work() as uow:
            messages = MessageRepository(uow.session)
            rows = messages.for_audience(audience)
            result = {"messages": MessageSchema(many=True).dump(rows),
                      "unread": messages.unread_count(audience),
                      "todos_open": TodoRepository(uow.session).open_count(audience)}
            messages.mark_read([row.id for row in rows if row.read_at is None])
            uow.commit()
            return result

    @service_rpc
    def unread_counts(self, actor: dict) -> dict:
        """The header badges: unread messages and open to-dos (one cheap query each)."""
        audience = self._audience(actor)
        with self.db.unit_of_work() as uow:
            return {"messages": MessageRepository(uow.session).unread_count(audience),
                    "todos": TodoRepository(uow.session).open_count(audience)}

    @service_rpc
    def list_todos(self, actor: dict, include_done: bool = False) -> dict:
        audience = self._audience(actor)
        with self.db.unit_of_work() as uow:
            todos = TodoRepository(uow.session)
            return {"todos": TodoSchema(many=True).dump(todos.for_audience(audience, bool(include_done))),
                    "open": todos.open_count(audience)}

    @service_rpc
    def open_todo(self, actor: dict, todo_id: str) -> dict:
        """One to-do of the actor's (marked read); NotFound for anyone else's."""
        key = uuid_or_not_found(todo_id, "待办事项不存在")
        with self.db.unit_of_work() as uow:
            todo = TodoRepository(uow.session).get_visible(key, self._audience(actor))
            if todo is None:
                raise NotFound("待办事项不存在")
            if todo.read_at is None:
                todo.read_at = datetime.now(UTC)
            result = TodoSchema().dump(todo)
            uow.commit()
            return result

    @service_rpc
    def complete_todo(self, actor: dict, todo_id: str) -> dict:
        """An admin closes a follow-up (差评回访); other to-dos end when their case moves on."""
        key = uuid_or_not_found(todo_id, "待办事项不存在")
        with self.db.unit_of_work() as uow:
            todo = TodoRepository(uow.session).get_visible(key, self._audience(actor))
            if todo is None:
                raise NotFound("待办事项不存在")
            if todo.kind != "follow_up":
                raise Conflict("该待办在业务办理后自动完成，无需手动关闭", code="todo_not_manual")
            if todo.done_at is None:
                todo.done_at = datetime.now(UTC)
                todo.done_reason = "followed_up"
                audit.record(uow.session, "notify.todo_done", actor_id=actor["id"], subject_id=str(todo.id),
                             kind=todo.kind, reason="followed_up")
            result = TodoSchema().dump(todo)
            uow.commit()
            return result

    # ---- 好差评 -------------------------------------------------------------------------------------
    @service_rpc
    def create_rating_token(self, actor: dict, payload: dict) -> dict:
        """A reviewer desk prints a QR code: 一次一评 (this visit) or 一事一评 (one case)."""
        if actor.get("kind") not in STAFF:
            raise Forbidden("只有审核人员可以生成评价二维码")
        errors = QrRequestSchema().validate(payload)
        if errors:
            raise ValidationFailed.from_fields({k: [{"code": "invalid", "message": "内容不正确"}]
                                                for k in errors})
        data = QrRequestSchema().load(payload)
        if data["mode"] == "case" and not data.get("case_ref"):
            raise ValidationFailed.from_fields({"case_ref": [{"code": "required",
                                                              "message": "一事一评请填写办件编号"}]})
        with self.db.unit_of_work() as uow:
            case = ProjectionRepository(uow.session).case(data["case_ref"]) if data.get("case_ref") else None
            desk = f"{actor.get('level')}:{actor.get('region_code')}" if actor.get("level") else None
            token = RatingToken(
                token=new_token(), mode=data["mode"], case_ref=data.get("case_ref"),
                business_type=data.get("business_type") or (case.case_type if case else None),
                title=case.title if case else None, reviewer_id=str(actor["id"]),
                reviewer_name=data.get("reviewer_name"), desk=desk,
                enterprise_id=None, created_by=str(actor["id"]))
            RatingRepository(uow.session).add_token(token)
            uow.session.flush()
            audit.record(uow.session, "notify.rating_qr_created", actor_id=actor["id"],
                         subject_id=token.case_ref, mode=token.mode)
            result = RatingTokenSchema().dump(token)
            uow.commit()
            return result

    @service_rpc
    def rating_form(self, token: str) -> dict:
        """What the public rating page shows for a link (no sign-in: a QR code is scanned by anyone)."""
        with self.db.unit_of_work() as uow:
            row = RatingRepository(uow.session).token(str(token)[:64])
            if row is None:
                raise NotFound("评价链接无效或已过期")
            return {**RatingTokenSchema().dump(row), "mode_label": RATING_MODES[row.mode],
                    "reasons": RATING_REASONS}

    @service_rpc
    def submit_rating(self, token: str, payload: dict, rater_account_id: str | None = None) -> dict:
        """One rating: 1-5 with reasons and comment, the rater's mobile; one per mobile per 5 days.
        A poor rating (≤ 2) opens a follow-up to-do for the admins."""
        errors = domain.rating_errors(payload)
        if errors:
            raise ValidationFailed.from_fields(errors)
        mobile = str(payload["mobile"])
        now = datetime.now(UTC)
        with self.db.unit_of_work() as uow:
            ratings = RatingRepository(uow.session)
            row = ratings.token(str(token)[:64])
            if row is None:
                raise NotFound("评价链接无效或已过期")
            ratings.lock_mobile(mobile)
            allowed_at = domain.next_rating_allowed(ratings.last_rating_at(mobile))
            if allowed_at is not None and allowed_at > now:
                raise Conflict(domain.rating_refused_message(allowed_at), code="rating_too_soon",
                               fields={"mobile": [{"code": "rating_too_soon",
                                                   "message": domain.rating_refused_message(allowed_at)}]})
            case = ProjectionRepository(uow.session).case(row.case_ref) if row.case_ref else None
            rating = Rating(
                token=row.token, mode=row.mode, case_ref=row.case_ref,
                business_type=row.business_type or (case.case_type if case else None),
                reviewer_id=row.reviewer_id or (case.decided_by if case else None),
                reviewer_name=row.reviewer_name, score=int(payload["score"]),
                reasons=list(payload.get("reasons") or []), comment=(payload.get("comment") or "").strip(),
                mobile=mobile, rater_account_id=rater_account_id,
                case_decided_at=case.decided_at if case else None, rated_at=now)
            ratings.add(rating)
            uow.session.flush()
            writer = EffectWriter(uow.session, self.public_url)
            if row.case_ref:
                writer.mark_done(domain.Done(row.case_ref, ("rating",), "rated"))
            if domain.is_poor(rating.score):
                subject = row.title or row.case_ref or RATING_MODES[row.mode]
                writer.add_todo(domain.follow_up_todo(str(rating.id), rating.score, subject))
            audit.record(uow.session, "notify.rating_submitted", actor_id=rater_account_id,
                         subject_id=str(rating.id), score=rating.score, case_ref=row.case_ref)
            result = RatingSchema().dump(rating)
            uow.commit()
            return result

    # ---- 通知公告 (services/notify/usecases/notices.py) --------------------------------------------
    @service_rpc
    def list_notices(self) -> dict:
        return notices.list_notices(self.db)

    @service_rpc
    def get_notice(self, notice_id: str) -> dict:
        return notices.get_notice(self.db, notice_id)

    @service_rpc
    def publish_notice(self, actor: dict, payload: dict) -> dict:
        return notices.publish_notice(self.db, actor, payload)

    @service_rpc
    def withdraw_notice(self, actor: dict, notice_id: str) -> dict:
        return notices.withdraw_notice(self.db, actor, notice_id)

    @service_rpc
    def rating_stats(self, actor: dict) -> dict:
        if actor.get("kind") not in STAFF:
            raise Forbidden("只有审核人员可以查看评价统计")
        with self.db.unit_of_work() as uow:
            ratings = RatingRepository(uow.session)
            recent = ratings.recent()
            groups = {key: ratings.grouped(key) for key in ("reviewer", "business_type", "month")}
            total = sum(count for _, _, count in groups["month"])
            average = (sum(avg * count for _, avg, count in groups["month"]) / total) if total else 0.0
            return {"total": total, "average": round(average, 2),
                    **{f"by_{key}": [{"label": g, "average": round(a, 2), "count": c} for g, a, c in rows]
                       for key, rows in groups.items()},
                    "recent": RatingSchema(many=True).dump(recent)}

    @service_rpc
    def get_rating(self, actor: dict, rating_id: str) -> dict:
        if actor.get("kind") not in STAFF:
            raise Forbidden("只有审核人员可以查看评价")
        key = uuid_or_not_found(rating_id, "评价不存在")
        with self.db.unit_of_work() as uow:
            rating = RatingRepository(uow.session).get(key)
            if rating is None:
                raise NotFound("评价不存在")
            return RatingSchema().dump(rating)

    # ---- dead letters (admins) --------------------------------------------------------------------
    @service_rpc
    def dead_letters(self, actor: dict, limit: int = 20) -> dict:
        """notify's dead-letter queue through the RabbitMQ management API: its depth and the
        first messages (peeked and requeued, so nothing is taken away)."""
        if actor.get("kind") != "admin":
            raise Forbidden("只有管理员可以查看死信队列")
        amqp = self.config["PLATFORM"]["amqp"]
        base = f"http://{amqp['host']}:{amqp['management_port']}/api/queues/{amqp['vhost']}/notify.dead-letters"
        auth = (amqp["user"], amqp["password"])
        info = requests.get(base, auth=auth, timeout=5)
        if info.status_code == 404:
            return {"queue": "notify.dead-letters", "depth": 0, "messages": []}
        info.raise_for_status()
        depth = int(info.json().get("messages", 0))
        peeked = requests.post(f"{base}/get", auth=auth, timeout=5, json={
            "count": max(1, min(int(limit), 100)), "ackmode": "ack_requeue_true", "encoding": "auto",
            "truncate": 4000}) if depth else None
        messages = []
        for item in (peeked.json() if peeked is not None and peeked.ok else []):
            headers = (item.get("properties") or {}).get("headers") or {}
            # Dead-lettered by the broker (a poison message: delivery_limit) or by our handler.
            death = headers.get("x-first-death-reason")
            messages.append({"routing_key": item.get("routing_key"), "payload": item.get("payload"),
                             "error": headers.get("x-qlp-error") or (death and f"broker: {death}"),
                             "original_queue": headers.get("x-qlp-original-queue")
                             or headers.get("x-first-death-queue"),
                             "attempts": headers.get("x-qlp-attempts")})
        return {"queue": "notify.dead-letters", "depth": depth, "messages": messages}


SERVICE_CLASS = NotifyService
