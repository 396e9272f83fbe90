"""Helpers for the personnel integration tests: people that pass the real validators, files the
content checks accept, the commitment letter and report, and review driven like a reviewer."""

from __future__ import annotations

import io
import random
import time
import uuid
from typing import Any

from PIL import Image
from sqlalchemy import text

from tests.support.enterprise import resident_id, scan_pdf, upload
from tests.support.waiting import wait_for

ADMIN = {
    "id": str(uuid.uuid4()),
    "kind": "admin",
    "level": "province",
    "region_code": "150000",
    "permissions": [],
    "enterprise_id": None,
}


def reviewer(level: str, region: str, name: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "reviewer",
        "level": level,
        "region_code": region,
        "permissions": [],
        "enterprise_id": None,
        "name": name,
    }


def person_data(name: str = "张建国", rng: random.Random | None = None) -> dict[str, str]:
    return {
        "name": name,
        "id_type": "resident_id",
        "id_number": resident_id(rng),
        "mobile": "139" + "".join(random.choice("0123456789") for _ in range(8)),
        "education": "bachelor",
        "title": "工程师",
        "title_level": "intermediate",
    }


def photo_png() -> bytes:
    """A small ID photo on a plain white background."""
    image = Image.new("RGB", (300, 400), "white")
    for x in range(110, 190):
        for y in range(120, 260):
            image.putpixel((x, y), (60, 40, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def qualification_number() -> str:
    return "NMG" + "".join(random.choice("0123456789") for _ in range(7))


def upload_required(cluster: Any, actor: dict, declaration: dict) -> dict:
    """Every required attachment of the declaration: the photo as a PNG, the rest as PDF scans."""
    view = declaration
    for spec in declaration["required_attachments"]:
        if spec["required"] and not spec["uploaded"]:
            data = (
                upload("照片.png", photo_png())
                if spec["photo"]
                else upload(f"{spec['name']}.pdf", scan_pdf())
            )
            view = cluster.personnel.upload_declaration_attachment(
                actor, declaration["id"], spec["code"], data
            )
    return view


def report(cluster: Any, actor: dict, seconds: float, form_key: str | None = None, **scope: Any) -> dict:
    """Open the commitment letter, wait the required seconds, confirm and report."""
    letter = cluster.personnel.open_commitment(actor, scope)
    time.sleep(seconds + 0.3)
    return cluster.personnel.report(
        actor,
        {
            **scope,
            "commitment_token": letter["token"],
            "confirmed": True,
            "form_key": form_key or uuid.uuid4().hex,
        },
    )


def case_id_of(engines: Any, case_ref: str, revision: int = 1) -> str:
    db = engines("review")

    def row() -> Any:
        with db.connect() as conn:
            return conn.execute(
                text("select id from cases where case_ref = :r and revision >= :v"),
                {"r": case_ref, "v": revision},
            ).scalar()

    return str(wait_for(row, what=f"review case {case_ref} revision {revision}"))


def status_becomes(cluster: Any, actor: dict, declaration_id: str, status: str, timeout: float = 60) -> dict:
    return wait_for(
        lambda: (v := cluster.personnel.get_declaration(actor, declaration_id))["status"] == status and v,
        timeout=timeout,
        what=f"declaration {declaration_id} to become {status}",
    )
