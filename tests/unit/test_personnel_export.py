import io
import random
from datetime import date, datetime, timedelta
from urllib.parse import unquote

from openpyxl import load_workbook

from services.common.validators import resident_id_check_character
from services.personnel import export as ex

SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "阿依古丽·买买提", "John Smith"]
ENTERPRISES = ["内蒙古华诚商务有限责任公司", "包头恒久钢结构有限公司", "Acme Construction Ltd.", "甲"]


def make_rows(n, seed=8):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 15000))
        first17 = f"150102{birth:%Y%m%d}{i % 1000:03d}"
        id_number = first17 + resident_id_check_character(first17)
        issued = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 3000))
        rows.append({
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "gender": rng.choice(["male", "female"]),
            "id_type": "resident_id",
            "id_number": id_number,
            "certificate_type": rng.choice(["二级建造师", "安管人员", "注册电气工程师"]),
            "class_code": rng.choice(["", "A", "B", "C1", "C2", "C3"]),
            "registration_number": f"蒙2150{rng.randrange(10**7, 10**8)}",
            "qualification_number": f"NMG{rng.randrange(0, 10**7):07d}",
            "certificate_number": f"{rng.randrange(0, 10**6):06d}",
            "specialties": rng.sample(["建筑工程", "机电工程", "市政公用工程"], rng.randrange(1, 3)),
            "issued_on": issued,
            "valid_until": (issued + timedelta(days=1095)).isoformat(),
            "status": rng.choice(["valid", "expired", "cancelled"]),
            "enterprise_name": rng.choice(ENTERPRISES),
            "mobile": f"139{rng.randrange(10**7, 10**8)}",
        })
    return rows


def expected(key, kind, value):
    if value in (None, "", []):
        return None
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(value)
    if isinstance(value, list):
        return "、".join(value)
    labels = {"gender": {"male": "男", "female": "女"}, "id_type": {"resident_id": "身份证"},
              "status": {"valid": "有效", "expired": "已过期", "cancelled": "已注销"}}
    return labels.get(key, {}).get(value, value)


def test_export_of_2000_people_reads_back_cell_by_cell():
    rows = make_rows(2000)
    data = ex.export_people(rows)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "注册人员"
    assert ws.max_row == 2001 and ws.max_column == len(ex.COLUMNS)
    assert [c.value for c in ws[1]] == [h for _, h, _ in ex.COLUMNS]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    for r, row in enumerate(rows, start=2):
        for c, (key, _, kind) in enumerate(ex.COLUMNS, start=1):
            got = ws.cell(row=r, column=c).value
            want = expected(key, kind, row[key])
            if kind == "date" and got is not None:
                assert isinstance(got, datetime) and got.date() == want, (r, key)
                assert ws.cell(row=r, column=c).number_format == "yyyy-mm-dd"
            else:
                assert got == want, (r, key, got, want)
    # ID numbers are text with all 18 characters (never a float)
    id_col = [k for k, _, _ in ex.COLUMNS].index("id_number") + 1
    assert all(isinstance(ws.cell(row=r, column=id_col).value, str) for r in range(2, 2002))


def test_column_widths_count_cjk_double():
    rows = [{"name": "阿依古丽·买买提", "enterprise_name": "内蒙古华诚商务有限责任公司",
             "id_number": "15012120000101003X",
             "mobile": "13912345678", "valid_until": "2027-01-31", "gender": "female"}]
    ws = load_workbook(io.BytesIO(ex.export_people(rows))).active
    letters = {key: chr(ord("A") + i) for i, (key, _, _) in enumerate(ex.COLUMNS)}
    assert ws.column_dimensions[letters["name"]].width == 7 * 2 + 1 + 2  # 7 CJK + "·" (narrow) + padding
    assert ws.column_dimensions[letters["enterprise_name"]].width == 13 * 2 + 2
    assert ws.column_dimensions[letters["id_number"]].width == 18 + 2
    assert ws.column_dimensions[letters["valid_until"]].width == 10 + 2
    assert ws.column_dimensions[letters["gender"]].width == 4 + 2  # the header 性别 is wider than 女
    assert ex.display_width("ＡＢ中c") == 7


def test_width_is_capped_and_formulas_stay_text():
    rows = [{"name": "=HYPERLINK(\"http://x\",\"点我\")", "enterprise_name": "长" * 100,
             "certificate_number": "+123", "mobile": "@SUM(A1)", "registration_number": "bad\x01chars"}]
    ws = load_workbook(io.BytesIO(ex.export_people(rows))).active
    letters = {key: chr(ord("A") + i) for i, (key, _, _) in enumerate(ex.COLUMNS)}
    assert ws.column_dimensions[letters["enterprise_name"]].width == ex.MAX_WIDTH
    assert ws[f"{letters['name']}2"].value == "=HYPERLINK(\"http://x\",\"点我\")"
    assert ws[f"{letters['name']}2"].data_type == "s"
    assert ws[f"{letters['certificate_number']}2"].value == "+123"
    assert ws[f"{letters['registration_number']}2"].value == "badchars"


def test_empty_export_still_has_headers():
    ws = load_workbook(io.BytesIO(ex.export_people([]))).active
    assert ws.max_row == 1 and ws["A1"].value == "姓名"


def test_download_name_is_utf8():
    name = ex.export_filename(date(2026, 11, 23))
    assert name == "注册人员_2026-11-23.xlsx"
    headers = ex.download_headers(name)
    assert headers["Content-Type"] == ex.XLSX_CONTENT_TYPE
    disposition = headers["Content-Disposition"]
    assert disposition.isascii()
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == name
