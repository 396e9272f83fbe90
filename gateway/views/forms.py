"""Helpers for the HTML forms: CSRF, kept values, re-rendering with per-field errors."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from services.common.errors import FieldErrors

CSRF_ERROR: FieldErrors = {"_": [{"code": "csrf", "message": "页面已过期，请刷新后重新提交。"}]}


def csrf_ok(request: Request) -> bool:
    token = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    return request.session.csrf_valid(token)


def kept(request: Request, names: tuple[str, ...]) -> dict[str, Any]:
    """What the user typed, to show again after an error (never passwords)."""
    return {name: request.form.get(name, "") for name in names}
