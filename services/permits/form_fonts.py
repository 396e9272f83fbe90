"""Smaller CJK fonts for the 申报表 and the certificate.

The Noto CJK faces hold 65,535 glyphs each; WeasyPrint subsets every face it used on every
PDF, keeping glyph ids (so up to the highest id used), which was a third of a form's render
time. A render worker therefore first cuts each face down, once per machine, to the GB 2312
characters plus Latin, punctuation and the symbols forms use (about 8,200 glyphs), with
HarfBuzz's ``hb-subset`` (Debian libharfbuzz-bin; a few seconds for all four faces), and the
templates name those faces first (``QLP Sans`` / ``QLP Serif``). A character outside them
(a rarer name character such as 堃) is drawn from the full Noto face next in the
``font-family`` list: pango falls back per glyph, so nothing is ever missing. Without
``hb-subset`` or the Noto files the rules are empty and the full faces are used (correct,
only slower).

Runs in the render workers (plain processes), never in an eventlet process: it may call
``fc-match`` and ``hb-subset``.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

# (family the templates name, CSS weight) → the fontconfig pattern of the full face
FACES: dict[tuple[str, str], str] = {
    ("QLP Sans", "normal"): "Noto Sans CJK SC:weight=regular",
    ("QLP Sans", "bold"): "Noto Sans CJK SC:weight=bold",
    ("QLP Serif", "normal"): "Noto Serif CJK SC:weight=regular",
    ("QLP Serif", "bold"): "Noto Serif CJK SC:weight=bold",
}

# Besides GB 2312's rows: ASCII, Latin-1, general punctuation, letter-like symbols and number
# forms, arrows, enclosed numbers (①), box drawing and shapes (□ ☑), CJK symbols (、。《》〔〕),
# full-width forms.
EXTRA_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2100, 0x218F), (0x2190, 0x21FF),
    (0x2460, 0x24FF), (0x2500, 0x25FF), (0x2600, 0x26FF), (0x3000, 0x303F), (0xFF00, 0xFFEF),
)
CACHE_VERSION = "1"


def subset_codepoints() -> list[int]:
    """Every code point the small faces keep: GB 2312 (6,763 汉字 and its symbols) plus
    EXTRA_RANGES, sorted."""
    points = {c for low, high in EXTRA_RANGES for c in range(low, high + 1)}
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


def font_face_rules(faces: dict[tuple[str, str], Path]) -> str:
    """CSS ``@font-face`` rules for the small faces that exist."""
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
        f'src: url("{path.resolve().as_uri()}"); }}'
        for (family, weight), path in sorted(faces.items())
    )


def _source(pattern: str) -> tuple[Path, int] | None:
    """The file and face index fontconfig resolves the pattern to, if it is that family."""
    if not shutil.which("fc-match"):
        return None
    out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", pattern],
                         capture_output=True, text=True, timeout=30, check=False).stdout
    try:
        file, index, families = out.split("|", 2)
    except ValueError:
        return None
    if pattern.split(":", 1)[0] not in families.split(","):
        return None  # fontconfig substituted another family: not the font we meant
    return Path(file), int(index)


def _cut(source: Path, index: int, target: Path, unicodes: Path) -> bool:
    """``hb-subset`` one face into target (written atomically: workers may race)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    result = subprocess.run(
        ["hb-subset", f"--font-file={source}", f"--face-index={index}",
         f"--unicodes-file={unicodes}", "--layout-features=*", "--name-IDs=*",
         "--notdef-outline", f"--output-file={partial}"],
        capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0 or not partial.exists():
        log.warning("hb-subset failed for %s: %s", source, result.stderr.strip())
        partial.unlink(missing_ok=True)
        return False
    os.replace(partial, target)
    return True


def cache_dir() -> Path:
    return Path(os.environ.get("QLP_FONT_CACHE") or Path(tempfile.gettempdir()) / "qlp-pdf-fonts")


@functools.cache
def font_faces() -> str:
    """The ``@font-face`` rules of this machine's small faces, cutting them on first use."""
    if not shutil.which("hb-subset"):
        log.warning("hb-subset not installed: PDFs embed subsets of the full CJK faces (slower)")
        return ""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    unicodes = folder / f"unicodes-v{CACHE_VERSION}.txt"
    if not unicodes.exists():
        partial = unicodes.with_name(f".{unicodes.name}.{os.getpid()}")
        partial.write_text(",".join(f"{c:X}" for c in subset_codepoints()))
        os.replace(partial, unicodes)
    faces: dict[tuple[str, str], Path] = {}
    for (family, weight), pattern in FACES.items():
        found = _source(pattern)
        if found is None:
            continue
        source, index = found
        stat = source.stat()
        target = folder / f"{source.stem}-{index}-{stat.st_size}-{int(stat.st_mtime)}-v{CACHE_VERSION}.otf"
        if target.exists() or _cut(source, index, target, unicodes):
            faces[(family, weight)] = target
    return font_face_rules(faces)
