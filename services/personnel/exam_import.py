"""The exam-pass register's import (人社厅考试合格数据, issue 15 item 17): an Excel sheet of passes,
every row checked; what is refused comes back row by row with the reasons. Plain Python (openpyxl
reads the sheet), unit-tested.

Columns by their header (any order): 姓名, 身份证号 (or 证件号码), 专业, 资格证书编号, and optionally
考试合格日期 (or 合格日期). The specialties and the certificate number format are the level-2
constructor's (services/personnel/catalogue/certificate_types.yaml, constructor_2), which 初始注册 and
增项 check passes against."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.common.validators import RESIDENT_ID, id_number_problem, normalise_id_number

HEADERS = {"姓名": "name", "身份证号": "id_number", "身份证号码": "id_number", "证件号码": "id_number",
           "专业": "specialty", "资格证书编号": "certificate_number", "考试合格日期": "passed_on",
           "合格日期": "passed_on"}
REQUIRED = ("id_number", "specialty", "certificate_number")
LABELS = {"name": "姓名", "id_number": "身份证号", "specialty": "专业", "certificate_number": "资格证书编号",
          "passed_on": "考试合格日期"}
MAX_ROWS = 5000
XLSX_MAGIC = b"PK\x03\x04"


class SheetError(ValueError):
    """The file as a whole cannot be read (not an Excel file, no header, too many rows)."""


@dataclass
class Checked:
    passes: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)   # {row, values, errors}


def read_sheet(data: bytes) -> list[tuple[Any, ...]]:
    """The first sheet's rows (header first); SheetError if it is not an .xlsx or too long."""
    if not data.startswith(XLSX_MAGIC):
        raise SheetError("请上传Excel文件（.xlsx）")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or disguised file
        raise SheetError("Excel文件无法读取，请检查文件") from exc
    rows = [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    if len(rows) - 1 > MAX_ROWS:
        raise SheetError(f"每次最多导入{MAX_ROWS}行，请分批导入")
    return rows


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def check_rows(rows: list[tuple[Any, ...]], specialties: list[str], number_pattern: str,
               today: date) -> Checked:
    """Header → columns; each row valid (a pass) or rejected with its reasons (Excel row numbers)."""
    if not rows:
        raise SheetError("文件中没有数据")
    columns = {i: HEADERS[_text(h)] for i, h in enumerate(rows[0]) if _text(h) in HEADERS}
    missing = [LABELS[name] for name in REQUIRED if name not in columns.values()]
    if missing:
        raise SheetError(f"表头缺少：{'、'.join(missing)}（第1行应为列名）")
    pattern = re.compile(number_pattern)
    out, seen = Checked(), {}
    for offset, row in enumerate(rows[1:], start=2):
        values = {name: row[i] if i < len(row) else None for i, name in columns.items()}
        if not any(_text(v) for v in values.values()):
            continue  # an empty line
        errors: list[str] = []
        id_number = normalise_id_number(RESIDENT_ID, _text(values.get("id_number")))
        problem = id_number_problem(RESIDENT_ID, id_number, today)
        if problem is not None:
            errors.append(f"身份证号：{problem[1]}")
        specialty = _text(values.get("specialty"))
        if specialty not in specialties:
            errors.append(f"专业：应为{'、'.join(specialties)}之一")
        number = _text(values.get("certificate_number")).upper()
        if not pattern.fullmatch(number):
            errors.append("资格证书编号：格式不正确（如NMG1234567）")
        passed_on = None
        try:
            passed_on = _date(values.get("passed_on"))
            if passed_on is not None and passed_on > today:
                errors.append("考试合格日期：不能晚于今天")
        except ValueError:
            errors.append("考试合格日期：应为日期（YYYY-MM-DD）")
        key = (id_number, specialty, number)
        if not errors and key in seen:
            errors.append(f"与第{seen[key]}行重复")
        shown = {LABELS[k]: _text(v) for k, v in values.items()}
        if errors:
            out.rejected.append({"row": offset, "values": shown, "errors": errors})
            continue
        seen[key] = offset
        out.passes.append({"id_number": id_number, "specialty": specialty, "certificate_number": number,
                           "name": _text(values.get("name")) or None, "passed_on": passed_on})
    return out


def parse_sheet(data: bytes, specialties: list[str], number_pattern: str, today: date) -> dict[str, Any]:
    """The render job (a worker process of personnel's render pool): {"passes", "rejected"}, or
    {"error"} when the file as a whole cannot be read."""
    try:
        checked = check_rows(read_sheet(data), specialties, number_pattern, today)
    except SheetError as exc:
        return {"error": str(exc)}
    return {"passes": checked.passes, "rejected": checked.rejected}
