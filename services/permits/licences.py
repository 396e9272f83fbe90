"""Licences (资质证书 / 许可证): numbers, validity, live status and the public verify fields.

Pure: dates are passed in. A :class:`Licence` is one edition of a certificate; a replacement or
a change issues a new edition with the same number and marks the old one ``replaced``, so a QR
code on an old paper copy still verifies and shows that it was replaced.

Stored statuses: ``valid``, ``suspended`` (暂扣), ``revoked`` (吊销/撤销), ``replaced`` (已换发),
``cancelled`` (注销). ``expired`` is never stored: ``status_on(licence, today)`` derives it from
the validity dates.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from services.permits.catalogue import BusinessType

STATUS_LABELS = {
    "valid": "有效",
    "suspended": "暂扣",
    "revoked": "已撤销",
    "expired": "已过期",
    "replaced": "已换发新证",
    "cancelled": "已注销",
}
STORED_STATUSES = ("valid", "suspended", "revoked", "replaced", "cancelled")


def add_months(day: date, months: int) -> date:
    """Calendar months later (negative: earlier); the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


@dataclass(frozen=True)
class LicenceItem:
    category: str
    grade: str


@dataclass(frozen=True)
class Licence:
    number: str
    type_code: str
    holder_id: str
    holder_name: str
    holder_uscc: str
    items: tuple[LicenceItem, ...]
    issued_on: date
    valid_from: date
    valid_until: date
    status: str = "valid"
    edition: int = 1
    first_issued_on: date | None = None
    details: dict[str, Any] = field(default_factory=dict)  # address, legal representative … (not public)

    def __post_init__(self) -> None:
        if self.status not in STORED_STATUSES:
            raise ValueError(f"unknown stored licence status {self.status!r}")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")

    def item_for(self, category: str) -> LicenceItem | None:
        return next((item for item in self.items if item.category == category), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("issued_on", "valid_from", "valid_until", "first_issued_on"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Licence:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) else value

        return cls(number=data["number"], type_code=data["type_code"], holder_id=str(data["holder_id"]),
                   holder_name=data["holder_name"], holder_uscc=data["holder_uscc"],
                   items=tuple(LicenceItem(**i) if isinstance(i, dict) else i for i in data["items"]),
                   issued_on=day(data["issued_on"]), valid_from=day(data["valid_from"]),
                   valid_until=day(data["valid_until"]), status=data.get("status", "valid"),
                   edition=int(data.get("edition", 1)), first_issued_on=day(data.get("first_issued_on")),
                   details=dict(data.get("details") or {}))


def validity_until(business_type: BusinessType, valid_from: date) -> date:
    """The last valid day: ``validity_years`` after ``valid_from``, minus one day."""
    return add_years(valid_from, int(business_type.licence["validity_years"])) - timedelta(days=1)


def next_number(business_type: BusinessType, region: str, year: int, sequence: int) -> str:
    """The licence number for a type in its catalogue format.

    ``sequence`` is the caller's counter (per type and year; the service keeps it in its
    database). Format fields: ``{year}``, ``{yy}``, ``{seq}``, ``{region}`` (6-digit code),
    ``{region_digit}`` (the type's ``region_digits`` map, longest matching code prefix).
    """
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    digits = business_type.licence.get("region_digits") or {}
    region_digit = ""
    for prefix in sorted(digits, key=len, reverse=True):
        if region.startswith(prefix):
            region_digit = digits[prefix]
            break
    fmt = business_type.licence["number_format"]
    if "{region_digit" in fmt and not region_digit:
        raise ValueError(f"no region digit for region {region!r} in {business_type.code}")
    return fmt.format(year=year, yy=year % 100, seq=sequence, region=region, region_digit=region_digit)


def status_on(licence: Licence, today: date) -> str:
    """The live status: a stored non-valid status wins; a valid licence past its last day is expired."""
    if licence.status != "valid":
        return licence.status
    if today > licence.valid_until:
        return "expired"
    return "valid"


def public_fields(licence: Licence, business_type: BusinessType, today: date) -> dict[str, Any]:
    """What the public verify page may show: no ids, no contacts, no addresses, no people."""
    status = status_on(licence, today)
    return {
        "number": licence.number,
        "certificate_name": business_type.licence["certificate_name"],
        "type_name": business_type.name,
        "authority": business_type.authority,
        "holder_name": licence.holder_name,
        "holder_uscc": licence.holder_uscc,
        "items": [business_type.selection_label(item.category, item.grade) for item in licence.items],
        "issued_on": licence.issued_on.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat(),
        "edition": licence.edition,
        "status": status,
        "status_label": STATUS_LABELS[status],
    }


def with_status(licence: Licence, status: str) -> Licence:
    """A copy with a new stored status (suspend, revoke, replace, cancel, reinstate)."""
    return replace(licence, status=status)
