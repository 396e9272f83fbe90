"""services.common.uploads: every file is built in memory here (no binary fixtures).

DPI = image pixels / placed size in inches, and the placed size comes from the CTM, so
"A4 at 300 DPI" is tested with a 248 x 351 px image placed at a tenth of A4 (59.53 x
84.19 pt) — the same arithmetic as 2480 x 3508 px on a full page, at a fraction of the cost.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from pypdf.errors import LimitReachedError
from pypdf.generic import EncodedStreamObject

from services.common.uploads import (
    MB,
    ImageReport,
    PdfReport,
    PhotoReport,
    UploadRejected,
    check_image,
    check_pdf,
    check_photo,
    sniff_content_type,
)

A4 = (595.2756, 841.8898)  # points
TENTH_A4 = (A4[0] / 10, A4[1] / 10)


# -- building PDFs ------------------------------------------------------------------------------


class PdfBuilder:
    """A tiny, honest PDF writer: numbered objects, a real xref table and trailer."""

    def __init__(self) -> None:
        self.objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree (filled in build)

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def add_stream(self, dict_body: bytes, data: bytes) -> int:
        return self.add(b"<< " + dict_body + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")

    def add_image(self, im: Image.Image, *, jpeg: bool = True, extra: bytes = b"") -> int:
        colour_space = {"RGB": b"/DeviceRGB", "L": b"/DeviceGray", "CMYK": b"/DeviceCMYK"}[im.mode]
        if jpeg:
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=90)
            data, filt = buf.getvalue(), b"/DCTDecode"
        else:
            data, filt = zlib.compress(im.tobytes()), b"/FlateDecode"
        return self.add_stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
            b"/Filter %s %s" % (im.width, im.height, colour_space, filt, extra), data)

    def build(self, pages: list[tuple[bytes, bytes]], *, size: tuple[float, float] = A4,
              page_extra: bytes = b"", header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
              catalog_extra: bytes = b"") -> bytes:
        """pages: (content stream, resources dictionary body) per page."""
        kids = []
        for content, resources in pages:
            content_id = self.add_stream(b"", content)
            kids.append(self.add(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] /Resources << %s >> "
                b"/Contents %d 0 R %s >>" % (size[0], size[1], resources, content_id, page_extra)))
        self.objects[0] = b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra
        self.objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % k for k in kids), len(kids))
        out = bytearray(header)
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
        size = len(self.objects) + 1
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
        return bytes(out)


def place(width_pt: float, height_pt: float, x: float = 20, y: float = 20) -> bytes:
    return b"%.5f 0 0 %.5f %.2f %.2f cm" % (width_pt, height_pt, x, y)


def scan(im: Image.Image, placed: tuple[float, float], *, jpeg: bool = True) -> bytes:
    builder = PdfBuilder()
    image = builder.add_image(im, jpeg=jpeg)
    content = b"q " + place(*placed) + b" /Im0 Do Q"
    return builder.build([(content, b"/XObject << /Im0 %d 0 R >>" % image)])


def licence_image(size: tuple[int, int] = (248, 351)) -> Image.Image:
    """A white page with black text lines and a red seal, like a business licence scan."""
    im = Image.new("RGB", size, (250, 250, 246))
    draw = ImageDraw.Draw(im)
    for y in range(30, size[1] - 30, 18):
        draw.rectangle((20, y, size[0] - 20, y + 4), fill=(25, 25, 25))
    w, h = size
    draw.ellipse((w * 0.55, h * 0.65, w * 0.85, h * 0.85), outline=(210, 30, 35), width=4)
    return im


def encrypted(pdf: bytes, password: str, algorithm: str | None = None) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    if algorithm is None:
        writer.encrypt(password)
    else:
        writer.encrypt(password, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rejected(call, *args, **kwargs) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        call(*args, **kwargs)
    assert info.value.message and str(info.value) == info.value.message
    return info.value


# -- PDF: measurements ------------------------------------------------------------------------


def test_a4_colour_scan_at_300_dpi_passes_without_warnings():
    report = check_pdf(scan(licence_image(), TENTH_A4))
    assert isinstance(report, PdfReport)
    assert report.pages == 1
    assert report.min_dpi == pytest.approx(300, abs=0.5)
    assert report.is_colour is True
    assert report.warnings == []
    [image] = report.images
    assert (image.page, image.width_px, image.height_px, image.colour_space) == (1, 248, 351, "/DeviceRGB")


def test_a4_scan_at_150_dpi_is_reported_not_refused():
    report = check_pdf(scan(licence_image((124, 175)), TENTH_A4))
    assert report.min_dpi == pytest.approx(150, abs=0.5)
    assert report.is_colour is True
    assert report.warnings == ["扫描分辨率约为150 DPI，要求300 DPI彩色扫描件"]


def test_dpi_is_exact_for_a_placement_in_whole_inches():
    # 600 x 300 px over 2 x 1 inch (144 x 72 pt): 300 DPI both ways.
    report = check_pdf(scan(licence_image((600, 300)), (144, 72), jpeg=False))
    assert report.min_dpi == 300.0
    assert (report.images[0].dpi_x, report.images[0].dpi_y) == (300.0, 300.0)


def test_anisotropic_placement_reports_the_lower_axis():
    report = check_pdf(scan(licence_image((300, 300)), (72, 144)))  # 300 x 150 DPI
    assert (report.images[0].dpi_x, report.images[0].dpi_y) == (300.0, 150.0)
    assert report.min_dpi == 150.0


def test_grey_scan_is_reported_as_not_colour():
    report = check_pdf(scan(licence_image().convert("L"), TENTH_A4))
    assert report.is_colour is False
    assert report.images[0].colour_space == "/DeviceGray"
    assert report.warnings == ["扫描件为黑白/灰度，要求彩色扫描件"]


def test_grey_content_stored_as_rgb_is_sampled_and_found_grey():
    grey_as_rgb = licence_image().convert("L").convert("RGB")
    for jpeg in (True, False):
        report = check_pdf(scan(grey_as_rgb, TENTH_A4, jpeg=jpeg))
        assert report.images[0].colour_space == "/DeviceRGB"
        assert report.is_colour is False, jpeg
        assert "扫描件为黑白/灰度，要求彩色扫描件" in report.warnings


def test_pillow_written_pdfs_are_measured_like_a_scanner_output():
    im = licence_image()
    for mode, colour in (("RGB", True), ("CMYK", True), ("P", True), ("L", False), ("1", False)):
        buf = io.BytesIO()
        im.convert(mode).save(buf, "PDF", resolution=300)
        report = check_pdf(buf.getvalue())
        assert report.min_dpi == 300.0, mode
        assert report.is_colour is colour, mode


def test_icc_and_indexed_colour_spaces():
    builder = PdfBuilder()
    icc_rgb = builder.add_stream(b"/N 3 /Alternate /DeviceRGB", b"(profile)")
    icc_grey = builder.add_stream(b"/N 1 /Alternate /DeviceGray", b"(profile)")
    im = licence_image((96, 96))
    jpeg = image_bytes(im, "JPEG")
    grey_palette = bytes(v for i in range(256) for v in (i, i, i)).hex().encode()
    indices = zlib.compress(im.convert("L").tobytes())
    images = [
        builder.add_stream(b"/Type /XObject /Subtype /Image /Width 96 /Height 96 /BitsPerComponent 8 "
                           b"/ColorSpace [/ICCBased %d 0 R] /Filter /DCTDecode" % icc_rgb, jpeg),
        builder.add_stream(b"/Type /XObject /Subtype /Image /Width 96 /Height 96 /BitsPerComponent 8 "
                           b"/ColorSpace [/ICCBased %d 0 R] /Filter /FlateDecode" % icc_grey, indices),
        builder.add_stream(b"/Type /XObject /Subtype /Image /Width 96 /Height 96 /BitsPerComponent 8 "
                           b"/ColorSpace [/Indexed /DeviceRGB 255 <%s>] /Filter /FlateDecode" % grey_palette,
                           indices),
    ]
    pages = [(b"q 23.04 0 0 23.04 0 0 cm /Im0 Do Q", b"/XObject << /Im0 %d 0 R >>" % i) for i in images]
    report = check_pdf(builder.build(pages))
    assert [(i.colour_space, i.is_colour, i.dpi) for i in report.images] == [
        ("/ICCBased(3)", True, 300.0), ("/ICCBased(1)", False, 300.0), ("/Indexed(/DeviceRGB)", False, 300.0)]


def test_object_streams_written_by_pypdf_are_read():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(scan(licence_image(), TENTH_A4))))
    writer.compress_identical_objects()
    for page in writer.pages:
        page.compress_content_streams()
    out = io.BytesIO()
    writer.write(out)
    report = check_pdf(out.getvalue())
    assert report.min_dpi == pytest.approx(300, abs=0.5) and report.is_colour is True


def test_multi_page_reports_the_lowest_dpi_and_any_colour():
    builder = PdfBuilder()
    grey = builder.add_image(licence_image().convert("L"))
    colour = builder.add_image(licence_image((124, 175)))
    pdf = builder.build([
        (b"q " + place(*TENTH_A4) + b" /Im0 Do Q", b"/XObject << /Im0 %d 0 R >>" % grey),
        (b"q " + place(*TENTH_A4) + b" /Im0 Do Q", b"/XObject << /Im0 %d 0 R >>" % colour),
    ])
    report = check_pdf(pdf)
    assert report.pages == 2
    assert [(image.page, round(image.dpi)) for image in report.images] == [(1, 300), (2, 150)]
    assert report.min_dpi == pytest.approx(150, abs=0.5)
    assert report.is_colour is True
    assert report.warnings == ["扫描分辨率约为150 DPI，要求300 DPI彩色扫描件"]


def test_ctm_through_nested_state_rotation_form_xobject_and_user_unit():
    builder = PdfBuilder()
    image = builder.add_image(licence_image((300, 600)), jpeg=False)
    # Form scaled by its /Matrix 0.5; inside it the image is placed at 2 x 4 inches (before the 0.5).
    form = builder.add_stream(
        b"/Type /XObject /Subtype /Form /BBox [0 0 1000 1000] /Matrix [0.5 0 0 0.5 0 0] "
        b"/Resources << /XObject << /Im0 %d 0 R >> >>" % image,
        b"q 144 0 0 288 0 0 cm /Im0 Do Q")
    content = (
        b"q 2 0 0 2 0 0 cm q 0.5 0 0 0.5 0 0 cm Q "  # the inner q/Q must not leak
        b"q 0 1 -1 0 300 0 cm 0.5 0 0 0.5 0 0 cm /Fm0 Do Q Q "  # rotated 90 degrees
        b"q 72 0 0 72 10 10 cm /Im0 Do Q"  # 300 x 600 px in 1 x 1 inch: 300 x 600 DPI
    )
    pdf = builder.build([(content, b"/XObject << /Im0 %d 0 R /Fm0 %d 0 R >>" % (image, form))])
    report = check_pdf(pdf)
    dpis = [(i.dpi_x, i.dpi_y) for i in report.images]
    # Form path: 2 * 0.5 * 0.5 = 0.5 -> 1 x 2 inches on the page: 300 DPI both ways.
    assert dpis == [(300.0, 300.0), (300.0, 600.0)]
    assert report.min_dpi == 300.0

    unit = PdfBuilder()
    image = unit.add_image(licence_image((300, 300)))
    pdf = unit.build([(b"q 72 0 0 72 0 0 cm /Im0 Do Q", b"/XObject << /Im0 %d 0 R >>" % image)],
                     page_extra=b"/UserUnit 2")
    assert check_pdf(pdf).min_dpi == 150.0  # one unit is 2/72 inch


def test_decorative_tiny_images_and_masks_do_not_count():
    builder = PdfBuilder()
    page_scan = builder.add_image(licence_image())
    dot = builder.add_image(Image.new("RGB", (4, 4), (0, 0, 255)))
    mask = builder.add_stream(b"/Type /XObject /Subtype /Image /Width 64 /Height 64 /ImageMask true "
                              b"/BitsPerComponent 1", b"\xff" * (8 * 64))
    content = (b"q " + place(*TENTH_A4) + b" /Im0 Do Q q 500 0 0 500 0 0 cm /Dot Do Q "
               b"q 500 0 0 500 0 0 cm /Mask Do Q")
    pdf = builder.build([(content, b"/XObject << /Im0 %d 0 R /Dot %d 0 R /Mask %d 0 R >>"
                          % (page_scan, dot, mask))])
    report = check_pdf(pdf)
    assert len(report.images) == 1
    assert report.min_dpi == pytest.approx(300, abs=0.5)


def test_inline_image_is_measured_from_its_declared_colour_space():
    data = Image.new("RGB", (32, 32), (200, 0, 0)).tobytes().hex().encode() + b">"
    content = b"q 7.68 0 0 7.68 0 0 cm BI /W 32 /H 32 /CS /RGB /BPC 8 /F /AHx ID " + data + b" EI Q"
    report = check_pdf(PdfBuilder().build([(content, b"")]))
    assert report.min_dpi == 300.0
    assert report.is_colour is True


def test_pdf_without_images_has_no_measurements_and_an_advisory():
    pdf = PdfBuilder().build([(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET", b"")])
    report = check_pdf(pdf)
    assert (report.min_dpi, report.is_colour, report.images) == (None, None, [])
    assert report.warnings == ["文件中未发现扫描图像，无法核对分辨率和色彩；纸质证件请上传300 DPI彩色扫描件"]
    assert check_pdf(pdf, want_dpi=None, want_colour=False).warnings == []


def test_wanted_quality_is_configurable():
    pdf = scan(licence_image((124, 175)).convert("L"), TENTH_A4)
    assert check_pdf(pdf, want_dpi=None, want_colour=False).warnings == []
    assert check_pdf(pdf, want_dpi=150, want_colour=False).warnings == []
    warnings = check_pdf(pdf, want_dpi=200, want_colour=False).warnings
    assert warnings == ["扫描分辨率约为150 DPI，要求200 DPI扫描件"]


def test_leading_whitespace_before_the_header_is_tolerated_but_other_bytes_are_not():
    pdf = scan(licence_image(), TENTH_A4)
    assert check_pdf(b"\xef\xbb\xbf\r\n  " + pdf).min_dpi == pytest.approx(300, abs=0.5)
    assert rejected(check_pdf, b"<html><script>x</script>" + pdf).code == "not_pdf"
    assert rejected(check_pdf, b" " * 1100 + pdf).code == "not_pdf"


# -- PDF: refusals ----------------------------------------------------------------------------


def test_empty_file():
    error = rejected(check_pdf, b"")
    assert error.code == "empty"
    assert "空" in error.message


def test_oversized_file_states_the_limit():
    error = rejected(check_pdf, b"%PDF-1.7\n" + b"0" * (10 * MB))
    assert error.code == "too_large"
    assert "10MB" in error.message
    small = rejected(check_pdf, scan(licence_image(), TENTH_A4), max_bytes=1024)
    assert small.code == "too_large" and "1KB" in small.message


@pytest.mark.parametrize("algorithm", [None, "AES-256"])
@pytest.mark.parametrize("password", ["", "secret"])
def test_any_encryption_is_refused_even_with_an_empty_password(password, algorithm):
    pdf = encrypted(scan(licence_image(), TENTH_A4), password, algorithm)
    error = rejected(check_pdf, pdf)
    assert error.code == "encrypted"
    assert "加密" in error.message


def test_truncated_pdf_is_unreadable():
    pdf = scan(licence_image(), TENTH_A4)
    for fraction in (0.3, 0.6, 0.9, 0.99):
        assert rejected(check_pdf, pdf[: int(len(pdf) * fraction)]).code == "unreadable", fraction


def test_damaged_image_data_in_an_intact_file_is_unreadable():
    buf = io.BytesIO()
    licence_image().save(buf, "JPEG")
    builder = PdfBuilder()
    broken = builder.add_stream(b"/Type /XObject /Subtype /Image /Width 248 /Height 351 "
                                b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
                                buf.getvalue()[:600])
    pdf = builder.build([(b"q " + place(*TENTH_A4) + b" /Im0 Do Q", b"/XObject << /Im0 %d 0 R >>" % broken)])
    error = rejected(check_pdf, pdf)
    assert error.code == "unreadable" and "第1页" in error.message

    short = PdfBuilder()
    raw = short.add_stream(b"/Type /XObject /Subtype /Image /Width 248 /Height 351 /ColorSpace /DeviceRGB "
                           b"/BitsPerComponent 8 /Filter /FlateDecode", zlib.compress(b"\x80" * 1000))
    pdf = short.build([(b"q " + place(*TENTH_A4) + b" /Im0 Do Q", b"/XObject << /Im0 %d 0 R >>" % raw)])
    assert rejected(check_pdf, pdf).code == "unreadable"


def test_image_declaring_a_huge_pixel_count_is_a_bomb():
    builder = PdfBuilder()
    bomb = builder.add_stream(b"/Type /XObject /Subtype /Image /Width 20000 /Height 20000 "
                              b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                              zlib.compress(b"\x00" * 100_000))
    pdf = builder.build([(b"q 72 0 0 72 0 0 cm /Im0 Do Q", b"/XObject << /Im0 %d 0 R >>" % bomb)])
    error = rejected(check_pdf, pdf)
    assert error.code == "too_large" and "第1页" in error.message


def test_pypdf_decompression_limit_on_an_image_only_skips_the_colour_sample(monkeypatch):
    def limited(self):
        if self.get("/Subtype") == "/Image":
            raise LimitReachedError("limit")
        return original(self)

    original = EncodedStreamObject.get_data
    monkeypatch.setattr(EncodedStreamObject, "get_data", limited)
    report = check_pdf(scan(licence_image().convert("L").convert("RGB"), TENTH_A4, jpeg=False))
    assert report.min_dpi == pytest.approx(300, abs=0.5)
    assert report.is_colour is True  # declared DeviceRGB, pixels not sampled


def test_other_content_renamed_to_pdf_is_not_pdf():
    png = io.BytesIO()
    licence_image().save(png, "PNG")
    error = rejected(check_pdf, png.getvalue())
    assert error.code == "not_pdf" and "PNG" in error.message
    assert rejected(check_pdf, "营业执照扫描件".encode()).code == "not_pdf"
    assert rejected(check_pdf, b"PK\x03\x04" + b"\x00" * 100).code == "not_pdf"


def test_header_followed_by_garbage_is_unreadable():
    assert rejected(check_pdf, b"%PDF-1.7\n" + bytes(range(256)) * 4).code == "unreadable"


def test_page_limits():
    many = PdfBuilder().build([(b"", b"")] * 21)
    error = rejected(check_pdf, many)
    assert error.code == "too_many_pages" and "21" in error.message and "20" in error.message
    assert check_pdf(many, max_pages=21, want_dpi=None, want_colour=False).pages == 21
    assert rejected(check_pdf, PdfBuilder().build([])).code == "no_pages"


def test_mutilated_pdfs_never_escape_as_other_exceptions():
    pdf = scan(licence_image((64, 64)), (15.36, 15.36), jpeg=False)
    rng = random.Random(20240601)
    outcomes = set()
    for _ in range(150):
        data = bytearray(pdf)
        for _ in range(rng.randint(1, 12)):
            position = rng.randrange(10, len(data))
            data[position] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(10, len(data)):]
        try:
            check_pdf(bytes(data))
            outcomes.add("ok")
        except UploadRejected as error:
            outcomes.add(error.code)
    assert outcomes <= {"ok", "unreadable", "no_pages", "encrypted"}


# -- sniffing ---------------------------------------------------------------------------------


def image_bytes(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def test_sniff_content_type_by_magic_only():
    im = licence_image((40, 40))
    assert sniff_content_type(scan(im, (10, 10))) == "application/pdf"
    assert sniff_content_type(b"\n\n" + scan(im, (10, 10))) == "application/pdf"
    assert sniff_content_type(image_bytes(im, "JPEG")) == "image/jpeg"
    assert sniff_content_type(image_bytes(im, "PNG")) == "image/png"
    assert sniff_content_type(image_bytes(im, "GIF")) is None
    assert sniff_content_type(b"hello.pdf") is None
    assert sniff_content_type(b"") is None


# -- images -------------------------------------------------------------------------------------


def test_png_and_jpeg_are_accepted_with_their_size():
    im = licence_image((320, 200))
    png = check_image(image_bytes(im, "PNG"))
    assert isinstance(png, ImageReport)
    assert (png.format, png.width, png.height, png.content_type) == ("png", 320, 200, "image/png")
    jpeg = check_image(image_bytes(im, "JPEG"))
    assert (jpeg.format, jpeg.width, jpeg.height, jpeg.content_type) == ("jpeg", 320, 200, "image/jpeg")


def test_large_jpeg_reports_its_real_size_although_decoded_reduced():
    im = Image.new("RGB", (3000, 2000), (120, 130, 140))
    report = check_image(image_bytes(im, "JPEG", quality=50))
    assert (report.width, report.height) == (3000, 2000)


def test_gif_and_webp_are_the_wrong_type():
    im = licence_image((40, 40))
    error = rejected(check_image, image_bytes(im, "GIF"))
    assert error.code == "wrong_type" and "GIF" in error.message and "JPG" in error.message
    assert rejected(check_image, image_bytes(im, "WEBP")).code == "wrong_type"
    assert rejected(check_image, image_bytes(im, "JPEG"), allowed=("png",)).code == "wrong_type"
    assert check_image(image_bytes(im, "JPEG"), allowed=("jpg",)).format == "jpeg"


def test_text_and_pdf_are_not_images():
    assert rejected(check_image, "这是一个文本文件\n".encode()).code == "not_image"
    error = rejected(check_image, scan(licence_image((40, 40)), (10, 10)))
    assert error.code == "not_image" and "PDF" in error.message


def test_image_size_limits():
    assert rejected(check_image, b"").code == "empty"
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * MB)
    error = rejected(check_image, big)
    assert error.code == "too_large" and "2MB" in error.message
    assert rejected(check_photo, b"\xff\xd8\xff" + b"\x00" * MB).code == "too_large"


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) \
        + chunk(b"IEND", b"")


def test_decompression_bombs_are_too_large():
    assert rejected(check_image, png_header_only(100_000, 100_000)).code == "too_large"  # Pillow's own guard
    assert rejected(check_image, png_header_only(8_000, 6_000)).code == "too_large"  # our 30 MP limit
    small = image_bytes(licence_image((100, 100)), "PNG")
    assert rejected(check_image, small, max_pixels=5_000).code == "too_large"


def test_truncated_or_corrupt_images_are_unreadable():
    im = Image.effect_noise((200, 200), 60).convert("RGB")
    png = image_bytes(im, "PNG")
    jpeg = image_bytes(im, "JPEG")
    assert rejected(check_image, png[: len(png) // 2]).code == "unreadable"
    assert rejected(check_image, jpeg[: len(jpeg) // 2]).code == "unreadable"
    assert rejected(check_image, png[:8] + b"\x00" * 50).code == "unreadable"
    assert rejected(check_image, b"\xff\xd8\xff\xe0garbage").code == "unreadable"


# -- photos ---------------------------------------------------------------------------------


def portrait(background: Image.Image) -> Image.Image:
    """A head-and-shoulders silhouette over the given background (295 x 413 px, 1-inch photo)."""
    im = background.convert("RGB").resize((295, 413))
    draw = ImageDraw.Draw(im)
    draw.ellipse((90, 70, 205, 215), fill=(224, 190, 160))  # face
    draw.ellipse((80, 40, 215, 120), fill=(30, 25, 20))  # hair
    draw.ellipse((10, 260, 285, 520), fill=(40, 45, 60))  # shoulders, off the bottom edge
    return im


def test_photo_on_a_plain_background_passes():
    photo = portrait(Image.new("RGB", (10, 10), (67, 142, 219)))
    for fmt in ("JPEG", "PNG"):
        report = check_photo(image_bytes(photo, fmt))
        assert isinstance(report, PhotoReport)
        assert report.background_uniform is True, fmt
        assert report.background_spread is not None and report.background_spread <= 10
        assert report.warnings == []
    assert report.background_colour == "#438edb"


def test_photo_on_a_noisy_background_gets_a_warning():
    photo = portrait(Image.effect_noise((295, 413), 90).convert("RGB"))
    report = check_photo(image_bytes(photo, "JPEG"))
    assert report.background_uniform is False
    assert report.warnings == ["照片背景不是单一颜色，请使用纯色背景（如白色、蓝色）的证件照"]


def test_photo_background_with_a_room_behind_is_not_uniform():
    room = Image.new("RGB", (295, 413), (200, 190, 170))
    draw = ImageDraw.Draw(room)
    draw.rectangle((0, 0, 120, 413), fill=(90, 60, 40))  # a bookshelf
    draw.rectangle((230, 0, 295, 200), fill=(240, 240, 255))  # a window
    assert check_photo(image_bytes(portrait(room), "JPEG")).background_uniform is False


def test_photo_with_transparent_background_and_hair_at_the_top_is_uniform():
    photo = portrait(Image.new("RGB", (10, 10), (255, 255, 255))).convert("RGBA")
    ImageDraw.Draw(photo).ellipse((110, -30, 185, 20), fill=(30, 25, 20, 255))  # hair touching the edge
    alpha = Image.new("L", photo.size, 255)
    ImageDraw.Draw(alpha).rectangle((0, 0, 30, 413), fill=0)  # a transparent strip
    photo.putalpha(alpha)
    assert check_photo(image_bytes(photo, "PNG")).background_uniform is True


def test_photo_limit_is_one_megabyte():
    assert rejected(check_photo, b"\x89PNG\r\n\x1a\n" + b"\x00" * MB).message.startswith("文件超过1MB")


def test_photo_background_is_measured_as_displayed_after_exif_rotation():
    upright = portrait(Image.new("RGB", (10, 10), (67, 142, 219)))
    stored_sideways = upright.transpose(Image.Transpose.ROTATE_90)
    assert check_photo(image_bytes(stored_sideways, "JPEG")).background_uniform is False
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    report = check_photo(image_bytes(stored_sideways, "JPEG", exif=exif))
    assert report.background_uniform is True
    assert (report.width, report.height) == (413, 295)  # stored size, as in the file


def test_truncated_images_are_refused_even_after_weasyprint_relaxed_pillow():
    import weasyprint  # noqa: F401  (its import sets ImageFile.LOAD_TRUNCATED_IMAGES = True)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    im = Image.effect_noise((200, 200), 60).convert("RGB")
    png = image_bytes(im, "PNG")
    assert rejected(check_image, png[: len(png) // 2]).code == "unreadable"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # put back for WeasyPrint
