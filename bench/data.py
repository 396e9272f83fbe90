"""Unique, valid registration payloads for the write path.

The USCC and mobile logic is the small generator of tests/support/data.py (copied, so
the bench does not import from tests): real check characters, so every request passes
validation and does the full work (argon2id hash, insert, outbox, event).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from services.common.validators import USCC_ALPHABET, uscc_check_character

EMAIL_DOMAIN = "bench.example.com"


def random_uscc(rng: random.Random) -> str:
    body = "91150100" + "".join(rng.choice(USCC_ALPHABET[:10]) for _ in range(9))
    return body + uscc_check_character(body)


def random_mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def email_prefix(run_id: str, phase: str) -> str:
    """Every e-mail of one run's phase starts with this: how the lag query finds its events."""
    return f"bench-{run_id}-{phase}-"


def registration(rng: random.Random, run_id: str, phase: str, index: int) -> dict[str, str]:
    tag = f"{index:06d}"
    return {
        "uscc": random_uscc(rng),
        "contact_name": "压测联系人",
        "contact_mobile": random_mobile(rng),
        "email": f"{email_prefix(run_id, phase)}{tag}@{EMAIL_DOMAIN}",
        "password": f"Qlp#Bench-{run_id[:4]}{tag}",
    }


def write_payload_file(path: Path, count: int, run_id: str, phase: str,
                       seen: set[str] | None = None) -> Path:
    """count JSON bodies, one a line, no USCC or mobile repeated (within this run: seen)."""
    rng = random.Random()
    seen = set() if seen is None else seen
    lines: list[str] = []
    while len(lines) < count:
        body = registration(rng, run_id, phase, len(lines))
        if body["uscc"] in seen or body["contact_mobile"] in seen:
            continue
        seen.update((body["uscc"], body["contact_mobile"]))
        lines.append(json.dumps(body, ensure_ascii=True, separators=(",", ":")))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path
