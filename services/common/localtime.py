"""Times shown to people: Beijing time (UTC+8, no daylight saving), whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def beijing_time(value: str | datetime | None) -> str:
    """An ISO timestamp (or datetime) as ``YYYY-MM-DD HH:MM`` in Beijing time; naive means UTC."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
