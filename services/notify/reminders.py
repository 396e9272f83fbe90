"""The reminder job: expiry reminders (90/60/30 days before a licence or certificate expires,
the renewal window) and deadline reminders, for one Beijing day.

notify's timer runs it daily on its own (``NotifyService.remind_daily``: the first tick of a day
claims the day's ``timer`` row, so several notify processes or a restart run it once); each
reminder also has its own claim (``reminders_sent``), so no run ever sends one twice.

Operators run it for a given day on the running platform (through notify's RPC)::

    python -m services.notify.reminders --day 2027-01-05
    python -m services.notify.reminders --day 2027-01-05 --show   # what ran that day
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any

from services.common import audit
from services.common.localtime import BEIJING
from services.notify import domain, reminder_rules
from services.notify.repository import ProjectionRepository, ReminderRepository
from services.notify.writer import EffectWriter

TRIGGERS = ("timer", "command")


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


def run_day(db: Any, today: date, trigger: str, public_url: str) -> dict:
    """One transaction: the day's run row, every reminder due that day and its claim. A failure
    leaves no trace (the next tick tries the day again). ``already_run``: the timer found the
    day claimed."""
    with db.unit_of_work() as uow:
        run = ReminderRepository(uow.session).claim_day(today, trigger)
        if run is None:
            return {"today": today.isoformat(), "sent": {"expiry": 0, "deadline": 0}, "already_run": True}
        sent = send_due(uow.session, today, public_url)
        run.sent_expiry, run.sent_deadline = sent["expiry"], sent["deadline"]
        uow.commit()
    return {"today": today.isoformat(), "sent": sent, "already_run": False}


def send_due(session: Any, today: date, public_url: str) -> dict[str, int]:
    """Every reminder due on ``today`` not sent before: message, mail (expiry), audit."""
    sent = {"expiry": 0, "deadline": 0}
    horizon = date.fromordinal(today.toordinal() + max(reminder_rules.EXPIRY_THRESHOLDS))
    projections = ProjectionRepository(session)
    claims = ReminderRepository(session)
    writer = EffectWriter(session, public_url)
    for expiry in projections.expiries_until(horizon, today):
        facts = {"subject_kind": expiry.subject_kind, "enterprise_id": str(expiry.enterprise_id),
                 "number": expiry.number, "label": expiry.label, "status": expiry.status,
                 "valid_until": expiry.valid_until, "renewal_opens": expiry.renewal_opens,
                 "renewal_closes": expiry.renewal_closes}
        for reminder in reminder_rules.expiry_reminders(today, facts):
            if claims.claim(expiry.subject_kind, expiry.subject_id, reminder.key, today):
                _send(session, writer, reminder, str(expiry.enterprise_id))
                sent["expiry"] += 1
    for deadline in projections.open_deadlines():
        facts = {"due_date": deadline.due_date, "title": deadline.title, "link": deadline.link,
                 "recipient": domain.Recipient(
                     account_id=str(deadline.recipient_id) if deadline.recipient_id else None,
                     module=deadline.module, desk=deadline.desk)}
        for reminder in reminder_rules.deadline_reminders(today, facts):
            if claims.claim(deadline.kind, str(deadline.id), reminder.key, today):
                _send(session, writer, reminder, None)
                sent["deadline"] += 1
    return sent


def _send(session: Any, writer: EffectWriter, reminder: reminder_rules.Reminder,
          enterprise_id: str | None) -> None:
    writer.add_note(domain.Note(reminder.recipient, reminder.title, reminder.body, reminder.link))
    row = ProjectionRepository(session).enterprise(enterprise_id) if reminder.mail and enterprise_id else None
    if row is not None and row.email:
        writer.add_mail(domain.MailOut(row.email, reminder.title, "licence_expiring.txt",
                                       {"body": reminder.body, "link": reminder.link}))
    audit.record(session, "notify.reminder_sent", subject_id=enterprise_id, key=reminder.key,
                 title=reminder.title)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.notify.reminders",
        description="Run notify's reminder job for one day on the running platform (RPC).")
    parser.add_argument("--day", type=date.fromisoformat, default=None,
                        help="YYYY-MM-DD (default: today, Beijing time)")
    parser.add_argument("--show", action="store_true", help="only list that day's runs")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.config import load_config, nameko_config

    day = (args.day or beijing_today()).isoformat()
    with ClusterRpcProxy(nameko_config(load_config(), "reminders-cli"), timeout=args.timeout) as cluster:
        result = cluster.notify.reminder_runs(day) if args.show else cluster.notify.run_reminders(day)
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
