"""notify's nameko entrypoints: event handlers (messages, to-dos, mails, agency stream), the mail
sender and reminder timers, and RPCs for 我的消息 / 我的待办 / 好差评 / dead letters.

Every entrypoint delegates to a use case in ``services/notify/usecases/`` (one module per area),
given the collaborators built here (``deps``: the database, the public URL, the configuration).
A handler parses its event, claims it once and writes the pure ``Effects`` of
services/notify/domain.py through services/notify/writer.py (``usecases/_support._handle``).
"""

from __future__ import annotations

import logging

import eventlet
from kombu import Exchange
from nameko.amqp.publish import get_connection
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from nameko.timer import timer

from services.common.base import PlatformService, service_rpc
from services.common.events import reliable_event_handler
from services.notify import agency
from services.notify.usecases import (
    _support,
    account_events,
    case_events,
    inbox,
    notices,
    operations,
    ratings,
    register_events,
)

log = logging.getLogger(__name__)


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


class NotifyService(PlatformService):
    name = "notify"
    agency_exchange = AgencyExchange()

    @property
    def public_url(self) -> str:
        return self.config["PLATFORM"]["gateway"].get("public_url") or ""

    @property
    def deps(self) -> _support.Deps:
        """The use cases' collaborators, over this worker's providers."""
        return _support.Deps(db=self.db, public_url=self.public_url, config=self.config["PLATFORM"])

    @reliable_event_handler("identity", "enterprise_account_registered")
    def on_enterprise_account_registered(self, body: dict) -> None:
        account_events.on_enterprise_account_registered(self.deps, body)

    @reliable_event_handler("identity", "account_email_verification_requested")
    def on_email_verification_requested(self, body: dict) -> None:
        account_events.on_email_verification_requested(self.deps, body)

    @reliable_event_handler("identity", "password_reset_requested")
    def on_password_reset_requested(self, body: dict) -> None:
        account_events.on_password_reset_requested(self.deps, body)

    @reliable_event_handler("identity", "account_status_changed")
    def on_account_status_changed(self, body: dict) -> None:
        account_events.on_account_status_changed(self.deps, body)

    @reliable_event_handler("enterprise", "registration_profile_submitted")
    def on_registration_profile_submitted(self, body: dict) -> None:
        account_events.on_registration_profile_submitted(self.deps, body)

    @reliable_event_handler("enterprise", "records_changed")
    def on_records_changed(self, body: dict) -> None:
        account_events.on_records_changed(self.deps, body)

    @reliable_event_handler("enterprise", "change_requested")
    def on_change_requested(self, body: dict) -> None:
        account_events.on_change_requested(self.deps, body)

    @reliable_event_handler("permits", "review_requested")
    def on_permits_review_requested(self, body: dict) -> None:
        case_events.on_permits_review_requested(self.deps, body)

    @reliable_event_handler("personnel", "review_requested")
    def on_personnel_review_requested(self, body: dict) -> None:
        case_events.on_personnel_review_requested(self.deps, body)

    @reliable_event_handler("identity", "review_requested")
    def on_identity_review_requested(self, body: dict) -> None:
        case_events.on_identity_review_requested(self.deps, body)

    @reliable_event_handler("enterprise", "review_requested")
    def on_enterprise_review_requested(self, body: dict) -> None:
        case_events.on_enterprise_review_requested(self.deps, body)

    @reliable_event_handler("review", "case_accepted")
    def on_case_accepted(self, body: dict) -> None:
        case_events.on_case_accepted(self.deps, body)

    @reliable_event_handler("review", "case_step_changed")
    def on_case_step_changed(self, body: dict) -> None:
        case_events.on_case_step_changed(self.deps, body)

    @reliable_event_handler("review", "correction_requested")
    def on_correction_requested(self, body: dict) -> None:
        case_events.on_correction_requested(self.deps, body)

    @reliable_event_handler("review", "case_decided")
    def on_case_decided(self, body: dict) -> None:
        case_events.on_case_decided(self.deps, body)

    @reliable_event_handler("review", "case_closed")
    def on_case_closed(self, body: dict) -> None:
        case_events.on_case_closed(self.deps, body)

    @reliable_event_handler("review", "case_overdue")
    def on_case_overdue(self, body: dict) -> None:
        case_events.on_case_overdue(self.deps, body)

    @reliable_event_handler("review", "self_inspection_started")
    def on_self_inspection_started(self, body: dict) -> None:
        case_events.on_self_inspection_started(self.deps, body)

    @reliable_event_handler("permits", "application_submitted")
    def on_application_submitted(self, body: dict) -> None:
        register_events.on_application_submitted(self.deps, body)

    @reliable_event_handler("permits", "application_decided")
    def on_application_decided(self, body: dict) -> None:
        register_events.on_application_decided(self.deps, body)

    @reliable_event_handler("permits", "licence_issued")
    def on_licence_issued(self, body: dict) -> None:
        register_events.on_licence_issued(self.deps, body)

    @reliable_event_handler("permits", "licence_status_changed")
    def on_licence_status_changed(self, body: dict) -> None:
        register_events.on_licence_status_changed(self.deps, body)

    @reliable_event_handler("permits", "licence_at_risk")
    def on_licence_at_risk(self, body: dict) -> None:
        register_events.on_licence_at_risk(self.deps, body)

    @reliable_event_handler("permits", "materials_owed")
    def on_materials_owed(self, body: dict) -> None:
        register_events.on_materials_owed(self.deps, body)

    @reliable_event_handler("personnel", "certificate_issued")
    def on_certificate_issued(self, body: dict) -> None:
        register_events.on_certificate_issued(self.deps, body)

    @reliable_event_handler("personnel", "certificate_recorded")
    def on_certificate_recorded(self, body: dict) -> None:
        """信息补录: a certificate held before the platform gets the same expiry reminders (no agency
        event: nothing was issued)."""
        register_events.on_certificate_recorded(self.deps, body)

    @reliable_event_handler("personnel", "certificate_transferred")
    def on_certificate_transferred(self, body: dict) -> None:
        register_events.on_certificate_transferred(self.deps, body)

    @reliable_event_handler("personnel", "certificate_cancelled")
    def on_certificate_cancelled(self, body: dict) -> None:
        register_events.on_certificate_cancelled(self.deps, body)

    @reliable_event_handler("personnel", "transfer_requested")
    def on_transfer_requested(self, body: dict) -> None:
        register_events.on_transfer_requested(self.deps, body)

    @timer(interval=1)
    def send_due_mails(self) -> None:
        operations.send_due_mails(self.deps)

    @timer(interval=REMINDER_TICK_SECONDS)
    def remind_daily(self) -> None:
        """Every few minutes: the first tick of each Beijing day claims that day and runs the
        reminders; the other ticks (and the other notify processes) find the day claimed."""
        operations.remind_daily(self.deps)

    @service_rpc
    def run_reminders(self, today: str) -> dict:
        """Run the reminders as on ``today`` (YYYY-MM-DD): the clock tests and operators control.
        Each reminder goes once whatever the number of runs (its own claim)."""
        return operations.run_reminders(self.deps, today)

    @service_rpc
    def reminder_runs(self, day: str) -> dict:
        """The runs of the reminder job for ``day``: what the timer and operators did."""
        return operations.reminder_runs(self.deps, day)

    @service_rpc
    def list_messages(self, actor: dict | str) -> dict:
        """The actor's messages (newest first) and how many were unread; they are read now."""
        return inbox.list_messages(self.deps, actor)

    @service_rpc
    def unread_counts(self, actor: dict) -> dict:
        """The header badges: unread messages and open to-dos (one cheap query each)."""
        return inbox.unread_counts(self.deps, actor)

    @service_rpc
    def list_todos(self, actor: dict, include_done: bool = False) -> dict:
        return inbox.list_todos(self.deps, actor, include_done)

    @service_rpc
    def open_todo(self, actor: dict, todo_id: str) -> dict:
        """One to-do of the actor's (marked read); NotFound for anyone else's."""
        return inbox.open_todo(self.deps, actor, todo_id)

    @service_rpc
    def complete_todo(self, actor: dict, todo_id: str) -> dict:
        """An admin closes a follow-up (差评回访); other to-dos end when their case moves on."""
        return inbox.complete_todo(self.deps, actor, todo_id)

    @service_rpc
    def create_rating_token(self, actor: dict, payload: dict) -> dict:
        """A reviewer desk prints a QR code: 一次一评 (this visit) or 一事一评 (one case)."""
        return ratings.create_rating_token(self.deps, actor, payload)

    @service_rpc
    def rating_form(self, token: str) -> dict:
        """What the public rating page shows for a link (no sign-in: a QR code is scanned by anyone)."""
        return ratings.rating_form(self.deps, token)

    @service_rpc
    def submit_rating(self, token: str, payload: dict, rater_account_id: str | None = None) -> dict:
        """One rating: 1-5 with reasons and comment, the rater's mobile; one per mobile per 5 days.
        A poor rating (≤ 2) opens a follow-up to-do for the admins."""
        return ratings.submit_rating(self.deps, token, payload, rater_account_id)

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
        return ratings.rating_stats(self.deps, actor)

    @service_rpc
    def get_rating(self, actor: dict, rating_id: str) -> dict:
        return ratings.get_rating(self.deps, actor, rating_id)

    @service_rpc
    def dead_letters(self, actor: dict, limit: int = 20) -> dict:
        """notify's dead-letter queue through the RabbitMQ management API: its depth and the
        first messages (peeked and requeued, so nothing is taken away)."""
        return operations.dead_letters(self.deps, actor, limit)


SERVICE_CLASS = NotifyService
