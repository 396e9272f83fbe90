"""Certificate validity: renewal windows, lapse, expiry warnings (pure; no nameko, no database).

The rule (TSA seed 002, 证书延续操作指引, and ../shared/domain.md §3):

    "证书有效期前3个月至过期2个月内可以申请延续，过期2个月没申请延续的证书将失效，需要重新报名考试"
    "审核通过，证书有效期增加3年"

How this module reads it, exactly:

- ``valid_until`` is the last day the certificate is valid (有效期至), inclusive.
- The window **opens** on ``add_months(valid_until, -3)`` and **closes** on
  ``add_months(valid_until, +2)``; both days are inside the window.
- From the day after ``valid_until`` until the window closes the certificate is *expired*
  (已过期) but still renewable; from the day after the window closes it has *lapsed* (已失效):
  renewal is refused and the holder must re-qualify (重新报名考试).
- An approved renewal adds 3 years **to the old expiry date** (not to the approval date):
  ``add_months(valid_until, 36)``.
- Month arithmetic keeps the day of the month and clamps it to the last day of a shorter
  month: 05-31 − 3 months = 02-29 in a leap year (02-28 otherwise); 2024-02-29 + 36 months =
  2027-02-28; 12-31 + 2 months = 02-28/29 of the next year. A month-end date is *not* moved
  to the month end of the result (2025-04-30 + 2 months = 2025-06-30, 2025-02-28 + 2 months =
  2025-04-28): the calendar day is what the seeds' tables show.

Each certificate type carries its own figures in the catalogue (``renewal.opens_months_before``,
``closes_months_after``, ``adds_years``); :class:`RenewalRule` defaults to the TSA figures.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.common.errors import InvalidTransition

# Certificate statuses derived from the dates (the record may also say cancelled / transferring).
VALID, EXPIRED, LAPSED = "valid", "expired", "lapsed"
STATUS_LABELS = {VALID: "有效", EXPIRED: "已过期", LAPSED: "已失效"}


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, the day clamped to the target month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class RenewalRule:
    """Renewal figures of one certificate type (defaults: TSA, seed 002)."""

    opens_months_before: int = 3
    closes_months_after: int = 2
    adds_years: int = 3

    @classmethod
    def from_catalogue(cls, renewal: Mapping[str, Any]) -> RenewalRule:
        return cls(int(renewal.get("opens_months_before", 3)), int(renewal.get("closes_months_after", 2)),
                   int(renewal.get("adds_years", 3)))


TSA_RULE = RenewalRule()


@dataclass(frozen=True)
class RenewalWindow:
    valid_until: date
    opens_on: date
    closes_on: date

    def contains(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on

    @property
    def lapses_on(self) -> date:
        """The first day the certificate counts as lapsed."""
        return self.closes_on + timedelta(days=1)


def renewal_window(valid_until: date, rule: RenewalRule = TSA_RULE) -> RenewalWindow:
    return RenewalWindow(valid_until, add_months(valid_until, -rule.opens_months_before),
                         add_months(valid_until, rule.closes_months_after))


def validity_status(valid_until: date, today: date, rule: RenewalRule = TSA_RULE) -> str:
    """``valid`` through ``valid_until``, then ``expired`` while renewable, then ``lapsed``."""
    if today <= valid_until:
        return VALID
    if today <= renewal_window(valid_until, rule).closes_on:
        return EXPIRED
    return LAPSED


def _fmt(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def check_renewal_window(valid_until: date, today: date, rule: RenewalRule = TSA_RULE) -> RenewalWindow:
    """Raise InvalidTransition (Chinese message naming the rule) when renewal cannot be filed today.

    Codes: ``renewal_too_early`` (before the window opens), ``renewal_lapsed`` (after it closed).
    """
    window = renewal_window(valid_until, rule)
    rule_text = (f"证书有效期届满前{rule.opens_months_before}个月至届满后{rule.closes_months_after}个月内"
                 f"可以申请延续")
    if today < window.opens_on:
        raise InvalidTransition(
            f"该证书有效期至{_fmt(valid_until)}，{_fmt(window.opens_on)}起方可申请延续（{rule_text}）",
            code="renewal_too_early")
    if today > window.closes_on:
        raise InvalidTransition(
            f"该证书有效期至{_fmt(valid_until)}，已超过延续期限（{_fmt(window.closes_on)}），证书已失效，"
            f"需重新报名考试（{rule_text}）", code="renewal_lapsed")
    return window


def renewed_until(valid_until: date, rule: RenewalRule = TSA_RULE) -> date:
    """The new expiry after an approved renewal: the old expiry plus ``adds_years`` years."""
    return add_months(valid_until, 12 * rule.adds_years)


def days_left(valid_until: date, today: date) -> int:
    """Days until expiry (0 on the last valid day, negative once expired)."""
    return (valid_until - today).days


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def expiring(certificates: Iterable[Any], today: date, within_days: int) -> list[dict[str, Any]]:
    """REG 人员到期预警: certificates whose expiry is from ``today`` to ``today + within_days``.

    ``certificates`` are mappings or objects with ``valid_until`` (a ``date`` or ISO string) and
    optionally ``status`` (a ``cancelled``/``lapsed`` record is never warned about). Each result is
    ``{"certificate": <the item>, "valid_until": date, "days_left": int}``, soonest first (stable
    for equal dates). Already-expired certificates are not "expiring"; use :func:`renewable_now`.
    """
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    horizon = today + timedelta(days=within_days)
    found = []
    for cert in certificates:
        if _get(cert, "status") in ("cancelled", "lapsed"):
            continue
        until = _as_date(_get(cert, "valid_until"))
        if until is None or not today <= until <= horizon:
            continue
        found.append({"certificate": cert, "valid_until": until, "days_left": days_left(until, today)})
    found.sort(key=lambda item: item["valid_until"])
    return found


def renewable_now(certificates: Iterable[Any], today: date, rule: RenewalRule = TSA_RULE) -> list[Any]:
    """TSA 延续申请 list: the certificates whose renewal window contains ``today``."""
    out = []
    for cert in certificates:
        if _get(cert, "status") in ("cancelled", "lapsed"):
            continue
        until = _as_date(_get(cert, "valid_until"))
        if until is not None and renewal_window(until, rule).contains(today):
            out.append(cert)
    return out


def newly_lapsed(certificates: Iterable[Any], today: date, rule: RenewalRule = TSA_RULE) -> list[Any]:
    """Certificates not yet marked lapsed/cancelled whose window has closed (for a daily sweep)."""
    out = []
    for cert in certificates:
        if _get(cert, "status") in ("cancelled", "lapsed"):
            continue
        until = _as_date(_get(cert, "valid_until"))
        if until is not None and validity_status(until, today, rule) == LAPSED:
            out.append(cert)
    return out


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
