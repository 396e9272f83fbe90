"""When a renewal (延续) may be filed at the earliest: the window opens a set time before expiry,
as the personnel certificates' window does (3 months before expiry; seed 002 / domain.md); the
latest day is ``transactions.renewal_deadline``. Plain Python, unit-tested.

The catalogue's ``renewal.opens_before_expiry_months`` / ``_days`` sets it per business type
(PFL: 90 days before expiry; HMQ and CIP: 6 months, three before their 3-month deadline). A type
without it has no earliest day. The licence events carry the window (``event_fields``), and
notify's renewal reminder opens and closes with it (docs/events.md)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.permits.licences import add_months


def renewal_opens(renewal: dict[str, Any], valid_until: date) -> date | None:
    """The first day a renewal may be filed for a licence valid until ``valid_until``."""
    if renewal.get("opens_before_expiry_months") is not None:
        return add_months(valid_until, -int(renewal["opens_before_expiry_months"]))
    if renewal.get("opens_before_expiry_days") is not None:
        return valid_until - timedelta(days=int(renewal["opens_before_expiry_days"]))
    return None


def renewal_closes(renewal: dict[str, Any], valid_until: date) -> date | None:
    """The last day a renewal may be filed, or None if the type sets no deadline (the same rule
    as ``transactions.renewal_deadline``, which counts a type without one as 0 days)."""
    if renewal.get("deadline_before_expiry_months") is not None:
        return add_months(valid_until, -int(renewal["deadline_before_expiry_months"]))
    if renewal.get("deadline_before_expiry_days") is not None:
        return valid_until - timedelta(days=int(renewal["deadline_before_expiry_days"]))
    return None


def event_fields(renewal: dict[str, Any], valid_until: date) -> dict[str, date | None]:
    """The renewal window a licence event carries (docs/events.md): notify's reminder opens and
    closes with it."""
    return {"renewal_opens": renewal_opens(renewal, valid_until),
            "renewal_closes": renewal_closes(renewal, valid_until)}


def opening_rule(renewal: dict[str, Any]) -> str:
    if renewal.get("opens_before_expiry_months") is not None:
        return f"有效期届满前{renewal['opens_before_expiry_months']}个月内"
    return f"有效期届满前{renewal.get('opens_before_expiry_days')}日内"


def too_early(renewal: dict[str, Any], valid_until: date, today: date) -> str | None:
    """The reason a renewal filed ``today`` is refused as too early, or None."""
    opens = renewal_opens(renewal, valid_until)
    if opens is None or today >= opens:
        return None
    return (f"延续申请应在{opening_rule(renewal)}提出：证书有效期至{valid_until.isoformat()}，"
            f"自{opens.isoformat()}起方可申请延续")
