"""Attachments in S3-compatible object storage, only through the minio SDK.

Keys are generated here, never taken from a user's file name; the original (often
Chinese) name stays in the owning service's database, because S3 metadata must be
ASCII. Downloads get a Content-Disposition carrying the UTF-8 name (RFC 5987).
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from minio import Minio


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
