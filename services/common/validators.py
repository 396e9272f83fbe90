"""Validators for Chinese identifiers, each returning an error code or None.

USCC: GB 32100-2015. Resident ID number: GB 11643-1999.
"""

from __future__ import annotations

import re
from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"
MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}")


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    """None when valid, else one of: length, characters, check_digit."""
    if len(value) != 18:
        return "length"
    if any(ch not in USCC_ALPHABET for ch in value):
        return "characters"
    if uscc_check_character(value[:17]) != value[17]:
        return "check_digit"
    return None


def resident_id_check_character(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def resident_id_error(value: str, today: date | None = None) -> str | None:
    """None when valid, else one of: length, characters, birth_date, check_digit."""
    value = value.upper()
    if len(value) != 18:
        return "length"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "characters"
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "birth_date"
    if birth > (today or date.today()):
        return "birth_date"
    if resident_id_check_character(value[:17]) != value[17]:
        return "check_digit"
    return None


def is_mobile(value: str) -> bool:
    return MOBILE_PATTERN.fullmatch(value) is not None


def is_email(value: str) -> bool:
    return len(value) <= 254 and EMAIL_PATTERN.fullmatch(value) is not None
