"""Helpers for the HTML forms: CSRF, kept values, re-rendering with per-field errors."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from gateway.uploads import stage_file, stream_length
from services.common import claims
from services.common.errors import ValidationFailed


def csrf_ok(request: Request) -> bool:
    """The form's (or header's) token is the session's: GatewayApp's dispatch asks this of every
    state-changing page request, before any view."""
    token = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    return request.session.csrf_valid(token)


def kept(request: Request, names: tuple[str, ...]) -> dict[str, Any]:
    """What the user typed, to show again after an error (never passwords)."""
    return {name: request.form.get(name, "") for name in names}


MAX_UPLOAD_BYTES = 10 * 1024 * 1024
TOO_LARGE = "文件超过10MB上限，请压缩后重新上传"


def uploaded_file(request: Request, name: str) -> dict[str, Any] | None:
    """A multipart file field as the services take it: a claim check (services/common/claims.py,
    the file streamed into quarantine, hashed on the way); None when empty.

    The service checks the content (docs/contracts.md "Attachments"); this only keeps a file over
    the largest upload any slot takes from being staged at all.
    """
    storage = request.files.get(name)
    if storage is None or not storage.filename:
        return None
    length = stream_length(storage.stream)
    if length > MAX_UPLOAD_BYTES:
        raise ValidationFailed(TOO_LARGE, {name: [{"code": "too_large", "message": TOO_LARGE}]})
    store = getattr(request, "upload_store", None) or claims.default_store()
    try:
        return stage_file(store, storage, limit=MAX_UPLOAD_BYTES)
    except claims.TooLarge as exc:  # a stream whose length was unknown
        raise ValidationFailed(TOO_LARGE, {name: [{"code": "too_large", "message": TOO_LARGE}]}) from exc


def api_upload(payload: dict[str, Any]) -> dict[str, Any]:
    """The upload in an API route's JSON body: a claim from ``POST /api/v1/uploads``
    (``key``, ``size``, ``sha256``, ``content_type``) or the inline ``content_b64``, with its
    ``filename`` (the inline form is staged before the RPC: gateway/uploads.py)."""
    upload = {"filename": payload.get("filename") or "", "content_b64": payload.get("content_b64") or ""}
    if payload.get("key"):
        upload = {"filename": upload["filename"],
                  **{field: payload.get(field) for field in ("key", "size", "sha256", "content_type")}}
    return upload


def flash(request: Request, message: str) -> None:
    """A one-time message for the next page this session shows (base.html, after a redirect)."""
    if request.session is not None:
        request.session.set("flash", message)


def take_flash(request: Request) -> str | None:
    session = getattr(request, "session", None)
    if session is None or "flash" not in session:
        return None
    session.modified = True
    return str(session.pop("flash"))
