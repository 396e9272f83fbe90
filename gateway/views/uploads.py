"""``POST /api/v1/uploads``: the JSON API's streamed upload (the claim check, gateway/uploads.py).

The request body is the file itself (``Content-Type`` its type, the name in ``X-Filename``,
percent-encoded UTF-8), or a multipart form with one ``file`` field. It is streamed into
quarantine, hashed on the way, and the answer is the claim::

    201 {"filename": "营业执照.pdf", "key": "quarantine/…", "size": 123, "sha256": "…",
         "content_type": "application/pdf"}

which the client sends in place of ``{"filename", "content_b64"}`` to an upload route (the
material, photo, signed-scan routes take its fields at the top level; the enterprise and review
routes take it where the inline form went). The owning service checks the file then; a claim
never used expires (services/common/claims.py). Nothing is checked here but the body's size
(``gateway.max_request_bytes``).
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from gateway.apischemas.admin import UploadClaim, UploadForm
from gateway.http import json_response
from gateway.openapi import Op, header
from gateway.uploads import stage_file
from services.common import claims
from services.common.errors import ValidationFailed, field_error

MULTIPART = ("multipart/form-data",)
REQUIRED = "请选择要上传的文件"
FILENAME_MAX = 200


def _required() -> ValidationFailed:
    return ValidationFailed(REQUIRED, {"file": [field_error("required", REQUIRED)]})


def _header_filename(request: Request) -> str:
    return unquote(request.headers.get("X-Filename", ""), errors="replace")[:FILENAME_MAX]


class UploadViews:
    ROUTES = [Rule("/api/v1/uploads", endpoint="api_upload", methods=["POST"])]

    OPENAPI_OPERATIONS = [
        Op("POST /api/v1/uploads", "Stream a file into quarantine (body: the file, name in X-Filename; or "
           "multipart with a `file` field) and get its claim, to send in place of {filename, content_b64} "
           "to an upload route", body={"application/octet-stream": {"type": "string", "format": "binary"},
                                       "multipart/form-data": UploadForm},
           ok=201, result=UploadClaim, errors=(401, 403, 422, 503), csrf=True,
           params=(header("X-Filename", "the file's name, percent-encoded UTF-8"),)),
    ]

    def on_api_upload(self: Any, request: Request) -> Response:
        self.require(request, allow_registering=True)  # registration step 2 uploads too
        store = request.upload_store
        if request.mimetype in MULTIPART:
            storage = request.files.get("file")
            if storage is None or not storage.filename:
                raise _required()
            claim = stage_file(store, storage, limit=self.max_request_bytes)
        else:
            length = request.content_length
            if not length and "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
                raise _required()
            # An X-Idempotency-Key made gateway/idempotency.py read (and keep) the body already.
            cached = getattr(request, "_cached_data", None)
            stream = io.BytesIO(cached) if cached is not None else request.stream
            claim = claims.stage(store, stream, _header_filename(request), request.mimetype,
                                 length=length if length else -1, limit=self.max_request_bytes)
            if claim["size"] == 0:
                store.delete(claim["key"])
                raise _required()
        return json_response(claim, 201)
