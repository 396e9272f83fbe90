"""Excel export of registered staff (REG 注册人员查询 → 导出). Pure: rows in, ``.xlsx`` bytes out.

- Chinese headers (:data:`COLUMNS`), a bold header row frozen at the top, an auto-filter.
- Column widths from the widest cell, counting CJK (East Asian wide/full-width) characters as
  two units and everything else as one, plus padding; capped at :data:`MAX_WIDTH`.
- ID numbers, certificate numbers and mobiles are written as text (never as numbers: an
  18-digit ID would lose digits); dates as real Excel dates (``yyyy-mm-dd``).
- Cell text that looks like a formula (``=``, ``+``, ``-``, ``@``) is stored as a string, never
  a formula; characters XML cannot hold are dropped.
- :func:`export_filename` and :func:`download_headers` give a UTF-8 download name
  (``services.common.storage.content_disposition``: ``filename*=UTF-8''…`` plus an ASCII fallback).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from services.common.storage import content_disposition
from services.personnel.domain import GENDERS, ID_TYPES

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
PADDING = 2
SHEET_TITLE = "注册人员"

# (key, header, kind): kind "text" (always a string) or "date".
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name", "姓名", "text"),
    ("gender", "性别", "text"),
    ("id_type", "证件类型", "text"),
    ("id_number", "证件号码", "text"),
    ("certificate_type", "证书类型", "text"),
    ("class_code", "人员类别", "text"),
    ("registration_number", "注册编号", "text"),
    ("qualification_number", "资格证书编号", "text"),
    ("certificate_number", "证书编号", "text"),
    ("specialties", "注册专业", "text"),
    ("issued_on", "发证日期", "date"),
    ("valid_until", "有效期至", "date"),
    ("status", "证书状态", "text"),
    ("enterprise_name", "聘用企业", "text"),
    ("mobile", "手机号码", "text"),
)
STATUS_LABELS = {"valid": "有效", "expired": "已过期", "lapsed": "已失效", "cancelled": "已注销",
                 "transferring": "调转中", "declared": "申报中"}
_LABELS = {"gender": GENDERS, "id_type": ID_TYPES, "status": STATUS_LABELS}


def display_width(text: str) -> int:
    """Width in Excel character units: wide/full-width (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def cell_value(key: str, kind: str, value: Any) -> Any:
    """The value written for one field (None for empty)."""
    if value is None or value == "" or value == []:
        return None
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])
    if isinstance(value, (list, tuple)):
        value = "、".join(str(v) for v in value)
    text = str(value)
    text = _LABELS.get(key, {}).get(text, text)
    return _clean(text)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value)


def export_people(rows: Iterable[Mapping[str, Any]],
                  columns: tuple[tuple[str, str, str], ...] = COLUMNS) -> bytes:
    """An ``.xlsx`` workbook of the rows (one per certificate registration) as bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    widths = [display_width(header) for _, header, _ in columns]
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (_, header, _) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=header)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    row_number = 1
    for row in rows:
        row_number += 1
        for index, (key, _, kind) in enumerate(columns, start=1):
            value = cell_value(key, kind, row.get(key))
            cell = ws.cell(row=row_number, column=index)
            cell.value = value
            if kind == "date" and value is not None:
                cell.number_format = DATE_FORMAT
            elif isinstance(value, str):
                cell.data_type = "s"  # "=..." stays text, never a formula
                cell.number_format = "@"
            widths[index - 1] = max(widths[index - 1], display_width(_shown(value)))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, width + PADDING)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(row_number, 1)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_filename(today: date, title: str = "注册人员") -> str:
    return f"{title}_{today.isoformat()}.xlsx"


def download_headers(filename: str) -> dict[str, str]:
    """HTTP headers for the download, the UTF-8 name intact in every current browser."""
    return {"Content-Type": XLSX_CONTENT_TYPE, "Content-Disposition": content_disposition(filename)}
