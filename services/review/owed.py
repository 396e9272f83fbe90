"""容缺受理 on the review side (issue 15 item 8): what the enterprise still owes and by when,
as the producer last sent it, with each deadline judged against today for the reviewer.

Pure: plain data in, plain data out (unit-tested)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any


def stored(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """review_requested's ``owed`` (deadlines as dates) → the JSON kept on the case."""
    rows = [
        {"code": str(i.get("code") or ""), "name": str(i["name"]),
         "deadline": i["deadline"].isoformat() if isinstance(i.get("deadline"), date) else i.get("deadline")}
        for i in items
    ]
    return sorted(rows, key=lambda r: (r["deadline"] or "9999-12-31", r["name"]))


def view(items: Iterable[Mapping[str, Any]] | None, today: date) -> list[dict[str, Any]]:
    """Each owed item with ``overdue`` (deadline passed) and ``days_left`` (None without a deadline)."""
    result = []
    for item in items or []:
        deadline = date.fromisoformat(item["deadline"]) if item.get("deadline") else None
        days_left = (deadline - today).days if deadline else None
        result.append({**item, "overdue": days_left is not None and days_left < 0, "days_left": days_left})
    return result
