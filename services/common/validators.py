"""Validators for Chinese identifiers, each returning an error code or None.

USCC: GB 32100-2015. Resident ID number: GB 11643-1999. The ID documents a person may use
(身份证 / 军官证 / 警官证 / 护照) with their Chinese messages, for personnel and identity.
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


# ---- ID documents of people (person records in personnel, person accounts in identity) --------
RESIDENT_ID, OFFICER_ID, POLICE_ID, PASSPORT = "resident_id", "officer_id", "police_id", "passport"
ID_TYPES = {RESIDENT_ID: "身份证", OFFICER_ID: "军官证", POLICE_ID: "警官证", PASSPORT: "护照"}

RESIDENT_ID_MESSAGES = {
    "length": "身份证号应为18位",
    "characters": "身份证号前17位应为数字，最后一位为数字或X",
    "birth_date": "身份证号中的出生日期不是有效日期",
    "check_digit": "身份证号校验位不正确（GB 11643-1999），请核对",
}
# Formats of the other ID documents (plausible: no published format was found; the checks only
# keep obvious typing errors out). 军官证: "南字第1234567号"; 警官证: 6-8 digit number, optionally
# with its issuing prefix; 护照: 5-17 letters/digits with at least one digit (Chinese ordinary
# passports: E + 8 digits or E + letter + 7 digits; foreign passports vary).
OTHER_ID_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    OFFICER_ID: (re.compile(r"[\u4e00-\u9fa5]{1,4}字第\d{6,8}号"),
                 "军官证号格式应为“X字第NNNNNNN号”（6-8位数字）"),
    POLICE_ID: (re.compile(r"(?:[\u4e00-\u9fa5]{1,6})?\d{6,8}"),
                "警官证号应为6-8位数字（可带发证机关简称）"),
    PASSPORT: (re.compile(r"(?=[A-Z]*\d)[A-Z0-9]{5,17}"), "护照号应为5-17位字母或数字"),
}
NAME_PATTERN = re.compile(r"[\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z·• .'-]{0,38}[\u4e00-\u9fa5A-Za-z.]")


def normalise_id_number(id_type: str, number: str) -> str:
    number = re.sub(r"\s+", "", number or "")
    if id_type in (RESIDENT_ID, PASSPORT):
        return number.upper()
    return number


def id_number_problem(id_type: str, number: str, today: date | None = None) -> tuple[str, str] | None:
    """``(code, Chinese message)`` when the number is not valid for its ID type, else None."""
    if id_type not in ID_TYPES:
        return "id_type", f"证件类型只能是{'、'.join(ID_TYPES.values())}之一"
    number = normalise_id_number(id_type, number)
    if not number:
        return "required", f"请填写{ID_TYPES[id_type]}号码"
    if id_type == RESIDENT_ID:
        code = resident_id_error(number, today)
        return None if code is None else (code, RESIDENT_ID_MESSAGES[code])
    pattern, message = OTHER_ID_FORMATS[id_type]
    return None if pattern.fullmatch(number) else ("format", message)
