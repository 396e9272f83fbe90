"""CIP 旧数据导入: enterprises, staff and certificates from a legacy Excel/CSV export.

    python -m services.enterprise.importer staff.xlsx [--report rejected.csv]

One row is one person of one enterprise (with at most one certificate; a person's further
certificates come as further rows with the same USCC + ID number). Idempotent: rows are
keyed by USCC + ID number, so a second run of the same file changes nothing. Imported
enterprises and people are marked ``imported`` and ``needs_completion`` (信息补录) until a
clerk completes them. Rejected rows go to the report with the reason. This is the
enterprise service's own command: it writes the enterprise database directly, through the
same models, and announces changes through the service's outbox (records_changed).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from services.common import audit
from services.common.database import UnitOfWork
from services.common.validators import uscc_error
from services.enterprise import domain
from services.enterprise.events import RECORDS_CHANGED
from services.enterprise.models import (
    Attachment,
    ChangeHistory,
    ChangeRequest,
    Enterprise,
    Equipment,
    Project,
    Shareholder,
    Staff,
)

NAMESPACE = uuid.UUID("6f1c3f5e-3b59-4c2c-9a44-1f0e8f6c2a10")  # imported enterprises' ids
BATCH_ROWS = 500
MAX_PAGE_ROWS = 50_000  # the admin page's import (services/enterprise/usecases/legacy_import.py)
# Column headers (the legacy export's Chinese ones, or these keys)
HEADERS = {
    "统一社会信用代码": "uscc", "企业名称": "enterprise_name", "企业类型": "enterprise_type",
    "法定代表人": "legal_representative", "注册地址": "registered_address", "所属地区代码": "region_code",
    "人员类别": "category", "姓名": "name", "证件类型": "id_type", "证件号码": "id_number",
    "职称": "title", "职称等级": "title_level", "技能等级": "skill_level", "专业": "specialty",
    "工作年限": "years_experience", "证书类别": "certificate_kind", "证书编号": "certificate_number",
    "证书专业": "certificate_specialty", "证书有效期": "certificate_valid_until",
}
COLUMNS = list(dict.fromkeys(HEADERS.values()))
_BY_LABEL = {
    "category": {v: k for k, v in domain.STAFF_CATEGORIES.items()},
    # Legacy files also use the short names clerks say (电工证, 造价师).
    "certificate_kind": {**{v: k for k, v in domain.CERTIFICATE_KINDS.items()},
                         "电工证": "electrician", "造价师": "cost_engineer"},
    "enterprise_type": {v: k for k, v in domain.ENTERPRISE_TYPES.items()},
    "id_type": {v: k for k, v in domain.ID_TYPES.items()},
    "title_level": {v: k for k, v in domain.LEVELS.items()},
    "skill_level": {v: k for k, v in domain.LEVELS.items()},
}


@dataclass
class Outcome:
    rows: int = 0
    enterprises_created: int = 0
    staff_created: int = 0
    staff_updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.enterprises_created + self.staff_created + self.staff_updated


# ---- reading ---------------------------------------------------------------------------------
def _normalise_header(value: object) -> str:
    text = str(value or "").strip().lstrip("*").strip()
    return HEADERS.get(text, text)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(file row number, values by column key); the header is row 1."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _sheet_rows(path)
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [_normalise_header(v) for v in next(reader, [])]
        for number, values in enumerate(reader, start=2):
            yield number, {k: _cell(v) for k, v in zip(header, values, strict=False)}


def _sheet_rows(source: Path | BinaryIO) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(source, read_only=True, data_only=True)
    sheet = workbook.active
    rows = sheet.iter_rows(values_only=True)
    header = [_normalise_header(v) for v in next(rows, [])]
    for number, values in enumerate(rows, start=2):
        if any(v not in (None, "") for v in values):
            yield number, {k: _cell(v) for k, v in zip(header, values, strict=False)}
    workbook.close()


def parse_xlsx(data: bytes) -> dict[str, Any]:
    """The admin page's render job (a worker process of enterprise's render pool, never the
    eventlet process): {"rows": [(row number, values)]}, or {"error"} for a file it cannot read."""
    try:
        rows = list(_sheet_rows(io.BytesIO(data)))
    except Exception:  # a damaged or disguised file
        return {"error": "Excel文件无法读取，请检查文件"}
    if not rows:
        return {"error": "文件中没有数据"}
    if len(rows) > MAX_PAGE_ROWS:
        return {"error": f"每次最多导入{MAX_PAGE_ROWS}行，请分批导入"}
    if rows and not {"uscc", "id_number"} <= set(rows[0][1]):
        return {"error": "表头缺少统一社会信用代码或证件号码（第1行应为列名）"}
    return {"rows": rows}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _code(column: str, value: str) -> str:
    return _BY_LABEL.get(column, {}).get(value, value)


# ---- one row -------------------------------------------------------------------------------
def check_row(values: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    """The cleaned person (+ enterprise fields), or the reason the row is rejected."""
    uscc = values.get("uscc", "").upper()
    problem = uscc_error(uscc)
    if problem:
        return {}, {"length": "统一社会信用代码应为18位", "characters": "统一社会信用代码含有无效字符",
                    "check_digit": "统一社会信用代码校验位不正确"}[problem]
    person = {
        "category": _code("category", values.get("category", "")), "name": values.get("name"),
        "id_type": _code("id_type", values.get("id_type", "")) or "resident_id",
        "id_number": values.get("id_number"), "title": values.get("title"),
        "title_level": _code("title_level", values.get("title_level", "")) or None,
        "skill_level": _code("skill_level", values.get("skill_level", "")) or None,
        "specialty": values.get("specialty"), "years_experience": values.get("years_experience"),
        "certificates": [],
    }
    if values.get("certificate_kind") or values.get("certificate_number"):
        person["certificates"] = [{
            "kind": _code("certificate_kind", values.get("certificate_kind", "")),
            "number": values.get("certificate_number"), "specialty": values.get("certificate_specialty"),
            "valid_until": values.get("certificate_valid_until")}]
    cleaned, errors = domain.clean_staff(person)
    if errors:
        first = next(iter(errors.items()))
        label = {"category": "人员类别", "name": "姓名", "id_number": "证件号码", "id_type": "证件类型",
                 "years_experience": "工作年限", "title_level": "职称等级", "skill_level": "技能等级"}.get(
            first[0].split(".")[0], "证书" if first[0].startswith("certificates") else first[0])
        return {}, f"{label}：{first[1][0]['message']}"
    enterprise = {"uscc": uscc, "name": values.get("enterprise_name") or None,
                  "enterprise_type": _code("enterprise_type", values.get("enterprise_type", "")) or None,
                  "legal_representative": values.get("legal_representative") or None,
                  "registered_address": values.get("registered_address") or None,
                  "region_code": values.get("region_code") or None}
    if enterprise["enterprise_type"] and enterprise["enterprise_type"] not in domain.ENTERPRISE_TYPES:
        enterprise["enterprise_type"] = "other"
    if enterprise["region_code"] and enterprise["region_code"] not in domain.regions():
        enterprise["region_code"] = None
    if not enterprise["name"]:
        return {}, "企业名称：此项为必填项"
    return {"enterprise": enterprise, "person": cleaned}, None


def imported_id(uscc: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, uscc)


# ---- the import -------------------------------------------------------------------------------
class Importer:
    def __init__(self, session_factory: sessionmaker, progress: TextIO | None = None) -> None:
        self.session_factory = session_factory
        self.progress = progress

    def run(self, path: Path) -> Outcome:
        rows = list(read_rows(path))
        outcome = Outcome(rows=len(rows))
        seen: dict[tuple[str, str], tuple[int, str, str]] = {}  # (uscc, id) -> (row, name, category)
        for start in range(0, len(rows), BATCH_ROWS):
            self._batch(rows[start:start + BATCH_ROWS], outcome, seen)
            self._show(min(start + BATCH_ROWS, len(rows)), len(rows))
        if self.progress is not None:
            self.progress.write("\n")
        return outcome

    def _show(self, done: int, total: int) -> None:
        if self.progress is None or not total:
            return
        width = 40
        filled = round(width * done / total)
        self.progress.write(f"\r导入进度 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.progress.flush()

    def import_batch(self, rows: list[tuple[int, dict[str, str]]], outcome: Outcome,
                     seen: dict[tuple[str, str], tuple[int, str, str]]) -> None:
        """One batch of file rows, committed (the admin page's job drives the batches)."""
        self._batch(rows, outcome, seen)

    def _batch(self, rows: list[tuple[int, dict[str, str]]], outcome: Outcome,
               seen: dict[tuple[str, str], tuple[int, str, str]]) -> None:
        with self.session_factory() as session:
            uow = UnitOfWork(session, "enterprise", None)
            touched: dict[uuid.UUID, Enterprise] = {}
            cache: dict[uuid.UUID, dict[str, Staff]] = {}
            for number, values in rows:
                checked, reason = check_row(values)
                if reason is None:
                    key = (checked["enterprise"]["uscc"], checked["person"]["id_number"])
                    earlier = seen.get(key)
                    person = checked["person"]
                    if earlier and (earlier[1] != person["name"] or earlier[2] != person["category"]):
                        reason = f"证件号码与文件第{earlier[0]}行（{earlier[1]}）重复"
                    else:
                        seen.setdefault(key, (number, person["name"], person["category"]))
                if reason is not None:
                    outcome.rejected.append({"row": number, "uscc": values.get("uscc", ""),
                                             "name": values.get("name", ""),
                                             "id_number": values.get("id_number", ""), "reason": reason})
                    continue
                enterprise = self._enterprise(session, checked["enterprise"], outcome)
                staff = cache.get(enterprise.id)
                if staff is None:
                    staff = {s.id_number: s for s in session.scalars(
                        select(Staff).where(Staff.enterprise_id == enterprise.id))}
                    cache[enterprise.id] = staff
                result = self._person(session, enterprise, staff, checked["person"])
                if result == "unchanged":
                    outcome.unchanged += 1
                else:
                    touched[enterprise.id] = enterprise
                    if result == "created":
                        outcome.staff_created += 1
                    else:
                        outcome.staff_updated += 1
            for enterprise in touched.values():
                enterprise.records_version = (enterprise.records_version or 0) + 1
                session.add(ChangeHistory(enterprise_id=enterprise.id, actor_id=None, section="staff",
                                          action="import", field=None, old_value=None,
                                          new_value="旧数据导入"))
                uow.add_event(RECORDS_CHANGED, {"enterprise_id": enterprise.id,
                                                "records_version": enterprise.records_version,
                                                "sections": ["basic", "staff"]})
                audit.record(session, "enterprise.legacy_import", subject_id=str(enterprise.id),
                             uscc=enterprise.uscc)
            uow.commit()

    def _enterprise(self, session: Session, data: dict[str, Any], outcome: Outcome) -> Enterprise:
        existing = session.scalars(select(Enterprise).where(Enterprise.uscc == data["uscc"])).first()
        if existing is not None:
            return existing
        row = Enterprise(id=imported_id(data["uscc"]), profile_status="draft", records_version=0,
                         imported=True, needs_completion=True, **data)
        session.add(row)
        session.flush()
        outcome.enterprises_created += 1
        return row

    def _person(self, session: Session, enterprise: Enterprise, staff: dict[str, Staff],
                person: dict[str, Any]) -> str:
        row = staff.get(person["id_number"])
        if row is None:
            category = person["category"]
            next_row = 1 + max((s.row_no for s in staff.values() if s.category == category), default=0)
            row = Staff(enterprise_id=enterprise.id, row_no=next_row, imported=True, needs_completion=True,
                        **person)
            session.add(row)
            staff[person["id_number"]] = row
            return "created"
        known = {(c.get("kind"), c.get("number")) for c in row.certificates or []}
        new = [c for c in person["certificates"] if (c["kind"], c["number"]) not in known]
        if not new:
            return "unchanged"  # the imported record is kept as it is (a clerk may have completed it)
        row.certificates = [*(row.certificates or []), *new]
        return "updated"


def rekey(session: Session, old_id: uuid.UUID, new_id: uuid.UUID) -> None:
    """Give an imported enterprise (and everything it owns) the id of the account that registered."""
    old = session.get(Enterprise, old_id)
    if old is None:
        return
    columns = {c.key: getattr(old, c.key) for c in Enterprise.__table__.columns if c.key != "id"}
    uscc = columns.pop("uscc")
    session.add(Enterprise(id=new_id, uscc="~" + new_id.hex[:17], **columns))
    session.flush()
    for model in (Staff, Project, Equipment, Shareholder, Attachment, ChangeRequest, ChangeHistory):
        session.execute(update(model).where(model.enterprise_id == old_id).values(enterprise_id=new_id))
    session.execute(update(Enterprise).where(Enterprise.parent_enterprise_id == old_id)
                    .values(parent_enterprise_id=new_id))
    session.delete(old)
    session.flush()
    session.execute(update(Enterprise).where(Enterprise.id == new_id).values(uscc=uscc))
    audit.record(session, "enterprise.imported_adopted", subject_id=str(new_id), old_id=str(old_id),
                 uscc=uscc)


def write_report(path: Path, rejected: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["row", "uscc", "name", "id_number", "reason"])
        writer.writerow({"row": "行号", "uscc": "统一社会信用代码", "name": "姓名", "id_number": "证件号码",
                         "reason": "原因"})
        writer.writerows(rejected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.enterprise.importer",
                                     description="CIP 旧数据导入：企业、人员及证书（.xlsx 或 .csv）")
    parser.add_argument("file", type=Path)
    parser.add_argument("--report", type=Path, default=None,
                        help="rejected rows with the reason (CSV); default: <file>.rejected.csv")
    args = parser.parse_args(argv)
    from services.common.config import database_url, load_config
    from services.common.database import make_engine

    engine = make_engine(database_url(load_config(), "enterprise"), pool_size=2)
    try:
        outcome = Importer(sessionmaker(engine, expire_on_commit=False), progress=sys.stderr).run(args.file)
    finally:
        engine.dispose()
    report = args.report or args.file.with_suffix(".rejected.csv")
    write_report(report, outcome.rejected)
    print(f"共{outcome.rows}行：新增企业{outcome.enterprises_created}家，新增人员{outcome.staff_created}人，"
          f"补充证书{outcome.staff_updated}人，无变化{outcome.unchanged}行，"
          f"拒绝{len(outcome.rejected)}行（原因见 {report}）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
