"""When notify reminds: expiries (90/60/30 days before), the renewal window, deadlines; each
once per threshold. Plain Python, unit-tested (tests/unit/test_notify_rules.py); the job that
runs them daily is services/notify/reminders.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.notify.domain import Recipient, as_date

# =============================================================================================
# Reminders: expiries (90/60/30 days), renewal windows, deadlines; once per threshold
# =============================================================================================
EXPIRY_THRESHOLDS = (90, 60, 30)
# The renewal window when the licence event carries none (renewal_window below): 延续 may be
# applied for from 90 days before expiry until 30 days before it.
RENEWAL_OPENS_DAYS = 90
RENEWAL_CLOSES_DAYS = 30
RENEWAL_CLOSING_WARNING_DAYS = 7
DEADLINE_THRESHOLDS = (7, 3, 1, 0)


@dataclass(frozen=True)
class Reminder:
    key: str              # unique per subject: (subject_kind, subject_id, key) is sent once
    recipient: Recipient
    title: str
    body: str
    link: str
    mail: bool = False


def renewal_window(expiry: dict[str, Any]) -> tuple[date, date]:
    """(first, last) day a licence's renewal may be filed: the dates permits' licence event
    carried (the business type's rule, e.g. HMQ / CIP from 6 months before expiry), each falling
    back to the default 90 / 30 days before expiry when absent."""
    valid_until: date = expiry["valid_until"]
    opens = as_date(expiry.get("renewal_opens")) or valid_until - timedelta(days=RENEWAL_OPENS_DAYS)
    closes = as_date(expiry.get("renewal_closes")) or valid_until - timedelta(days=RENEWAL_CLOSES_DAYS)
    return opens, closes


def expiry_reminders(today: date, expiry: dict[str, Any]) -> list[Reminder]:
    """The reminders due today for one licence or certificate: the most urgent crossed
    threshold only (a licence first seen 20 days before expiry gets the 30-day one), plus the
    renewal window's opening and closing for licences."""
    valid_until: date = expiry["valid_until"]
    days = (valid_until - today).days
    kind = expiry["subject_kind"]
    noun = "许可证" if kind == "licence" else "证书"
    module = "permits" if kind == "licence" else "personnel"
    recipient = Recipient.enterprise(expiry["enterprise_id"], module)
    link = "/permits/licences" if kind == "licence" else "/personnel"
    label = expiry.get("label") or ""
    out: list[Reminder] = []
    if days < 0 or expiry.get("status", "active") != "active":
        return out
    crossed = [t for t in EXPIRY_THRESHOLDS if days <= t]
    if crossed:
        threshold = min(crossed)
        out.append(Reminder(
            f"expiry:{valid_until.isoformat()}:{threshold}", recipient,
            f"{noun}即将到期（{threshold}天）：{expiry['number']}",
            f"{noun} {expiry['number']}{label} 将于 {valid_until} 到期（剩余 {days} 天），请及时办理延续。",
            link, mail=True))
    if kind == "licence":
        opens, closes = renewal_window(expiry)
        if opens <= today < closes:
            out.append(Reminder(f"renewal_open:{valid_until.isoformat()}", recipient,
                                f"延续申请已可办理：{expiry['number']}",
                                f"许可证 {expiry['number']} 的延续申请期已开始，截止 {closes}。", link))
        if closes - timedelta(days=RENEWAL_CLOSING_WARNING_DAYS) <= today <= closes:
            out.append(Reminder(f"renewal_closing:{valid_until.isoformat()}", recipient,
                                f"延续申请即将截止：{expiry['number']}",
                                f"许可证 {expiry['number']} 的延续申请将于 {closes} 截止，请尽快申请。",
                                link))
    return out


def deadline_reminders(today: date, deadline: dict[str, Any]) -> list[Reminder]:
    """A correction or owed-materials deadline: 7, 3, 1 days before and on the day."""
    due: date = deadline["due_date"]
    days = (due - today).days
    crossed = [t for t in DEADLINE_THRESHOLDS if 0 <= days <= t]
    if not crossed:
        return []
    threshold = min(crossed)
    when = "今天" if days == 0 else f"{days} 天后（{due}）"
    return [Reminder(f"deadline:{due.isoformat()}:{threshold}", deadline["recipient"],
                     f"期限提醒：{deadline['title']}", f"{deadline['title']} 的期限为{when}，请按时办理。",
                     deadline["link"])]
