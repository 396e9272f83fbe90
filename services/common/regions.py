"""Division names for GB/T 2260 region codes (pure, no I/O beyond two bundled files).

The divisions of Inner Mongolia (盟市 and 区县, ../shared/reference/nmg-divisions.txt) and the
other provinces; every service and the gateway show names from here instead of codes (issue 16
item 4): ``region_name('150105')`` is 呼和浩特市赛罕区, ``desk_name('city', '150100')`` is
呼和浩特市（盟市级）. The enterprise records' region picker (``region_choices``) and the staff
form's desk picker (``desk_choices``) come from the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
PROVINCE = "150000"
MINISTRY = "000000"
LEVEL_NAMES = {"city": "盟市级", "province": "自治区级", "ministry": "部级"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: str | None  # the 盟市 of a 区县, None for a 盟市 / province


def _read_codes(filename: str) -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / filename).read_text(encoding="utf-8").splitlines():
        if line.strip():
            code, name = line.split(maxsplit=1)
            rows.append((code, name.strip()))
    return rows


@cache
def regions() -> dict[str, Region]:
    """盟市 and 区县 of Inner Mongolia (not the autonomous region itself), then other provinces."""
    out: dict[str, Region] = {}
    for code, name in _read_codes("nmg-divisions.txt"):
        if code == PROVINCE:
            continue
        parent = None if code.endswith("00") else code[:4] + "00"
        out[code] = Region(code, name, parent)
    for code, name in _read_codes("provinces.txt"):
        out[code] = Region(code, name, None)
    return out


def region_label(code: str | None) -> str:
    """The full label (内蒙古自治区 呼和浩特市 赛罕区); "" for an unknown code."""
    region = regions().get(code or "")
    if region is None:
        return ""
    if region.parent:
        return f"内蒙古自治区 {regions()[region.parent].name} {region.name}"
    if code and code.startswith("15"):
        return f"内蒙古自治区 {region.name}"
    return region.name


def region_name(code: object) -> str:
    """A short name for a code: 呼和浩特市赛罕区, 包头市, 内蒙古自治区, 全国; an unknown code is
    named as such (never shown bare)."""
    text = str(code or "").strip()
    if not text:
        return ""
    if text == PROVINCE:
        return "内蒙古自治区"
    if text == MINISTRY:
        return "全国"
    region = regions().get(text)
    if region is None:
        return f"未知地区（{text}）"
    if region.parent:
        return regions()[region.parent].name + region.name
    return region.name


def desk_name(level: object, region_code: object) -> str:
    """A review desk by name: 呼和浩特市（盟市级）, 内蒙古自治区（自治区级）, 部级."""
    if level == "ministry":
        return "部级"
    level_name = LEVEL_NAMES.get(str(level or ""), "")
    name = region_name(region_code)
    return f"{name}（{level_name}）" if level_name else name


def region_choices() -> dict[str, Any]:
    """For the page: 盟市 with their 区县, then the other provinces."""
    leagues = [r for r in regions().values() if r.code.startswith("15") and r.parent is None]
    return {
        "leagues": [{"code": r.code, "name": r.name,
                     "counties": [{"code": c.code, "name": c.name} for c in regions().values()
                                  if c.parent == r.code]} for r in leagues],
        "provinces": [{"code": r.code, "name": r.name} for r in regions().values()
                      if not r.code.startswith("15")],
    }


def desk_choices() -> list[tuple[str, str]]:
    """The regions a staff account can be bound to: the autonomous region, its 盟市 and 区县
    (a county desk routes to its 盟市), and the ministry."""
    out = [(PROVINCE, "内蒙古自治区")]
    for region in regions().values():
        if region.code.startswith("15"):
            out.append((region.code, region_name(region.code)))
    return out + [(MINISTRY, "全国（部级）")]
