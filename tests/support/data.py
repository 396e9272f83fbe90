"""Test data that passes the real validators (built with the standards' own check digits)."""

from __future__ import annotations

import random
import uuid

from services.common.validators import USCC_ALPHABET, uscc_check_character


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
