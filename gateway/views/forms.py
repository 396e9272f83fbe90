"""Helpers for the HTML forms: CSRF, kept values, re-rendering with per-field errors."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request

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


def uploaded_file(request: Request, name: str) -> dict[str, str] | None:
    """A multipart file field as the services take it ({filename, content_b64}); None when empty.

    The service checks the content again (docs/contracts.md "Attachments"); this only keeps a
    huge upload from being encoded and sent over the bus.
    """
    storage = request.files.get(name)
    if storage is None or not storage.filename:
        return None
    data = storage.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(TOO_LARGE, {name: [{"code": "too_large", "message": TOO_LARGE}]})
    return {"filename": storage.filename, "content_b64": base64.b64encode(data).decode()}


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
