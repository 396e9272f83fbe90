"""Turn marshmallow errors into the platform's field errors: a stable code + a Chinese message."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from services.common.errors import FieldErrors, ValidationFailed, field_error

REQUIRED_MESSAGE = "此项为必填项"
INVALID_MESSAGE = "格式不正确"


def _code_for(message: str) -> str:
    return "required" if message in (REQUIRED_MESSAGE, "Missing data for required field.") else "invalid"


def field_errors_from(messages: dict[str, Any]) -> FieldErrors:
    errors: FieldErrors = {}
    for field, value in messages.items():
        texts = value if isinstance(value, list) else [str(value)]
        errors[field] = [
            field_error(_code_for(text), REQUIRED_MESSAGE if _code_for(text) == "required"
                        else (text if not text.isascii() else INVALID_MESSAGE))
            for text in texts if isinstance(text, str)
        ] or [field_error("invalid", INVALID_MESSAGE)]
    return errors


def load_or_fail(schema: Schema, payload: Any) -> dict[str, Any]:
    """Validate a request payload; raise ValidationFailed with per-field errors."""
    if not isinstance(payload, dict):
        raise ValidationFailed("请求格式不正确", {"_": [field_error("invalid", "请求格式不正确")]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise ValidationFailed.from_fields(field_errors_from(exc.messages)) from exc
