"""The gateway's half of the upload claim check (services/common/claims.py).

An uploaded file goes to object storage under the quarantine prefix, hashed and counted on
the way, and the services get only the claim (key, size, SHA-256, name, declared type):

* a page's multipart form: Werkzeug spools each file part to a temporary file (over 500 KB),
  :func:`stage_file` streams it from there, one 5 MiB part in memory at a time;
* the API's ``POST /api/v1/uploads`` (gateway/views/uploads.py): the raw request body (or one
  multipart ``file`` field) is streamed the same way and the claim answered, for the client to
  put in place of ``content_b64`` in the JSON of an upload route;
* the API's older inline form ``{"filename", "content_b64"}`` is still taken: before any RPC,
  :func:`inline_to_claims` decodes each one into quarantine and passes its claim instead. So
  no file content is ever sent over RabbitMQ.

Without S3 settings (the unit tests' apps), :class:`MemoryStore` stands in for the store.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import uuid
from datetime import UTC, datetime
from typing import Any, BinaryIO

from services.common import claims


class MemoryStore:
    """The object store's quarantine calls, in memory: for apps built without S3 settings."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, datetime]] = {}

    def new_key(self, prefix: str) -> str:
        return f"{prefix}/{datetime.now(UTC):%Y/%m}/{uuid.uuid4().hex}"

    def put_stream(self, key: str, stream: BinaryIO, content_type: str, length: int = -1,
                   metadata: dict[str, str] | None = None) -> None:
        chunks = iter(lambda: stream.read(claims.READ_CHUNK), b"")
        self.objects[key] = (b"".join(chunks), content_type, datetime.now(UTC))

    def get_limited(self, key: str, limit: int) -> bytes:
        return self.objects[key][0][: limit + 1]

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def objects_under(self, prefix: str) -> list[tuple[str, datetime]]:
        return [(k, v[2]) for k, v in self.objects.items() if k.startswith(prefix.rstrip("/") + "/")]


class LazyObjectStore:
    """The ObjectStore, built at its first use (an app is often built without ever storing)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._store: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._store is None:
            from services.common.storage import ObjectStore

            self._store = ObjectStore(self._config)
        return getattr(self._store, name)


def store_for(config: dict[str, Any]) -> Any:
    """The quarantine's store: S3 when the configuration has it, else memory (unit tests' apps)."""
    return LazyObjectStore(config) if config.get("s3") else MemoryStore()


def stream_length(stream: Any) -> int:
    """The length of a seekable stream (a spooled upload), read position back at 0; -1 if unknown."""
    try:
        stream.seek(0, os.SEEK_END)
        length = stream.tell()
        stream.seek(0)
        return int(length)
    except (AttributeError, OSError, ValueError):
        return -1


def stage_file(store: Any, storage: Any, limit: int | None = None) -> dict[str, Any]:
    """Stage a Werkzeug FileStorage (a multipart file field); returns the claim."""
    return claims.stage(store, storage.stream, storage.filename or "", storage.mimetype,
                        length=stream_length(storage.stream), limit=limit)


def stage_bytes(store: Any, data: bytes, filename: str, content_type: object = "") -> dict[str, Any]:
    return claims.stage(store, io.BytesIO(data), filename, content_type, length=len(data))


def _convert(store: Any, value: Any) -> Any:
    if isinstance(value, list):
        return [_convert(store, item) for item in value]
    if not isinstance(value, dict):
        return value
    encoded = value.get("content_b64")
    if not isinstance(encoded, str) or not encoded:
        return {key: _convert(store, item) for key, item in value.items()}
    rest = {key: item for key, item in value.items() if key != "content_b64"}
    filename = str(value.get("filename") or "")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return {**rest, "filename": filename, "unreadable": True}
    return {**rest, **stage_bytes(store, data, filename, value.get("content_type"))}


def _has_inline(value: Any) -> bool:
    if isinstance(value, dict):
        return "content_b64" in value or any(_has_inline(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_inline(item) for item in value)
    return False


def inline_to_claims(store: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """RPC arguments with every inline upload ``{"filename", "content_b64": <base64>}`` staged
    in quarantine and replaced by its claim (an empty ``content_b64`` stays: the service answers
    "请选择要上传的文件"; one that is not base64 becomes ``unreadable``: "文件内容无法读取")."""
    if not any(_has_inline(arg) for arg in args):
        return args
    return tuple(_convert(store, arg) for arg in args)


__all__ = ["LazyObjectStore", "MemoryStore", "inline_to_claims", "stage_bytes", "stage_file", "store_for",
           "stream_length"]
