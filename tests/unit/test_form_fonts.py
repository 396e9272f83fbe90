"""The small CJK faces of the PDFs (services/permits/form_fonts.py): what they keep, the CSS
that names them, and that a character outside them still prints (from the full face)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf

from services.permits import form_fonts, forms


def test_the_small_faces_keep_gb2312_and_the_symbols_forms_use():
    points = set(form_fonts.subset_codepoints())
    hanzi = {c for c in points if 0x4E00 <= c <= 0x9FFF}
    assert len(hanzi) == 6763  # GB 2312's 汉字, level 1 and 2
    for char in "申报表资质许可证呼和浩特市赛罕区（）、。《》①□☑：；０Ａ—×℃ABCxyz0123456789@-_/.":
        assert ord(char) in points, char
    assert ord("堃") not in points and ord("𠀾") not in points  # these come from the full faces


def test_font_face_rules_name_each_face_with_its_weight(tmp_path: Path):
    rules = form_fonts.font_face_rules({("QLP Sans", "bold"): tmp_path / "b.otf",
                                        ("QLP Sans", "normal"): tmp_path / "r.otf"})
    lines = rules.splitlines()
    assert len(lines) == 2
    assert lines[0] == (f'@font-face {{ font-family: "QLP Sans"; font-weight: bold; '
                        f'src: url("{(tmp_path / "b.otf").as_uri()}"); }}')
    assert form_fonts.font_face_rules({}) == ""


def fonts_of(pdf: bytes) -> list[str]:
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    return [str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]


def test_common_characters_print_from_the_small_face_and_rare_ones_from_the_full_face():
    html = ('<html lang="zh-CN"><body><p style="font-family: \'QLP Serif\', \'Noto Serif CJK SC\'">'
            '申报表</p><p style="font-family: \'QLP Serif\', \'Noto Serif CJK SC\'">堃</p></body></html>')
    pdf = forms._pdf(html)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "申报表" in text and "堃" in text
    names = fonts_of(pdf)
    assert any(name.endswith("+QLP-Serif") for name in names), names
    assert any(name.endswith("+Noto-Serif-CJK-SC") for name in names), names


def test_without_hb_subset_the_pdfs_use_the_full_faces(monkeypatch):
    form_fonts.font_faces.cache_clear()
    monkeypatch.setattr(form_fonts.shutil, "which", lambda name: None)
    try:
        assert form_fonts.font_faces() == ""
    finally:
        form_fonts.font_faces.cache_clear()
