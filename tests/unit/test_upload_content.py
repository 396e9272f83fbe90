"""One content check for every upload surface: active content in PDFs, and the stored name, type
and bytes agreeing (services/common/pdfactive.py, services/common/attachments.check_upload).

The PDFs are generated here: pypdf writes document JavaScript, open actions, embedded files and
annotations; a hand-written file hides an action name behind ``#xx`` escapes.
"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from services.common.attachments import IMAGE, PDF, check_upload
from services.common.errors import ValidationFailed
from services.common.uploads import UploadRejected, check_pdf
from tests.unit.test_uploads import TENTH_A4, PdfBuilder, licence_image, scan


def _name(value: str) -> NameObject:
    return NameObject(value)


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def clean_writer() -> PdfWriter:
    return PdfWriter(clone_from=PdfReader(io.BytesIO(scan(licence_image(), TENTH_A4))))


def action(kind: str, **entries: object) -> DictionaryObject:
    body = DictionaryObject({_name("/Type"): _name("/Action"), _name("/S"): _name(kind)})
    for key, value in entries.items():
        body[_name(f"/{key}")] = value  # type: ignore[assignment]
    return body


def refused(data: bytes) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        check_pdf(data)
    return info.value


# -- active content ---------------------------------------------------------------------------


def test_a_clean_scan_with_links_outline_and_a_goto_open_action_passes():
    writer = clean_writer()
    writer.add_outline_item("营业执照", 0)
    writer.add_uri(0, "https://example.org/", [0, 0, 100, 100])
    writer._root_object[_name("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, _name("/Fit")])
    report = check_pdf(written(writer))
    assert report.pages == 1


@pytest.mark.parametrize("make", [
    pytest.param(lambda w: w.add_open_action(JavaScript("app.alert('x');")), id="document-javascript"),
    pytest.param(lambda w: w._root_object.__setitem__(
        _name("/OpenAction"), action("/JavaScript", JS=TextStringObject("alert(1)"))), id="openaction-js"),
    pytest.param(lambda w: w._root_object.__setitem__(
        _name("/OpenAction"), action("/Launch", F=TextStringObject("calc.exe"))), id="openaction-launch"),
    pytest.param(lambda w: w.add_attachment("payload.exe", b"MZ\x90\x00"), id="embedded-file"),
    pytest.param(lambda w: w.pages[0].__setitem__(
        _name("/AA"), DictionaryObject({_name("/O"): action("/GoTo")})), id="page-additional-actions"),
    pytest.param(lambda w: w._root_object.__setitem__(
        _name("/OpenAction"), action("/SubmitForm", F=TextStringObject("https://evil.example/"))),
        id="submit-form"),
])
def test_active_content_is_refused_with_a_stable_code(make):
    writer = clean_writer()
    make(writer)
    exc = refused(written(writer))
    assert exc.code == "active_content"
    assert "PDF文件含有" in exc.message and "不能上传" in exc.message


def test_a_javascript_link_annotation_is_refused():
    writer = clean_writer()
    annotation = DictionaryObject({
        _name("/Type"): _name("/Annot"), _name("/Subtype"): _name("/Link"),
        _name("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(50), FloatObject(50)]),
        _name("/Border"): ArrayObject([NumberObject(0)] * 3),
        _name("/A"): action("/JavaScript", JS=TextStringObject("this.exportDataObject()")),
    })
    writer.add_annotation(0, annotation)
    assert refused(written(writer)).code == "active_content"


def test_active_content_inside_compressed_object_streams_is_found():
    writer = clean_writer()
    writer._root_object[_name("/OpenAction")] = action("/JavaScript", JS=TextStringObject("x"))
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()).code == "active_content"


def test_hex_escaped_names_do_not_hide_an_action():
    builder = PdfBuilder()
    action_id = builder.add(b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert(1)) >>")
    data = builder.build([(b"", b"")], catalog_extra=b"/OpenAction %d 0 R " % action_id)
    assert b"/JavaScript" not in data
    assert refused(data).code == "active_content"


# -- name, type and content agree ---------------------------------------------------------------


def upload(filename: str, data: bytes) -> dict[str, str]:
    return {"filename": filename, "content_b64": base64.b64encode(data).decode()}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return scan(licence_image(), TENTH_A4)


def field_error(exc: pytest.ExceptionInfo, field: str) -> dict:
    return exc.value.fields[field][0]


def test_a_png_renamed_pdf_is_refused_on_a_slot_that_takes_images():
    with pytest.raises(ValidationFailed) as info:
        check_upload(upload("营业执照.pdf", png()), "photo", kinds=(IMAGE, PDF))
    error = field_error(info, "photo")
    assert error["code"] == "type_mismatch"
    assert "“.pdf”" in error["message"] and "PNG图片" in error["message"]
    assert "PDF文件或JPG、PNG图片" in error["message"]


def test_an_image_named_html_is_refused():
    with pytest.raises(ValidationFailed) as info:
        check_upload(upload("x.html", png()), "evidence", kinds=(PDF, IMAGE))
    assert field_error(info, "evidence")["code"] == "type_mismatch"


def test_a_pdf_renamed_jpg_is_refused():
    with pytest.raises(ValidationFailed) as info:
        check_upload(upload("scan.JPG", pdf()), "evidence", kinds=(PDF, IMAGE))
    assert field_error(info, "evidence")["code"] == "type_mismatch"


def test_a_slot_that_asks_for_a_pdf_takes_only_a_pdf():
    with pytest.raises(ValidationFailed) as info:
        check_upload(upload("营业执照.png", png()), "business_licence", kinds=(PDF,))
    error = field_error(info, "business_licence")
    assert error["code"] == "not_pdf" and "PNG" in error["message"] and "PDF" in error["message"]


def test_a_mixed_slot_names_both_kinds_when_the_content_is_neither():
    gif = io.BytesIO()
    Image.new("RGB", (32, 32)).save(gif, "GIF")
    with pytest.raises(ValidationFailed) as info:
        check_upload(upload("a.gif", gif.getvalue()), "material", kinds=(PDF, IMAGE))
    assert "本项请上传PDF文件或JPG、PNG图片" in field_error(info, "material")["message"]


@pytest.mark.parametrize(("name", "data", "stored", "content_type"), [
    ("营业执照.PDF", None, "营业执照.PDF", "application/pdf"),
    ("照片.jpeg", "jpeg", "照片.jpeg", "image/jpeg"),
    ("照片.png", "png", "照片.png", "image/png"),
    ("营业执照", None, "营业执照.pdf", "application/pdf"),
    ("扫描件v1.2", "png", "扫描件v1.2.png", "image/png"),
    ("身份证.jpg", "png", "身份证.png", "image/png"),
])
def test_agreeing_names_are_kept_and_a_missing_extension_is_added(name, data, stored, content_type):
    if data == "jpeg":
        out = io.BytesIO()
        Image.new("RGB", (64, 64), (10, 120, 200)).save(out, "JPEG")
        body = out.getvalue()
    else:
        body = png() if data == "png" else pdf()
    checked = check_upload(upload(name, body), "f", kinds=(PDF, IMAGE))
    assert (checked.filename, checked.content_type) == (stored, content_type)
