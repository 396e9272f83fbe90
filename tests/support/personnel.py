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

from tests.support.actors import reviewer as reviewer  # the actors RPC tests take
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


def imported_from_old_system(cluster: Any, actor: dict, person: dict) -> None:
    """The enterprise's legacy import (CIP 旧数据导入, the admin command's Importer on the real
    enterprise database) brought this person: 信息补录 is open to the enterprise for them."""
    records = cluster.enterprise.records_for_precheck(None, actor["id"])
    legacy_import_row(records["uscc"], records["name"], person["name"], person["id_number"])


def imported_person(person_id: str) -> None:
    """The same for a person already created (by id): their creator's legacy import brought them."""
    from services.common.config import database_url
    from services.common.database import make_engine
    from tests.support import platform

    config = platform.test_config()
    found = {}
    for component, sql in (
        ("personnel", "select name, id_number, created_by_enterprise_id as eid from people where id = :id"),
        ("enterprise", "select uscc, name as ename from enterprises where id = :eid"),
    ):
        engine = make_engine(database_url(config, component), pool_size=1)
        try:
            with engine.connect() as conn:
                params = {"id": person_id, "eid": found.get("eid")}
                found.update(conn.execute(text(sql), params).mappings().one())
        finally:
            engine.dispose()
    legacy_import_row(found["uscc"], found["ename"], found["name"], found["id_number"])


def legacy_import_row(uscc: str, enterprise_name: str | None, name: str, id_number: str) -> None:
    """One staff row through the real Importer (services/enterprise/importer.py)."""
    import csv
    import tempfile
    from pathlib import Path

    from sqlalchemy.orm import sessionmaker

    from services.common.config import database_url
    from services.common.database import make_engine
    from services.enterprise.importer import Importer
    from tests.support import platform

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "staff.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["统一社会信用代码", "企业名称", "人员类别", "姓名", "证件类型", "证件号码"])
            writer.writerow([uscc, enterprise_name or "旧数据企业", "专业技术人员", name, "居民身份证",
                             id_number])
        engine = make_engine(database_url(platform.test_config(), "enterprise"), pool_size=1)
        try:
            outcome = Importer(sessionmaker(engine, expire_on_commit=False)).run(path)
        finally:
            engine.dispose()
    assert not outcome.rejected, outcome.rejected
