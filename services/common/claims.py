"""Uploads by claim check (docs/contracts.md "Attachments"): file content never crosses RabbitMQ.

The gateway streams an uploaded file into object storage under the quarantine prefix while
hashing it (:func:`stage`), and the RPC carries only the claim::

    {"filename": "营业执照.pdf", "key": "quarantine/2026/12/<uuid hex>", "size": 123456,
     "sha256": "<hex>", "content_type": "application/pdf"}

The owning service reads the object back (:func:`fetch_claimed`: a key outside the quarantine
prefix is refused, and the bytes must have the claimed size and hash), checks the content
(services.common.attachments.check_upload, the same checks as for any upload) and either moves
it to its final key (``ObjectStore.move``: copy inside the store, then delete) or deletes it
and answers the clerk's error. Objects never claimed (the call failed, a later step refused,
the browser went away) are removed by :func:`sweep_quarantine`, run by the permits service's
timer: SeaweedFS accepts an S3 lifecycle rule but does not apply it (an object written under a
prefix with a one-day expiry rule keeps ``TtlSec`` 0), so the sweep is ours.

The older inline form ``{"filename", "content_b64"}`` is still accepted from service-internal
callers (a PDF a service generated itself) and from direct RPC callers in tests; the gateway
turns every inline upload it receives (the JSON API's base64) into a claim before it calls a
service (gateway/uploads.py).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, BinaryIO, Protocol

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from services.common.errors import ValidationFailed, field_error
from services.common.schema_errors import REQUIRED_MESSAGE

QUARANTINE_PREFIX = "quarantine"
# Claimed within one request (seconds); an hour leaves room for any retry, then the sweep.
QUARANTINE_MAX_AGE = timedelta(hours=1)
SWEEP_SECONDS = 600
KEY_PATTERN = r"^quarantine/\d{4}/\d{2}/[0-9a-f]{32}$"
_KEY = re.compile(KEY_PATTERN)
_SHA256 = r"^[0-9a-f]{64}$"
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,60}/[A-Za-z0-9!#$&^_.+-]{1,60}$")
READ_CHUNK = 64 * 1024
UNREADABLE_MESSAGE = "文件内容无法读取，请重新上传"
EXPIRED_MESSAGE = "上传的文件已过期或已被处理，请重新选择文件上传"


class Store(Protocol):
    def new_key(self, prefix: str) -> str: ...
    def put_stream(self, key: str, stream: BinaryIO, content_type: str, length: int = -1,
                   metadata: dict[str, str] | None = None) -> None: ...
    def get_limited(self, key: str, limit: int) -> bytes: ...
    def delete(self, key: str) -> None: ...


class TooLarge(Exception):
    """More than the allowed bytes arrived while staging."""


def _reject(field_name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, {field_name: [field_error(code, message)]})


def safe_content_type(declared: object) -> str:
    """The declared type as a plain ``type/subtype`` (parameters dropped), else octet-stream.
    Only recorded with the quarantine object: the service judges a file by its bytes."""
    text = str(declared or "").split(";", 1)[0].strip().lower()
    return text if _CONTENT_TYPE.match(text) else "application/octet-stream"


class HashingReader:
    """A read-only stream over ``stream`` that hashes (SHA-256) and counts what passes through,
    and raises TooLarge as soon as more than ``limit`` bytes came."""

    def __init__(self, stream: Any, limit: int | None = None) -> None:
        self._stream = stream
        self._limit = limit
        self._hash = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size if size is not None and size >= 0 else READ_CHUNK)
        self.size += len(chunk)
        if self._limit is not None and self.size > self._limit:
            raise TooLarge(self.size)
        self._hash.update(chunk)
        return chunk

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def stage(store: Store, stream: Any, filename: str, content_type: object, *, length: int = -1,
          limit: int | None = None) -> dict[str, Any]:
    """Stream ``stream`` into quarantine (hashing and counting it on the way); returns the claim.
    TooLarge when more than ``limit`` bytes come (the partial upload is aborted by the client)."""
    key = store.new_key(QUARANTINE_PREFIX)
    reader = HashingReader(stream, limit)
    kind = safe_content_type(content_type)
    store.put_stream(key, reader, kind, length)
    return {"filename": filename, "key": key, "size": reader.size, "sha256": reader.sha256,
            "content_type": kind}


def is_claim(upload: object) -> bool:
    return isinstance(upload, dict) and bool(upload.get("key"))


def _quietly_delete(store: Store, key: str) -> None:
    try:
        store.delete(key)
    except Exception:  # the sweep removes it later; the clerk's answer matters more
        pass


def discard(store: Store, upload: object) -> None:
    """Remove a refused claim's quarantine object (never anything outside quarantine)."""
    if is_claim(upload) and _KEY.match(str(upload["key"])):  # type: ignore[index]
        _quietly_delete(store, str(upload["key"]))  # type: ignore[index]


def fetch_claimed(store: Store, upload: dict[str, Any], field_name: str, max_bytes: int,
                  too_large_message: str) -> bytes:
    """The claimed bytes, read back from quarantine; ValidationFailed on the field (and the object
    deleted) when the key is not a quarantine key, the file is over ``max_bytes``, or the bytes do
    not have the claimed size and hash."""
    key = str(upload.get("key") or "")
    if not _KEY.match(key):
        raise _reject(field_name, "invalid", UNREADABLE_MESSAGE)
    claimed_size = upload.get("size")
    if isinstance(claimed_size, int) and claimed_size > max_bytes:
        _quietly_delete(store, key)
        raise _reject(field_name, "too_large", too_large_message)
    try:
        data = store.get_limited(key, max_bytes)
    except Exception as exc:  # NoSuchKey: claimed twice, or swept
        raise _reject(field_name, "expired", EXPIRED_MESSAGE) from exc
    if len(data) > max_bytes:
        _quietly_delete(store, key)
        raise _reject(field_name, "too_large", too_large_message)
    if len(data) != claimed_size or hashlib.sha256(data).hexdigest() != upload.get("sha256"):
        _quietly_delete(store, key)
        raise _reject(field_name, "invalid", UNREADABLE_MESSAGE)
    return data


@lru_cache(maxsize=1)
def default_store() -> Any:
    """This process's store, from its configuration (the services' and the gateway's are one)."""
    from services.common.config import load_config
    from services.common.storage import ObjectStore

    return ObjectStore(load_config())


def sweep_quarantine(store: Any, now: datetime | None = None,
                     max_age: timedelta = QUARANTINE_MAX_AGE) -> int:
    """Delete quarantine objects older than ``max_age``; returns how many."""
    cutoff = (now or datetime.now(UTC)) - max_age
    removed = 0
    for key, modified in list(store.objects_under(QUARANTINE_PREFIX)):
        if modified is not None and modified < cutoff:
            _quietly_delete(store, key)
            removed += 1
    return removed


class UploadSchema(Schema):
    """An upload in an RPC payload: a claim (key, size, sha256, filename, content_type), or the
    inline form (filename, content_b64) of service-internal callers. The content is checked by
    services.common.attachments.check_upload, not here."""

    class Meta:
        unknown = EXCLUDE

    filename = fields.String(load_default="")
    key = fields.String(validate=validate.Regexp(KEY_PATTERN, error=UNREADABLE_MESSAGE))
    size = fields.Integer(strict=True, validate=validate.Range(min=0))
    sha256 = fields.String(validate=validate.Regexp(_SHA256, error=UNREADABLE_MESSAGE))
    content_type = fields.String(load_default="", validate=validate.Length(max=200))
    content_b64 = fields.String()
    unreadable = fields.Boolean(load_default=False)

    @validates_schema
    def _has_content(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("key"):
            if data.get("size") is None or not data.get("sha256"):
                raise ValidationError(UNREADABLE_MESSAGE, "key")
        elif "content_b64" not in data and not data.get("unreadable"):
            raise ValidationError(REQUIRED_MESSAGE, "content_b64")
