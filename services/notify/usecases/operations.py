"""notify's operations: the mail sender, the daily reminder job, the dead-letter queue (admins)."""

from __future__ import annotations

from datetime import date

import requests

from services.common.errors import Forbidden, ValidationFailed
from services.notify import domain
from services.notify.mailer import send_mail
from services.notify.reminders import beijing_today
from services.notify.repository import MailRepository, ReminderRepository
from services.notify.usecases._support import Deps, _run_day, log


def _day_or_fail(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.from_fields(
            {"today": [{"code": "invalid", "message": "日期格式应为 YYYY-MM-DD"}]}) from exc


def send_due_mails(deps: Deps) -> None:
    smtp = deps.config["smtp"]
    with deps.begin() as uow:
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


def remind_daily(deps: Deps) -> None:
    """Every few minutes: the first tick of each Beijing day claims that day and runs the
    reminders; the other ticks (and the other notify processes) find the day claimed."""
    _run_day(deps, beijing_today(), "timer")


def run_reminders(deps: Deps, today: str) -> dict:
    """Run the reminders as on ``today`` (YYYY-MM-DD): the clock tests and operators control.
    Each reminder goes once whatever the number of runs (its own claim)."""
    return _run_day(deps, _day_or_fail(today), "command")


def reminder_runs(deps: Deps, day: str) -> dict:
    """The runs of the reminder job for ``day``: what the timer and operators did."""
    with deps.begin() as uow:
        runs = ReminderRepository(uow.session).runs_on(_day_or_fail(day))
        return {"day": day, "runs": [
            {"trigger": r.trigger, "started_at": r.started_at.isoformat(),
             "sent": {"expiry": r.sent_expiry, "deadline": r.sent_deadline}} for r in runs]}


def dead_letters(deps: Deps, actor: dict, limit: int = 20) -> dict:
    """notify's dead-letter queue through the RabbitMQ management API: its depth and the
    first messages (peeked and requeued, so nothing is taken away)."""
    if actor.get("kind") != "admin":
        raise Forbidden("只有管理员可以查看死信队列")
    amqp = deps.config["amqp"]
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
