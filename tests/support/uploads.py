"""Gateway unit tests: the claim checks a view sent, seen as the inline uploads they stand for."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.test import Client

CLAIM_FIELDS = ("key", "size", "sha256", "content_type")


def as_inline(client: Client, value: Any) -> Any:
    """``value`` with every claim (services/common/claims.py) replaced by ``{"filename",
    "content_b64"}`` of the bytes the app staged in its MemoryStore (other keys kept)."""
    if isinstance(value, list):
        return [as_inline(client, item) for item in value]
    if isinstance(value, tuple):
        return tuple(as_inline(client, item) for item in value)
    if not isinstance(value, dict):
        return value
    if not value.get("key"):
        return {k: as_inline(client, v) for k, v in value.items()}
    data = client.application.upload_store.objects[value["key"]][0]
    rest = {k: v for k, v in value.items() if k not in CLAIM_FIELDS}
    return {**rest, "content_b64": base64.b64encode(data).decode()}
