"""Which reviewer desk covers which region: the one jurisdiction rule (pure, no I/O).

Regions are GB/T 2260 division codes (6 digits: 2 province, 2 prefecture/盟市, 2 county):
150000 内蒙古自治区, 150100 呼和浩特市, 150105 呼和浩特市赛罕区, 150200 包头市. A reviewer works
at a desk: a level (city 盟市, province 省级/自治区, ministry 部级) and a region. The desk of a
level for an enterprise in region R is R's 盟市 (first 4 digits + 00), R's province (first 2
digits + 0000), or the ministry (000000). A reviewer may read a case (and every file of it) when
the case's chain has a step at the reviewer's level and the case's region routes to the
reviewer's desk at that level; admins read everything. Review's routing, its file access and
the producers' file access (they ask review: docs/contracts.md, "Case documents") all use this;
personnel's region searches use :func:`region_prefix`, the same rule as a SQL ``LIKE`` prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

LEVELS = {"city": "盟市", "province": "省级", "ministry": "部级"}
MINISTRY_REGION = "000000"
_PREFIX_DIGITS = {"city": 4, "province": 2, "ministry": 0}


def _code(region_code: object) -> str | None:
    code = str(region_code or "").strip()
    return code if len(code) == 6 and code.isdigit() else None


def route_region(level: str, region_code: str) -> str:
    """The desk region of ``level`` for an enterprise's region: its 盟市, its province, or the
    ministry. ValueError for an unknown level or a code that is not 6 digits."""
    if level == "ministry":
        return MINISTRY_REGION
    code = _code(region_code)
    if code is None:
        raise ValueError(f"region code {region_code!r} is not a 6-digit division code")
    if level == "city":
        return code[:4] + "00"
    if level == "province":
        return code[:2] + "0000"
    raise ValueError(f"unknown level {level!r}")


def desk(level: object, region_code: object) -> tuple[str, str] | None:
    """A reviewer's (level, desk region), normalised; None when the level is unknown or the
    region is not a division code (no jurisdiction, never everywhere)."""
    if level not in LEVELS:
        return None
    try:
        return str(level), route_region(str(level), str(region_code or ""))
    except ValueError:
        return None


def desk_of(actor: dict[str, Any]) -> tuple[str, str] | None:
    """The desk a reviewer (or an admin bound to a level and region) works at; None otherwise."""
    if actor.get("kind") not in ("reviewer", "admin") or not actor.get("region_code"):
        return None
    return desk(actor.get("level"), actor.get("region_code"))


def in_jurisdiction(level: object, desk_region: object, case_region: object) -> bool:
    """Whether a case's region routes to the desk (level, desk_region)."""
    if level not in LEVELS or not desk_region:
        return False
    try:
        return route_region(str(level), str(case_region or "")) == str(desk_region)
    except ValueError:
        return False


def holds_step(level: object, desk_region: object, case_region: object, chain_levels: Iterable[str]) -> bool:
    """Whether the desk holds a step of a case: the chain has a step at its level and the case's
    region routes to it (a city desk has no part in a province-only chain)."""
    return level in set(chain_levels) and in_jurisdiction(level, desk_region, case_region)


def may_read_case(actor: dict[str, Any], case_region: object, chain_levels: Iterable[str]) -> bool:
    """Staff side of "who may read a case and its files": admins, and reviewers whose desk holds
    a step of it. (The owner is the producer's own check: only it knows who owns the subject.)"""
    kind = actor.get("kind")
    if kind == "admin":
        return True
    if kind != "reviewer":
        return False
    found = desk_of(actor)
    return found is not None and holds_step(found[0], found[1], case_region, chain_levels)


def region_prefix(actor: dict[str, Any]) -> str | None:
    """A reviewer's or admin's jurisdiction as a region-code prefix for searches ("" =
    everywhere: admins and the ministry); None = no jurisdiction (not staff, unknown level, no
    or malformed region). ``code.startswith(prefix)`` ⇔ the code routes to the reviewer's desk."""
    kind = actor.get("kind")
    if kind == "admin":
        return ""
    if kind != "reviewer":
        return None
    found = desk(actor.get("level"), actor.get("region_code"))
    if found is None:
        return None
    return found[1][: _PREFIX_DIGITS[found[0]]]
