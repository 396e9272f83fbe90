"""Test data that passes the real validators (built with the standards' own check digits)."""

from __future__ import annotations

import random
import uuid

from services.common.validators import USCC_ALPHABET, resident_id_check_character, uscc_check_character


def random_uscc(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    body = "91150100" + "".join(rng.choice(USCC_ALPHABET[:10]) for _ in range(9))
    return body + uscc_check_character(body)


def random_mobile(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def registration(rng: random.Random | None = None) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "uscc": random_uscc(rng),
        "contact_name": "测试联系人",
        "contact_mobile": random_mobile(rng),
        "email": f"clerk-{tag}@example.com",
        "password": "Qlp#2026-" + tag,
    }


def random_resident_id(rng: random.Random | None = None) -> str:
    """A GB 11643 resident ID number (呼和浩特 150102, born 1970-1999) with its check character."""
    rng = rng or random.Random()
    body = (f"150102{rng.randint(1970, 1999)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 999):03d}")
    return body + resident_id_check_character(body)


def person_registration(rng: random.Random | None = None) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "name": "王个人",
        "id_type": "resident_id",
        "id_number": random_resident_id(rng),
        "mobile": random_mobile(rng),
        "email": f"person-{tag}@example.com",
        "password": "Qlp#2026-" + tag,
    }


# The CIP 安全生产许可 application every permits test and the load tier use (no nameko imports
# here: the load tier's locust process reads it too).
CIP_ITEMS = [{"category": "construction", "grade": "不分级"}]
CIP_VALUES = {
    "legal_representative": "张三",
    "address": "呼和浩特市新城区新华大街1号（010010）",
    "contact_phone": "04711234567",
    "email": "safety@example.com",
    "average_staff": "120",
    "qualification": "建筑工程施工总承包三级",
    "first_issued_on": "2015-06-01",
}
# The roster that meets the CIP 安全生产许可 standards: (category, name, certificate kind).
CIP_STAFF = [
    ("technical_lead", "王主要", "safety_a"),
    ("technical_staff", "赵项目", "safety_b"),
    ("safety_lead", "钱安全", "safety_c"),
    ("safety_lead", "孙安全", "safety_c"),
    ("electrician", "李电工", None),
]
