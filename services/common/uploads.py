"""Content-based checks of uploaded attachments (PDF scans, images, ID photos).

Pure Python (pypdf + Pillow); no nameko, no storage. The services call these
before storing a file and keep the returned report next to the attachment.

Rules, from the seeds: enterprise registration wants the business licence and the
legal representative's ID as PDF, "必须是300DPI彩色扫描件"; CIP wants jpg/png under
2 MB and ID photos under 1 MB on a single-colour background. A file is judged by its
bytes, never by its name or declared content type.

Refusals raise :class:`UploadRejected` with a stable ``code`` and a Chinese message
for the clerk. Resolution, colour and photo background are *measured and reported*
(``warnings``), never refused: a measurement quirk must not block an upload.

Active content: a PDF that would run something when opened (JavaScript, a launch or
import/submit action, additional actions /AA on open, close, page or field events, embedded
files, XFA forms, rich media) is refused as ``active_content``. Scans and generated forms
never need any of it; links (/URI, /GoTo) and outlines are fine. The check walks the object
graph from the catalogue (names are compared after pypdf has undone ``#xx`` escapes, and
objects inside compressed object streams are reached like any other), without decoding any
stream.

PDF header decision: the PDF specification puts ``%PDF-`` at byte 0, but readers
(Acrobat, pdf.js, pypdf) accept it within the first 1024 bytes. We accept it within
that window only when everything before it is whitespace, NUL bytes or a UTF-8 BOM
(what broken transfers and generators really prepend); arbitrary leading bytes are
refused as ``not_pdf`` so that HTML/script polyglots never pass as PDF.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageOps
from pypdf import PdfReader

from services.common.imaging import _downscale, _flatten_rgb, _strict_decoding, is_colourful
from services.common.pdfactive import TooComplex, find_active_content
from services.common.pdfscan import PdfImage, _DamagedImage, _OversizedImage, _PdfScanner

MB = 1024 * 1024

REJECTION_CODES = (
    "empty", "too_large", "not_pdf", "unreadable", "encrypted", "too_many_pages", "no_pages",
    "not_image", "wrong_type", "active_content", "type_mismatch",
)

PDF_HEADER_WINDOW = 1024
_PDF_HEADER = re.compile(rb"%PDF-\d")
_PDF_PREFIX_ALLOWED = b" \t\r\n\f\x00"
_UTF8_BOM = b"\xef\xbb\xbf"

# A measured resolution within this fraction below the target is not worth a warning
# (an A4 page of 2480 px is 299.97 DPI; scanners crop a few pixels).
DPI_TOLERANCE = 0.05
# Photo background: outer band of the top edge and of the upper part of the side edges.
BACKGROUND_BAND = 0.05
BACKGROUND_SIDE_HEIGHT = 0.5
BACKGROUND_QUANTILE = 0.8
BACKGROUND_MAX_SPREAD = 40.0

IMAGE_LABELS = {
    "jpeg": "JPG", "png": "PNG", "gif": "GIF", "bmp": "BMP", "webp": "WebP", "tiff": "TIFF",
    "heif": "HEIC/HEIF", "avif": "AVIF", "jpeg2000": "JPEG 2000",
}
_PIL_FORMATS = {
    "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "bmp": "BMP", "webp": "WEBP", "tiff": "TIFF",
    "jpeg2000": "JPEG2000",
}
_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp",
                  "webp": "image/webp", "tiff": "image/tiff"}


class UploadRejected(Exception):
    """An upload refused by content; ``code`` is stable, ``message`` is for the clerk (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class PdfReport:
    pages: int
    size_bytes: int
    min_dpi: float | None
    is_colour: bool | None
    warnings: list[str] = field(default_factory=list)
    images: list[PdfImage] = field(default_factory=list)
    content_type: str = "application/pdf"


@dataclass
class ImageReport:
    format: str
    width: int
    height: int
    size_bytes: int
    mode: str
    content_type: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class PhotoReport(ImageReport):
    background_uniform: bool | None = None
    background_spread: float | None = None
    background_colour: str | None = None


# -- sniffing -------------------------------------------------------------------------------


def _pdf_header_offset(data: bytes) -> int | None:
    match = _PDF_HEADER.search(data, 0, PDF_HEADER_WINDOW + 6)
    if match is None or match.start() > PDF_HEADER_WINDOW:
        return None
    prefix = data[:match.start()]
    if prefix.startswith(_UTF8_BOM):
        prefix = prefix[len(_UTF8_BOM):]
    if prefix.strip(_PDF_PREFIX_ALLOWED):
        return None
    return match.start()


def _sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:2] == b"BM" and len(data) >= 18 and int.from_bytes(data[14:18], "little") in (
            12, 40, 52, 56, 64, 108, 124):
        return "bmp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "heif"
    if data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or data.startswith(b"\xff\x4f\xff\x51"):
        return "jpeg2000"
    return None


def sniff_content_type(data: bytes) -> str | None:
    """``application/pdf``, ``image/jpeg`` or ``image/png`` from the bytes, else None."""
    if _pdf_header_offset(data) is not None:
        return "application/pdf"
    kind = _sniff_image(data)
    if kind in ("jpeg", "png"):
        return _CONTENT_TYPES[kind]
    return None


# -- shared helpers -------------------------------------------------------------------------


def _format_size(n: int) -> str:
    if n >= MB:
        value = math.ceil(n * 10 / MB) / 10
        return f"{value:g}MB"
    return f"{math.ceil(n / 1024)}KB"


def _check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise UploadRejected("empty", "文件为空（0字节），请重新选择文件上传")
    if len(data) > max_bytes:
        raise UploadRejected(
            "too_large",
            f"文件超过{_format_size(max_bytes)}上限（当前{_format_size(len(data))}），请压缩后重新上传",
        )


def _describe_other(data: bytes) -> str:
    kind = _sniff_image(data)
    if kind is not None:
        return f"（检测到{IMAGE_LABELS[kind]}图片）"
    if _pdf_header_offset(data) is not None:
        return "（检测到PDF文档）"
    return "（可能只是修改了文件扩展名）"


# -- PDF --------------------------------------------------------------------------------------
def _open_pdf(body: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(body), strict=False)
    except Exception as exc:
        if re.search(rb"/Encrypt\b", body):
            raise UploadRejected("encrypted", "PDF文件已加密或设置了密码，请取消加密后重新上传") from exc
        raise _unreadable_pdf() from exc


def _unreadable_pdf(detail: str = "") -> UploadRejected:
    return UploadRejected("unreadable", f"PDF文件已损坏或不完整，无法打开{detail}，请重新生成或扫描后上传")


def check_pdf(data: bytes, *, max_bytes: int = 10 * MB, max_pages: int = 20,
              want_dpi: int | None = 300, want_colour: bool = True) -> PdfReport:
    """Validate an uploaded PDF by content and measure its scans.

    Refuses (UploadRejected): empty, too_large, not_pdf, unreadable, encrypted, no_pages,
    too_many_pages, active_content. Reports the page count, the lowest effective image resolution and whether
    any image is in colour; ``want_dpi`` / ``want_colour`` only decide which warnings are added
    (None / False: no such warning).
    """
    _check_size(data, max_bytes)
    offset = _pdf_header_offset(data)
    if offset is None:
        raise UploadRejected("not_pdf", f"文件内容不是PDF文档{_describe_other(data)}，请上传PDF格式的文件")
    body = data[offset:]
    reader = _open_pdf(body)
    if reader.is_encrypted:
        raise UploadRejected("encrypted", "PDF文件已加密或设置了密码，请取消加密后重新上传")
    try:
        page_count = len(reader.pages)
    except Exception as exc:
        raise _unreadable_pdf() from exc
    if page_count == 0:
        raise UploadRejected("no_pages", "PDF文件中没有任何页面，请检查后重新上传")
    if page_count > max_pages:
        raise UploadRejected(
            "too_many_pages", f"PDF文件共{page_count}页，超过{max_pages}页的上限，请拆分或精简后上传")
    try:
        active = find_active_content(reader)
    except (TooComplex, RecursionError) as exc:
        raise _unreadable_pdf("（文件结构过于复杂）") from exc
    except Exception as exc:
        raise _unreadable_pdf() from exc
    if active is not None:
        raise UploadRejected(
            "active_content",
            f"PDF文件含有{active}，存在安全风险，不能上传；请用“打印为PDF”或扫描软件重新生成不含脚本和附件的PDF后上传")

    scanner = _PdfScanner(reader)
    for number in range(1, page_count + 1):
        try:
            scanner.scan_page(number, reader.pages[number - 1])
        except _DamagedImage as exc:
            raise _unreadable_pdf(f"（第{number}页的图像数据已损坏）") from exc
        except _OversizedImage as exc:
            message = f"PDF第{number}页中的图像像素尺寸过大（{exc}），请降低扫描分辨率后重新上传"
            raise UploadRejected("too_large", message) from exc
        except (RecursionError, MemoryError) as exc:
            raise _unreadable_pdf() from exc
        except Exception as exc:
            raise _unreadable_pdf(f"（第{number}页内容无法解析）") from exc

    report = PdfReport(pages=page_count, size_bytes=len(data), min_dpi=scanner.min_dpi,
                       is_colour=scanner.is_colour, images=scanner.images)
    report.warnings.extend(_pdf_warnings(report, want_dpi, want_colour))
    return report


def _pdf_warnings(report: PdfReport, want_dpi: int | None, want_colour: bool) -> list[str]:
    wanted = f"{want_dpi} DPI" if want_dpi else ""
    wanted += "彩色扫描件" if want_colour else "扫描件"
    out: list[str] = []
    if report.min_dpi is None:
        if want_dpi or want_colour:
            out.append(f"文件中未发现扫描图像，无法核对分辨率和色彩；纸质证件请上传{wanted}")
        return out
    if want_dpi and report.min_dpi < want_dpi * (1 - DPI_TOLERANCE):
        out.append(f"扫描分辨率约为{round(report.min_dpi)} DPI，要求{wanted}")
    if want_colour and report.is_colour is False:
        out.append("扫描件为黑白/灰度，要求彩色扫描件")
    return out


# -- images -------------------------------------------------------------------------------------


def _open_image(data: bytes, max_bytes: int, allowed: Sequence[str], max_pixels: int,
                load_side: int | None) -> tuple[str, Image.Image, tuple[int, int]]:
    """(kind, loaded image, original size); loaded possibly reduced to about load_side for JPEG."""
    _check_size(data, max_bytes)
    allowed_kinds = tuple(a.lower().replace("jpg", "jpeg") for a in allowed)
    allowed_label = "、".join(IMAGE_LABELS.get(k, k.upper()) for k in allowed_kinds)
    kind = _sniff_image(data)
    if kind is None:
        raise UploadRejected(
            "not_image", f"文件内容不是图片{_describe_other(data)}，请上传{allowed_label}格式的图片")
    if kind not in allowed_kinds:
        raise UploadRejected("wrong_type", f"图片格式为{IMAGE_LABELS[kind]}，仅支持{allowed_label}格式")
    pil_format = _PIL_FORMATS.get(kind)
    if pil_format is None:
        raise UploadRejected("unreadable", "图片无法读取，请转换为常见格式后重新上传")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[pil_format])
            size = im.size
            if size[0] * size[1] > max_pixels:
                raise UploadRejected(
                    "too_large", f"图片尺寸过大（{size[0]}×{size[1]}像素），请缩小后重新上传")
            if size[0] <= 0 or size[1] <= 0:
                raise UploadRejected("unreadable", "图片无法读取（尺寸为0），请重新上传")
            if load_side is not None and kind == "jpeg":
                im.draft("RGB", (load_side, load_side))
            with _strict_decoding():
                im.load()  # decodes the whole stream: a truncated or corrupt file fails here
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected("too_large", "图片像素尺寸过大，请缩小后重新上传") from exc
    except Exception as exc:
        raise UploadRejected("unreadable", "图片已损坏或不完整，无法读取，请重新上传") from exc
    return kind, im, size


def check_image(data: bytes, *, max_bytes: int = 2 * MB, allowed: Sequence[str] = ("jpeg", "png"),
                max_pixels: int = 30_000_000) -> ImageReport:
    """Validate an uploaded picture: a real, complete image of an allowed format within limits."""
    kind, im, (width, height) = _open_image(data, max_bytes, allowed, max_pixels, load_side=1024)
    return ImageReport(format=kind, width=width, height=height, size_bytes=len(data), mode=im.mode,
                       content_type=_CONTENT_TYPES.get(kind, "application/octet-stream"))


def background_spread(im: Image.Image) -> tuple[float, tuple[int, ...]]:
    """Spread of the border colours of a portrait photo and their median colour.

    Samples the top band and the upper half of the left and right bands (the bottom edge and
    the lower sides are shoulders). The spread is the BACKGROUND_QUANTILE quantile of each
    sample's Euclidean RGB distance to the median colour, so hair touching the edge or a
    little shadow does not count, while a room or a patterned wall does.
    """
    rgb = _downscale(_flatten_rgb(im))
    w, h = rgb.size
    band = max(1, round(min(w, h) * BACKGROUND_BAND))
    side_h = max(band, round(h * BACKGROUND_SIDE_HEIGHT))
    boxes = [(0, 0, w, band), (0, band, band, side_h), (w - band, band, w, side_h)]
    pixels: list[tuple[int, int, int]] = []
    for box in boxes:
        if box[2] > box[0] and box[3] > box[1]:
            raw = rgb.crop(box).tobytes()
            pixels.extend(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
    channels = list(zip(*pixels, strict=True))
    median = tuple(sorted(channel)[len(channel) // 2] for channel in channels)
    distances = sorted(math.dist(p, median) for p in pixels)
    spread = distances[min(len(distances) - 1, int(len(distances) * BACKGROUND_QUANTILE))]
    return round(spread, 1), median


def check_photo(data: bytes, max_bytes: int = MB, *, allowed: Sequence[str] = ("jpeg", "png"),
                max_pixels: int = 30_000_000) -> PhotoReport:
    """check_image plus a measurement of the background (a warning when it is not one colour)."""
    kind, im, (width, height) = _open_image(data, max_bytes, allowed, max_pixels, load_side=512)
    report = PhotoReport(format=kind, width=width, height=height, size_bytes=len(data), mode=im.mode,
                         content_type=_CONTENT_TYPES.get(kind, "application/octet-stream"))
    try:
        spread, colour = background_spread(ImageOps.exif_transpose(im))  # as the photo is displayed
    except Exception:  # a measurement quirk must never block the upload
        return report
    report.background_spread = spread
    report.background_colour = "#{:02x}{:02x}{:02x}".format(*colour)
    report.background_uniform = spread <= BACKGROUND_MAX_SPREAD
    if not report.background_uniform:
        report.warnings.append("照片背景不是单一颜色，请使用纯色背景（如白色、蓝色）的证件照")
    return report


__all__: list[str] = [
    "UploadRejected", "PdfImage", "PdfReport", "ImageReport", "PhotoReport", "check_pdf", "check_image",
    "check_photo", "sniff_content_type", "is_colourful", "background_spread", "REJECTION_CODES",
]
