"""The PDF scan behind ``services.common.uploads.check_pdf``: walks each page's content stream
tracking the CTM and records every raster image placement (effective resolution, colour),
decoding image samples only as far as the colour test needs. Split out of uploads.py."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, NameObject, StreamObject

from services.common.imaging import CHROMA_THRESHOLD, SAMPLE_SIDE, _chroma, _strict_decoding, is_colourful

# Images smaller than this on either side are decoration (fills, bullets, 1x1 spacers), not scans.
MIN_SCAN_SIDE_PX = 16
# Images inside a PDF larger than this are not decoded for the colour test (declared colour space used).
MAX_SAMPLE_PIXELS = 60_000_000
# An image inside a PDF declaring more pixels than this is refused as a decompression bomb
# (1200 DPI over a whole A4 page is 140 MP).
MAX_PDF_IMAGE_PIXELS = 200_000_000
MAX_CONTENT_DEPTH = 8
MAX_REPORTED_IMAGES = 500


@dataclass(frozen=True)
class PdfImage:
    """One placement of a raster image on a page (1-based page number)."""

    page: int
    width_px: int
    height_px: int
    dpi_x: float
    dpi_y: float
    colour_space: str
    is_colour: bool | None

    @property
    def dpi(self) -> float:
        return min(self.dpi_x, self.dpi_y)



Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

_GREY_NAMES = {"/DeviceGray", "/CalGray", "/G"}
_COLOUR_NAMES = {"/DeviceRGB": 3, "/CalRGB": 3, "/RGB": 3, "/DeviceCMYK": 4, "/CMYK": 4, "/Lab": 3}
# Filters whose decoding pypdf does itself: a failure there means damaged data.
_PLAIN_FILTERS = {"/FlateDecode", "/Fl", "/LZWDecode", "/LZW", "/RunLengthDecode", "/RL",
                  "/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"}
_DCT_FILTERS = {"/DCTDecode", "/DCT"}


class _FatalImage(Exception):
    """An image problem that makes the whole PDF unacceptable."""


class _DamagedImage(_FatalImage):
    pass


class _OversizedImage(_FatalImage):
    pass


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m x n in PDF's row-vector convention (m applied first)."""
    a, b, c, d, e, f = m
    na, nb, nc, nd, ne, nf = n
    return (a * na + b * nc, a * nb + b * nd, c * na + d * nc, c * nb + d * nd,
            e * na + f * nc + ne, e * nb + f * nd + nf)


def _as_matrix(values: Iterable[Any]) -> Matrix | None:
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        return None
    if len(numbers) != 6 or not all(math.isfinite(v) for v in numbers):
        return None
    a, b, c, d, e, f = numbers
    return (a, b, c, d, e, f)


def _resolve(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


@dataclass(frozen=True)
class _ColourSpace:
    label: str
    components: int | None
    colour: bool | None  # declared (or from the palette): True colour, False grey/bw, None unknown
    palette_mode: str | None = None  # Indexed over RGB/CMYK: the palette's Pillow mode
    palette: bytes | None = None


def _string_bytes(obj: Any) -> bytes:
    """The bytes of a PDF string or stream (pypdf may have decoded a binary string as text)."""
    obj = _resolve(obj)
    if isinstance(obj, StreamObject):
        return obj.get_data()
    original = getattr(obj, "original_bytes", None)
    if isinstance(original, bytes):
        return original
    if isinstance(obj, bytes):
        return bytes(obj)
    return str(obj).encode("latin-1")


def _indexed(cs: ArrayObject, resources: DictionaryObject | None, depth: int) -> _ColourSpace:
    base = _colour_space(cs[1], resources, depth + 1)
    label = f"/Indexed({base.label})"
    if base.components not in (3, 4) or base.label == "/Lab":
        return _ColourSpace(label, 1, base.colour)
    try:
        hival = max(0, min(255, int(_resolve(cs[2]))))
        mode = "RGB" if base.components == 3 else "CMYK"
        lookup = _string_bytes(cs[3])
        count = min(hival + 1, len(lookup) // base.components)
        entries = lookup[: count * base.components]
        if count == 0:
            return _ColourSpace(label, 1, base.colour)
        # Every palette entry grey -> grey for sure; otherwise the pixels decide (a palette
        # may hold colours no pixel uses).
        strip = Image.frombytes(mode, (count, 1), entries).convert("RGB")
        colour = _chroma(strip).getextrema()[1] >= CHROMA_THRESHOLD
        return _ColourSpace(label, 1, colour, mode, entries)
    except Exception:
        return _ColourSpace(label, 1, base.colour)


def _colour_space(cs: Any, resources: DictionaryObject | None, depth: int = 0) -> _ColourSpace:
    cs = _resolve(cs)
    if cs is None or depth > 4:
        return _ColourSpace("?", None, None)
    if isinstance(cs, str):  # NameObject is a str
        name = str(cs)
        if name in _GREY_NAMES:
            return _ColourSpace(name, 1, False)
        if name in _COLOUR_NAMES:
            return _ColourSpace(name, _COLOUR_NAMES[name], True)
        named = _resolve(resources.get("/ColorSpace")) if isinstance(resources, DictionaryObject) else None
        if isinstance(named, DictionaryObject) and name in named:
            return _colour_space(named[name], resources, depth + 1)
        return _ColourSpace(name, None, None)
    if isinstance(cs, ArrayObject) and cs:
        family = str(_resolve(cs[0]))
        if family == "/ICCBased" and len(cs) > 1:
            profile = _resolve(cs[1])
            n = int(profile.get("/N", 0)) if isinstance(profile, DictionaryObject) else 0
            colour = {1: False, 3: True, 4: True}.get(n)
            return _ColourSpace(f"/ICCBased({n})", n or None, colour)
        if family in ("/Indexed", "/I") and len(cs) >= 4:
            return _indexed(cs, resources, depth)
        if family == "/Separation":
            return _ColourSpace("/Separation", 1, False)  # one ink: a tint, no hue information
        if family == "/DeviceN" and len(cs) > 1:
            names = _resolve(cs[1])
            n = len(names) if isinstance(names, ArrayObject) else None
            return _ColourSpace(f"/DeviceN({n})", n, None if n is None else n > 1)
        if family in _GREY_NAMES or family in _COLOUR_NAMES:
            return _colour_space(NameObject(family), resources, depth + 1)
        return _ColourSpace(family, None, None)
    return _ColourSpace("?", None, None)


def _filters(stream: DictionaryObject) -> list[str]:
    value = _resolve(stream.get("/Filter"))
    if value is None:
        return []
    if isinstance(value, ArrayObject):
        return [str(_resolve(v)) for v in value]
    return [str(value)]


def _raw_to_image(raw: bytes, space: _ColourSpace, width: int, height: int, bpc: int) -> Image.Image | None:
    """Pillow image from unfiltered samples for the common 8-bit cases, else None."""
    size = (width, height)
    if space.palette is not None and space.palette_mode is not None and bpc in (1, 2, 4, 8):
        rawmode = "P" if bpc == 8 else f"P;{bpc}"
        indices = Image.frombytes("P", size, raw, "raw", rawmode)
        palette = Image.frombytes(space.palette_mode, (len(space.palette) // len(space.palette_mode), 1),
                                  space.palette).convert("RGB")
        indices.putpalette(palette.tobytes())
        return indices
    if bpc != 8:
        return None
    if space.components == 3 and space.label != "/Lab":
        return Image.frombytes("RGB", size, raw)
    if space.components == 4:
        return Image.frombytes("CMYK", size, raw)
    return None


def _sample_image(xobj: StreamObject, space: _ColourSpace, width: int, height: int, *,
                  need_pixels: bool) -> Image.Image | None:
    """A decoded (possibly reduced) copy of the image, None when not needed or not decodable here.

    Raises _DamagedImage when data in a format we fully support (Flate & co, JPEG) is broken.
    Codecs we do not decode ourselves (JPX, JBIG2, CCITT) are left to pypdf and a failure
    there only means "colour unknown".
    """
    filters = _filters(xobj)
    if filters and filters[-1] in _DCT_FILTERS and all(f in _PLAIN_FILTERS for f in filters[:-1]):
        try:
            jpeg = Image.open(io.BytesIO(xobj.get_data()), formats=["JPEG"])
            jpeg.draft("RGB", (SAMPLE_SIDE, SAMPLE_SIDE))
            with _strict_decoding():
                jpeg.load()  # decodes the whole entropy-coded stream, so truncation shows here
        except LimitReachedError:
            return None  # pypdf's own decompression limit: too big to measure, not damaged
        except Exception as exc:
            raise _DamagedImage(str(exc)) from exc
        return jpeg
    if all(f in _PLAIN_FILTERS for f in filters):
        try:
            raw = xobj.get_data()
        except LimitReachedError:
            return None
        except Exception as exc:
            raise _DamagedImage(str(exc)) from exc
        bpc = int(_resolve(xobj.get("/BitsPerComponent", 8)) or 8)
        if space.components is not None:
            expected = math.ceil(width * space.components * bpc / 8) * height
            if len(raw) < expected:
                raise _DamagedImage(f"image data is {len(raw)} bytes, expected {expected}")
            if need_pixels and width * height <= MAX_SAMPLE_PIXELS:
                try:
                    decoded = _raw_to_image(raw[:expected], space, width, height, bpc)
                except Exception:
                    decoded = None
                if decoded is not None:
                    return decoded
    if not need_pixels or width * height > MAX_SAMPLE_PIXELS:
        return None
    try:
        return xobj.decode_as_image()
    except Exception:
        return None


class _PdfScanner:
    """Walks each page's content stream, tracking the CTM, and records every image placement."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.images: list[PdfImage] = []
        self.min_dpi: float | None = None
        self.colours: list[bool | None] = []
        self._colour_cache: dict[Any, tuple[str, bool | None]] = {}

    def scan_page(self, page_number: int, page: Any) -> None:
        user_unit = float(_resolve(page.get("/UserUnit", 1)) or 1)
        resources = _resolve(page.get("/Resources"))
        contents = page.get_contents()
        if contents is None:
            return
        scale: Matrix = (user_unit, 0.0, 0.0, user_unit, 0.0, 0.0)
        self._walk(contents.operations, resources, scale, page_number, 0, set())

    def _walk(self, operations: Sequence[tuple[Any, bytes]], resources: Any, ctm: Matrix,
              page_number: int, depth: int, active: set[int]) -> None:
        stack: list[Matrix] = []
        for operands, operator in operations:
            if operator == b"q":
                stack.append(ctm)
            elif operator == b"Q":
                if stack:
                    ctm = stack.pop()
            elif operator == b"cm":
                matrix = _as_matrix(operands)
                if matrix is not None:
                    ctm = _multiply(matrix, ctm)
            elif operator in (b"Do", b"INLINE IMAGE"):
                try:
                    if operator == b"Do" and operands:
                        self._do(operands[0], resources, ctm, page_number, depth, active)
                    elif operator == b"INLINE IMAGE":
                        self._inline(operands, resources, ctm, page_number)
                except _FatalImage:
                    raise
                except Exception:  # odd dictionaries or an unparsable form: a measurement gap, no more
                    continue

    def _do(self, name: Any, resources: Any, ctm: Matrix, page_number: int, depth: int,
            active: set[int]) -> None:
        xobjects = _resolve(resources.get("/XObject")) if isinstance(resources, DictionaryObject) else None
        if not isinstance(xobjects, DictionaryObject) or name not in xobjects:
            return
        reference = xobjects.raw_get(name)
        xobj = _resolve(reference)
        if not isinstance(xobj, StreamObject):
            return
        subtype = str(xobj.get("/Subtype", ""))
        if subtype == "/Image":
            self._image(xobj, reference, resources, ctm, page_number)
        elif subtype == "/Form" and depth < MAX_CONTENT_DEPTH:
            key = id(xobj)
            if key in active:
                return
            matrix = _as_matrix(_resolve(xobj.get("/Matrix", IDENTITY))) or IDENTITY
            form_resources = _resolve(xobj.get("/Resources")) or resources
            operations = ContentStream(xobj, self.reader).operations
            self._walk(operations, form_resources, _multiply(matrix, ctm), page_number, depth + 1,
                       active | {key})

    def _image(self, xobj: StreamObject, reference: Any, resources: Any, ctm: Matrix,
               page_number: int) -> None:
        if bool(_resolve(xobj.get("/ImageMask", False))):
            return  # a stencil: paints the current fill colour, carries no scanned content
        width, height = int(_resolve(xobj.get("/Width", 0))), int(_resolve(xobj.get("/Height", 0)))
        if width < MIN_SCAN_SIDE_PX or height < MIN_SCAN_SIDE_PX:
            return
        if width * height > MAX_PDF_IMAGE_PIXELS:
            raise _OversizedImage(f"{width}x{height}")
        key = (reference.idnum, reference.generation) if hasattr(reference, "idnum") else id(xobj)
        if key not in self._colour_cache:
            space = _colour_space(xobj.get("/ColorSpace"), resources)
            colour = space.colour
            sample = _sample_image(xobj, space, width, height, need_pixels=space.colour is not False)
            if sample is not None and (space.colour is not False or sample.mode not in ("1", "L")):
                try:
                    colour = is_colourful(sample)
                except Exception:
                    colour = space.colour
            self._colour_cache[key] = (space.label, colour)
        label, colour = self._colour_cache[key]
        self._record(page_number, width, height, ctm, label, colour)

    def _inline(self, operands: Any, resources: Any, ctm: Matrix, page_number: int) -> None:
        settings = operands.get("settings") if isinstance(operands, dict) else None
        if not isinstance(settings, dict):
            return
        if bool(settings.get("/IM", settings.get("/ImageMask", False))):
            return
        width = int(settings.get("/W", settings.get("/Width", 0)))
        height = int(settings.get("/H", settings.get("/Height", 0)))
        if width < MIN_SCAN_SIDE_PX or height < MIN_SCAN_SIDE_PX:
            return
        space = _colour_space(settings.get("/CS", settings.get("/ColorSpace")), resources)
        self._record(page_number, width, height, ctm, space.label, space.colour)

    def _record(self, page_number: int, width: int, height: int, ctm: Matrix, label: str,
                colour: bool | None) -> None:
        a, b, c, d, _, _ = ctm
        placed_w, placed_h = math.hypot(a, b) / 72, math.hypot(c, d) / 72  # inches
        if placed_w <= 1e-6 or placed_h <= 1e-6:
            return  # not visible
        dpi_x, dpi_y = round(width / placed_w, 1), round(height / placed_h, 1)
        dpi = min(dpi_x, dpi_y)
        self.min_dpi = dpi if self.min_dpi is None else min(self.min_dpi, dpi)
        self.colours.append(colour)
        if len(self.images) < MAX_REPORTED_IMAGES:
            self.images.append(PdfImage(page_number, width, height, dpi_x, dpi_y, label, colour))

    @property
    def is_colour(self) -> bool | None:
        if not self.colours:
            return None
        if any(c is True for c in self.colours):
            return True
        if all(c is False for c in self.colours):
            return False
        return None
