"""The exam-pass register's import: each row checked, refused rows reported with their reasons
(issue 15, item 17)."""

import io
from datetime import date

import pytest
from openpyxl import Workbook

from services.personnel.exam_import import SheetError, check_rows, read_sheet

SPECIALTIES = ["建筑工程", "公路工程"]
PATTERN = r"^NMG\d{7}$"
TODAY = date(2026, 12, 6)
HEADER = ("姓名", "身份证号", "专业", "资格证书编号", "考试合格日期")
GOOD_ID = "11010519491231002X"


def check(*rows):
    return check_rows([HEADER, *rows], SPECIALTIES, PATTERN, TODAY)


def test_good_rows_become_passes_and_bad_rows_are_reported_with_reasons():
    out = check(("张三", GOOD_ID.lower(), "建筑工程", "nmg1234567", "2025-06-01"),
                ("李四", "110105194912310021", "建筑工程", "NMG1234568", None),
                ("王五", GOOD_ID, "铁路工程", "ABC", "2030-01-01"),
                (None, None, None, None, None),
                ("张三", GOOD_ID, "建筑工程", "NMG1234567", "2025-06-01"))
    assert out.passes == [{"id_number": GOOD_ID, "specialty": "建筑工程", "certificate_number": "NMG1234567",
                           "name": "张三", "passed_on": date(2025, 6, 1)}]
    rows = {r["row"]: r for r in out.rejected}
    assert set(rows) == {3, 4, 6}  # Excel rows; the empty line 5 is skipped
    assert rows[3]["errors"][0].startswith("身份证号：")
    assert len(rows[4]["errors"]) == 3 and rows[4]["values"]["姓名"] == "王五"
    assert rows[6]["errors"] == ["与第2行重复"]


def test_a_sheet_without_the_required_columns_is_refused_as_a_whole():
    with pytest.raises(SheetError, match="专业"):
        check_rows([("姓名", "身份证号", "资格证书编号")], SPECIALTIES, PATTERN, TODAY)
    with pytest.raises(SheetError):
        read_sheet(b"%PDF-1.4 not a sheet")


def test_an_excel_file_is_read_header_first():
    book = Workbook()
    book.active.append(list(HEADER))
    book.active.append(["张三", GOOD_ID, "公路工程", "NMG7654321", date(2024, 5, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_sheet(buffer.getvalue())
    out = check_rows(rows, SPECIALTIES, PATTERN, TODAY)
    assert [p["passed_on"] for p in out.passes] == [date(2024, 5, 1)] and out.rejected == []
