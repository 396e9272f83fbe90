"""Image helpers shared by the upload checks (services.common.uploads) and the PDF scan
(services.common.pdfscan): flattening, downscaling, the colour test and strict decoding."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageChops, ImageFile

# Colour test, on a copy downscaled to at most SAMPLE_SIDE px: a pixel is coloured when
# max(R,G,B) - min(R,G,B) >= CHROMA_THRESHOLD; an image is colour when at least
# 1/COLOUR_FRACTION_DIVISOR of its pixels (and at least COLOUR_MIN_PIXELS) are coloured.
SAMPLE_SIDE = 256
CHROMA_THRESHOLD = 20
COLOUR_FRACTION_DIVISOR = 2000
COLOUR_MIN_PIXELS = 3


def _flatten_rgb(im: Image.Image) -> Image.Image:
    """RGB copy; transparency is composed onto white."""
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if im.mode != "RGB":
        return im.convert("RGB")
    return im


def _downscale(im: Image.Image, side: int = SAMPLE_SIDE) -> Image.Image:
    if max(im.size) <= side:
        return im
    scale = side / max(im.size)
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    return im.resize(size, Image.Resampling.BOX)


def _chroma(im: Image.Image) -> Image.Image:
    r, g, b = im.split()
    high = ImageChops.lighter(ImageChops.lighter(r, g), b)
    low = ImageChops.darker(ImageChops.darker(r, g), b)
    return ImageChops.subtract(high, low)


def is_colourful(im: Image.Image) -> bool:
    """True when the picture really has colour, not just grey stored as RGB/CMYK/palette."""
    if im.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"):
        return False
    sample = _downscale(_flatten_rgb(im))
    histogram = _chroma(sample).histogram()
    coloured = sum(histogram[CHROMA_THRESHOLD:])
    total = sample.width * sample.height
    return coloured >= max(COLOUR_MIN_PIXELS, total // COLOUR_FRACTION_DIVISOR)


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Decode with truncation as an error, whatever the process-wide Pillow setting says.

    WeasyPrint sets ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` when it is imported (the
    permits service renders PDFs with it), which would let a half-uploaded scan through.
    Decoding does not yield to other green threads, so the switch is not seen by them.
    """
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
