"""Attachments in S3-compatible object storage, only through the minio SDK.

Keys are generated here, never taken from a user's file name; the original (often
Chinese) name stays in the owning service's database, because S3 metadata must be
ASCII. Downloads get a Content-Disposition carrying the UTF-8 name (RFC 5987).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import quote

from minio import Minio
from minio.commonconfig import REPLACE, CopySource

# The smallest part S3 takes in a multipart upload: a streamed upload holds one part in memory.
STREAM_PART_SIZE = 5 * 1024 * 1024


def content_disposition(filename: str) -> str:
    """An attachment header that keeps a Chinese name intact in every current browser."""
    ascii_fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename)}"


class ObjectStore:
    def __init__(self, config: dict[str, Any]) -> None:
        s3 = config["s3"]
        self.bucket = s3["bucket"]
        # An explicit region avoids a location lookup per call; plain HTTP on loopback.
        self.client = Minio(
            f"{s3['host']}:{s3['port']}",
            access_key=s3["access_key"],
            secret_key=s3["secret_key"],
            region=s3["region"],
            secure=bool(s3.get("secure", False)),
        )

    def new_key(self, prefix: str) -> str:
        now = datetime.now(UTC)
        return f"{prefix}/{now:%Y/%m}/{uuid.uuid4().hex}"

    def put(self, prefix: str, data: bytes, content_type: str) -> str:
        key = self.new_key(prefix)
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                               content_type=content_type)
        return key

    def put_stream(self, key: str, stream: BinaryIO, content_type: str, length: int = -1,
                   metadata: dict[str, str] | None = None) -> None:
        """Write a stream under ``key`` part by part (one part in memory, never the whole file);
        ``length`` -1 when unknown. Sequential parts: no upload threads in an eventlet process."""
        self.client.put_object(self.bucket, key, stream, length, content_type=content_type,
                               metadata=metadata, part_size=STREAM_PART_SIZE, num_parallel_uploads=1)

    def get_limited(self, key: str, limit: int) -> bytes:
        """At most ``limit`` + 1 bytes of an object (the caller refuses anything longer)."""
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read(limit + 1)
        finally:
            response.close()
            response.release_conn()

    def move(self, key: str, prefix: str, content_type: str) -> str:
        """Copy ``key`` to a new server-generated key under ``prefix`` (inside the store, no bytes
        through this process), then delete ``key``; returns the new key."""
        new_key = self.new_key(prefix)
        self.client.copy_object(self.bucket, new_key, CopySource(self.bucket, key),
                                metadata={"Content-Type": content_type}, metadata_directive=REPLACE)
        self.client.remove_object(self.bucket, key)
        return new_key

    def objects_under(self, prefix: str) -> Iterator[tuple[str, datetime | None]]:
        """(key, last modified) of every object under ``prefix``."""
        for item in self.client.list_objects(self.bucket, prefix=prefix.rstrip("/") + "/", recursive=True):
            yield item.object_name, item.last_modified

    def get(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)

    def download_url(self, key: str, filename: str, expires: timedelta = timedelta(minutes=5)) -> str:
        """A short-lived signed URL whose response names the file as the user uploaded it."""
        return self.client.presigned_get_object(
            self.bucket, key, expires=expires,
            response_headers={"response-content-disposition": content_disposition(filename)},
        )
