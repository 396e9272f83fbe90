"""Actors as the services take them (docs/contracts.md, "Actors"), for tests that call the
services' RPCs directly."""

from __future__ import annotations

import uuid


def reviewer(level: str, region: str, name: str) -> dict:
    """A reviewer of that level and region (a fresh id: no account behind it)."""
    return {"id": str(uuid.uuid4()), "kind": "reviewer", "level": level, "region_code": region,
            "permissions": [], "enterprise_id": None, "name": name}


def enterprise_actor(enterprise_id: str) -> dict:
    """The enterprise's own (main) account."""
    return {"id": enterprise_id, "kind": "enterprise", "enterprise_id": enterprise_id, "permissions": [],
            "level": None, "region_code": None}


def sub_actor(enterprise_id: str, *modules: str) -> dict:
    """A sub-account of the enterprise with these modules."""
    return {"id": str(uuid.uuid4()), "kind": "sub", "enterprise_id": enterprise_id,
            "permissions": list(modules), "level": None, "region_code": None}
