"""Request bodies and files for the journeys, built on tests/support's generators (valid check
digits, scans the content checks accept). Nothing here imports nameko or eventlet: the locust
process is gevent-patched and must never load them."""

from __future__ import annotations

import io
import random
import uuid
from typing import Any

from PIL import Image, ImageDraw

from tests.support.data import CIP_ITEMS, CIP_VALUES, random_mobile, registration
from tests.support.enterprise import profile, resident_id, scan_pdf, upload
from tests.support.personnel import photo_png

PASSWORD = "Qlp#load-2026"


def account() -> dict[str, str]:
    return {**registration(), "password": PASSWORD}


def registration_profile(tag: str) -> dict[str, Any]:
    scan = scan_pdf()
    return {**profile(f"内蒙古负载{tag}工程有限公司"), "files": {
        "business_licence": upload("营业执照.pdf", scan),
        "legal_rep_id": upload("法定代表人身份证.pdf", scan)}}


def staff_member(category: str, name: str, cert_kind: str | None) -> dict[str, Any]:
    person: dict[str, Any] = {
        "category": category, "name": name, "id_type": "resident_id", "id_number": resident_id(),
        "title": "工程师", "title_level": "intermediate", "skill_level": "intermediate",
        "specialty": "建筑工程", "years_experience": 10,
    }
    if cert_kind:
        person["certificates"] = [{"kind": cert_kind, "number": f"{cert_kind.upper()}-{uuid.uuid4().hex[:8]}",
                                   "valid_until": "2030-12-31"}]
    return person


def cip_draft() -> dict[str, Any]:
    return {"type_code": "cip_safety", "transaction_kind": "new", "items": CIP_ITEMS, "values": CIP_VALUES}


def signed_scan(pages: int) -> bytes:
    """A colour scan at 300 dpi of ``pages`` pages with a red seal (the signed 申报表)."""
    images = [Image.new("RGB", (600, 800), "white") for _ in range(max(pages, 1))]
    for image in images:
        ImageDraw.Draw(image).ellipse((350, 550, 550, 750), outline=(220, 0, 0), width=12)
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def material_scan() -> bytes:
    """A scanned material as personnel takes it: a jpg with some text-like strokes."""
    image = Image.new("RGB", (1240, 1754), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for row in range(20):
        draw.rectangle((120, 150 + row * 70, 1100 - (row % 5) * 90, 170 + row * 70), fill=(40, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def person(rng: random.Random) -> dict[str, str]:
    return {"name": rng.choice(["郑安全", "冯施工", "陈项目", "褚技术"]), "id_type": "resident_id",
            "id_number": resident_id(rng), "mobile": random_mobile(rng)}


def photo() -> bytes:
    return photo_png()


def rating(rng: random.Random) -> dict[str, Any]:
    return {"score": rng.choice([4, 5, 5]), "reasons": [], "comment": "办理顺利",
            "mobile": random_mobile(rng)}
